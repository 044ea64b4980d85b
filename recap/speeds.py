"""Speeds measured on this machine, kept in ~/.cache/recap/speed.json for planning.

`recap batch --dry-run` plans with them: the transcription speed is measured once on a bundled
clip (recap.batch.measure_speed); the embedded model's notes speed is recorded by every notes run
that asked the model everything (no cached replies), as seconds of notes per second of audio.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from recap.episode import atomic_write_json, fingerprint_text, now_iso
from recap.errors import RecapError

DEFAULT_NOTES_X_AUDIO = 0.8
"""Notes seconds per audio second assumed for the embedded model before any measurement: what the
evaluation episodes took on 2 cores (0.72-0.88x; README, "Notes quality")."""


def default_cache_dir() -> Path:
    """~/.cache/recap (or $XDG_CACHE_HOME/recap)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recap"


def read(cache_dir: Path | None = None) -> dict[str, Any]:
    """The measured speeds (an unreadable file counts as none)."""
    try:
        known = json.loads(((cache_dir or default_cache_dir()) / "speed.json").read_text(
            encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def write(known: dict[str, Any], cache_dir: Path | None = None) -> None:
    with contextlib.suppress(RecapError):  # an unwritable cache only costs a re-measure
        atomic_write_json((cache_dir or default_cache_dir()) / "speed.json", known)


def notes_key(model: str, threads: int, jobs: int = 1) -> str:
    return "notes:" + fingerprint_text(model, str(threads), f"jobs={jobs}", platform.node(),
                                       platform.machine(), str(os.cpu_count()))


def record_notes_speed(model: str, threads: int, audio_seconds: float, notes_seconds: float,
                       cache_dir: Path | None = None, *, jobs: int = 1) -> None:
    """Fold one notes run into the running mean for this model, thread count and number of
    requests decoded together."""
    if audio_seconds < 30 or notes_seconds <= 0:
        return  # a clip this short is mostly start-up: it would mislead the plan
    known = read(cache_dir)
    key = notes_key(model, threads, jobs)
    found = known.get(key)
    old: dict[str, Any] = found if isinstance(found, dict) else {}
    runs = int(old.get("runs") or 0)
    ratio = notes_seconds / audio_seconds
    mean = (float(old.get("notes_x_audio") or 0) * runs + ratio) / (runs + 1)
    known[key] = {"notes_x_audio": round(mean, 4), "runs": runs + 1, "model": model,
                  "threads": threads, "jobs": jobs, "measured_at": now_iso()}
    write(known, cache_dir)


def notes_speed(model: str, threads: int, cache_dir: Path | None = None, *,
                jobs: int = 1) -> float | None:
    """Notes seconds per audio second measured here for this model, or None."""
    hit = read(cache_dir).get(notes_key(model, threads, jobs))
    value = hit.get("notes_x_audio") if isinstance(hit, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else None
