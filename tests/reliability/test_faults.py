"""Faults through the real CLI: a failing LLM endpoint, a full disk. After each failure the
artifacts of earlier stages are intact and a rerun resumes."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from tests.fake_openai import Reply, error, fake_openai, ok, text
from tests.reliability.helpers import (
    KEY,
    assert_error,
    assert_nothing_half_written,
    copy_episode,
    fake_model,
    fast_retries,
    llm_args,
    recap,
    stage_status,
)
from tests.servers import free_port
from tests.test_notes import excerpt

RETRIES = 2  # fast_retries()


@pytest.fixture
def episode(jfk_episode: Path, tmp_path: Path) -> Path:
    return copy_episode(jfk_episode, tmp_path / "out")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**fast_retries(tmp_path), "OPENAI_API_KEY": KEY}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes()
            for name in ("info.json", "transcript.json", "chunks.json", "audio.wav")}


def assert_failed_cleanly(proc: subprocess.CompletedProcess[str], folder: Path,
                          before: dict[str, bytes], *needles: str) -> None:
    assert_error(proc, *needles)
    assert snapshot(folder) == before  # earlier stages' artifacts untouched
    assert not (folder / "notes.json").exists()
    assert stage_status(folder, "notes") == "failed"
    assert stage_status(folder, "transcribe") == "done"
    assert_nothing_half_written(folder)


def test_wrong_key_says_so_and_does_not_retry(episode: Path, env: dict[str, str]) -> None:
    with fake_openai() as server:
        server.script(error(401, f"Incorrect API key provided: {KEY}"))
        before = snapshot(episode)
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        assert len(server.completions) == 1
        assert server.headers[0]["authorization"] == f"Bearer {KEY}"
    assert_failed_cleanly(proc, episode, before, "rejected the API key", "401")


def test_rate_limit_is_retried_then_succeeds(episode: Path, env: dict[str, str]) -> None:
    with fake_openai() as server:
        model = fake_model(server)
        server.script(error(429, headers={"Retry-After": "0"}))
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        assert proc.returncode == 0, proc.stderr
        # The 429 and its retry carried the same request; every call then succeeded once.
        assert server.completions[0] == server.completions[1]
        asked = len(server.completions)
        assert model.count("extract") >= 1 and model.count("intro") == 1
    assert "HTTP 429" in proc.stderr and "retry 1 of 2" in proc.stderr
    notes = json.loads((episode / "notes.json").read_text())
    assert notes["topics"]
    assert asked == sum(notes["checks"]["calls"].values()) + 1  # only the 429 was asked twice
    assert stage_status(episode, "notes") == "done"


def test_server_errors_fail_the_stage_and_a_rerun_resumes(episode: Path,
                                                          env: dict[str, str]) -> None:
    root = episode.parent
    transcript_mtime = (episode / "transcript.json").stat().st_mtime_ns
    with fake_openai() as server:
        fake_model(server)
        server.script(*[error(500)] * (RETRIES + 1))
        before = snapshot(episode)
        failed = recap("run", str(DATA / "jfk.wav"), "-o", str(root), *llm_args(server), env=env)
        assert len(server.completions) == RETRIES + 1
        assert_failed_cleanly(failed, episode, before, "kept failing", "HTTP 500",
                              f"after {RETRIES + 1} attempts")
        assert not (episode / "post").exists()

        resumed = recap("run", str(DATA / "jfk.wav"), "-o", str(root), *llm_args(server), env=env)
    assert resumed.returncode == 0, resumed.stderr
    for stage in ("fetch", "transcribe", "chunk"):
        assert f"{stage}: skipped" in resumed.stderr
    assert (episode / "transcript.json").stat().st_mtime_ns == transcript_mtime
    assert (episode / "post" / "index.md").is_file()
    assert stage_status(episode, "write") == "done"
    assert_nothing_half_written(root)


def test_timeouts_are_retried_then_fail_cleanly(episode: Path, env: dict[str, str]) -> None:
    with fake_openai() as server:
        server.script(*[Reply(delay=30)] * (RETRIES + 1))
        before = snapshot(episode)
        proc = recap("notes", str(episode), *llm_args(server), "--llm-timeout", "1", env=env)
        assert len(server.completions) == RETRIES + 1
    assert_failed_cleanly(proc, episode, before, "timed out after 1 s")


def test_connection_refused(episode: Path, env: dict[str, str]) -> None:
    before = snapshot(episode)
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = recap("notes", str(episode), "--llm-base-url", url, "--llm-model", "fake", env=env)
    assert_failed_cleanly(proc, episode, before, "cannot reach the LLM endpoint", url,
                          "connection refused")


@pytest.mark.parametrize(("reply", "needle"), [
    (text(""), "empty reply"),
    (Reply(content=None, refusal="I can't help with that."), "the model refused"),
    (text("Sure! Here are your notes: bees, honey."), "no usable notes for this episode"),
], ids=["empty", "refusal", "no-notes"])
def test_unusable_extraction_replies_fail_the_stage_with_the_reason(
        episode: Path, env: dict[str, str], reply: Reply, needle: str) -> None:
    with fake_openai() as server:
        model = fake_model(server)
        model.replies["extract"] = lambda request: reply
        before = snapshot(episode)
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        # One call per window, none asked again: no loop. Nothing after extraction is asked.
        windows = model.count("extract")
        assert windows >= 1 and model.count("speakers") == 1
        assert len(server.completions) == windows + 1
    assert_failed_cleanly(proc, episode, before, "no usable notes", needle)


@pytest.mark.parametrize(("reply", "needle"), [
    (text("Sure! Here are your notes: bees, honey."), "not valid JSON"),
    (ok({"headline": "bees"}), "'summary' is a required property"),
], ids=["not-json", "fails-schema"])
def test_unusable_json_replies_fall_back_without_a_loop(episode: Path, env: dict[str, str],
                                                        reply: Reply, needle: str) -> None:
    """The speakers and intro calls: a reply that cannot be used is asked to be fixed once, then
    the stage goes on without it (no names, titles and intro made from the notes)."""
    with fake_openai() as server:
        model = fake_model(server)
        for kind in ("speakers", "titles", "intro"):
            model.replies[kind] = lambda request: reply
        model.replies["heading"] = lambda request: text("Sure! Here is a heading: {bees}")
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        assert proc.returncode == 0, proc.stderr
        assert model.count("speakers") == 2  # the reply, then one request for a fix
        assert model.count("intro") == 2
        # in English each section is asked alone for its heading (no titles list); once two
        # calls gave nothing usable, no other section is asked (no loop)
        assert model.count("titles") == 0 and 1 <= model.count("heading") <= 2
    notes = json.loads((episode / "notes.json").read_text())
    checks = notes["checks"]
    assert notes["topics"] and all(t["title"] for t in notes["topics"])
    assert checks["reduce"] == "fallback" and checks["title_fallbacks"] == len(notes["topics"])
    assert checks["intro_fallback"] is True and needle in checks["intro_failed"]
    assert notes["intro"] and notes["speakers"] == []
    assert stage_status(episode, "notes") == "done"
    assert_nothing_half_written(episode)


def test_reply_cut_at_the_token_limit_is_split_and_retried(episode: Path,
                                                           env: dict[str, str]) -> None:
    with fake_openai() as server:
        model = fake_model(server)
        answer = model.replies["extract"]
        cut: list[str] = []

        def truncate_first(request: dict[str, Any]) -> Reply:
            if not cut:
                cut.append(excerpt(request))
                return text("- And so Kennedy asked his fellow Americans", finish_reason="length")
            return answer(request)

        model.replies["extract"] = truncate_first
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        assert proc.returncode == 0, proc.stderr
        shown = [excerpt(r) for r in model.requests("extract")]
    # The cut reply, then each half of the window (jfk.wav: one window of two segments).
    assert len(shown) == 3 and shown[0] == cut[0]
    assert shown[1] in cut[0] and shown[2] in cut[0] and shown[1] != shown[2]
    notes = json.loads((episode / "notes.json").read_text())
    assert notes["checks"]["windows"] == 1 and notes["checks"]["failed_windows"] == 0
    assert notes["checks"]["calls"]["extract"] == 3
    bullets = [b for topic in notes["topics"] for b in topic["bullets"]]
    assert {i for b in bullets for i in b["segment_ids"]} == {0, 1}  # both halves made it


# ---------------------------------------------------------------- a full disk

@contextlib.contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` at `folder` (root only); skips the test where mounting is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(disk: Path) -> Path:
    """Use every free byte of `disk`; returns the filler file (delete it to free the space)."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 4096)
    return filler


