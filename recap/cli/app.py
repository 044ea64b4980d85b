"""The `recap` app: the per-episode commands and the entry point (errors become one line)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from recap.cli.options import (
    ComputeOpt,
    CookiesBrowserOpt,
    CookiesOpt,
    DeviceOpt,
    DraftOpt,
    EmbeddedModel,
    EpisodeArg,
    FastOpt,
    ForceOpt,
    FormatOpt,
    LanguageOpt,
    LLMBaseUrl,
    LLMJobs,
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
from recap.errors import RecapError, unknown_choice
from recap.settings import (
    chunk_options,
    fetch_options,
    llm_settings,
    notes_options,
    whisper_options,
    write_options,
)

app = typer.Typer(
    name="recap",
    help="Turn a podcast episode or video into a publishable markdown blog post.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)

F = TypeVar("F", bound=Callable[..., Any])



# ---------------------------------------------------------------- commands

@app.command()
def run(
    source: Annotated[str, typer.Argument(help="URL or local audio/video file.")],
    output: OutputOpt = Path("output"),
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
    llm_jobs: LLMJobs = None,
    llm_timeout: LLMTimeout = None,
    llm_structured: LLMStructured = None,
    embedded_model: EmbeddedModel = None,
    prompts: PromptsOpt = None,
    post_language: PostLanguageOpt = None,
    fmt: FormatOpt = "hugo",
    template: TemplateOpt = None,
    wpm: WpmOpt = 200,
    draft: DraftOpt = True,
    stop_after: Annotated[str, typer.Option(
        "--stop-after", help="Last stage to run: fetch, transcribe, chunk, notes, write.")] = "write",
    stream: Annotated[bool | None, typer.Option(
        "--stream/--no-stream",
        help="Start notes on each chunk while transcription goes on (default: yes with a remote "
        "LLM endpoint; no with the embedded server, which needs the same CPU cores).")] = None,
) -> None:
    """Run every stage for SOURCE that is not up to date."""
    from recap import pipeline
    from recap.episode import STAGES
    from recap.llm import open_llm

    if stop_after not in STAGES:
        raise unknown_choice("stage", stop_after, STAGES)
    config = Config.load()  # once: every setting below resolves against it
    fetch_opts = fetch_options(cookies, cookies_from_browser, config)
    settings = llm_settings(llm_base_url, llm_model, llm_jobs, llm_timeout, llm_structured,
                            embedded_model, config)
    options = pipeline.RunOptions(
        fetch=fetch_opts,
        transcribe=whisper_options(whisper_model, language, vad, fast, device, compute_type,
                                   transcript, config),
        chunk=chunk_options(settings),
        notes=notes_options(prompts, settings, post_language, config),
        # --force reruns stages but never silently replaces a hand-edited post.
        write=write_options(fmt, template, wpm, False, draft),
        llm=settings, force=force, stop_after=stop_after, stream=stream,
    )
    if settings.embedded and options.streaming():
        from recap.llm.embedded import cpu_threads

        settings.threads = cpu_threads(reserve=1)  # Whisper runs beside the server
    from recap.ui import ConsoleReporter

    with ConsoleReporter() as reporter:
        result = pipeline.run(source, output, options, reporter,
                              llm_factory=lambda: open_llm(settings))
    _echo_result(result)


@app.command()
def fetch(
    source: Annotated[str, typer.Argument(help="URL or local audio/video file.")],
    output: OutputOpt = Path("output"),
    force: ForceOpt = False,
    cookies: CookiesOpt = None,
    cookies_from_browser: CookiesBrowserOpt = None,
) -> None:
    """Download audio and metadata into a new episode folder."""
    from recap import pipeline

    options = pipeline.RunOptions(stop_after="fetch", force=force,
                                  fetch=fetch_options(cookies, cookies_from_browser))
    from recap.ui import ConsoleReporter

    with ConsoleReporter() as reporter:
        result = pipeline.run(source, output, options, reporter)
    typer.echo(str(result.episode.root))


@app.command()
def transcribe(
    episode: EpisodeArg,
    force: ForceOpt = False,
    whisper_model: WhisperModel = None,
    language: LanguageOpt = None,
    vad: VadOpt = True,
    fast: FastOpt = False,
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    transcript: TranscriptOpt = None,
) -> None:
    """Transcribe the episode's audio with faster-whisper, or read the transcript the source
    already has (transcript.json/.srt/.txt)."""
    from recap import pipeline
    from recap.episode import Episode
    from recap.ui import ConsoleReporter

    ep = Episode.open(episode)
    options = whisper_options(whisper_model, language, vad, fast, device, compute_type,
                              transcript)
    with ep.lock(), ConsoleReporter() as reporter:
        pipeline.run_stage(ep, "transcribe", pipeline.RunOptions(transcribe=options, force=force),
                           reporter)
    typer.echo(str(ep.transcript_path))


@app.command()
def chunk(
    episode: EpisodeArg,
    force: ForceOpt = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    embedded_model: EmbeddedModel = None,
) -> None:
    """Split the transcript into chunks that fit the model's context (chunks.json)."""
    from recap import pipeline
    from recap.episode import Episode
    from recap.ui import ConsoleReporter

    ep = Episode.open(episode)
    settings = llm_settings(llm_base_url, llm_model, None, None, None, embedded_model)
    with ep.lock(), ConsoleReporter() as reporter:
        pipeline.run_stage(ep, "chunk", pipeline.RunOptions(chunk=chunk_options(settings),
                                                            force=force), reporter)
    typer.echo(str(ep.chunks_path))


