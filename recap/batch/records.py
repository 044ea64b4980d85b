"""What a batch records: one line per entry in batch.json, the result, and the progress
callbacks (a batch reporter, one episode reporter per entry, the shared LLM client)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.progress import Reporter

if TYPE_CHECKING:
    from recap.pipeline import LLMFactory


log = logging.getLogger("recap.batch")


# ---------------------------------------------------------------- records and progress

@dataclass
class EntryRecord:
    """One entry's line in batch.json."""

    id: str
    title: str
    url: str
    folder: str | None = None
    status: str = "pending"
    """pending | running | done | skipped (all up to date) | failed | interrupted."""
    stage: str | None = None
    """The stage running now, or the one that failed or was interrupted (or was next)."""
    error: str | None = None
    """Why it failed; for an interrupted entry, where it stopped ("interrupted during
    transcribe": the manifest records that stage as interrupted; "interrupted before transcribe
    began": it was waiting for a slot, and the manifest has no record of it)."""
    stages: dict[str, str] = field(default_factory=dict)
    """stage -> done | skipped | edited | failed."""
    timings: dict[str, float] = field(default_factory=dict)
    """stage -> seconds it ran in this batch run."""
    index: int = 0


@dataclass
class BatchResult:
    source: str
    records: list[EntryRecord]
    path: Path
    """batch.json."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failed(self) -> list[EntryRecord]:
        return [r for r in self.records if r.status == "failed"]


class BatchReporter:
    """Progress callbacks for a batch (no-op base; the CLI draws a live table)."""

    def batch_started(self, records: Sequence[EntryRecord]) -> None:
        """Every entry is known, all pending."""

    def entry_changed(self, record: EntryRecord) -> None:
        """An entry's status or stage changed."""

    def entry_progress(self, record: EntryRecord, stage: str, done: float,
                       total: float | None) -> None:
        """A stage of an entry made progress."""

    def message(self, text: str) -> None:
        """A notice for the user."""

    def batch_finished(self, result: BatchResult) -> None:
        """Every entry ended (done, skipped or failed)."""


class _EntryReporter(Reporter):
    """Turns one episode's stage callbacks into batch callbacks (and a batch.json update)."""

    def __init__(self, record: EntryRecord, batch: BatchReporter, lock: threading.Lock,
                 changed: Callable[[], None]) -> None:
        self.record = record
        self.batch = batch
        self._lock = lock
        self._changed = changed
        self._started: dict[str, float] = {}

    def stage_started(self, stage: str, total: float | None = None, detail: str = "") -> None:
        with self._lock:
            self._started.setdefault(stage, time.monotonic())
            self.record.stage = stage
        self.batch.entry_changed(self.record)
        self._changed()

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        self.batch.entry_progress(self.record, stage, done, total)

    def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
        with self._lock:
            began = self._started.pop(stage, None)
            if began is not None:
                self.record.timings[stage] = round(time.monotonic() - began, 3)
            self.record.stages[stage] = status
        self.batch.entry_changed(self.record)
        self._changed()

    def message(self, text: str) -> None:
        self.batch.message(f"{self.record.title or self.record.url}: {text}")


class _GatedLLM:
    """One shared LLM client whose calls wait for one of `slots` batch-wide permits."""

    def __init__(self, client: Any, slots: int) -> None:
        self._client = client
        self._gate = threading.BoundedSemaphore(slots)

    def complete_json(self, *args: Any, **kwargs: Any) -> Any:
        with self._gate:
            return self._client.complete_json(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _SharedLLM:
    """Opens the LLM client on first need (the embedded server starts only if notes run)."""

    def __init__(self, factory: LLMFactory | None, slots: int) -> None:
        self._factory = factory
        self._slots = slots
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None and self._factory is not None:
                self._client = _GatedLLM(self._stack.enter_context(self._factory()), self._slots)
            return self._client

    def factory(self) -> Any:
        return contextlib.nullcontext(self.get())

    def close(self) -> None:
        self._stack.close()
