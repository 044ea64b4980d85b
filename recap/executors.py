"""Where transcription runs in a batch: a local process pool or a Dask distributed cluster.

Both sit behind one small interface (`Executor`): `transcribe(job)` blocks until the job's
transcript is back, and may be called from several threads at once. Workers never touch the
episode folder: they return the transcript to the caller, which writes it, so a cluster needs
no shared filesystem. A worker process keeps its Whisper model loaded across tasks
(`recap.transcribe.load_model` is cached per process).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from recap.errors import ConfigError, WorkerError, unknown_choice
from recap.models import Transcript

if TYPE_CHECKING:
    from recap.transcribe import TranscribeOptions

log = logging.getLogger("recap.executors")

TRANSCRIBE_RESOURCE = "transcribe"
"""The Dask worker resource a transcription task asks for (`--resources transcribe=1`)."""


@dataclass
class TranscriptionJob:
    """One episode's audio to transcribe, with everything a worker needs."""

    label: str
    """Names the job in logs and errors (the episode folder's name)."""
    options: TranscribeOptions
    """How to transcribe."""
    audio_path: Path | None = None
    """The audio file, when the worker shares the caller's filesystem (local pool)."""
    audio_bytes: bytes | None = None
    """The audio itself, when it does not (Dask workers)."""
    suffix: str = ".audio"
    """File extension of the audio (ffmpeg sniffs the format, but keeps the name honest)."""
    duration: float = 0.0
    """Length in seconds, when known."""


def transcribe_job(job: TranscriptionJob) -> dict[str, Any]:
    """Run one job in this process and return the transcript as a plain dict.

    This is the task function both executors send to their workers.
    """
    from recap.transcribe import whisper_transcript

    with _audio_file(job) as path:
        transcript = whisper_transcript(path, job.options, job.duration, label=job.label)
    return transcript.to_dict()


@contextlib.contextmanager
def _audio_file(job: TranscriptionJob) -> Any:
    if job.audio_bytes is None:
        if job.audio_path is None:
            raise ValueError("a TranscriptionJob needs audio_path or audio_bytes")
        yield Path(job.audio_path)
        return
    with tempfile.TemporaryDirectory(prefix="recap-job-") as tmp:
        path = Path(tmp) / f"audio{job.suffix}"
        path.write_bytes(job.audio_bytes)
        yield path



Task = Callable[[TranscriptionJob], dict[str, Any]]
"""What a worker runs for a job: `transcribe_job`, or a test's stand-in (a worker that dies)."""