@app.command()
def notes(
    episode: EpisodeArg,
    force: ForceOpt = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    llm_jobs: LLMJobs = None,
    llm_timeout: LLMTimeout = None,
    llm_structured: LLMStructured = None,
    embedded_model: EmbeddedModel = None,
    prompts: PromptsOpt = None,
    post_language: PostLanguageOpt = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Show, per bullet, the transcript text it rests on.")] = False,
) -> None:
    """Turn chunks into topic-grouped bullet notes with the LLM (notes.json)."""
    from recap import pipeline
    from recap.episode import Episode
    from recap.llm import open_llm
    from recap.ui import ConsoleReporter

    ep = Episode.open(episode)
    if explain:
        from recap.notes import explain as explain_notes

        typer.echo(explain_notes(ep))
        return
    config = Config.load()
    settings = llm_settings(llm_base_url, llm_model, llm_jobs, llm_timeout, llm_structured,
                            embedded_model, config)
    options = pipeline.RunOptions(chunk=chunk_options(settings),
                                  notes=notes_options(prompts, settings, post_language, config),
                                  llm=settings,
                                  force=force)
    with ep.lock(), ConsoleReporter() as reporter:
        pipeline.run_stage(ep, "notes", options, reporter, llm_factory=lambda: open_llm(settings))
    typer.echo(str(ep.notes_path))


@app.command()
def write(
    episode: EpisodeArg,
    force: ForceOpt = False,
    fmt: FormatOpt = "hugo",
    template: TemplateOpt = None,
    wpm: WpmOpt = 200,
    draft: DraftOpt = True,
) -> None:
    """Write the markdown post from notes.json and info.json (post/index.md)."""
    from recap import pipeline
    from recap.episode import Episode
    from recap.ui import ConsoleReporter

    ep = Episode.open(episode)
    options = pipeline.RunOptions(write=write_options(fmt, template, wpm, force, draft),
                                  force=force)
    with ep.lock(), ConsoleReporter() as reporter:
        result = pipeline.run_stage(ep, "write", options, reporter)
    if result is not None:
        typer.echo(str(result))


@app.command()
def status(
    output: Annotated[Path, typer.Argument(help="Folder holding episode folders.")] = Path("output"),
) -> None:
    """A table of episodes and which stages are done, stale, edited or failed."""
    from recap.status import collect_status
    from recap.ui import print_status

    print_status(collect_status(output))


