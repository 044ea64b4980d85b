"""The scheduler: three kinds of worker slot (downloads, transcription, LLM stages), each a
lane of threads; an entry moves from lane to lane as its steps (recap.batch.steps) finish, and
batch.json follows it (recap.batch.journal).

Each class documents the locks it holds beside them. Between the classes: a per-title lock
(`Steps`) keeps two entries of the same title from making one folder at once, each episode
folder has its own file lock (recap.episode) for the stages themselves, and one batch at a time
runs per output folder (a pid lock in `_Batch.run`)."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from recap.batch.journal import Journal
from recap.batch.listing import Entry
from recap.batch.plan import BatchOptions
from recap.batch.records import BatchReporter, BatchResult, EntryRecord, _SharedLLM
from recap.batch.steps import Step, Steps
from recap.episode import pid_lock, root_lock_path
from recap.errors import RecapError

if TYPE_CHECKING:
    from recap.executors import Executor
    from recap.pipeline import LLMFactory, RunOptions


log = logging.getLogger("recap.batch")

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


class _Lookahead:
    """Permits for episodes fetched but not yet transcribed, so early episodes finish first and a
    long feed is not downloaded up front: taken when a download starts, given back when its
    transcription ends (or the episode does, when that is sooner)."""

    def __init__(self, size: int) -> None:
        self._permits = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        """Guards `_holding`."""
        self._holding: set[int] = set()
        """Entry indexes holding a permit."""

    def take(self, index: int) -> None:
        self._permits.acquire()
        with self._lock:
            self._holding.add(index)

    def give_back(self, index: int) -> None:
        """Release entry `index`'s permit, if it holds one (a second call does nothing)."""
        with self._lock:
            if index not in self._holding:
                return
            self._holding.discard(index)
        self._permits.release()


class _Batch:
    """Runs the entries of one batch; see `run_batch`."""

    def __init__(self, source: str, entries: Sequence[Entry], output_root: Path,
                 options: BatchOptions, run_options: RunOptions, executor: Executor,
                 reporter: BatchReporter, llm_factory: LLMFactory | None) -> None:
        self.entries = list(entries)
        self.root = Path(output_root)
        self.executor = executor
        self.llm = _SharedLLM(llm_factory, options.llm_jobs)
        self._stopping = threading.Event()
        """Set on Ctrl-C or a fatal error: steps not yet begun never begin."""
        self._all_done = threading.Event()
        """Set when every entry has finished."""
        self._lock = threading.Lock()
        """Guards `_remaining` (entries not finished yet)."""
        self._remaining = len(self.entries)
        self._idle = threading.Condition()
        """Guards `_active` (steps running now); an interrupt waits on it for them to stop."""
        self._active = 0
        slots = max(1, executor.slots)
        self._window = _Lookahead(options.lookahead or options.download_jobs + slots)
        records = [EntryRecord(id=e.id or e.source, title=e.title, url=e.source, index=n)
                   for n, e in enumerate(self.entries, 1)]
        self.journal = Journal(source, records, self.root, {
            **options.params(),
            "transcribe_jobs": slots,
            "executor": executor.name,
            "stop_after": run_options.stop_after,
            "force": run_options.force,
            "transcribe": run_options.transcribe.params(),
        }, reporter, self._stopping)
        self.steps = Steps(self.root, run_options, executor, self.llm, self.journal,
                           self._stopping).in_order()
        self.lanes = {
            "download": _Lane("download", options.download_jobs),
            "transcribe": _Lane("transcribe", slots),
            "llm": _Lane("llm", options.llm_jobs),
        }

    def run(self) -> BatchResult:
        """Run the batch; one batch at a time per output folder (a second gets a LockError)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with pid_lock(root_lock_path(self.root, "batch"),
                      lambda pid: f"another recap batch (pid {pid}) is running in {self.root}; "
                                  "wait for it to finish, or give this one another -o folder"):
            return self._run()

    def _run(self) -> BatchResult:
        self.journal.started()
        if not self.entries:
            return self.journal.finish()
        for lane in self.lanes.values():
            lane.start()
        try:
            for record, entry in zip(self.journal.records, self.entries, strict=True):
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
        return self.journal.finish()

    def _queue_step(self, record: EntryRecord, entry: Entry, index: int, carry: object) -> None:
        if index >= len(self.steps):
            self._entry_finished(record, None)
            return
        lane, step = self.steps[index]
        self.journal.queued(record, _FIRST_STAGE[lane], between_steps=index > 0)
        self.lanes[lane].put(lambda: self._run_step(record, entry, index, step, carry))

    def _run_step(self, record: EntryRecord, entry: Entry, index: int, step: Step,
                  carry: object) -> None:
        if index == 0:
            # The lookahead permit is held from the start of the download to the end of
            # transcription (or of the episode, when it ends sooner).
            self._window.take(record.index)
        if self._stopping.is_set():
            return
        self.journal.running(record)
        try:
            with self._step_running():
                carry = step(record, entry, carry)
        except KeyboardInterrupt:
            return  # raised in a worker thread only once the batch is stopping
        except RecapError as exc:
            self._window.give_back(record.index)
            self._entry_finished(record, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - one episode's bug must not stop the batch
            from recap.redact import redact

            log.debug("unexpected error on %s", entry.source, exc_info=True)
            self._window.give_back(record.index)
            self._entry_finished(record, redact(f"unexpected error: {type(exc).__name__}: {exc}"))
            return
        next_lane = self.steps[index + 1][0] if index + 1 < len(self.steps) else None
        if next_lane != "transcribe":
            self._window.give_back(record.index)
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

    def _entry_finished(self, record: EntryRecord, error: str | None) -> None:
        if self._stopping.is_set():
            return  # the interrupt handler records what was running
        self.journal.finished(record, error)
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
        self.journal.interrupted()


def run_batch(source: str, entries: Sequence[Entry], output_root: Path, options: BatchOptions,
              run_options: RunOptions, executor: Executor, reporter: BatchReporter | None = None,
              llm_factory: LLMFactory | None = None) -> BatchResult:
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
