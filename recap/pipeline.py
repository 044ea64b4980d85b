"""Sequences the stages for one episode, skipping those that are up to date."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from recap.chunk import ChunkOptions, ChunkPacker
from recap.episode import (
    STAGES,
    Episode,
    StageRecord,
    find_episode_dir,
    fingerprint_files,
    now_iso,
    source_claim,
)
from recap.errors import RecapError
from recap.fetch import FetchOptions, is_url, normalise_source
from recap.models import Chunk, Chunks, Info, Segment, Transcript
from recap.progress import Reporter
from recap.transcribe import TranscribeOptions

log = logging.getLogger("recap.pipeline")

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


# ---------------------------------------------------------------- stage bookkeeping

def stage_inputs(episode: Episode, stage: str, extra: Any = None) -> list[Path]:
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
        record = episode.stage_record("write")
        written = (record.stats.get("post") if record else None) or "post/index.md"
        return [episode.root / written]
    raise ValueError(stage)


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
    record.output_fingerprint = fingerprint_files(stage_outputs_after(episode, stage, stats))
    episode.update_stage(stage, record)
    reporter.stage_finished(stage, "done", stats.get("summary", ""))


def stage_outputs_after(episode: Episode, stage: str, stats: dict[str, Any]) -> list[Path]:
    if stage == "write" and stats.get("post"):
        return [episode.root / stats["post"]]
    return stage_outputs(episode, stage)


def _safe_update(episode: Episode, stage: str, record: StageRecord) -> None:
    with contextlib.suppress(RecapError, OSError):
        if episode.root.is_dir():
            episode.update_stage(stage, record)


# ---------------------------------------------------------------- options

@dataclass
class RunOptions:
    """Everything one episode's run needs; built by the CLI or the batch layer."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    chunk: ChunkOptions = field(default_factory=ChunkOptions)
    notes: Any = None  # recap.notes.NotesOptions
    write: Any = None  # recap.write.WriteOptions
    llm: Any = None  # recap.llm.LLMSettings
    force: bool = False
    stop_after: str = "write"
    stream: bool | None = None
    """Start notes on each chunk while transcription goes on. None: only when the LLM is remote,
    since the embedded llama.cpp server would compete with Whisper for the same CPU cores."""

    def streaming(self) -> bool:
        """Whether transcription and notes overlap."""
        if self.stream is not None:
            return self.stream
        return not bool(getattr(self.llm, "embedded", False))


@dataclass
class RunResult:
    episode: Episode
    stages: dict[str, str]  # stage -> done | skipped | edited | failed
    post: Path | None = None


# ---------------------------------------------------------------- the run

def locate_episode(source: str, output_root: Path) -> Episode | None:
    """The existing folder for `source`, when it was fetched before."""
    found = find_episode_dir(Path(output_root), normalise_source(source))
    return Episode(found) if found else None


def run(source: str, output_root: Path, options: RunOptions | None = None,
        reporter: Reporter | None = None, llm_factory: Callable[[], Any] | None = None) -> RunResult:
    """Run every stage for `source` that is not up to date.

    Args:
        source: URL or local path.
        output_root: folder holding episode folders.
        options: per-stage options.
        reporter: progress callbacks.
        llm_factory: returns a context manager yielding an LLM client (lazy server start).

    Returns:
        What happened to each stage.
    """
    options = options or RunOptions()
    reporter = reporter or Reporter()
    output_root = Path(output_root)
    source = normalise_source(source)
    outcome: dict[str, str] = {}
    fetch_params = {"source": source, "audio_only": options.fetch.audio_only}
    with contextlib.ExitStack() as held:
        # Finding or making the folder is one step per source: two runs started together on one
        # source share one folder (the second waits for the first's fetch, then finds it).
        with source_claim(output_root, source):
            existing = locate_episode(source, output_root)
            if existing is None:
                episode = _do_fetch(source, output_root, options, reporter, None)
                held.enter_context(episode.lock())  # before the claim goes: ours to finish
        if existing is None:
            outcome["fetch"] = "done"
            return _run_rest(episode, options, reporter, llm_factory, outcome)
    with existing.lock():
        state = stage_state(existing, "fetch", fetch_params)
        if state != "done" or (options.force and is_url(source)):
            _do_fetch(source, output_root, options, reporter, existing.root)
            outcome["fetch"] = "done"
        else:
            outcome["fetch"] = "skipped"
            reporter.stage_finished("fetch", "skipped")
        return _run_rest(existing, options, reporter, llm_factory, outcome)


def _do_fetch(source: str, output_root: Path, options: RunOptions, reporter: Reporter,
              folder: Path | None) -> Episode:
    from recap import fetch as fetch_stage

    params = {"source": source, "audio_only": options.fetch.audio_only}
    reporter.stage_started("fetch", None, source)

    def progress(done: float, total: float | None) -> None:
        reporter.advance("fetch", done, total)

    episode, _info = fetch_stage.fetch(source, output_root, options.fetch, progress, folder)
    with episode.lock() if folder is None else contextlib.nullcontext():
        with recording(episode, "fetch", params, reporter) as stats:
            stats["summary"] = episode.slug
    return episode


