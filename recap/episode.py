"""The episode folder: paths, atomic writes, manifest, fingerprints and the lock."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recap import __version__
from recap.errors import ArtifactError, LockError, OutputError
from recap.packaged import lock_file, try_lock, waiting_lock
from recap.youtube import canonical_url

STAGES = ("fetch", "transcribe", "chunk", "notes", "write")
MAX_SLUG = 80
_RESERVED = {
    "con", "prn", "aux", "nul", "clock$",
    *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10)),
}


# ---------------------------------------------------------------- atomic writes

def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either complete or untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"cannot write {path}: {_strerror(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    """Atomically write JSON (UTF-8, indented)."""
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def atomic_move(src: Path, dst: Path) -> None:
    """Move a finished temporary file into place."""
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    except OSError as exc:
        raise OutputError(f"cannot write {dst}: {_strerror(exc)}") from None


def _strerror(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is the output folder writable?)"
    return exc.strerror or str(exc)


def clean_temporaries(folder: Path) -> None:
    """Remove temporary files left by a process that was killed mid-write."""
    if not folder.is_dir():
        return
    for tmp in folder.rglob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            if tmp.is_file():
                tmp.unlink()


# ---------------------------------------------------------------- slugs

def slugify(title: str, max_len: int = MAX_SLUG) -> str:
    """Lowercase ASCII words joined by dashes; never empty, never a path or reserved name."""
    text = unicodedata.normalize("NFKD", str(title).replace("\x00", " "))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_len // 2 :] else cut
        slug = slug.strip("-")
    if not slug:
        slug = "episode"
    if slug in _RESERVED:
        slug = f"{slug}-episode"
    return slug


def unique_episode_dir(root: Path, title: str, source: str) -> Path:
    """The folder for `source` under `root`: reused when it holds the same source, else a new slug."""
    base = slugify(title)
    for n in range(1, 10_000):
        name = base if n == 1 else f"{base[: MAX_SLUG - 6]}-{n}"
        candidate = root / name
        if not candidate.exists():
            return candidate
        if _folder_source(candidate) == source:
            return candidate
    raise OutputError(f"too many episodes named {base!r} in {root}")


def lock_dir() -> Path:
    """Where recap keeps the locks that are about an output folder rather than in it (so a fetch
    that fails leaves that folder as it was): one folder per user in the system's temp dir."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"recap-locks-{uid}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def root_lock_path(root: Path, what: str) -> Path:
    """The lock file for `what` ("batch", "claim <source>") of the output folder `root`."""
    key = hashlib.sha256(f"{Path(root).resolve()}\0{what}".encode()).hexdigest()[:32]
    return lock_dir() / f"{key}.lock"


@contextlib.contextmanager
def source_claim(root: Path, source: str) -> Iterator[None]:
    """Hold the right to find or make the folder of `source` under `root`: a second recap
    started on the same source at the same moment waits here, then finds the first one's folder
    instead of making `slug-2` beside it. Other sources are not held up (one lock per source)."""
    try:
        path = root_lock_path(root, f"claim {source}")
    except OSError as exc:
        raise OutputError(f"cannot write the lock folder in {tempfile.gettempdir()}: "
                          f"{_strerror(exc)}") from None
    with waiting_lock(path):
        yield


def find_episode_dir(root: Path, source: str) -> Path | None:
    """An existing folder under `root` that was fetched from `source`."""
    if not root.is_dir():
        return None
    for child in sorted(root.iterdir()):
        if child.is_dir() and _folder_source(child) == source:
            return child
    return None


def _folder_source(folder: Path) -> str | None:
    """The source a folder was fetched from, as `fetch.normalise_source` gives it now (a folder
    fetched from a youtu.be link before links were made canonical is found by its watch URL)."""
    source = _recorded_source(folder)
    return canonical_url(source) if source else None


