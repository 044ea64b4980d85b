"""Sequences the stages for one episode, skipping those that are up to date.

Each stage is a module (fetch, transcribe, chunk, notes, write); whether it is up to date and
the manifest record of each run live in `recap.stages`. `run` takes a source through every stage;
`run_stage` runs one stage of an existing episode (the single-stage commands and the batch steps
call it)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from recap.chunk import ChunkOptions, ChunkPacker
from recap.episode import STAGES, Episode, find_episode_dir, source_claim
from recap.errors import RecapError
from recap.fetch import FetchOptions, is_url, normalise_source
from recap.models import Chunk, Chunks, Info, Segment, Transcript
from recap.progress import Reporter
from recap.stages import recording, stage_state, written_post
from recap.transcribe import TranscribeOptions

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from recap.llm.client import LLMClient
    from recap.llm.settings import LLMSettings
    from recap.notes.options import NotesOptions
    from recap.transcribe import WhisperRunner
    from recap.write import WriteOptions

    LLMFactory = Callable[[], AbstractContextManager[LLMClient]]
    """Returns a context manager yielding an LLM client (opened lazily: the embedded server
    starts only when a stage needs it)."""

log = logging.getLogger("recap.pipeline")

_T = TypeVar("_T")


# ---------------------------------------------------------------- options

@dataclass
class RunOptions:
    """Everything one episode's run needs; built by the CLI or the batch layer."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    chunk: ChunkOptions = field(default_factory=ChunkOptions)
    notes: NotesOptions | None = None
    """Needed when the notes stage runs."""
    write: WriteOptions | None = None
    """Needed when the write stage runs."""
    llm: LLMSettings | None = None
    """The LLM the notes use (None when no LLM stage runs)."""
    force: bool = False
    stop_after: str = "write"
    stream: bool | None = None
    """Start notes on each chunk while transcription goes on. None: only when the LLM is remote,
    since the embedded llama.cpp server would compete with Whisper for the same CPU cores."""

    def streaming(self) -> bool:
        """Whether transcription and notes overlap."""
        if self.stream is not None:
            return self.stream
        return not (self.llm is not None and self.llm.embedded)

    def fetch_params(self, source: str) -> dict[str, Any]:
        """What the fetch of `source` (as `normalise_source` gives it) depends on."""
        return {"source": source, "audio_only": self.fetch.audio_only}

    def stage_params(self) -> StageParams:
        """The parameters each later stage would run with now (compared with the manifest)."""
        return StageParams(self)


class StageParams(dict[str, dict[str, Any]]):
    """The parameters each stage would run with now, computed on first use (a transcribe-only run
    never reads the post template)."""

    def __init__(self, options: RunOptions):
        super().__init__()
        self.options = options

    def __missing__(self, stage: str) -> dict[str, Any]:
        options = self.options
        by_stage: dict[str, TranscribeOptions | ChunkOptions | NotesOptions | WriteOptions | None]
        by_stage = {"transcribe": options.transcribe, "chunk": options.chunk,
                    "notes": options.notes, "write": options.write}
        stage_options = by_stage[stage]
        value: dict[str, Any] = stage_options.params() if stage_options is not None else {}
        self[stage] = value
        return value


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
        reporter: Reporter | None = None, llm_factory: LLMFactory | None = None) -> RunResult:
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
        state = stage_state(existing, "fetch", options.fetch_params(source))
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

    reporter.stage_started("fetch", None, source)

    def progress(done: float, total: float | None) -> None:
        reporter.advance("fetch", done, total)

    episode, _info = fetch_stage.fetch(source, output_root, options.fetch, progress, folder)
    with episode.lock() if folder is None else contextlib.nullcontext():
        with recording(episode, "fetch", options.fetch_params(source), reporter) as stats:
            stats["summary"] = episode.slug
    return episode


def _run_rest(episode: Episode, options: RunOptions, reporter: Reporter,
              llm_factory: LLMFactory | None, outcome: dict[str, str]) -> RunResult:
    last = STAGES.index(options.stop_after)
    wanted = list(STAGES[1 : last + 1])
    params = options.stage_params()

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

    with _open_llm(llm_factory) as llm:
        if needs("transcribe"):
            if options.streaming() and "notes" in wanted and llm is not None:
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


def _open_llm(llm_factory: LLMFactory | None) -> AbstractContextManager[LLMClient | None]:
    return llm_factory() if llm_factory else contextlib.nullcontext(None)


def _needed(value: _T | None, what: str) -> _T:
    """An option a stage cannot run without (a caller that built RunOptions without it)."""
    if value is None:
        raise ValueError(f"this stage needs {what}")
    return value


