"""A wheel install, as a user gets it from an index: the package and its prompts (under
recap/_prompts), with no checkout beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_wheel_carries_the_package_and_its_prompts(tmp_path: Path) -> None:
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w",
                            str(wheels), str(ROOT)], capture_output=True, text=True, timeout=500)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("recap-*.whl")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                                "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    # The installed copy first on the path; run from a folder with no prompts/ in sight.
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c",
         "import recap, json; from recap.prompts import bundled_prompts_dir, load_prompts;"
         "from recap.notes import PROMPT_VARIABLES;"
         "prompts = load_prompts(None, PROMPT_VARIABLES);"
         "print(json.dumps({'package': recap.__file__, 'prompts': str(bundled_prompts_dir()),"
         "'names': sorted(prompts)}))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    import json

    found = json.loads(probe.stdout)
    assert found["package"].startswith(str(target))
    assert found["prompts"] == str(target / "recap" / "_prompts")
    assert found["names"] == ["extract", "heading", "intro", "speakers", "titles"]
    for prompt in (ROOT / "prompts").glob("*.md"):
        assert (target / "recap" / "_prompts" / prompt.name).read_bytes() == prompt.read_bytes()
    helped = subprocess.run([sys.executable, "-m", "recap", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "batch" in helped.stdout, helped.stderr
