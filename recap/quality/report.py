"""The quality report: what `recap check` prints about an episode's notes and post."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recap.errors import ArtifactError
from recap.models import Chunk, Chunks, Info, Notes, Transcript
from recap.quality.coverage import coverage
from recap.quality.support import SourceText, bullet_source, known_names


def quality_report(folder: Path) -> dict[str, Any]:
    """Everything `recap check` reports about an episode's notes and post.

    Reads notes.json, transcript.json, chunks.json (when present), info.json and the manifest.
    Re-checks every bullet of notes.json against the transcript, so a hand-edited file is
    checked too.
    """
    from recap.episode import Episode

    episode = Episode.open(folder)
    root = episode.root
    notes = Notes.load(episode.notes_path, f"recap notes {root}")
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {root}")
    info = _load_optional_info(episode.info_path)
    chunks = _load_chunks(episode.chunks_path, transcript)
    manifest = episode.read_manifest()
    notes_record = manifest.stages.get("notes")
    write_record = manifest.stages.get("write")
    checks = _find_checks(notes_record.stats if notes_record else {}) or _find_checks(notes.checks)
    write_stats = write_record.stats if write_record else {}

    names = [*known_names(info), *notes.speakers]  # speakers: grounded in the opening
    unsupported = []
    figures = figures_found = bullets = 0
    for topic in notes.topics:
        for bullet in topic.bullets:
            bullets += 1
            found = SourceText(bullet_source(bullet, transcript), names).inspect(bullet.text)
            figures += found.figures
            figures_found += found.figures_found
            if found.problem:
                unsupported.append({
                    "topic": topic.title, "text": bullet.text, "start": bullet.start,
                    "end": bullet.end, "problem": found.problem.describe(),
                    "unsupported_figures": found.problem.unsupported_figures,
                    "unsupported_names": found.problem.unsupported_names,
                })
    post = write_stats.get("post")
    return {
        "episode": str(root),
        "title": info.title if info else root.name,
        "topics": len(notes.topics),
        "bullets": bullets,
        "checked": checks.get("checked"),
        "verified": checks.get("verified"),
        "repaired": checks.get("repaired"),
        "dropped": checks.get("dropped"),
        "figures_checked": checks.get("figures_checked"),
        "figures_verified": checks.get("figures_verified"),
        "dropped_bullets": checks.get("dropped_bullets") or [],
        "coverage": coverage(notes, chunks),
        "post": str(root / post) if post else None,
        "reading_minutes": write_stats.get("reading_minutes"),
        "episode_minutes": write_stats.get("episode_minutes"),
        "saving": write_stats.get("saving"),
        "recheck": {
            "bullets": bullets,
            "supported": bullets - len(unsupported),
            "figures": figures,
            "figures_supported": figures_found,
            "unsupported": unsupported,
        },
    }


def _find_checks(stats: dict[str, Any]) -> dict[str, Any]:
    """The verify_bullets stats inside a stage's stats, flat or under a key of their own."""
    if not isinstance(stats, dict):
        return {}
    if "figures_checked" in stats or "dropped" in stats:
        return stats
    for value in stats.values():
        if isinstance(value, dict) and ("figures_checked" in value or "dropped" in value):
            return value
    return {}


def _load_optional_info(path: Path) -> Info | None:
    try:
        return Info.load(path)
    except ArtifactError:
        return None


def _load_chunks(path: Path, transcript: Transcript) -> list[Chunk]:
    if path.exists():
        return Chunks.load(path, f"recap chunk {path.parent}").chunks
    return [Chunk(index=0, start=0.0, end=transcript.duration,
                  segment_ids=[s.id for s in transcript.segments], text=transcript.text,
                  tokens=0)]