def _run_rest(episode: Episode, options: RunOptions, reporter: Reporter,
              llm_factory: Callable[[], Any] | None, outcome: dict[str, str]) -> RunResult:
    last = STAGES.index(options.stop_after)
    wanted = list(STAGES[1 : last + 1])
    params = stage_params(episode, options)

    def needs(stage: str) -> bool:
        if stage not in wanted:
            return False
        if options.force or any(outcome.get(s) == "done" for s in STAGES[: STAGES.index(stage)]):
            return True
        state = stage_state(episode, stage, params[stage])
        if state == "edited":
            reporter.message(f"{stage}: output edited by hand since recap wrote it; keeping it")
            outcome[stage] = "edited"
            return stage == "write"  # write keeps the edit itself by writing beside it
        return state != "done"

    llm_cm = llm_factory() if llm_factory else contextlib.nullcontext(None)
    with llm_cm as llm:
        if needs("transcribe"):
            streaming = options.streaming() and "notes" in wanted and llm is not None
            if streaming:
                _stream_transcribe_to_notes(episode, options, reporter, llm, params)
                outcome.update(transcribe="done", chunk="done", notes="done")
            else:
                _run_transcribe(episode, options, reporter, params)
                outcome["transcribe"] = "done"
        else:
            outcome.setdefault("transcribe", "skipped")
            if "transcribe" in wanted:
                reporter.stage_finished("transcribe", outcome["transcribe"])
        if "chunk" in wanted and outcome.get("chunk") != "done":
            if needs("chunk"):
                _run_chunk(episode, options, reporter, params)
                outcome["chunk"] = "done"
            else:
                outcome.setdefault("chunk", "skipped")
                reporter.stage_finished("chunk", outcome["chunk"])
        if "notes" in wanted and outcome.get("notes") != "done":
            if needs("notes"):
                _run_notes(episode, options, reporter, llm, params)
                outcome["notes"] = "done"
            else:
                outcome.setdefault("notes", "skipped")
                reporter.stage_finished("notes", outcome["notes"])
    post = None
    if "write" in wanted:
        if needs("write"):
            post = _run_write(episode, options, reporter, params)
            outcome["write"] = "done"
        else:
            outcome.setdefault("write", "skipped")
            reporter.stage_finished("write", outcome["write"])
    return RunResult(episode, outcome, post)


class StageParams(dict[str, dict[str, Any]]):
    """The parameters each stage would run with now, computed on first use (a transcribe-only run
    never reads the post template)."""

    def __init__(self, options: RunOptions):
        super().__init__()
        self.options = options

    def __missing__(self, stage: str) -> dict[str, Any]:
        options = self.options
        stage_options = {"transcribe": options.transcribe, "chunk": options.chunk,
                         "notes": options.notes, "write": options.write}[stage]
        value: dict[str, Any] = stage_options.params() if stage_options is not None else {}
        self[stage] = value
        return value


def stage_params(episode: Episode, options: RunOptions) -> StageParams:
    """The parameters each stage would run with now (compared with the manifest)."""
    return StageParams(options)


def _transcribe_progress(reporter: Reporter) -> Callable[[float, float], None]:
    def progress(done: float, total: float) -> None:
        reporter.advance("transcribe", done, total)

    return progress


def _run_transcribe(episode: Episode, options: RunOptions, reporter: Reporter,
                    params: StageParams) -> None:
    from recap import transcribe as stage

    with recording(episode, "transcribe", params["transcribe"], reporter) as stats:
        transcript = stage.transcribe(episode, options.transcribe, _transcribe_progress(reporter))
        stats.update(segments=len(transcript.segments), language=transcript.language,
                     origin=transcript.origin, summary=_transcribe_summary(transcript))


def _transcribe_summary(transcript: Transcript) -> str:
    where = "" if transcript.origin == "whisper" else f" (from the {transcript.origin})"
    return f"{len(transcript.segments)} segments{where}"


def _run_chunk(episode: Episode, options: RunOptions, reporter: Reporter,
               params: StageParams) -> None:
    from recap import chunk as stage

    with recording(episode, "chunk", params["chunk"], reporter) as stats:
        chunks = stage.chunk(episode, options.chunk)
        stats.update(chunks=len(chunks.chunks), summary=f"{len(chunks.chunks)} chunks")


def _run_notes(episode: Episode, options: RunOptions, reporter: Reporter, llm: Any,
               params: StageParams) -> None:
    from recap import notes as stage

    started = time.monotonic()
    with recording(episode, "notes", params["notes"], reporter) as stats:
        result = stage.notes(episode, options.notes, llm, reporter)
        stats.update(result.checks)
        stats["summary"] = f"{len(result.topics)} topics"
    _record_notes_speed(episode, options, result.checks, time.monotonic() - started)


