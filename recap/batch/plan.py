"""The plan of a batch (`recap batch --dry-run`): what is to do, how long it should take
(transcription speed measured on this machine, notes speed recorded by earlier runs) and what
the LLM calls may cost."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.batch.listing import Entry, Selection
from recap.episode import (
    STAGES,
    Episode,
    atomic_write_json,
    find_episode_dir,
    now_iso,
)
from recap.errors import ConfigError, RecapError
from recap.stages import stage_state

if TYPE_CHECKING:
    from recap.llm.settings import LLMSettings
    from recap.pipeline import RunOptions
    from recap.transcribe import TranscribeOptions


log = logging.getLogger("recap.batch")


# Rough rates for the plan; they only size the work, they are not billed.
WORDS_PER_MINUTE = 150
"""Typical speaking rate in podcasts."""
TOKENS_PER_WORD = 1.33
"""English averages about 3 tokens per 4 words with OpenAI's tokenizers."""
PROMPT_TOKENS_PER_CALL = 600
"""Instructions and JSON schema sent with every map call."""
NOTES_SHARE = 0.25
"""Notes come out at about a quarter of the transcript they summarise."""
REDUCE_CALLS = 2
"""Calls after the map: merge topics, then intro and keywords."""


# ---------------------------------------------------------------- options

@dataclass
class BatchOptions:
    """How a batch schedules its episodes."""

    download_jobs: int = 2
    """Episodes downloading at once."""
    llm_jobs: int = 2
    """LLM calls at once across the batch (and episodes in their chunk/notes/write step)."""
    lookahead: int | None = None
    """Episodes fetched but not yet transcribed, at most (None: downloads + transcription slots),
    so early episodes finish first and a long feed does not download everything up front."""

    def __post_init__(self) -> None:
        for name in ("download_jobs", "llm_jobs"):
            value = getattr(self, name)
            if value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1 (got {value})")

    def params(self) -> dict[str, Any]:
        return {"download_jobs": self.download_jobs, "llm_jobs": self.llm_jobs}


# ---------------------------------------------------------------- plan (dry run)

@dataclass
class PlanItem:
    entry: Entry
    folder: str | None
    """The existing episode folder's name, when it was fetched before."""
    todo: str
    """'new', 'done', or 'from <stage>' (the first stage not up to date)."""
    duration: float | None


@dataclass
class Plan:
    """What a batch would do, with rough sizes; printed by `recap batch --dry-run`."""

    source: str
    items: list[PlanItem]
    remarks: list[str]
    """What the selection left out or could not tell."""
    total_seconds: float
    """Audio known to the listing (or from earlier fetches)."""
    unknown_durations: int
    """Entries whose length is not known before download."""
    transcribe_seconds_todo: float
    """Audio still to transcribe."""
    speed: float | None
    """Transcription speed measured on this machine (audio seconds per second)."""
    llm_model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    """None when the model's price is unknown (or it runs locally)."""
    notes_seconds: float | None = None
    """Estimated notes time with the embedded model (None for a remote endpoint)."""
    notes_x_audio: float | None = None
    """Notes seconds per audio second the estimate uses."""
    notes_measured: bool = False
    """Whether that ratio was measured on this machine (else a documented default)."""

    @property
    def transcribe_wall_seconds(self) -> float | None:
        if not self.speed:
            return None
        return self.transcribe_seconds_todo / self.speed


def entry_state(entry: Entry, output_root: Path, run_options: RunOptions,
                ) -> tuple[str | None, str, Episode | None]:
    """(folder name, todo, Episode or None) for an entry, from its folder's manifest."""
    from recap.fetch import normalise_source

    try:
        source = normalise_source(entry.source)
        found = find_episode_dir(Path(output_root), source)
    except RecapError:
        return None, "new", None
    if found is None:
        return None, "new", None
    episode = Episode(found)
    last = STAGES.index(run_options.stop_after)
    params = run_options.stage_params()
    for stage in STAGES[: last + 1]:
        state = stage_state(episode, stage, run_options.fetch_params(source)
                            if stage == "fetch" else params[stage])
        if state not in ("done", "edited") or run_options.force:
            return found.name, f"from {stage}", episode
    return found.name, "done", episode


def estimate_llm_tokens(seconds: float, chunk_budget: int) -> tuple[int, int]:
    """(prompt, completion) tokens to summarise `seconds` of speech: map calls + reduce."""
    transcript = seconds / 60 * WORDS_PER_MINUTE * TOKENS_PER_WORD
    if transcript <= 0:
        return 0, 0
    calls = max(1, math.ceil(transcript / max(chunk_budget, 1)))
    notes = transcript * NOTES_SHARE
    prompt = transcript + calls * PROMPT_TOKENS_PER_CALL + REDUCE_CALLS * (
        notes + PROMPT_TOKENS_PER_CALL)
    completion = notes + notes / 2
    return int(prompt), int(completion)


