"""`recap batch`: a playlist, channel, feed or list of sources, one episode folder each."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from recap.batch import BatchReporter
from recap.cli.options import (
    ComputeOpt,
    CookiesBrowserOpt,
    CookiesOpt,
    DeviceOpt,
    DraftOpt,
    EmbeddedModel,
    FastOpt,
    ForceOpt,
    FormatOpt,
    LanguageOpt,
    LLMBaseUrl,
    LLMModel,
    LLMStructured,
    LLMTimeout,
    OutputOpt,
    PostLanguageOpt,
    PromptsOpt,
    TemplateOpt,
    TranscriptOpt,
    VadOpt,
    WhisperModel,
    WpmOpt,
)
from recap.config import Config
from recap.errors import ConfigError, RecapError, unknown_choice
from recap.settings import (
    chunk_options,
    fetch_options,
    llm_settings,
    notes_options,
    transcript_mode,
    whisper_options,
    write_options,
)
from recap.text.clock import duration

SourceArg = Annotated[str, typer.Argument(
    help="A playlist, channel or podcast feed URL (anything yt-dlp lists), a folder of media "
    "files, or a text file of sources, one a line (# comments).")]


def register(app: typer.Typer) -> None:
    """Register `recap batch`."""
    app.command("batch")(batch)


def batch(
    source: SourceArg,
    output: OutputOpt = Path("output"),
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Process at most N entries (the first N in the listing's order).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Skip entries published before this date (YYYY-MM-DD); entries "
        "without a date are kept.")] = None,
    match: Annotated[str | None, typer.Option(
        "--match", help="Only entries whose title contains TEXT (case-insensitive).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan (entries, audio length, estimated transcription "
        "time, LLM tokens and cost) and stop.")] = False,
    download_jobs: Annotated[int, typer.Option(
        "--download-jobs", help="Episodes downloading at once.")] = 2,
    transcribe_jobs: Annotated[int | None, typer.Option(
        "--transcribe-jobs", help="Episodes transcribing at once (default: 1 locally; on a "
        "cluster, the workers' 'transcribe' resources).")] = None,
    llm_jobs: Annotated[int, typer.Option(
        "--llm-jobs", help="LLM calls at once across the batch.")] = 2,
    executor: Annotated[str | None, typer.Option(
        "--executor", help="Where transcription runs: local (a process pool) or dask "
        "(default: dask when --cluster is given, else local).")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Dask scheduler address, e.g. tcp://host:8786 (or RECAP_CLUSTER).")
    ] = None,
    stop_after: Annotated[str, typer.Option(
        "--stop-after", help="Last stage to run: fetch, transcribe, chunk, notes, write.")
    ] = "write",
    force: ForceOpt = False,
    cookies: CookiesOpt = None,
    cookies_from_browser: CookiesBrowserOpt = None,
    whisper_model: WhisperModel = None,
    language: LanguageOpt = None,
    vad: VadOpt = True,
    fast: FastOpt = False,
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    transcript: TranscriptOpt = None,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    llm_timeout: LLMTimeout = None,
    llm_structured: LLMStructured = None,
    embedded_model: EmbeddedModel = None,
    prompts: PromptsOpt = None,
    post_language: PostLanguageOpt = None,
    fmt: FormatOpt = "hugo",
    template: TemplateOpt = None,
    wpm: WpmOpt = 200,
    draft: DraftOpt = True,
) -> None:
    """Run every episode of SOURCE through the pipeline, resumably, with separate limits for
    downloads, transcription and LLM calls; a summary table at the end (exit 1 if any failed)."""
    from recap import batch as batch_lib
    from recap.episode import STAGES
    from recap.executors import create_executor

    if stop_after not in STAGES:
        raise unknown_choice("stage", stop_after, STAGES)
    if transcribe_jobs is not None and transcribe_jobs < 1:
        raise ConfigError(f"--transcribe-jobs must be at least 1 (got {transcribe_jobs})")
    options = batch_lib.BatchOptions(download_jobs=download_jobs, llm_jobs=llm_jobs)
    since_date = batch_lib.parse_since(since)
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {limit})")
    config = Config.load()  # once: every setting below resolves against it
    cluster = config.resolve("cluster", cluster, None)
    executor_name = executor or ("dask" if cluster else "local")
    if executor_name not in ("local", "dask"):
        raise unknown_choice("executor", executor_name, ("local", "dask"))
    if cluster and executor_name != "dask":
        raise ConfigError("--cluster needs --executor dask")
    if executor_name == "dask":
        from recap.executors import import_distributed

        import_distributed()  # fail now, in one line, when the extra is missing
        if not os.environ.get("RECAP_DEBUG"):
            # distributed logs every connection at INFO; keep the terminal for recap.
            logging.getLogger("distributed").setLevel(logging.ERROR)
    run_options, llm_factory = _run_options(
        stop_after, force, whisper_model, language, vad, fast, device, compute_type,
        llm_base_url, llm_model, llm_jobs, llm_timeout, llm_structured, embedded_model,
        prompts, fmt, template, wpm, draft, post_language, config)
    run_options.fetch = fetch_options(cookies, cookies_from_browser, config)
    from dataclasses import replace

    run_options.transcribe = replace(run_options.transcribe,
                                     transcript=transcript_mode(transcript, config))

    from rich.console import Console

    err = Console(stderr=True)
    listing_status = (err.status("listing entries...", spinner="dots") if err.is_terminal
                      else contextlib.nullcontext())
    with listing_status:
        listing = batch_lib.expand(source, None if (since or match) else limit,
                                   run_options.fetch.cookies)
    selection = batch_lib.select(listing.entries, limit, since_date, match)
    if dry_run:
        _print_plan(listing, selection, output, run_options)
        return
    for note in selection.notes:
        err.print(f"recap: {note}", highlight=False, markup=False)
    with create_executor(executor_name, transcribe_jobs, cluster) as pool, \
            BatchConsoleReporter(err) as reporter:
        result = batch_lib.run_batch(listing.source, selection.entries, output, options,
                                     run_options, pool, reporter, llm_factory)
    print_summary(result)
    if result.failed:
        raise RecapError(f"{len(result.failed)} of {len(result.records)} episodes failed "
                         f"(reasons above and in {result.path}); rerun to retry them")


def _run_options(stop_after: str, force: bool, whisper_model: str | None, language: str | None,
                 vad: bool, fast: bool, device: str, compute_type: str,
                 llm_base_url: str | None, llm_model: str | None, llm_jobs: int,
                 llm_timeout: float | None, llm_structured: str | None,
                 embedded_model: str | None, prompts: Path | None, fmt: str,
                 template: Path | None, wpm: int, draft: bool,
                 post_language: str | None, config: Config) -> tuple[Any, Any]:
    from recap import pipeline
    from recap.episode import STAGES

    last = STAGES.index(stop_after)
    options = pipeline.RunOptions(
        transcribe=whisper_options(whisper_model, language, vad, fast, device, compute_type,
                                   config=config),
        force=force, stop_after=stop_after, stream=False)
    llm_factory = None
    if last >= STAGES.index("chunk"):
        settings = llm_settings(llm_base_url, llm_model, llm_jobs, llm_timeout,
                                llm_structured, embedded_model, config)
        if settings.embedded:  # a batch transcribes the next episode beside the server
            from recap.llm.embedded import cpu_threads

            settings.threads = cpu_threads(reserve=1)
        options.llm = settings
        options.chunk = chunk_options(settings)
        if last >= STAGES.index("notes"):
            from recap.llm import open_llm

            options.notes = notes_options(prompts, settings, post_language, config)
            llm_factory = lambda: open_llm(settings)  # noqa: E731 - a factory, opened lazily
        if last >= STAGES.index("write"):
            options.write = write_options(fmt, template, wpm, force, draft)
    return options, llm_factory



# ---------------------------------------------------------------- the plan


def _print_plan(listing: Any, selection: Any, output: Path, run_options: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from recap import batch as batch_lib
    from recap.episode import STAGES

    console = Console(width=160)
    transcribing = STAGES.index(run_options.stop_after) >= STAGES.index("transcribe")
    plan = batch_lib.make_plan(listing.source, selection, output, run_options, None)
    speed = None
    if transcribing and (plan.transcribe_seconds_todo or plan.unknown_durations):
        speed = batch_lib.measure_speed(run_options.transcribe)
        plan.speed = speed
    table = Table(title=Text(f"recap batch plan: {listing.title}"), title_justify="left")
    for column in ("#", "title", "date", "duration", "to do", "folder"):
        table.add_column(column, overflow="fold")
    for n, item in enumerate(plan.items, 1):
        table.add_row(str(n), Text(item.entry.title or item.entry.source),
                      item.entry.upload_date or "-", duration(item.duration), item.todo,
                      Text(item.folder or "-"))
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    todo = sum(1 for i in plan.items if i.todo != "done")
    lines = [f"entries: {len(plan.items)} ({todo} to do, {len(plan.items) - todo} up to date)"]
    known = duration(plan.total_seconds) if plan.items and plan.unknown_durations < len(
        plan.items) else "unknown"
    if plan.unknown_durations:
        known += f" (+ {plan.unknown_durations} of unknown length until downloaded)"
    lines.append(f"audio: {known}")
    if transcribing:
        if plan.transcribe_wall_seconds is not None:
            lines.append(
                f"transcription: about {duration(plan.transcribe_wall_seconds)} for "
                f"{duration(plan.transcribe_seconds_todo)} of audio at {plan.speed:g}x real time "
                f"(measured on this machine, {run_options.transcribe.model} "
                f"{run_options.transcribe.compute_type}, one episode at a time)")
        else:
            lines.append("transcription: nothing to transcribe" if not plan.unknown_durations
                         else "transcription: unknown (no known durations)")
    if plan.notes_seconds is not None:
        where = ("measured on this machine" if plan.notes_measured
                 else "not measured here yet: recap records it after its first notes run")
        lines.append(f"notes: about {duration(plan.notes_seconds)} with the embedded model "
                     f"({plan.notes_x_audio:.2f}x the audio, {where})")
    if plan.llm_model is not None or plan.prompt_tokens:
        tokens = (f"LLM: about {plan.prompt_tokens:,} prompt + {plan.completion_tokens:,} "
                  f"completion tokens")
        settings = run_options.llm
        if getattr(settings, "embedded", False):
            tokens += " (embedded model, runs locally: no cost)"
        elif plan.cost_usd is not None:
            tokens += f" ({plan.llm_model}: about ${plan.cost_usd:,.2f})"
        elif plan.llm_model:
            tokens += f" ({plan.llm_model}: no known price)"
        lines.append(tokens)
    for line in lines:
        console.print(line, highlight=False, markup=False)


# ---------------------------------------------------------------- live progress

class BatchConsoleReporter(BatchReporter):
    """A live table on stderr (counts, and each running episode's stage); plain lines when
    stderr is not a terminal."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self._live: Any = None
        self._records: list[Any] = []
        self._progress: dict[int, tuple[str, float, float | None]] = {}
        self._since: dict[int, float] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def __enter__(self) -> BatchConsoleReporter:
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(console=self.console, get_renderable=self._render,
                              refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    # BatchReporter methods
    def batch_started(self, records: Any) -> None:
        with self._lock:
            self._records = list(records)

    def entry_changed(self, record: Any) -> None:
        with self._lock:
            if record.status == "running":
                self._since.setdefault(record.index, time.monotonic())
            finished = record.status in ("done", "skipped", "failed")
        if finished and self._live is None:
            self._print_line(record)
        elif finished and record.status == "failed":
            self._live.console.print(f"failed: {record.title or record.url}: {record.error}",
                                     highlight=False, markup=False)

    def entry_progress(self, record: Any, stage: str, done: float, total: float | None) -> None:
        with self._lock:
            self._progress[record.index] = (stage, done, total)

    def message(self, text: str) -> None:
        self.console.print(f"recap: {text}", highlight=False, markup=False)

    def batch_finished(self, result: Any) -> None:
        return None

    def _print_line(self, record: Any) -> None:
        with self._lock:
            ended = sum(1 for r in self._records if r.status in ("done", "skipped", "failed"))
            total = len(self._records)
        detail = record.error if record.status == "failed" else (record.folder or "")
        status = "up to date" if record.status == "skipped" else record.status
        self.console.print(f"[{ended}/{total}] {status}: {record.title or record.url}"
                           f" ({detail})", highlight=False, markup=False)

    def _render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            records = list(self._records)
            progress = dict(self._progress)
            since = dict(self._since)
        counts = {s: sum(1 for r in records if r.status == s)
                  for s in ("done", "skipped", "failed", "running", "pending")}
        title = (f"{counts['done'] + counts['skipped'] + counts['failed']}/{len(records)} "
                 f"episodes · {counts['done']} done · {counts['skipped']} up to date · "
                 f"{counts['failed']} failed · {counts['running']} running · "
                 f"{duration(time.monotonic() - self._started)}")
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column("#", justify="right")
        table.add_column("episode", max_width=60, no_wrap=True)
        table.add_column("stage")
        table.add_column("progress", justify="right")
        table.add_column("time", justify="right")
        running = [r for r in records if r.status == "running"]
        for record in running[:20]:
            stage = record.stage or "queued"
            shown = ""
            known = progress.get(record.index)
            if known and known[0] == stage and known[2]:
                shown = f"{min(known[1] / known[2], 1.0):.0%}"
            began = since.get(record.index)
            table.add_row(str(record.index), Text(record.title or record.url), stage, shown,
                          duration(time.monotonic() - began) if began else "")
        if len(running) > 20:
            table.add_row("", f"... and {len(running) - 20} more", "", "", "")
        return table


# ---------------------------------------------------------------- the summary

def print_summary(result: Any) -> None:
    """The table of outcomes, on stdout."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"recap batch: {result.source}"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("episode", overflow="fold")
    table.add_column("status")
    table.add_column("folder / reason", overflow="fold")
    styles = {"done": "green", "skipped": "dim", "failed": "red", "interrupted": "yellow"}
    labels = {"skipped": "up to date"}
    for n, record in enumerate(result.records, 1):
        status = labels.get(record.status, record.status)
        table.add_row(str(n), Text(record.title or record.url),
                      Text(status, style=styles.get(record.status, "")),
                      Text(record.error if record.status == "failed" else (record.folder or "")))
    console = Console(width=160)
    console.print(table)
    console.print(f"{result.count('done')} done, {result.count('skipped')} up to date, "
                  f"{result.count('failed')} failed; details in {result.path}",
                  highlight=False, markup=False)
