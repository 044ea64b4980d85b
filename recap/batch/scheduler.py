"""The scheduler: three kinds of worker slot (downloads, transcription, LLM stages), each a
lane of threads; an entry moves from lane to lane as its steps finish.

Locks (what guards what): `_lock` guards the counters (`_active`, `_remaining`) and the per-slug
locks; `_record_lock` guards the EntryRecords and `_next_stage` (batch.json is written from
them); `_idle` is the condition an interrupt waits on for running steps to stop; `_all_done`
and `_stopping` are events (every entry finished; Ctrl-C or a fatal error). A per-slug lock keeps
two entries of the same title from making one folder at once; each episode folder has its own
file lock (recap.episode) for the stages themselves."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.batch.listing import Entry
from recap.batch.plan import BatchOptions
from recap.batch.records import (
    BatchReporter,
    BatchResult,
    EntryRecord,
    _EntryReporter,
    _SharedLLM,
)
from recap.episode import (
    STAGES,
    Episode,
    StageRecord,
    atomic_write_json,
    now_iso,
    pid_lock,
    root_lock_path,
    slugify,
)
from recap.errors import RecapError

if TYPE_CHECKING:
    from recap.executors import Executor


log = logging.getLogger("recap.batch")


BATCH_FILE = "batch.json"
# The first stage each kind of slot runs (what an entry queued for that slot waits to begin).
_FIRST_STAGE = {"download": "fetch", "transcribe": "transcribe", "llm": "chunk"}


# ---------------------------------------------------------------- the scheduler

class _Lane:
    """A queue of steps served by a fixed number of daemon threads (one kind of resource)."""

    def __init__(self, name: str, workers: int) -> None:
        self.name = name
        self.workers = workers
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.workers):
            # Daemon threads: an interrupted batch exits without waiting for a download;
            # atomic writes mean whatever they were writing is either complete or absent.
            thread = threading.Thread(target=self._serve, name=f"recap-{self.name}-{n}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def put(self, step: Callable[[], None]) -> None:
        self._queue.put(step)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    def _serve(self) -> None:
        while True:
            step = self._queue.get()
            if step is None:
                return
            step()


class _Batch:
    """Runs the entries of one batch; see `run_batch`."""

    def __init__(self, source: str, entries: Sequence[Entry], output_root: Path,
                 options: BatchOptions, run_options: Any, executor: Executor,
                 reporter: BatchReporter, llm_factory: Callable[[], Any] | None) -> None:
        self.source = source
        self.entries = list(entries)
        self.root = Path(output_root)
        self.options = options
        self.run_options = run_options
        self.executor = executor
        self.reporter = reporter
        self.llm = _SharedLLM(llm_factory, options.llm_jobs)
        self.records = [EntryRecord(id=e.id or e.source, title=e.title, url=e.source, index=n)
                        for n, e in enumerate(self.entries, 1)]
        self.path = self.root / BATCH_FILE
        self.started_at = now_iso()
        self._lock = threading.Lock()
        self._record_lock = threading.Lock()
        self._slug_locks: dict[str, threading.Lock] = {}
        self._holding: set[int] = set()
        self._active = 0
        self._idle = threading.Condition()
        self._remaining = len(self.entries)
        self._next_stage: dict[int, str] = {}
        """Entry index -> the first stage of the step it is queued for."""
        self._all_done = threading.Event()
        self._stopping = threading.Event()
        slots = self.transcribe_slots = max(1, executor.slots)
        window = options.lookahead or options.download_jobs + slots
        self._window = threading.BoundedSemaphore(window)
        self.lanes = {
            "download": _Lane("download", options.download_jobs),
            "transcribe": _Lane("transcribe", slots),
            "llm": _Lane("llm", options.llm_jobs),
        }
        last = STAGES.index(run_options.stop_after)
        self.steps: list[tuple[str, Callable[[EntryRecord, Entry, Any], Any]]] = [
            ("download", self._fetch_step)]
        if last >= STAGES.index("transcribe"):
            self.steps.append(("transcribe", self._transcribe_step))
        if last >= STAGES.index("chunk"):
            self.steps.append(("llm", self._finish_step))

    # ---------------------------------------------------------- running

    def run(self) -> BatchResult:
        """Run the batch; one batch at a time per output folder (a second gets a LockError)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with pid_lock(root_lock_path(self.root, "batch"),
                      lambda pid: f"another recap batch (pid {pid}) is running in {self.root}; "
                                  "wait for it to finish, or give this one another -o folder"):
            return self._run()

    def _run(self) -> BatchResult:
        self._save()
        self.reporter.batch_started(self.records)
        if not self.entries:
            return self._finish()
        for lane in self.lanes.values():
            lane.start()
        try:
            for record, entry in zip(self.records, self.entries, strict=True):
                self._queue_step(record, entry, 0, None)
            while not self._all_done.wait(0.2):
                pass
        except BaseException:
            self._interrupt()
            raise
        finally:
            for lane in self.lanes.values():
                lane.stop()
            self.llm.close()
        return self._finish()

    def _queue_step(self, record: EntryRecord, entry: Entry, index: int, carry: Any) -> None:
        if index >= len(self.steps):
            self._entry_finished(record, None)
            return
        lane, step = self.steps[index]
        with self._record_lock:
            self._next_stage[record.index] = _FIRST_STAGE[lane]
            if index:
                record.stage = None  # queued for the next kind of slot
        self.lanes[lane].put(lambda: self._run_step(record, entry, index, step, carry))

    def _run_step(self, record: EntryRecord, entry: Entry, index: int,
                  step: Callable[[EntryRecord, Entry, Any], Any], carry: Any) -> None:
        if index == 0:
            # The lookahead permit is held from the start of the download to the end of
            # transcription (or of the episode, when it ends sooner).
            self._window.acquire()
            with self._lock:
                self._holding.add(record.index)
        if self._stopping.is_set():
            return
        with self._record_lock:
            record.status = "running"
        try:
            with self._step_running():
                carry = step(record, entry, carry)
        except KeyboardInterrupt:
            return  # raised in a worker thread only once the batch is stopping
        except RecapError as exc:
            self._release_window(record)
            self._entry_finished(record, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - one episode's bug must not stop the batch
            from recap.redact import redact

            log.debug("unexpected error on %s", entry.source, exc_info=True)
            self._release_window(record)
            self._entry_finished(record, redact(f"unexpected error: {type(exc).__name__}: {exc}"))
            return
        next_lane = self.steps[index + 1][0] if index + 1 < len(self.steps) else None
        if next_lane != "transcribe":
            self._release_window(record)
        self._queue_step(record, entry, index + 1, carry)

    @contextlib.contextmanager
    def _step_running(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _release_window(self, record: EntryRecord) -> None:
        with self._lock:
            if record.index not in self._holding:
                return
            self._holding.discard(record.index)
        self._window.release()

    def _entry_finished(self, record: EntryRecord, error: str | None) -> None:
        if self._stopping.is_set():
            return  # the interrupt handler records what was running
        with self._record_lock:
            if error is not None:
                record.status, record.error = "failed", error
            else:
                record.error = None
                ran = any(s in ("done",) for s in record.stages.values())
                record.status = "done" if ran else "skipped"
                record.stage = None
        self.reporter.entry_changed(record)
        self._save()
        with self._lock:
            self._remaining -= 1
            if self._remaining == 0:
                self._all_done.set()

    def _interrupt(self, grace: float = 5.0) -> None:
        self._stopping.set()
        try:
            with contextlib.suppress(Exception):
                self.executor.cancel()
            # Let steps that can stop quickly (a cancelled transcription) record "interrupted" in
            # their manifests; a step stuck in a download is abandoned (atomic writes keep it
            # safe).
            with self._idle:
                self._idle.wait_for(lambda: self._active == 0, timeout=grace)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: stop waiting, but still say where each entry stopped
        with self._record_lock:
            for record in self.records:
                if record.status != "running":
                    continue
                record.status = "interrupted"
                if record.stage is not None and record.stage not in record.stages:
                    record.error = f"interrupted during {record.stage}"
                    self._manifest_agrees(record, record.stage)
                else:  # between stages: waiting for a download, transcription or LLM slot
                    record.stage = self._next_stage.get(record.index, record.stage)
                    record.error = f"interrupted before {record.stage} began"
        with contextlib.suppress(RecapError):
            self._save()

    def _manifest_agrees(self, record: EntryRecord, stage: str) -> None:
        """A step still stopping after the grace period has not recorded its stage yet: record it
        as interrupted for it, so the manifest says what batch.json says (the step, if it ever
        records its own outcome, writes the same or a finished stage)."""
        if not record.folder:
            return
        episode = Episode(self.root / record.folder)
        with contextlib.suppress(RecapError, OSError, ValueError):
            if episode.root.is_dir() and episode.stage_record(stage) is None:
                episode.update_stage(stage, StageRecord(status="interrupted", error="interrupted",
                                                        started_at=now_iso()))

    def _stage_changed(self) -> None:
        """Keep batch.json current while the batch runs (which stage each entry is in)."""
        if self._stopping.is_set():
            return  # the interrupt handler writes the last word
        with contextlib.suppress(RecapError):  # a progress note; the final save reports errors
            self._save()

    def _finish(self) -> BatchResult:
        self._save(finished=True)
        result = BatchResult(self.source, list(self.records), self.path)
        self.reporter.batch_finished(result)
        return result

    def _save(self, finished: bool = False) -> None:
        with self._record_lock:
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
            "options": self._options_record(),
            "counts": counts,
            "entries": entries,
        }
        with self._lock:
            atomic_write_json(self.path, document)

    def _options_record(self) -> dict[str, Any]:
        run = self.run_options
        return {
            **self.options.params(),
            "transcribe_jobs": self.transcribe_slots,
            "executor": self.executor.name,
            "stop_after": run.stop_after,
            "force": run.force,
            "transcribe": run.transcribe.params(),
        }

    def _reporter_for(self, record: EntryRecord) -> _EntryReporter:
        return _EntryReporter(record, self.reporter, self._record_lock, self._stage_changed)

    # ---------------------------------------------------------- the steps

    def _fetch_step(self, record: EntryRecord, entry: Entry, _carry: Any) -> Episode:
        from recap import pipeline

        options = replace(self.run_options, stop_after="fetch",
                          fetch=replace(self.run_options.fetch, entry=entry.metadata()))
        # Two new entries with the same title would race for the same folder name.
        with self._slug_lock(entry.title or entry.source):
            result = pipeline.run(entry.source, self.root, options, self._reporter_for(record))
        with self._record_lock:
            record.folder = result.episode.root.name
        return result.episode

    @contextlib.contextmanager
    def _slug_lock(self, title: str) -> Iterator[None]:
        with self._lock:
            lock = self._slug_locks.setdefault(slugify(title), threading.Lock())
        with lock:
            yield

    def _transcribe_step(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        from recap import pipeline
        from recap.executors import TranscriptionJob
        from recap.models import Info
        from recap.transcribe import existing_transcript, save_transcript

        reporter = self._reporter_for(record)
        options = self.run_options
        params = options.transcribe.params()
        with episode.lock():
            state = pipeline.stage_state(episode, "transcribe", params)
            if state in ("done", "edited") and not options.force:
                reporter.stage_finished("transcribe", "skipped" if state == "done" else "edited")
                return episode
            info = Info.load(episode.info_path, "recap fetch SOURCE")
            audio = episode.audio_path()
            job = TranscriptionJob(label=episode.slug, options=options.transcribe,
                                   audio_path=audio, suffix=audio.suffix, duration=info.duration)
            with pipeline.recording(episode, "transcribe", params, reporter) as stats:
                # A transcript the source already has is read here; no worker slot is needed.
                transcript = existing_transcript(episode, options.transcribe)
                try:
                    if transcript is None:
                        transcript = self.executor.transcribe(job)
                except RecapError:
                    if self._stopping.is_set():  # the executor was cancelled by Ctrl-C
                        raise KeyboardInterrupt from None
                    raise
                if self._stopping.is_set():
                    raise KeyboardInterrupt  # never write after the batch was interrupted
                save_transcript(episode, transcript)
                stats.update(segments=len(transcript.segments), language=transcript.language,
                             origin=transcript.origin,
                             executor=self.executor.name if transcript.origin == "whisper"
                             else None,
                             summary=f"{len(transcript.segments)} segments")
        return episode

    def _finish_step(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        from recap import pipeline

        reporter = self._reporter_for(record)
        last = STAGES.index(self.run_options.stop_after)
        with episode.lock():
            for stage in STAGES[STAGES.index("chunk"): last + 1]:
                if self._stopping.is_set():
                    break
                pipeline.run_stage(episode, stage, self.run_options, reporter,
                                   llm_factory=self.llm.factory)
        return episode


def run_batch(source: str, entries: Sequence[Entry], output_root: Path, options: BatchOptions,
              run_options: Any, executor: Executor, reporter: BatchReporter | None = None,
              llm_factory: Callable[[], Any] | None = None) -> BatchResult:
    """Run every entry through the pipeline; failures are recorded, never raised.

    Args:
        source: what the batch was listed from (recorded in batch.json).
        entries: the episodes, in order (from `expand` and `select`).
        output_root: folder holding the episode folders and batch.json.
        options: concurrency limits.
        run_options: per-stage options (`recap.pipeline.RunOptions`), the same for every entry.
        executor: where transcription runs (`recap.executors.create_executor`), entered.
        reporter: progress callbacks.
        llm_factory: returns a context manager yielding an LLM client; opened once, on the
            first episode that needs it, and shared (its calls limited to `options.llm_jobs`).

    Returns:
        Each entry's outcome; `BatchResult.failed` lists the failures.

    Raises:
        KeyboardInterrupt: after recording the interrupted entries in batch.json.
    """
    batch = _Batch(source, entries, output_root, options, run_options, executor,
                   reporter or BatchReporter(), llm_factory)
    return batch.run()
