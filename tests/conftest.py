"""Shared fixtures: paths to bundled audio, a CLI runner through the real `recap` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "samples" / "city-bees.mp3"


@pytest.fixture
def sample_mp3() -> Path:
    return SAMPLE


@pytest.fixture
def jfk_wav() -> Path:
    return DATA / "jfk.wav"


def run_recap(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `recap` command (python -m recap) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("RECAP_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "recap", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"recap {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def recap_cli():
    return run_recap
