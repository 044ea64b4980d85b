"""The post as files on disk: what recap wrote, hand edits kept, the version beside, the bundle."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.episode import Episode, atomic_write_bytes, atomic_write_text, fingerprint_files
from recap.errors import ArtifactError, OutputError


def fingerprint_as(path: Path, text: str) -> str:
    """The fingerprint `path` would have if it held `text` (fingerprints include the file name)."""
    digest = hashlib.sha256()
    digest.update(path.name.encode() + b"\0")
    digest.update(text.encode("utf-8"))
    digest.update(b"\0")
    return digest.hexdigest()[:32]


def recorded_fingerprint(prev_stats: dict[str, Any], previous: Any, main_rel: str) -> str | None:
    """The fingerprint of what recap last wrote to the post itself, if it wrote it."""
    if prev_stats.get("main") == main_rel and prev_stats.get("main_fingerprint"):
        return str(prev_stats["main_fingerprint"])
    if previous is not None and prev_stats.get("post") == main_rel:
        return str(previous.output_fingerprint) or None
    return None


def remove_own_leftover(root: Path, beside: Path, previous: Any) -> None:
    """Drop the beside-version recap wrote earlier, unless someone has edited it since."""
    if previous is None or not beside.is_file():
        return
    if previous.stats.get("post") != beside.relative_to(root).as_posix():
        return
    if fingerprint_files([beside]) == previous.output_fingerprint:
        try:
            beside.unlink()
        except OSError as exc:
            raise OutputError(f"cannot remove {beside}: {exc.strerror}") from None


def copy_if_changed(source: Path, target: Path) -> None:
    """Copy `source` to `target` atomically unless it already holds the same bytes."""
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return
    atomic_write_bytes(target, data)



@dataclass
class PostFile:
    """The episode's post as recap last wrote it (or as someone edited it since)."""

    path: Path
    """The post itself (post/index.md for Hugo)."""
    text: str
    pending: Path | None
    """recap's newer version, written beside a hand-edited post (index.new.md), if any."""


def read_post(episode: Episode) -> PostFile | None:
    """The post named by the manifest's last write, or None before the first `recap write`."""
    record = episode.stage_record("write")
    if record is None or record.status != "done":
        return None
    main = record.stats.get("main") or record.stats.get("post")
    if not main:
        return None
    path = episode.root / str(main)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    written = record.stats.get("post")
    pending = episode.root / str(written) if written and written != main else None
    return PostFile(path, text, pending if pending is not None and pending.is_file() else None)


def save_post(episode: Episode, text: str) -> Path:
    """Replace the post with a hand-edited version, atomically.

    The manifest keeps the fingerprint of what recap wrote, so the post now reads as `edited`:
    a later `recap write` keeps it and writes its own version beside it (index.new.md), exactly
    as when the file is edited in an editor.
    """
    if "\x00" in text:
        raise ArtifactError("the edited post contains a NUL character")
    with episode.lock():
        post = read_post(episode)
        if post is None:
            raise ArtifactError(f"{episode.root} has no post yet; run `recap write {episode.root}` "
                                "first")
        atomic_write_text(post.path, text.replace("\r\n", "\n"))
    return post.path


def bundle_files(episode: Episode) -> list[tuple[str, Path]]:
    """(name in the bundle, file) for the page bundle: the post and its featured image."""
    post = read_post(episode)
    if post is None:
        raise ArtifactError(f"{episode.root} has no post yet; run `recap write {episode.root}` first")
    files = [(post.path.name, post.path)]
    hero = post.path.parent / "hero.jpg"
    hero = hero if hero.is_file() else episode.hero_path
    if hero.is_file():
        files.append(("hero.jpg", hero))
    return files
