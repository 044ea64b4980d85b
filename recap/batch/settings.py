"""A batch's settings, resolved once from its flags (`recap batch`): every value checked before
anything is listed or fetched, one config file read, then the entries listed, planned or run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from recap.batch.listing import Listing, Selection, expand, parse_since, select
from recap.batch.plan import BatchOptions, Plan, make_plan, measure_speed
from recap.batch.records import BatchReporter, BatchResult
from recap.batch.scheduler import run_batch
from recap.config import Config
from recap.episode import STAGES
from recap.errors import ConfigError, unknown_choice

if TYPE_CHECKING:
    from recap.executors import Executor
    from recap.llm.settings import LLMSettings
    from recap.pipeline import LLMFactory, RunOptions

EXECUTOR_NAMES = ("local", "dask")


@dataclass
class BatchSettings:
    """Everything a batch runs with; build it with `BatchSettings.resolve`."""

    options: BatchOptions
    """Concurrency limits."""
    run_options: RunOptions
    """Per-stage options, the same for every entry."""
    llm_factory: LLMFactory | None
    """Opens the LLM client (None when no LLM stage runs)."""
    executor: str
    """Where transcription runs: local or dask."""
    cluster: str | None
    """The Dask scheduler's address (None: a local cluster, or the local executor)."""
    transcribe_jobs: int | None
    """Episodes transcribing at once (None: the executor's default)."""
    limit: int | None = None
    """At most this many entries, the first in the listing's order."""
    since: dt.date | None = None
    """Skip entries published before this date (undated ones are kept)."""
    match: str | None = None
    """Only entries whose title contains this text (case-insensitive)."""

    @classmethod
    def resolve(cls, *, stop_after: str = "write", force: bool = False,
                limit: int | None = None, since: str | None = None, match: str | None = None,
                download_jobs: int = 2, transcribe_jobs: int | None = None,
                llm_jobs: int | None = None,
                executor: str | None = None, cluster: str | None = None,
                cookies: Path | None = None, cookies_from_browser: str | None = None,
                whisper_model: str | None = None, language: str | None = None,
                vad: bool = True, fast: bool = False, device: str = "cpu",
                compute_type: str = "int8", transcript: str | None = None,
                llm_base_url: str | None = None, llm_model: str | None = None,
                llm_timeout: float | None = None, llm_structured: str | None = None,
                embedded_model: str | None = None, prompts: Path | None = None,
                post_language: str | None = None, fmt: str = "hugo",
                template: Path | None = None, wpm: int = 200, draft: bool = True,
                config: Config | None = None) -> BatchSettings:
        """Check every value (a bad one is a ConfigError naming it) and resolve each setting:
        flag > config file (read once) > environment > default."""
        from recap import settings as resolve

        if stop_after not in STAGES:
            raise unknown_choice("stage", stop_after, STAGES)
        if transcribe_jobs is not None and transcribe_jobs < 1:
            raise ConfigError(f"--transcribe-jobs must be at least 1 (got {transcribe_jobs})")
        options = BatchOptions(download_jobs=download_jobs, llm_jobs=2 if llm_jobs is None else llm_jobs)
        since_date = parse_since(since)
        if limit is not None and limit < 1:
            raise ConfigError(f"--limit must be at least 1 (got {limit})")
        config = config or Config.load()  # once: every setting below resolves against it
        cluster = config.resolve("cluster", cluster, None)
        executor_name = executor or ("dask" if cluster else "local")
        if executor_name not in EXECUTOR_NAMES:
            raise unknown_choice("executor", executor_name, EXECUTOR_NAMES)
        if cluster and executor_name != "dask":
            raise ConfigError("--cluster needs --executor dask")
        if executor_name == "dask":
            from recap.executors import import_distributed

            import_distributed()  # fail now, in one line, when the extra is missing
        from recap.pipeline import RunOptions

        run_options = RunOptions(
            transcribe=resolve.whisper_options(whisper_model, language, vad, fast, device,
                                               compute_type, transcript, config),
            # A batch never streams: its transcription slots keep Whisper on the next episode.
            force=force, stop_after=stop_after, stream=False)
        llm_factory = None
        last = STAGES.index(stop_after)
        if last >= STAGES.index("chunk"):
            settings = _llm_settings(resolve.llm_settings(
                llm_base_url, llm_model, llm_jobs, llm_timeout, llm_structured, embedded_model,
                config))
            run_options.llm = settings
            options.llm_jobs = settings.jobs  # the config's, or the endpoint's default
            run_options.chunk = resolve.chunk_options(settings)
            if last >= STAGES.index("notes"):
                from recap.llm import open_llm

                run_options.notes = resolve.notes_options(prompts, settings, post_language,
                                                          config)
                llm_factory = lambda: open_llm(settings)  # noqa: E731 - a factory, opened lazily
            if last >= STAGES.index("write"):
                run_options.write = resolve.write_options(fmt, template, wpm, force, draft)
        run_options.fetch = resolve.fetch_options(cookies, cookies_from_browser, config)
        return cls(options, run_options, llm_factory, executor_name, cluster, transcribe_jobs,
                   limit, since_date, match)

    def list_entries(self, source: str) -> tuple[Listing, Selection]:
        """The entries SOURCE lists, and those this batch keeps (`limit`, `since`, `match`)."""
        filtered = self.since is not None or bool(self.match)
        listing = expand(source, None if filtered else self.limit, self.run_options.fetch.cookies)
        return listing, select(listing.entries, self.limit, self.since, self.match)

    def plan(self, listing: Listing, selection: Selection, output_root: Path) -> Plan:
        """What the batch would do (`--dry-run`), with the transcription speed measured on this
        machine when anything is left to transcribe."""
        plan = make_plan(listing.source, selection, output_root, self.run_options, None)
        transcribing = STAGES.index(self.run_options.stop_after) >= STAGES.index("transcribe")
        if transcribing and (plan.transcribe_seconds_todo or plan.unknown_durations):
            plan.speed = measure_speed(self.run_options.transcribe)
        return plan

    def create_executor(self) -> Executor:
        """Where transcription runs; enter it (`with`) to start its workers."""
        from recap.executors import create_executor

        return create_executor(self.executor, self.transcribe_jobs, self.cluster)

    def run(self, listing: Listing, selection: Selection, output_root: Path, executor: Executor,
            reporter: BatchReporter | None = None) -> BatchResult:
        """Run the selected entries (see `recap.batch.run_batch`)."""
        return run_batch(listing.source, selection.entries, output_root, self.options,
                         self.run_options, executor, reporter, self.llm_factory)


def _llm_settings(settings: LLMSettings) -> LLMSettings:
    if settings.embedded:  # a batch transcribes the next episode beside the server
        from recap.llm.embedded import cpu_threads

        settings.threads = cpu_threads(reserve=1)
    return settings
