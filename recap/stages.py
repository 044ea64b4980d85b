"""Stage bookkeeping in the episode folder: what each stage reads and writes, whether it is up to
date, and the manifest record of each run (parameters, fingerprints, tool versions, outcome).

`recap.pipeline` decides from `stage_state` which stages to run and wraps each in `recording`;
`recap status` and the batch plan read the same states."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from recap.episode import Episode, StageRecord, fingerprint_files, now_iso
from recap.errors import RecapError
from recap.progress import Reporter

_TOOLS = {
    "fetch": ("yt-dlp",),
    "transcribe": ("faster-whisper", "ctranslate2"),
    "chunk": (),
    "notes": ("openai",),
    "write": ("python-frontmatter", "jinja2"),
}


def tool_versions(stage: str) -> dict[str, str]:
    """Versions of recap and the packages a stage used."""
    from recap import __version__

    versions = {"recap": __version__}
    for dist in _TOOLS.get(stage, ()):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return versions


# ---------------------------------------------------------------- inputs and outputs

def stage_inputs(episode: Episode, stage: str) -> list[Path]:
    """The artifact files a stage reads."""
    root = episode.root
    if stage == "fetch":
        return []
    if stage == "transcribe":
        existing = sorted((root / "transcripts").glob("*"))  # saved by fetch (recap.captions)
        try:
            return [episode.audio_path(), *existing]
        except RecapError:
            return [root / "audio", *existing]
    if stage == "chunk":
        return [episode.transcript_path, episode.info_path]
    if stage == "notes":
        return [episode.chunks_path, episode.transcript_path, episode.info_path]
    if stage == "write":
        return [episode.notes_path, episode.info_path]
    raise ValueError(stage)


def stage_outputs(episode: Episode, stage: str) -> list[Path]:
    """The artifact files a stage writes (the ones whose presence means it finished)."""
    if stage == "fetch":
        return [episode.info_path]
    if stage == "transcribe":
        return [episode.transcript_path]
    if stage == "chunk":
        return [episode.chunks_path]
    if stage == "notes":
        return [episode.notes_path]
    if stage == "write":
        post = written_post(episode)
        return [post if post is not None else episode.root / "post/index.md"]
    raise ValueError(stage)


def written_post(episode: Episode) -> Path | None:
    """The post the last write stage recorded, if any."""
    record = episode.stage_record("write")
    if record and record.stats.get("post"):
        return episode.root / record.stats["post"]
    return None


def _outputs_after(episode: Episode, stage: str, stats: dict[str, Any]) -> list[Path]:
    """The files a run that just finished wrote (its stats name the post it wrote)."""
    if stage == "write" and stats.get("post"):
        return [episode.root / stats["post"]]
    return stage_outputs(episode, stage)


# ---------------------------------------------------------------- state

def stage_state(episode: Episode, stage: str, params: dict[str, Any] | None = None) -> str:
    """done | stale | edited | failed | missing for one stage of one episode.

    `params` are the parameters the stage would run with now; None compares only inputs.
    """
    record = episode.stage_record(stage)
    if record is None or record.status == "pending":
        return "missing"
    if record.status in ("failed", "interrupted"):
        return "failed"
    outputs = stage_outputs(episode, stage)
    if not all(p.exists() for p in outputs):
        return "missing"
    if params is not None and record.params != params:
        return "stale"
    if record.input_fingerprint != fingerprint_files(stage_inputs(episode, stage)):
        return "stale"
    if record.output_fingerprint and record.output_fingerprint != fingerprint_files(outputs):
        return "edited"
    if stage == "write":
        return _kept_post_state(episode, record)
    return "done"


def _kept_post_state(episode: Episode, record: StageRecord) -> str:
    """A post edited by hand stays `edited` while recap's newer version waits beside it."""
    main, ours = record.stats.get("main"), record.stats.get("main_fingerprint")
    if not main or not ours or main == record.stats.get("post"):
        return "done"
    path = episode.root / main
    if not path.is_file():
        return "missing"
    return "edited" if fingerprint_files([path]) != ours else "done"


# ---------------------------------------------------------------- recording a run

@contextlib.contextmanager
def recording(episode: Episode, stage: str, params: dict[str, Any],
              reporter: Reporter) -> Iterator[dict[str, Any]]:
    """Run a stage body and record its outcome in the manifest; yields a dict for its stats."""
    input_fp = fingerprint_files(stage_inputs(episode, stage))
    stats: dict[str, Any] = {}
    started = time.monotonic()
    record = StageRecord(status="running", params=params, input_fingerprint=input_fp,
                         started_at=now_iso(), tools=tool_versions(stage))
    reporter.stage_started(stage)
    try:
        yield stats
    except RecapError as exc:
        record.status, record.error = "failed", str(exc)
        record.wall_seconds = round(time.monotonic() - started, 3)
        _safe_update(episode, stage, record)
        reporter.stage_finished(stage, "failed", str(exc))
        raise
    except (KeyboardInterrupt, SystemExit):
        record.status, record.error = "interrupted", "interrupted"
        record.wall_seconds = round(time.monotonic() - started, 3)
        _safe_update(episode, stage, record)
        raise
    record.status = "done"
    record.wall_seconds = round(time.monotonic() - started, 3)
    record.stats = stats
    record.output_fingerprint = fingerprint_files(_outputs_after(episode, stage, stats))
    episode.update_stage(stage, record)
    reporter.stage_finished(stage, "done", stats.get("summary", ""))


def _safe_update(episode: Episode, stage: str, record: StageRecord) -> None:
    """Record a failure without hiding it behind a second one (a folder gone, a full disk)."""
    with contextlib.suppress(RecapError, OSError):
        if episode.root.is_dir():
            episode.update_stage(stage, record)


def mark_interrupted(episode: Episode, stage: str) -> None:
    """Record `stage` as interrupted when it has no record yet: a run stopped from outside (a
    batch's grace period ended) before the stage could record that itself. Quiet on a folder
    that cannot be written: the caller is already stopping."""
    with contextlib.suppress(RecapError, OSError, ValueError):
        if episode.root.is_dir() and episode.stage_record(stage) is None:
            episode.update_stage(stage, StageRecord(status="interrupted", error="interrupted",
                                                    started_at=now_iso()))
