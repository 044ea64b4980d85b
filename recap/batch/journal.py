"""batch.json, kept current while a batch runs: each entry's record (status, stage, folder,
outcome of each stage), written whole after every change, and the same changes passed on to the
batch's progress callbacks."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from recap.batch.records import BatchReporter, BatchResult, EntryRecord, _EntryReporter
from recap.episode import Episode, atomic_write_json, now_iso
from recap.errors import RecapError
from recap.stages import mark_interrupted

BATCH_FILE = "batch.json"


class Journal:
    """The records of one batch's entries, and batch.json written from them."""

    def __init__(self, source: str, records: list[EntryRecord], root: Path,
                 options: dict[str, Any], reporter: BatchReporter,
                 stopping: threading.Event) -> None:
        self.source = source
        self.records = records
        self.root = root
        self.path = root / BATCH_FILE
        self.options = options
        """The batch's options, as batch.json records them."""
        self.reporter = reporter
        self.started_at = now_iso()
        self._stopping = stopping
        """Set on Ctrl-C or a fatal error: from then on only `interrupted` writes batch.json."""
        self.lock = threading.Lock()
        """Guards every EntryRecord and `_next_stage`: step threads change them, the interrupt
        handler rewrites them, and `save` copies them under it."""
        self._next_stage: dict[int, str] = {}
        """Entry index -> the first stage of the step it is queued for (guarded by `lock`)."""
        self._write_lock = threading.Lock()
        """Held while batch.json is written: every thread of this process writes it through the
        same temporary file name."""

    # ---------------------------------------------------------- changes

    def started(self) -> None:
        self.save()
        self.reporter.batch_started(self.records)

    def queued(self, record: EntryRecord, first_stage: str, between_steps: bool) -> None:
        """The entry waits for a slot whose step begins with `first_stage`."""
        with self.lock:
            self._next_stage[record.index] = first_stage
            if between_steps:
                record.stage = None

    def running(self, record: EntryRecord) -> None:
        with self.lock:
            record.status = "running"

    def fetched(self, record: EntryRecord, folder: str) -> None:
        with self.lock:
            record.folder = folder

    def finished(self, record: EntryRecord, error: str | None) -> None:
        """The entry ended: failed with `error`, else done (or skipped: every stage up to date)."""
        with self.lock:
            if error is not None:
                record.status, record.error = "failed", error
            else:
                record.error = None
                ran = any(s in ("done",) for s in record.stages.values())
                record.status = "done" if ran else "skipped"
                record.stage = None
        self.reporter.entry_changed(record)
        self.save()

    def reporter_for(self, record: EntryRecord) -> _EntryReporter:
        """Progress callbacks for one entry's stages (each change lands in batch.json)."""
        return _EntryReporter(record, self.reporter, self.lock, self._stage_changed)

    def _stage_changed(self) -> None:
        """Keep batch.json current while the batch runs (which stage each entry is in)."""
        if self._stopping.is_set():
            return  # the interrupt handler writes the last word
        with contextlib.suppress(RecapError):  # a progress note; the final save reports errors
            self.save()

    def interrupted(self) -> None:
        """Say where each running entry stopped, in batch.json and in its manifest."""
        with self.lock:
            for record in self.records:
                if record.status != "running":
                    continue
                record.status = "interrupted"
                if record.stage is not None and record.stage not in record.stages:
                    record.error = f"interrupted during {record.stage}"
                    # A step still stopping after the grace period has not recorded its stage
                    # yet: the manifest should say what batch.json says.
                    if record.folder:
                        mark_interrupted(Episode(self.root / record.folder), record.stage)
                else:  # between stages: waiting for a download, transcription or LLM slot
                    record.stage = self._next_stage.get(record.index, record.stage)
                    record.error = f"interrupted before {record.stage} began"
        with contextlib.suppress(RecapError):
            self.save()

    def finish(self) -> BatchResult:
        self.save(finished=True)
        result = BatchResult(self.source, list(self.records), self.path)
        self.reporter.batch_finished(result)
        return result

    # ---------------------------------------------------------- the file

    def save(self, finished: bool = False) -> None:
        with self.lock:
            entries = []
            for record in self.records:
                data = asdict(record)
                data.pop("index", None)
                entries.append(data)
        counts: dict[str, int] = {}
        for data in entries:
            counts[data["status"]] = counts.get(data["status"], 0) + 1
        document = {
            "source": self.source,
            "started_at": self.started_at,
            "finished_at": now_iso() if finished else None,
            "options": self.options,
            "counts": counts,
            "entries": entries,
        }
        with self._write_lock:
            atomic_write_json(self.path, document)
