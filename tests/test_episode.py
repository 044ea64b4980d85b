"""The episode folder: slugs, atomic writes, the lock, fingerprints and staleness."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from recap.episode import (
    Episode,
    StageRecord,
    atomic_write_text,
    fingerprint_files,
    slugify,
    unique_episode_dir,
)
from recap.errors import LockError, OutputError


@pytest.mark.parametrize(
    "title",
    ["../../etc/passwd", "/absolute/path", "a\x00b", "..", ".", "", "   ", "CON", "nul",
     "x" * 5000, "日本語のタイトル", "Ünïcödé — “quotes”: yes!", "a/b\\c", "---"],
)
def test_slug_never_escapes_and_is_bounded(title: str, tmp_path: Path) -> None:
    slug = slugify(title)
    assert slug and len(slug) <= 80
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert slug not in (".", "..") and not slug.startswith("-") and not slug.endswith("-")
    assert slug.lower() not in ("con", "nul")
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
    folder = unique_episode_dir(tmp_path, title, "src")
    assert folder.parent == tmp_path


def test_slug_from_title() -> None:
    assert slugify("City Bees: what rooftop hives teach us") == "city-bees-what-rooftop-hives-teach-us"
    assert slugify("Élan & Façade") == "elan-facade"


def test_unique_slug_per_source(tmp_path: Path) -> None:
    first = unique_episode_dir(tmp_path, "Same Title", "a")
    first.mkdir()
    (first / "info.json").write_text(json.dumps({"source": "a"}))
    assert unique_episode_dir(tmp_path, "Same Title", "a") == first
    second = unique_episode_dir(tmp_path, "Same Title", "b")
    assert second != first and second.name.startswith("same-title-")


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError, match="no space left"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/recap-cannot-write/x.json")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "x.json"
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write_text(target, "x")


def _hold_lock(folder: str, ready, release) -> None:
    with Episode(Path(folder)).lock():
        ready.set()
        release.wait(30)


def test_second_process_is_refused_by_the_lock(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    proc.start()
    try:
        assert ready.wait(30)
        with pytest.raises(LockError, match="another recap process"):
            with Episode(tmp_path).lock():
                pass
    finally:
        release.set()
        proc.join(30)
    with Episode(tmp_path).lock():  # free again once the first process is done
        pass


def test_a_lock_let_go_while_a_child_starts_is_taken_again(tmp_path: Path) -> None:
    """A subprocess started while an episode's lock is held keeps a copy of the descriptor until
    its exec closes it; the next stage's lock, taken in that moment, must not be refused as
    "another recap process". Here the copy is a forked child's that holds it for 0.5 s."""
    import threading

    from recap.packaged import try_lock

    episode = Episode(tmp_path)
    with episode.lock():
        fd = os.open(tmp_path / ".recap.lock", os.O_RDWR)  # the copy a child inherits
    assert try_lock(fd)  # the copy holds the lock now that the episode's own is closed
    threading.Timer(0.5, os.close, args=(fd,)).start()
    started = time.monotonic()
    with episode.lock():
        pass
    assert 0.3 < time.monotonic() - started < 5


def test_lock_cleans_temporaries_left_by_a_killed_process(tmp_path: Path) -> None:
    leftover = tmp_path / ".transcript.json.tmp-12345"
    leftover.write_text("half")
    with Episode(tmp_path).lock():
        pass
    assert not leftover.exists()


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    f.write_text("a")
    before = fingerprint_files([f])
    f.write_text("b")
    assert fingerprint_files([f]) != before
    assert fingerprint_files([tmp_path / "missing"]) != fingerprint_files([f])


def test_manifest_roundtrip_and_corrupt_manifest(tmp_path: Path) -> None:
    ep = Episode(tmp_path)
    ep.update_stage("fetch", StageRecord(status="done", params={"source": "x"}))
    assert ep.stage_record("fetch").params == {"source": "x"}
    ep.manifest_path.write_text("{ broken")
    assert ep.read_manifest().stages == {}
