"""Interruption and concurrency: artifacts are complete or absent, the next run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, run_recap

# Each test transcribes the 117 s sample, the one interrupted by Ctrl-C twice (~15-20 s a test
# on 2 idle cores, ~50 s on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "RECAP_DEBUG"}
    return subprocess.Popen([sys.executable, "-m", "recap", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"recap exited early: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def _no_partial_files(folder: Path) -> None:
    leftovers = [p.name for p in folder.rglob("*") if ".tmp-" in p.name or p.suffix == ".part"]
    assert not leftovers, leftovers
    for artifact in folder.glob("*.json"):
        json.loads(artifact.read_text())  # every JSON artifact is complete


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_transcription_leaves_nothing_half_written(tmp_path: Path, sig) -> None:
    out = tmp_path / "out"
    proc = _start(["run", str(SAMPLE), "-o", str(out), "--stop-after", "transcribe"])
    folder = out / "city-bees"
    _wait_for(folder / "info.json", proc)
    time.sleep(3)  # well inside the transcription
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not (folder / "transcript.json").exists()
    _no_partial_files(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["stages"]["fetch"]["status"] == "done"
    assert manifest["stages"]["transcribe"]["status"] == "interrupted"

    if sig == signal.SIGTERM:
        return  # the rerun below is the same after either signal: it is run once, after Ctrl-C
    resumed = run_recap("run", str(SAMPLE), "-o", str(out), "--stop-after", "transcribe",
                        check=True)
    assert "fetch: skipped" in resumed.stderr
    assert json.loads((folder / "transcript.json").read_text())["segments"]
    _no_partial_files(folder)


def test_second_process_on_the_same_episode_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _start(["run", str(SAMPLE), "-o", str(out), "--stop-after", "transcribe"])
    try:
        _wait_for(out / "city-bees" / "manifest.json", first)
        second = run_recap("run", str(SAMPLE), "-o", str(out), "--stop-after", "transcribe")
        assert second.returncode == 1
        assert "another recap process" in second.stderr and "Traceback" not in second.stderr
        direct = run_recap("transcribe", str(out / "city-bees"))
        assert direct.returncode == 1 and "another recap process" in direct.stderr
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    assert json.loads((out / "city-bees" / "transcript.json").read_text())["segments"]