class Executor(Protocol):
    """Runs transcription jobs; thread-safe; a context manager that starts and stops workers."""

    name: str

    @property
    def slots(self) -> int:
        """How many jobs it runs at once (the batch keeps that many in flight)."""

    def transcribe(self, job: TranscriptionJob) -> Transcript:
        """Run `job` on a worker and return its transcript (blocks)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def cancel(self) -> None:
        """Stop running jobs now (an interrupted batch): kill workers, drop queued jobs."""


# ---------------------------------------------------------------- local process pool

class LocalExecutor:
    """A pool of worker processes on this machine, rebuilt when a worker process dies.

    A job whose worker died is retried in a fresh pool, up to `attempts` times in all; then the
    episode fails with a WorkerError. Workers start with the `spawn` method, so they never
    inherit the batch's threads or locks.
    """

    name = "local"

    def __init__(self, jobs: int = 1, attempts: int = 3, task: Task = transcribe_job) -> None:
        if jobs < 1:
            raise ConfigError(f"--transcribe-jobs must be at least 1 (got {jobs})")
        if attempts < 1:
            raise ConfigError(f"worker attempts must be at least 1 (got {attempts})")
        self.jobs = jobs
        self.attempts = attempts
        self.task = task
        """The function each job runs in a worker (picklable: module-level, or a partial)."""
        self.rebuilds = 0
        """How many times a broken pool was replaced (for tests and the summary)."""
        self._pool: Any = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def slots(self) -> int:
        return self.jobs

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _current_pool(self) -> Any:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        with self._lock:
            if self._closed:
                raise WorkerError("the transcription pool was shut down")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                                 mp_context=get_context("spawn"))
            return self._pool

    def _replace_broken(self, broken: Any) -> None:
        with self._lock:
            if self._pool is broken:  # another thread may have replaced it already
                self._pool = None
                self.rebuilds += 1
        broken.shutdown(wait=False, cancel_futures=True)

    def transcribe(self, job: TranscriptionJob) -> Transcript:
        from concurrent.futures.process import BrokenProcessPool

        for attempt in range(1, self.attempts + 1):
            pool = self._current_pool()
            try:
                return Transcript.from_dict(pool.submit(self.task, job).result())
            except BrokenProcessPool:
                if self._closed:  # cancelled: the batch was interrupted, not a crash
                    raise WorkerError(f"transcription of {job.label} was cancelled") from None
                log.warning("transcription worker died on %s (attempt %d of %d)", job.label,
                            attempt, self.attempts)
                self._replace_broken(pool)
        raise WorkerError(f"the transcription worker died {self.attempts} times on {job.label}; "
                          "giving up on this episode (is the machine out of memory?)")

    def cancel(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            # Workers hold no artifacts (the caller writes them), so killing them loses nothing.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- Dask distributed

class DaskExecutor:
    """Transcription on a Dask distributed cluster.

    Each job is one task that asks for the `transcribe` worker resource, so only workers started
    with `--resources "transcribe=1"` (GPU machines: `"transcribe=1,GPU=1"`) take it. The client
    scatters the audio bytes to the cluster, submits the task and gets the transcript back;
    workers need recap installed, not the output folder. A worker that dies mid-task takes the
    scattered audio with it, so the client sends the job again (up to `attempts` times in all);
    the scheduler also gives up on a task that kills workers `allowed-failures` times (default
    3). Either way the episode then fails with a WorkerError. With no address, a LocalCluster of
    `jobs` worker processes is started (and stopped) on this machine.
    """

    name = "dask"

    def __init__(self, address: str | None = None, jobs: int | None = None,
                 connect_timeout: float = 30.0, attempts: int = 3,
                 task: Task = transcribe_job) -> None:
        if jobs is not None and jobs < 1:
            raise ConfigError(f"--transcribe-jobs must be at least 1 (got {jobs})")
        self.address = address
        self.jobs = jobs
        self.attempts = max(1, attempts)
        self.task = task
        self.resubmits = 0
        """Jobs sent again after their worker died (for tests and logs)."""
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        distributed = import_distributed()
        try:
            if self.address:
                self.client = distributed.Client(self.address, timeout=self.connect_timeout,
                                                 set_as_default=False)
            else:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.jobs or 1, threads_per_worker=1, processes=True,
                    resources={TRANSCRIBE_RESOURCE: 1}, dashboard_address=None,
                )
                self.client = distributed.Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise ConfigError(f"cannot connect to the Dask scheduler at {self.address}: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              ) from None
        if self.cluster_slots() == 0:
            where = self.address or "the local cluster"
            self.__exit__()
            raise ConfigError(
                f"no worker at {where} offers the '{TRANSCRIBE_RESOURCE}' resource; start "
                f"workers with `dask worker {where} --resources \"{TRANSCRIBE_RESOURCE}=1\"`")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None

    def cluster_slots(self) -> int:
        """The `transcribe` resources the cluster's workers offer in all."""
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {}) \
            if _accepts_n_workers(self.client) else self.client.scheduler_info().get("workers", {})
        return int(sum(w.get("resources", {}).get(TRANSCRIBE_RESOURCE, 0)
                       for w in workers.values()))

    @property
    def slots(self) -> int:
        if self.jobs is not None:
            return self.jobs
        return max(1, self.cluster_slots()) if self.client is not None else 1

    def transcribe(self, job: TranscriptionJob) -> Transcript:
        import asyncio
        import concurrent.futures

        from distributed import KilledWorker
        from distributed.comm.core import CommClosedError

        if self.client is None:
            raise WorkerError("the Dask client is not connected")
        if job.audio_bytes is None and job.audio_path is not None:
            job = replace(job, audio_bytes=Path(job.audio_path).read_bytes(), audio_path=None,
                          suffix=Path(job.audio_path).suffix or job.suffix)
        shipped = replace(job, audio_bytes=None)
        for attempt in range(1, self.attempts + 1):
            audio = future = None
            try:
                # Scattering to a worker that has just died closes its connection too
                # (CommClosedError from the data's upload): a lost task like the others.
                audio = self.client.scatter(job.audio_bytes, hash=False)
                future = self.client.submit(_transcribe_remote, shipped, audio, self.task,
                                            pure=False,
                                            resources={TRANSCRIBE_RESOURCE: 1},
                                            key=f"transcribe-{job.label}-{os.urandom(4).hex()}")
                return Transcript.from_dict(future.result())
            except KilledWorker:
                raise WorkerError(f"Dask workers died while transcribing {job.label}; the "
                                  "scheduler gave up on it (allowed-failures)") from None
            except (concurrent.futures.CancelledError, asyncio.CancelledError, CommClosedError):
                if self.client is None:  # cancelled by us: the batch was interrupted
                    raise WorkerError(f"transcription of {job.label} was cancelled") from None
                # The worker holding the scattered audio died (the task cancelled, or the
                # connection to that worker closed while its result was fetched): send the
                # job again.
                log.warning("Dask lost the task for %s (attempt %d of %d)", job.label, attempt,
                            self.attempts)
                self.resubmits += 1
            finally:
                for held in (future, audio):
                    if held is not None:
                        with contextlib.suppress(Exception):
                            held.release()
        raise WorkerError(f"Dask workers died {self.attempts} times while transcribing "
                          f"{job.label}; giving up on this episode")

    def cancel(self) -> None:
        self.__exit__()


def _transcribe_remote(job: TranscriptionJob, audio: bytes,
                       task: Task = transcribe_job) -> dict[str, Any]:
    """The Dask task: the audio arrives as a separate (scattered) argument."""
    return task(replace(job, audio_bytes=audio))


def _accepts_n_workers(client: Any) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def import_distributed() -> Any:
    """The `distributed` module, or a one-line error naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise ConfigError("Dask is not installed: `pip install 'recap[dask]'` to use a cluster"
                          ) from None
    return distributed


# ---------------------------------------------------------------- registry

EXECUTORS: dict[str, Callable[..., Any]] = {
    "local": lambda jobs=None, cluster=None: LocalExecutor(jobs or 1),
    "dask": lambda jobs=None, cluster=None: DaskExecutor(cluster, jobs),
}


def create_executor(name: str, jobs: int | None = None, cluster: str | None = None) -> Executor:
    """The executor called `name` ("local" or "dask"); `cluster` is a Dask scheduler address."""
    factory = EXECUTORS.get(name)
    if factory is None:
        raise unknown_choice("executor", name, list(EXECUTORS))
    if cluster and name != "dask":
        raise ConfigError(f"--cluster needs the dask executor, not {name!r}")
    executor: Executor = factory(jobs=jobs, cluster=cluster)
    return executor
