"""What the studio's buttons start: a run, a batch, a rerun with other settings.

Each calls the library's own entry points (`recap.pipeline.run`, `recap.batch.run_batch`),
which decide which stages are out of date; nothing here sequences stages.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.errors import InputError
from recap.web.events import Run, RunReporter, Runs

_SETTING_NAMES = ("llm_base_url", "llm_model", "whisper_model", "prompts", "format", "template")


@dataclass
class Settings:
    """The settings on the page; empty means the CLI's default (flag > config > env > default)."""

    llm_base_url: str | None = None
    llm_model: str | None = None
    whisper_model: str | None = None
    prompts: str | None = None
    format: str = "hugo"
    template: str | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Settings:
        """From a request's JSON or form fields; unknown keys are ignored, wrong types refused."""
        values: dict[str, Any] = {}
        for name in _SETTING_NAMES:
            value = data.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise InputError(f"{name} must be text")
            values[name] = value.strip()
        return cls(**values)

    def run_options(self, stop_after: str = "write") -> tuple[Any, Any]:
        """(RunOptions, LLM factory) resolved exactly as `recap run` resolves its flags."""
        from recap import pipeline
        from recap import settings as resolve
        from recap.config import Config
        from recap.llm import open_llm

        config = Config.load()
        llm = resolve.llm_settings(self.llm_base_url, self.llm_model, None, None, None, None,
                                   config)
        template = Path(self.template) if self.template else None
        options = pipeline.RunOptions(
            transcribe=resolve.whisper_options(self.whisper_model, None, True, False, "cpu",
                                               "int8", config=config),
            chunk=resolve.chunk_options(llm),
            notes=resolve.notes_options(Path(self.prompts) if self.prompts else None, llm,
                                        config=config),
            write=resolve.write_options(self.format, template, 200, False, True),
            llm=llm, stop_after=stop_after)
        return options, lambda: open_llm(llm)


def plan_for(source: str, output_root: Path, settings: Settings) -> dict[str, Any] | None:
    """The `--dry-run` plan when `source` lists several episodes (playlist, feed, folder,
    list file); None for a single episode."""
    from recap import batch
    from recap.fetch import is_url

    path = Path(source).expanduser()
    if not is_url(source) and path.is_file() and path.suffix.lower() in batch.MEDIA_SUFFIXES:
        return None
    if not is_url(source) and not path.exists():
        raise InputError(f"{source} does not exist (give a URL or a media file on this computer)")
    listing = batch.expand(source)
    if len(listing.entries) == 1 and (is_url(source) or path.is_file()) and not _is_list(path):
        return None
    if not listing.entries:
        raise InputError(f"{source} lists no episodes")
    options, _ = settings.run_options()
    selection = batch.select(listing.entries)
    plan = batch.make_plan(listing.source, selection, output_root, options, None)
    return {
        "source": listing.source,
        "title": listing.title,
        "entries": [{"title": item.entry.title or item.entry.source, "source": item.entry.source,
                     "date": item.entry.upload_date, "duration": item.duration,
                     "todo": item.todo, "folder": item.folder} for item in plan.items],
        "remarks": plan.remarks,
        "audio_seconds": plan.total_seconds,
        "unknown_durations": plan.unknown_durations,
        "llm_model": plan.llm_model,
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "cost_usd": plan.cost_usd,
    }


def _is_list(path: Path) -> bool:
    from recap import batch

    return path.is_file() and path.suffix.lower() not in batch.MEDIA_SUFFIXES


def start_run(runs: Runs, source: str, output_root: Path, settings: Settings) -> Run:
    """Run every stage of one episode that is not up to date."""
    from recap import pipeline

    options, llm_factory = settings.run_options()

    class Reporter(RunReporter):
        def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
            super().stage_finished(stage, status, detail)
            if stage == "fetch" and status in ("done", "skipped"):
                found = pipeline.locate_episode(source, output_root)
                if found is not None:
                    self.run.set_slug(found.slug)

    def body(run: Run) -> None:
        result = pipeline.run(source, output_root, options, Reporter(run), llm_factory=llm_factory)
        run.set_slug(result.episode.slug)
        run.result.update(stages=result.stages)

    return runs.start("run", source, body)


def start_rerun(runs: Runs, episode: Any, output_root: Path, settings: Settings,
                before: str | None) -> Run:
    """Run the episode again with other settings (a changed model or prompt redoes the notes, a
    changed template the post) and keep a diff of the post."""
    from recap import pipeline
    from recap.models import Info
    from recap.write import read_post

    source = Info.load(episode.info_path).source
    options, llm_factory = settings.run_options()

    def body(run: Run) -> None:
        run.set_slug(episode.slug)
        result = pipeline.run(source, output_root, options, RunReporter(run),
                              llm_factory=llm_factory)
        run.result.update(stages=result.stages)
        after = result.post.read_text(encoding="utf-8") if result.post else None
        if after is None:
            post = read_post(episode)
            after = post.text if post else ""
        run.result["diff"] = post_diff(before or "", after)

    return runs.start("rerun", source, body)


def start_batch(runs: Runs, source: str, output_root: Path, settings: Settings) -> Run:
    """Run every episode a playlist, feed, folder or list file names (`recap batch`)."""
    from recap import batch
    from recap.executors import create_executor

    options, llm_factory = settings.run_options()
    options.stream = False

    class Reporter(batch.BatchReporter):
        def __init__(self, run: Run) -> None:
            self.run = run

        def entry_changed(self, record: Any) -> None:
            self.run.emit("entry", index=record.index, title=record.title or record.url,
                          status=record.status, stage=record.stage, folder=record.folder,
                          error=record.error)

        def entry_progress(self, record: Any, stage: str, done: float,
                           total: float | None) -> None:
            self.run.progress(f"{record.index}:{stage}", done, total)

        def message(self, text: str) -> None:
            self.run.emit("message", text=text)

    def body(run: Run) -> None:
        listing = batch.expand(source)
        selection = batch.select(listing.entries)
        with create_executor("local") as pool:
            result = batch.run_batch(listing.source, selection.entries, output_root,
                                     batch.BatchOptions(), options, pool, Reporter(run),
                                     llm_factory)
        run.result.update(done=result.count("done"), skipped=result.count("skipped"),
                          failed=[{"title": r.title or r.url, "error": r.error}
                                  for r in result.failed])

    return runs.start("batch", source, body)


def post_diff(before: str, after: str) -> str:
    """A unified diff of two versions of the post (empty when they are the same)."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 "before", "after")
    return "".join(lines)
