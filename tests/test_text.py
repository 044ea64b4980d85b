"""recap.text: the one place for clock formats and for reading a post without front matter;
recap.packaged: joining split model files, stamps, portable locks."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from recap import packaged
from recap.text import clock, duration, srt_time, strip_front_matter, timestamp


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, ("0:00:00", "0:00", "00:00:00,000", "0s")),
    (59.6, ("0:00:59", "0:59", "00:00:59,600", "1m 00s")),
    (125, ("0:02:05", "2:05", "00:02:05,000", "2m 05s")),
    (3725.25, ("1:02:05", "1:02:05", "01:02:05,250", "1h 02m")),
])
def test_each_clock_format(seconds: float, expected: tuple[str, str, str, str]) -> None:
    assert (clock(seconds), timestamp(seconds), srt_time(seconds), duration(seconds)) == expected
    assert duration(None) == "unknown" and timestamp(-3) == "0:00"


@pytest.mark.parametrize("text", [
    "---\ntitle: A post\ntags: [a, b]\n---\n\nThe body.\n",
    "+++\ntitle = \"A post\"\n+++\nThe body.\n",
    "---\ntitle: [broken yaml\n---\nThe body.\n",  # a hand edit broke it: cut at the fence
])
def test_front_matter_is_cut_off(text: str) -> None:
    assert strip_front_matter(text).strip() == "The body."


def test_text_without_front_matter_is_kept() -> None:
    assert strip_front_matter("# Title\n\n---\n\nA rule above.\n") == "# Title\n\n---\n\nA rule above.\n"


def test_parts_are_joined_checked_and_stamped(tmp_path: Path) -> None:
    parts = [tmp_path / "a.part1", tmp_path / "a.part2"]
    parts[0].write_bytes(b"hello ")
    parts[1].write_bytes(b"world")
    good = hashlib.sha256(b"hello world").hexdigest()
    target, stamp = tmp_path / "model.bin", tmp_path / ".ok"
    assert packaged.install(parts, target, "0" * 64) == good  # wrong checksum: nothing left
    assert not target.exists() and not list(tmp_path.glob(".*.tmp-*"))
    assert packaged.install(parts, target, good) is None
    assert target.read_bytes() == b"hello world"
    packaged.write_stamp(stamp, good, [target])
    assert packaged.stamp_matches(stamp, good, [target])
    assert not packaged.stamp_matches(stamp, "1" * 64, [target])
    os.utime(target, ns=(1, 1))  # touched since: checked again
    assert not packaged.stamp_matches(stamp, good, [target])


def _started_then_sleep(started: Any) -> None:
    started.set()
    time.sleep(60)


def test_a_process_forked_while_a_lock_is_held_does_not_keep_it(tmp_path: Path) -> None:
    """A batch forks its transcription workers on first use, maybe while another thread holds an
    episode's lock; a worker that kept it made the batch's next step on that episode fail with
    "another recap process (pid …) is working on …" (its own pid)."""
    import multiprocessing

    from recap.episode import Episode

    episode = Episode(tmp_path / "episode")
    claim = tmp_path / "claim.lock"
    fork = multiprocessing.get_context("fork")
    started = fork.Event()
    with episode.lock(), packaged.waiting_lock(claim):
        child = fork.Process(target=_started_then_sleep, args=(started,))
        child.start()
    try:
        assert started.wait(30)  # the child runs (its copies of the lock files are closed)
        with episode.lock():  # the child still runs; the lock is this process's again
            pass
        fd = os.open(claim, os.O_RDWR)
        try:
            assert packaged.try_lock(fd)
        finally:
            os.close(fd)
    finally:
        child.kill()
        child.join()


def test_a_held_lock_is_refused_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)
    try:
        assert packaged.try_lock(first)
        assert not packaged.try_lock(second)  # flock: another open file is another holder
    finally:
        os.close(first)
    try:
        assert packaged.try_lock(second)  # released when the holder closed it
    finally:
        os.close(second)
    with packaged.waiting_lock(path):
        pass