def test_disk_too_small_for_the_audio(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "128k") as disk:
        proc = recap("fetch", str(DATA / "jfk.wav"), "-o", str(disk / "out"))
        assert_error(proc, "no space left on device")
        assert_nothing_half_written(disk)
        assert not list(disk.rglob("*.json")) and not list(disk.rglob("audio.*"))


def test_full_disk_fails_the_stage_and_a_rerun_resumes(jfk_episode: Path,
                                                       tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "1m") as disk:
        episode = copy_episode(jfk_episode, disk / "out")
        (episode / "chunks.json").unlink()
        filler = fill(disk)
        before = {p.name: p.read_bytes() for p in episode.glob("*.json")}
        llm = ["--llm-base-url", f"http://127.0.0.1:{free_port()}/v1", "--llm-model", "fake"]
        proc = recap("chunk", str(episode), *llm)
        assert_error(proc, "chunks.json", "no space left on device")
        assert not (episode / "chunks.json").exists()
        assert {p.name: p.read_bytes() for p in episode.glob("*.json")} == before
        assert_nothing_half_written(disk)

        filler.unlink()
        again = recap("chunk", str(episode), *llm)
        assert again.returncode == 0, again.stderr
        assert json.loads((episode / "chunks.json").read_text())["chunks"]
        assert stage_status(episode, "chunk") == "done"