def make_plan(source: str, selection: Selection, output_root: Path, run_options: RunOptions,
              speed: float | None) -> Plan:
    """Size the work: durations, transcription time at `speed`, LLM tokens and cost."""
    from recap.models import Info

    items: list[PlanItem] = []
    total = todo_transcribe = 0.0
    todo_llm: list[float] = []
    unknown = 0
    last = STAGES.index(run_options.stop_after)
    for entry in selection.entries:
        folder, todo, episode = entry_state(entry, output_root, run_options)
        duration = entry.duration
        if episode is not None:
            with contextlib.suppress(RecapError):
                duration = Info.load(episode.info_path).duration or duration
        items.append(PlanItem(entry, folder, todo, duration))
        if duration is None:
            unknown += 1
            continue
        total += duration
        first = STAGES.index(todo.split()[-1]) if todo.startswith("from") else (
            0 if todo == "new" else len(STAGES))
        published = bool(entry.transcripts) and run_options.transcribe.transcript != "whisper"
        if first <= STAGES.index("transcribe") <= last and not published:
            todo_transcribe += duration  # a feed's own transcript needs no Whisper time
        if first <= STAGES.index("notes") <= last:
            todo_llm.append(duration)
    prompt = completion = 0
    model = None
    cost = None
    if todo_llm and run_options.chunk is not None:
        per_item = [estimate_llm_tokens(seconds, run_options.chunk.budget)
                    for seconds in todo_llm]
        prompt = sum(p for p, _ in per_item)
        completion = sum(c for _, c in per_item)
        model, cost = _llm_cost(run_options.llm, prompt, completion)
    plan = Plan(source, items, list(selection.remarks), total, unknown, todo_transcribe, speed,
                model, prompt, completion, cost)
    settings = run_options.llm
    if todo_llm and settings is not None and settings.embedded:
        from recap.llm.embedded import cpu_threads
        from recap.speeds import DEFAULT_NOTES_X_AUDIO, notes_speed

        threads = settings.threads or cpu_threads()
        measured = notes_speed(settings.model_name(), threads, jobs=settings.jobs)
        plan.notes_x_audio = measured or DEFAULT_NOTES_X_AUDIO
        plan.notes_measured = measured is not None
        plan.notes_seconds = sum(todo_llm) * plan.notes_x_audio
    return plan


def _llm_cost(settings: LLMSettings | None, prompt: int,
              completion: int) -> tuple[str | None, float | None]:
    if settings is None:
        return None, None
    try:
        model = str(settings.model_name())
    except RecapError:
        return None, None
    if settings.embedded:
        return model, None
    try:
        from recap.llm.pricing import estimate_cost
    except ImportError:
        return model, None
    return model, estimate_cost(model, prompt, completion)


# ---------------------------------------------------------------- measured speed

def speed_clip() -> Path:
    """The bundled speech clip the speed is measured on (11 s, public domain)."""
    return Path(__file__).resolve().parent.parent / "data" / "speed-clip.mp3"


def measure_speed(options: TranscribeOptions, cache_dir: Path | None = None, clip: Path | None = None,
                  ) -> float:
    """Transcription speed on this machine (audio seconds per wall second), measured once.

    The measurement runs the real model on a bundled clip and is cached per machine and
    transcription options in `cache_dir/speed.json`.
    """
    from recap import media
    from recap.episode import fingerprint_text
    from recap.transcribe import iter_segments, load_model

    clip = clip or speed_clip()
    from recap.speeds import default_cache_dir

    cache = (cache_dir or default_cache_dir()) / "speed.json"
    key = fingerprint_text(json.dumps(options.params(), sort_keys=True), options.device,
                           str(options.cpu_threads), platform.node(), platform.machine(),
                           str(os.cpu_count()))
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    hit = known.get(key)
    if isinstance(hit, dict) and isinstance(hit.get("speed"), int | float) and hit["speed"] > 0:
        return float(hit["speed"])
    load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    seconds = media.probe(clip).duration
    started = time.perf_counter()
    for _ in iter_segments(clip, options, seconds):
        pass
    elapsed = max(time.perf_counter() - started, 1e-3)
    speed = round(seconds / elapsed, 2)
    known[key] = {"speed": speed, "model": options.model, "measured_at": now_iso(),
                  "clip_seconds": round(seconds, 2)}
    with contextlib.suppress(RecapError):  # an unwritable cache only costs a re-measure
        atomic_write_json(cache, known)
    return speed
