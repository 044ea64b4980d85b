"""Fixtures of the reliability suite: prepared episode folders, made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recap.models import Info
from tests.conftest import DATA
from tests.reliability.helpers import fast_retries, recap
from tests.servers import free_port


@pytest.fixture(scope="session")
def jfk_episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.wav fetched, transcribed and chunked by the real CLI (for an endpoint named `fake`).

    Tests copy it (helpers.copy_episode); `recap run tests/data/jfk.wav -o ROOT` on a copy
    resumes it, since the folder records its source.
    """
    root = tmp_path_factory.mktemp("jfk-base")
    proc = recap("run", str(DATA / "jfk.wav"), "-o", str(root), "--stop-after", "chunk",
                 "--llm-base-url", f"http://127.0.0.1:{free_port()}/v1", "--llm-model", "fake")
    assert proc.returncode == 0, proc.stderr
    return root / "jfk"


@pytest.fixture(scope="session")
def bees_episode(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """city-bees with its stored transcript, chunked by the CLI into several chunks (a small
    context); returns the folder and the env (config file) every later command must use."""
    base = tmp_path_factory.mktemp("bees-base")
    env = fast_retries(base, llm_context=2400)
    folder = base / "city-bees"
    folder.mkdir()
    shutil.copy(DATA / "city-bees.transcript.json", folder / "transcript.json")
    info = Info(title="City Bees", duration=117.0, audio_file="audio.mp3",
                source="https://example.invalid/city-bees")
    (folder / "info.json").write_text(info.to_json())
    proc = recap("chunk", str(folder), "--llm-base-url", f"http://127.0.0.1:{free_port()}/v1",
                 "--llm-model", "fake", env=env)
    assert proc.returncode == 0, proc.stderr
    return folder, env