def test_full_disk_during_notes_and_write_loses_nothing(jfk_episode: Path, tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    """The notes' reply cache and notes.json, then the post, each on a disk with no byte left."""
    with tiny_disk(tmp_path / "disk", "1m") as disk, fake_openai() as server:
        fake_model(server)
        episode = copy_episode(jfk_episode, disk / "out")
        before = snapshot(episode)
        filler = fill(disk)
        proc = recap("notes", str(episode), *llm_args(server), env=env)
        assert_error(proc, "no space left on device")
        assert not (episode / "notes.json").exists() and snapshot(episode) == before
        assert stage_status(episode, "notes") in ("failed", None)
        assert_nothing_half_written(disk)

        filler.unlink()
        again = recap("notes", str(episode), *llm_args(server), env=env)
        assert again.returncode == 0, again.stderr
        notes = (episode / "notes.json").read_bytes()

        filler = fill(disk)
        proc = recap("write", str(episode), "--format", "markdown", env=env)
        assert_error(proc, "no space left on device")
        assert not list((episode / "post").glob("*.md")) if (episode / "post").exists() else True
        assert (episode / "notes.json").read_bytes() == notes
        assert_nothing_half_written(disk)

        filler.unlink()
        written = recap("write", str(episode), "--format", "markdown", env=env)
        assert written.returncode == 0, written.stderr
        assert stage_status(episode, "write") == "done"


# ---------------------------------------------------------------- permissions, as a user

def as_nobody(home: Path) -> list[str]:
    """The command prefix that runs recap as the unprivileged user `nobody` (root drops to it:
    as root, no permission is ever denied)."""
    import os
    import shutil

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run recap as an unprivileged user")
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o777)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


@contextlib.contextmanager
def traversable(*paths: Path) -> Iterator[None]:
    """Let every user pass through the folders above `paths` (o+x) while the block runs, so the
    unprivileged user can start recap from this checkout and its virtualenv; modes restored."""
    import os
    import stat

    changed: list[tuple[Path, int]] = []
    try:
        for path in paths:
            for folder in [path, *path.parents]:
                mode = folder.stat().st_mode
                if folder.is_dir() and not mode & stat.S_IXOTH:
                    os.chmod(folder, mode | stat.S_IXOTH)
                    changed.append((folder, mode))
        yield
    finally:
        for folder, mode in reversed(changed):
            with contextlib.suppress(FileNotFoundError):  # a temporary folder already removed
                os.chmod(folder, stat.S_IMODE(mode))


def test_permission_denied_on_the_folders_recap_writes(jfk_episode: Path) -> None:
    import os
    import sys
    import sysconfig
    import tempfile

    # Under /tmp, not pytest's tmp_path: that one is private to root, nobody could not enter it.
    root = Path(tempfile.mkdtemp(prefix="recap-perm-"))
    repo = Path(__file__).resolve().parents[2]
    with traversable(repo, Path(sys.prefix), Path(sysconfig.get_paths()["purelib"]),
                     Path(os.path.realpath(sys.executable)), DATA, root):
        _permission_checks(root, jfk_episode)


def _permission_checks(root: Path, jfk_episode: Path) -> None:
    import os
    import sys

    try:
        root.chmod(0o755)
        prefix = as_nobody(root / "home")
        # No coverage measurement in these processes: its data file is in the checkout, which
        # the unprivileged user may not write (it would add its own error at exit).
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "COV_"))},
               "HOME": str(root / "home")}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*prefix, sys.executable, "-m", "recap", *args], env=env,
                                  capture_output=True, text=True, timeout=300)

        readonly = root / "readonly"  # root's, 755: nobody may read but not write
        readonly.mkdir()
        proc = run("fetch", str(DATA / "jfk.wav"), "-o", str(readonly / "out"))
        assert_error(proc, str(readonly / "out"), "permission denied")
        assert not (readonly / "out").exists()

        # An episode folder of root's: a stage that must write into it says so and loses nothing.
        episode = copy_episode(jfk_episode, root / "out")
        for path in [root / "out", episode, *episode.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (episode / "chunks.json").unlink()
        before = {p.name: p.read_bytes() for p in episode.glob("*.json")}
        proc = run("chunk", str(episode))
        assert_error(proc, "permission denied")
        assert {p.name: p.read_bytes() for p in episode.glob("*.json")} == before
        assert not (episode / "chunks.json").exists()
    finally:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
