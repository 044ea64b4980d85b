"""The three steps of one batch entry, each through the pipeline's own stage entry points: fetch
(a download slot), transcribe (a transcription slot, Whisper on the executor's workers) and the
LLM stages chunk, notes and write (an LLM slot)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.batch.journal import Journal
from recap.batch.listing import Entry
from recap.batch.records import EntryRecord, _SharedLLM
from recap.episode import STAGES, Episode, slugify
from recap.errors import RecapError
from recap.models import Transcript

if TYPE_CHECKING:
    from recap.executors import Executor
    from recap.pipeline import RunOptions
    from recap.transcribe import TranscribeOptions

Step = Callable[[EntryRecord, Entry, Any], Any]
"""One step of an entry: (its record, the entry, what the step before returned) -> what the
next step gets (the Episode)."""


class _OnExecutor:
    """Whisper on the batch's executor, as the transcribe stage calls it
    (`recap.transcribe.WhisperRunner`). A job cut short by Ctrl-C reads as an interrupt, not a
    failure, and nothing is written once the batch is stopping."""

    def __init__(self, executor: Executor, stopping: threading.Event) -> None:
        self.executor = executor
        self.name = executor.name
        self._stopping = stopping

    def __call__(self, audio: Path, duration: float, options: TranscribeOptions,
                 label: str) -> Transcript:
        from recap.executors import TranscriptionJob

        job = TranscriptionJob(label=label, options=options, audio_path=audio,
                               suffix=audio.suffix, duration=duration)
        try:
            transcript = self.executor.transcribe(job)
        except RecapError:
            if self._stopping.is_set():  # the executor was cancelled by Ctrl-C
                raise KeyboardInterrupt from None
            raise
        if self._stopping.is_set():
            raise KeyboardInterrupt  # never write after the batch was interrupted
        return transcript


class Steps:
    """What each kind of slot does to an entry."""

    def __init__(self, root: Path, run_options: RunOptions, executor: Executor,
                 llm: _SharedLLM, journal: Journal, stopping: threading.Event) -> None:
        self.root = root
        self.run_options = run_options
        self.llm = llm
        self.journal = journal
        self._stopping = stopping
        self._whisper = _OnExecutor(executor, stopping)
        self._slug_locks: dict[str, threading.Lock] = {}
        """Title slug -> a lock held while an entry with that title makes its folder."""
        self._slug_locks_lock = threading.Lock()
        """Guards `_slug_locks`."""

    def in_order(self) -> list[tuple[str, Step]]:
        """(lane, step) for each step an entry goes through, up to `stop_after`."""
        last = STAGES.index(self.run_options.stop_after)
        steps: list[tuple[str, Step]] = [("download", self.fetch)]
        if last >= STAGES.index("transcribe"):
            steps.append(("transcribe", self.transcribe))
        if last >= STAGES.index("chunk"):
            steps.append(("llm", self.llm_stages))
        return steps

    def fetch(self, record: EntryRecord, entry: Entry, _carry: Any) -> Episode:
        from recap import pipeline

        options = replace(self.run_options, stop_after="fetch",
                          fetch=replace(self.run_options.fetch, entry=entry.metadata()))
        # Two new entries with the same title would race for the same folder name.
        with self._slug_lock(entry.title or entry.source):
            result = pipeline.run(entry.source, self.root, options,
                                  self.journal.reporter_for(record))
        self.journal.fetched(record, result.episode.root.name)
        return result.episode

    @contextlib.contextmanager
    def _slug_lock(self, title: str) -> Iterator[None]:
        with self._slug_locks_lock:
            lock = self._slug_locks.setdefault(slugify(title), threading.Lock())
        with lock:
            yield

    def transcribe(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        from recap import pipeline

        with episode.lock():
            pipeline.run_stage(episode, "transcribe", self.run_options,
                               self.journal.reporter_for(record), whisper=self._whisper)
        return episode

    def llm_stages(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        """chunk, notes and write (as far as `stop_after`), sharing the batch's LLM client."""
        from recap import pipeline

        reporter = self.journal.reporter_for(record)
        last = STAGES.index(self.run_options.stop_after)
        with episode.lock():
            for stage in STAGES[STAGES.index("chunk"): last + 1]:
                if self._stopping.is_set():
                    break
                pipeline.run_stage(episode, stage, self.run_options, reporter,
                                   llm_factory=self.llm.factory)
        return episode