def _recorded_source(folder: Path) -> str | None:
    for name in ("info.json", "source.json"):
        try:
            return str(json.loads((folder / name).read_text(encoding="utf-8"))["source"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    # A corrupt info.json: the manifest still says what was fetched, so a rerun repairs this
    # folder instead of starting a second one beside it.
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return str(manifest["stages"]["fetch"]["params"]["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------- fingerprints

def fingerprint_files(paths: Iterable[Path], extra: Any = None) -> str:
    """sha256 over the names and contents of `paths` (missing files count as absent) and `extra`."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        try:
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
        except FileNotFoundError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    if extra is not None:
        digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


def fingerprint_text(*parts: str) -> str:
    """sha256 of text parts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()[:32]


# ---------------------------------------------------------------- manifest

@dataclass
class StageRecord:
    """What one stage ran with and how it went."""

    status: str = "pending"  # pending | running | done | failed
    params: dict[str, Any] = field(default_factory=dict)
    input_fingerprint: str = ""
    output_fingerprint: str = ""
    started_at: str = ""
    wall_seconds: float = 0.0
    tools: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    recap_version: str = __version__
    stages: dict[str, StageRecord] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"recap_version": self.recap_version,
                "stages": {k: asdict(v) for k, v in self.stages.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        stages = {}
        for name, rec in (data.get("stages") or {}).items():
            known = {k: v for k, v in rec.items() if k in StageRecord.__dataclass_fields__}
            stages[name] = StageRecord(**known)
        return cls(str(data.get("recap_version") or __version__), stages)


# ---------------------------------------------------------------- the folder

class Episode:
    """One episode's folder and the artifacts in it."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Episode({str(self.root)!r})"

    @property
    def slug(self) -> str:
        return self.root.name

    # artifact paths
    @property
    def info_path(self) -> Path:
        return self.root / "info.json"

    @property
    def transcript_path(self) -> Path:
        return self.root / "transcript.json"

    @property
    def chunks_path(self) -> Path:
        return self.root / "chunks.json"

    @property
    def notes_path(self) -> Path:
        return self.root / "notes.json"

    @property
    def post_dir(self) -> Path:
        return self.root / "post"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def hero_path(self) -> Path:
        return self.root / "hero.jpg"

    @property
    def llm_cache_dir(self) -> Path:
        return self.root / ".cache" / "llm"

    def audio_path(self) -> Path:
        """The fetched audio file (named in info.json)."""
        from recap.models import Info

        info = Info.load(self.info_path, f"recap fetch SOURCE -o {self.root.parent}")
        path = self.root / info.audio_file
        if not path.is_file():
            raise ArtifactError(f"{path} is missing; rebuild it with `recap fetch {info.source}`")
        return path

    @classmethod
    def open(cls, folder: Path | str) -> Episode:
        """Open an existing episode folder given on the command line."""
        path = Path(folder)
        if not path.exists():
            raise ArtifactError(f"episode folder {path} does not exist")
        if not path.is_dir():
            raise ArtifactError(f"{path} is not an episode folder (it is a file)")
        if not (path / "info.json").exists() and not (path / "manifest.json").exists():
            raise ArtifactError(
                f"{path} is not an episode folder (no info.json); create one with `recap fetch SOURCE`"
            )
        return cls(path)

    # manifest
    def read_manifest(self) -> Manifest:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return Manifest.from_dict(data)
        except FileNotFoundError:
            return Manifest()
        except (OSError, ValueError, TypeError, AttributeError):
            # A corrupt manifest only costs reruns: start afresh rather than refuse to work.
            return Manifest()

    def write_manifest(self, manifest: Manifest) -> None:
        atomic_write_json(self.manifest_path, manifest.to_dict())

    def update_stage(self, stage: str, record: StageRecord) -> None:
        manifest = self.read_manifest()
        manifest.recap_version = __version__
        manifest.stages[stage] = record
        self.write_manifest(manifest)

    def stage_record(self, stage: str) -> StageRecord | None:
        return self.read_manifest().stages.get(stage)

    # lock
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder; a second process gets a clear LockError."""
        with pid_lock(self.root / ".recap.lock",
                      lambda pid: f"another recap process (pid {pid}) is working on {self.root}; "
                                  "wait for it to finish"):
            clean_temporaries(self.root)
            yield


@contextlib.contextmanager
def pid_lock(lock_path: Path, busy: Callable[[str], str]) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (this process's pid written in it); when another
    process holds it, a LockError with `busy(its pid)`, at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    stack = contextlib.ExitStack()
    try:
        fd = stack.enter_context(lock_file(lock_path))
    except OSError as exc:
        raise OutputError(f"cannot write {lock_path}: {_strerror(exc)}") from None
    with stack:
        if not try_lock(fd) and not _own_lock_freed(fd):
            raise LockError(busy(_holder(fd))) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode())
        yield


SELF_WAIT = 5.0
"""Seconds a lock that this process wrote its pid in is waited for: it was let go a moment ago,
and a child being started (a subprocess between its fork and its exec) still holds a copy of the
descriptor until its exec closes it."""


def _holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 64).decode(errors="replace").strip() or "?"


def _own_lock_freed(fd: int) -> bool:
    """Whether a lock held under this process's own pid comes free within `SELF_WAIT` (another
    process's lock is not waited for: the user is told at once)."""
    if _holder(fd) != str(os.getpid()):
        return False
    deadline = time.monotonic() + SELF_WAIT
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if try_lock(fd):
            return True
    return False


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