def _echo_result(result: Any) -> None:
    if result.post is not None:
        typer.echo(str(result.post))
    else:
        typer.echo(str(result.episode.root))


# ---------------------------------------------------------------- entry point

def register_all(target: typer.Typer) -> None:
    """Add the commands that live in their own modules to `target`."""
    from recap.cli.batch import register as register_batch
    from recap.cli.quality import register as register_quality
    from recap.cli.studio import register as register_studio

    register_batch(target)
    register_quality(target)
    register_studio(target)


def _register_extensions() -> None:
    """Commands that live in their own modules (typer sub-apps keep this file small)."""
    register_all(app)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Entry point: domain errors become one line on stderr and exit code 1."""
    logging.basicConfig(
        level=logging.DEBUG if os.environ.get("RECAP_DEBUG") else logging.WARNING,
        format="recap: %(levelname)s: %(message)s",
    )
    signal.signal(signal.SIGTERM, _on_sigterm)
    _register_extensions()
    try:
        code = app(standalone_mode=False)
    except RecapError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback unless asked
        aborts, exits, usage_errors = _click_exception_types()
        if isinstance(exc, aborts):
            _interrupted()
        if isinstance(exc, usage_errors):
            # A command line that does not parse: click's one-line message and exit code (2).
            format_message = getattr(exc, "format_message", None)
            message = format_message() if callable(format_message) else str(exc)
            _fail(f"{message} (see --help)", int(getattr(exc, "exit_code", 2)))
        if isinstance(exc, exits):
            sys.exit(getattr(exc, "exit_code", 1))
        if os.environ.get("RECAP_DEBUG"):
            raise
        from recap.redact import redact

        _fail(f"unexpected error: {redact(f'{type(exc).__name__}: {exc}')} "
              "(set RECAP_DEBUG=1 for a traceback)", 1)
    # typer returns the exit code instead of raising in non-standalone mode (130: Ctrl-C).
    if code == 130:
        _interrupted()
    if isinstance(code, int) and code:
        sys.exit(code)


_INTERRUPTED = "interrupted; finished artifacts are kept and the next run resumes"


def _click_exception_types() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(aborts, exits, usage errors) of the click typer runs on: typer >= 0.17 vendors its own
    copy (typer._click), whose exceptions are not click's."""
    import typer.exceptions

    aborts: list[type] = [typer.Abort]
    exits: list[type] = [typer.Exit]
    usage: list[type] = [getattr(typer.exceptions, "TyperException", typer.Exit)]
    try:
        import click
    except ImportError:
        pass
    else:
        aborts.append(click.exceptions.Abort)
        exits.append(click.exceptions.Exit)
        usage.append(click.ClickException)
    return tuple(aborts), tuple(exits), tuple(usage)


def _interrupted() -> None:
    """Say so and exit 130 without waiting minutes for a worker blocked in a network call.

    By the time the interrupt reaches here every `finally` on the main thread has run: artifacts
    are complete or absent, the manifest says `interrupted`, locks are released and the LLM
    client (and any embedded server) is closed. A worker thread still waiting for an LLM reply
    cannot be woken, and the interpreter would join it at exit, so it gets a short grace period
    and is then abandoned.
    """
    import contextlib
    import threading
    import time

    # Whatever comes now (a second Ctrl-C to the whole process group, as a terminal sends it)
    # must not kill the interpreter halfway through its exit with a traceback.
    with contextlib.suppress(ValueError):  # only the main thread may set a handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _echo_error(_INTERRUPTED)
    deadline = time.monotonic() + _INTERRUPT_GRACE_SECONDS
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(130)


_INTERRUPT_GRACE_SECONDS = 2.0


def _echo_error(message: str) -> None:
    from recap.redact import redact

    line = " ".join(redact(message).split())
    typer.echo(f"recap: error: {line}", err=True)


def _fail(message: str, code: int) -> None:
    _echo_error(message)
    sys.exit(code)


if __name__ == "__main__":
    main()