def _record_notes_speed(episode: Episode, options: RunOptions, checks: dict[str, Any],
                        seconds: float) -> None:
    """Keep the embedded model's notes speed for `recap batch --dry-run` (only from runs that
    asked the model everything: cached replies would flatter it)."""
    settings = options.llm
    usage = checks.get("usage") or {}
    if settings is None or not settings.embedded or usage.get("cache_hits") or not usage.get(
            "requests"):
        return
    from recap.llm.embedded import cpu_threads
    from recap.speeds import record_notes_speed

    with contextlib.suppress(RecapError):
        duration = Info.load(episode.info_path).duration
        record_notes_speed(settings.model_name(), settings.threads or cpu_threads(), duration,
                           seconds)


def _run_write(episode: Episode, options: RunOptions, reporter: Reporter,
               params: StageParams) -> Path:
    from recap import write as stage

    with recording(episode, "write", params["write"], reporter) as stats:
        result = stage.write(episode, options.write, reporter)
        stats.update(result.stats)
        stats["post"] = str(result.path.relative_to(episode.root))
        stats["summary"] = stats["post"]
    return Path(result.path)


def _stream_transcribe_to_notes(episode: Episode, options: RunOptions, reporter: Reporter,
                                llm: Any, params: StageParams) -> None:
    """Transcribe, chunk and start notes on each chunk as soon as it is complete."""
    from recap import notes as notes_stage
    from recap import transcribe as transcribe_stage
    from recap.episode import atomic_write_text
    from recap.tokens import counter_for

    info = Info.load(episode.info_path, "recap fetch SOURCE")
    counter = counter_for(options.chunk.model)
    packer = ChunkPacker(options.chunk.budget, counter, info.chapters,
                         options.chunk.min_chapter_fill)
    # The language must be known before the first chunk goes out; when Whisper will detect it,
    # English is assumed and the notes start again if the transcript says otherwise.
    known = options.transcribe.language or ("en" if options.transcribe.model.endswith(".en")
                                            else None)
    builder = notes_stage.NotesBuilder(episode, options.notes, llm, reporter, language=known)
    chunks: list[Chunk] = []

    def on_segment(segment: Segment) -> None:
        for done in packer.add(segment):
            chunks.append(done)
            builder.submit(done)

    try:
        with recording(episode, "transcribe", params["transcribe"], reporter) as stats:
            transcript = transcribe_stage.transcribe(
                episode, options.transcribe, _transcribe_progress(reporter), on_segment)
            stats.update(segments=len(transcript.segments), language=transcript.language,
                         origin=transcript.origin, summary=_transcribe_summary(transcript))
        with recording(episode, "chunk", params["chunk"], reporter) as stats:
            for done in packer.finish():
                chunks.append(done)
                builder.submit(done)
            result = Chunks(options.chunk.budget, counter.name, chunks)
            atomic_write_text(episode.chunks_path, result.to_json())
            stats.update(chunks=len(chunks), summary=f"{len(chunks)} chunks")
        with recording(episode, "notes", params["notes"], reporter) as stats:
            notes = builder.finish(result, transcript)
            stats.update(notes.checks)
            stats["summary"] = f"{len(notes.topics)} topics"
    finally:
        builder.close()


def run_stage(episode: Episode, stage: str, options: RunOptions, reporter: Reporter | None = None,
              llm_factory: Callable[[], Any] | None = None) -> Path | None:
    """Run one stage of an existing episode (the caller holds the lock).

    Skips the stage when it is up to date, unless `options.force`. Returns the post for `write`.
    """
    reporter = reporter or Reporter()
    params = stage_params(episode, options)
    state = stage_state(episode, stage, params[stage])
    if state == "done" and not options.force:
        reporter.stage_finished(stage, "skipped", "up to date (use --force to rerun)")
        return _post_path(episode) if stage == "write" else None
    if state == "edited" and stage != "write" and not options.force:
        reporter.stage_finished(stage, "edited",
                                "output edited by hand; keeping it (use --force to replace)")
        return None
    if stage == "transcribe":
        _run_transcribe(episode, options, reporter, params)
    elif stage == "chunk":
        _run_chunk(episode, options, reporter, params)
    elif stage == "notes":
        llm_cm = llm_factory() if llm_factory else contextlib.nullcontext(None)
        with llm_cm as llm:
            _run_notes(episode, options, reporter, llm, params)
    elif stage == "write":
        return _run_write(episode, options, reporter, params)
    else:
        raise ValueError(stage)
    return None


def _post_path(episode: Episode) -> Path | None:
    record = episode.stage_record("write")
    if record and record.stats.get("post"):
        return episode.root / record.stats["post"]
    return None