def _transcribe_progress(reporter: Reporter) -> Callable[[float, float], None]:
    def progress(done: float, total: float) -> None:
        reporter.advance("transcribe", done, total)

    return progress


def _run_transcribe(episode: Episode, options: RunOptions, reporter: Reporter,
                    params: StageParams, whisper: WhisperRunner | None = None,
                    on_segment: Callable[[Segment], None] | None = None) -> Transcript:
    from recap import transcribe as stage

    with recording(episode, "transcribe", params["transcribe"], reporter) as stats:
        transcript = stage.transcribe(episode, options.transcribe, _transcribe_progress(reporter),
                                      on_segment, whisper)
        where = "" if transcript.origin == "whisper" else f" (from the {transcript.origin})"
        stats.update(segments=len(transcript.segments), language=transcript.language,
                     origin=transcript.origin,
                     summary=f"{len(transcript.segments)} segments{where}")
        if whisper is not None:  # which executor ran it (none when the source had a transcript)
            stats["executor"] = whisper.name if transcript.origin == "whisper" else None
    return transcript


def _run_chunk(episode: Episode, options: RunOptions, reporter: Reporter,
               params: StageParams) -> None:
    from recap import chunk as stage

    with recording(episode, "chunk", params["chunk"], reporter) as stats:
        chunks = stage.chunk(episode, options.chunk)
        stats.update(chunks=len(chunks.chunks), summary=f"{len(chunks.chunks)} chunks")


def _run_notes(episode: Episode, options: RunOptions, reporter: Reporter,
               llm: LLMClient | None, params: StageParams) -> None:
    from recap import notes as stage

    started = time.monotonic()
    with recording(episode, "notes", params["notes"], reporter) as stats:
        result = stage.notes(episode, _needed(options.notes, "RunOptions.notes"),
                             _needed(llm, "an LLM (llm_factory)"), reporter)
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
                           seconds, jobs=settings.jobs)


def _run_write(episode: Episode, options: RunOptions, reporter: Reporter,
               params: StageParams) -> Path:
    from recap import write as stage

    with recording(episode, "write", params["write"], reporter) as stats:
        result = stage.write(episode, _needed(options.write, "RunOptions.write"), reporter)
        stats.update(result.stats)
        stats["post"] = str(result.path.relative_to(episode.root))
        stats["summary"] = stats["post"]
    return Path(result.path)


def _stream_transcribe_to_notes(episode: Episode, options: RunOptions, reporter: Reporter,
                                llm: LLMClient, params: StageParams) -> None:
    """Transcribe, chunk and start notes on each chunk as soon as it is complete."""
    from recap import notes as notes_stage
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
    builder = notes_stage.NotesBuilder(episode, _needed(options.notes, "RunOptions.notes"), llm,
                                       reporter, language=known)
    chunks: list[Chunk] = []

    def on_segment(segment: Segment) -> None:
        for done in packer.add(segment):
            chunks.append(done)
            builder.submit(done)

    try:
        transcript = _run_transcribe(episode, options, reporter, params, on_segment=on_segment)
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
              llm_factory: LLMFactory | None = None,
              whisper: WhisperRunner | None = None) -> Path | None:
    """Run one stage of an existing episode (the caller holds the lock).

    Skips the stage when it is up to date, unless `options.force`. Returns the post for `write`.

    Args:
        episode: the episode folder.
        stage: transcribe, chunk, notes or write.
        options: per-stage options.
        reporter: progress callbacks.
        llm_factory: opens the LLM client the notes stage uses.
        whisper: where Whisper runs (a batch's executor); None runs it in this process.
    """
    reporter = reporter or Reporter()
    params = options.stage_params()
    state = stage_state(episode, stage, params[stage])
    if state == "done" and not options.force:
        reporter.stage_finished(stage, "skipped", "up to date (use --force to rerun)")
        return written_post(episode) if stage == "write" else None
    if state == "edited" and stage != "write" and not options.force:
        reporter.stage_finished(stage, "edited",
                                "output edited by hand; keeping it (use --force to replace)")
        return None
    if stage == "transcribe":
        _run_transcribe(episode, options, reporter, params, whisper)
    elif stage == "chunk":
        _run_chunk(episode, options, reporter, params)
    elif stage == "notes":
        with _open_llm(llm_factory) as llm:
            _run_notes(episode, options, reporter, llm, params)
    elif stage == "write":
        return _run_write(episode, options, reporter, params)
    else:
        raise ValueError(stage)
    return None
