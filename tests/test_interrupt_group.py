"""Ctrl-C as a terminal sends it: to the whole process group (recap, its transcription workers,
ffmpeg, the embedded server), once or twice. Each test waits for the state it means to
interrupt (batch.json naming the stage, the fake endpoint holding a request), never for time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, SAMPLE
from tests.fake_openai import Reply, fake_openai
from tests.servers import FeedItem, StaticServer, cut_clip, write_feed
from tests.test_notes import Model, extract_reply

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def start_in_own_group(args: list[str]) -> subprocess.Popen[str]:
    """recap as a terminal's foreground job: the leader of its own process group."""
    env = {k: v for k, v in os.environ.items() if k != "RECAP_DEBUG"}
    return subprocess.Popen([sys.executable, "-m", "recap", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def wait_until(condition: Any, proc: subprocess.Popen[str], what: str,
               timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"recap exited before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def ctrl_c(proc: subprocess.Popen[str], times: int = 1) -> tuple[str, str]:
    """SIGINT to the group (what Ctrl-C does), `times` times 0.2 s apart; the outcome."""
    for n in range(times):
        if n:
            time.sleep(0.2)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
    try:
        return proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("recap did not exit after Ctrl-C") from None


def assert_clean_exit(proc: subprocess.Popen[str], stderr: str) -> None:
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert "KeyboardInterrupt" not in stderr, stderr  # no worker printed its own
    deadline = time.monotonic() + 30  # nothing of the group outlives recap for long
    while group_alive(proc.pid):
        assert time.monotonic() < deadline, "a process of recap's group is still running"
        time.sleep(0.1)


def complete_artifacts(root: Path) -> None:
    assert not [p for p in root.rglob("*") if ".tmp-" in p.name or p.suffix == ".part"]
    for artifact in root.rglob("*.json"):
        json.loads(artifact.read_text(encoding="utf-8"))


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "jfk.wav").write_bytes((DATA / "jfk.wav").read_bytes())
    cut_clip(SAMPLE, site / "long.mp3", 0, 60)
    with StaticServer(site) as server:
        yield write_feed(site / "feed.xml", server.url, [
            FeedItem("First", "jfk.wav", "2024-05-02", 11, mime="audio/wav"),
            FeedItem("Second", "long.mp3", "2024-05-01", 60)])


def _entry(out: Path, title: str) -> dict[str, Any]:
    try:
        data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return next((e for e in data["entries"] if e["title"] == title), {})


def test_ctrl_c_twice_to_the_group_during_a_batch(feed: str, tmp_path: Path) -> None:
    """Ctrl-C, and Ctrl-C again while recap is stopping (an impatient user); a single Ctrl-C to
    one process is tested in tests/test_interrupt.py and tests/test_batch.py."""
    out = tmp_path / "out"
    proc = start_in_own_group(["batch", feed, "-o", str(out), "--stop-after", "transcribe",
                               "--download-jobs", "1"])
    wait_until(lambda: _entry(out, "Second").get("stage") == "transcribe", proc,
               "the second episode transcribing")
    _, stderr = ctrl_c(proc, times=2)
    assert_clean_exit(proc, stderr)
    complete_artifacts(out)
    second = _entry(out, "Second")
    assert second["status"] == "interrupted", second
    assert not (out / second["folder"] / "transcript.json").exists()


def test_ctrl_c_to_the_group_during_a_streamed_run(tmp_path: Path) -> None:
    """Transcription and notes at once (--stream): Ctrl-C while a notes call is in flight."""
    out = tmp_path / "out"
    asked = threading.Event()
    release = threading.Event()
    with fake_openai() as server:
        model = Model(server)

        def slow_extract(request: dict[str, Any]) -> Reply:
            asked.set()
            release.wait(60)
            return extract_reply(request)

        model.replies["extract"] = slow_extract
        proc = start_in_own_group(["run", str(SAMPLE), "-o", str(out), "--stream",
                                   "--llm-base-url", server.base_url, "--llm-model", "fake"])
        try:
            wait_until(asked.is_set, proc, "a notes call in flight while transcribing")
            _, stderr = ctrl_c(proc)
        finally:
            release.set()
    assert_clean_exit(proc, stderr)
    complete_artifacts(out)
    folder = out / "city-bees"
    stages = json.loads((folder / "manifest.json").read_text())["stages"]
    assert stages["fetch"]["status"] == "done"
    assert "interrupted" in {s["status"] for s in stages.values()}, stages
    assert not (folder / "notes.json").exists()
