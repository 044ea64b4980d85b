"""`recap batch`: a playlist, channel, feed or list of sources, one episode folder each."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from recap.errors import RecapError
from recap.text.clock import duration

if TYPE_CHECKING:
    from recap.batch import Listing, Plan
    from recap.pipeline import RunOptions

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
    llm_jobs: Annotated[int | None, typer.Option(
        "--llm-jobs", help="LLM calls at once across the batch (default: llm_jobs from the "
        "config, else 3 with the embedded server, which decodes them together, and 2 with "
        "another endpoint).")] = None,
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
    from rich.console import Console

    from recap.batch.settings import BatchSettings

    settings = BatchSettings.resolve(
        stop_after=stop_after, force=force, limit=limit, since=since, match=match,
        download_jobs=download_jobs, transcribe_jobs=transcribe_jobs, llm_jobs=llm_jobs,
        executor=executor, cluster=cluster, cookies=cookies,
        cookies_from_browser=cookies_from_browser, whisper_model=whisper_model,
        language=language, vad=vad, fast=fast, device=device, compute_type=compute_type,
        transcript=transcript, llm_base_url=llm_base_url, llm_model=llm_model,
        llm_timeout=llm_timeout, llm_structured=llm_structured, embedded_model=embedded_model,
        prompts=prompts, post_language=post_language, fmt=fmt, template=template, wpm=wpm,
        draft=draft)
    if settings.executor == "dask" and not os.environ.get("RECAP_DEBUG"):
        # distributed logs every connection at INFO; keep the terminal for recap.
        logging.getLogger("distributed").setLevel(logging.ERROR)
    err = Console(stderr=True)
    listing_status = (err.status("listing entries...", spinner="dots") if err.is_terminal
                      else contextlib.nullcontext())
    with listing_status:
        listing, selection = settings.list_entries(source)
    if dry_run:
        _print_plan(listing, settings.plan(listing, selection, output), settings.run_options)
        return
    for note in selection.remarks:
        err.print(f"recap: {note}", highlight=False, markup=False)
    with settings.create_executor() as pool, BatchConsoleReporter(err) as reporter:
        result = settings.run(listing, selection, output, pool, reporter)
    print_summary(result)
    if result.failed:
        raise RecapError(f"{len(result.failed)} of {len(result.records)} episodes failed "
                         f"(reasons above and in {result.path}); rerun to retry them")


# ---------------------------------------------------------------- the plan


def _print_plan(listing: Listing, plan: Plan, run_options: RunOptions) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from recap.episode import STAGES

    console = Console(width=160)
    transcribing = STAGES.index(run_options.stop_after) >= STAGES.index("transcribe")
    table = Table(title=Text(f"recap batch plan: {listing.title}"), title_justify="left")
    for column in ("#", "title", "date", "duration", "to do", "folder"):
        table.add_column(column, overflow="fold")
    for n, item in enumerate(plan.items, 1):
        table.add_row(str(n), Text(item.entry.title or item.entry.source),
                      item.entry.upload_date or "-", duration(item.duration), item.todo,
                      Text(item.folder or "-"))
    console.print(table)
    for note in plan.remarks:
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
        if run_options.llm is not None and run_options.llm.embedded:
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
