"""Faults injected into worker processes, from the tests only: the product has no hook for them.

An executor is given `functools.partial(dying_job, marker)` as its task. Worker processes import
this module by reference (the local pool, spawned with the test's sys.path) or receive it by value
(Dask: `cloudpickle.register_pickle_by_value`), so nothing in recap checks for a test.
"""

from __future__ import annotations

import os
from typing import Any

from recap.executors import TranscriptionJob, transcribe_job


def dying_job(marker: str, job: TranscriptionJob) -> dict[str, Any]:
    """The first task that manages to create `marker` kills its own worker process (os._exit,
    as a crash or an OOM kill would) while transcribing: once Whisper has recognised its first
    segment. Every other task transcribes as usual."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return transcribe_job(job)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    from recap.executors import _audio_file
    from recap.transcribe import iter_segments

    with _audio_file(job) as path:
        for _ in iter_segments(path, job.options, job.duration, None, {}):
            os._exit(1)  # mid-task: the model loaded, a segment recognised, the rest not
    os._exit(1)
