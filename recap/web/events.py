"""Runs started from the studio and the progress events a page follows (server-sent events).

A run is a thread calling the library (`recap.pipeline.run`, `recap.batch.run_batch`); its
reporter turns the library's progress callbacks into events that `stream` pushes to the page.
Cancel raises `RunCancelled` (a KeyboardInterrupt, so the pipeline records the stage as
interrupted, exactly as for Ctrl-C) in the run's thread.
"""

from __future__ import annotations

import ctypes
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from recap.progress import Reporter

_PROGRESS_INTERVAL = 0.25
"""Seconds between two progress events of one stage (the last one always goes out)."""


class RunCancelled(KeyboardInterrupt):
    """The user pressed cancel in the studio."""


@dataclass
class Run:
    """One run, batch or rerun started from the studio, and what it has reported so far."""

    id: str
    kind: str
    source: str
    slug: str | None = None
    state: str = "running"
    """running | done | failed | cancelled."""
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    cancel_requested: bool = False
    thread: threading.Thread | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _last_progress: dict[str, float] = field(default_factory=dict, repr=False)

    def emit(self, kind: str, **data: Any) -> None:
        """Record an event for the page."""
        with self._cond:
            self.events.append({"type": kind, **data})
            self._cond.notify_all()

    def progress(self, stage: str, done: float, total: float | None) -> None:
        """A progress event, at most a few a second per stage."""
        now = time.monotonic()
        last = self._last_progress.get(stage, 0.0)
        if total is not None and done < total and now - last < _PROGRESS_INTERVAL:
            return
        self._last_progress[stage] = now
        self.emit("progress", stage=stage, done=done, total=total)

    def set_slug(self, slug: str) -> None:
        with self._cond:
            if self.slug is None:
                self.slug = slug
                self.events.append({"type": "episode", "slug": slug})
                self._cond.notify_all()

    def finish(self, state: str, error: str | None = None) -> None:
        with self._cond:
            self.state, self.error = state, error
            self.events.append({"type": "end", "state": state, "error": error,
                                "slug": self.slug, "result": self.result})
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Run], bool], timeout: float) -> bool:
        """Block until `predicate(self)` holds or `timeout` seconds pass."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    @property
    def finished(self) -> bool:
        return self.state != "running"

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "source": self.source, "slug": self.slug,
                "state": self.state, "error": self.error, "result": self.result}

    def cancel(self) -> bool:
        """Ask the run to stop; True when it was still running."""
        if self.finished or self.thread is None or self.thread.ident is None:
            return False
        self.cancel_requested = True
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread.ident),
                                                   ctypes.py_object(RunCancelled))
        return True


class RunReporter(Reporter):
    """The pipeline's progress callbacks, as events of one run."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def stage_started(self, stage: str, total: float | None = None, detail: str = "") -> None:
        self.run.emit("stage", stage=stage, status="running", detail=detail)

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        self.run.progress(stage, done, total)

    def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
        self.run.emit("stage", stage=stage, status=status, detail=detail)

    def message(self, text: str) -> None:
        self.run.emit("message", text=text)


class Runs:
    """The runs of this studio process."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, source: str, body: Callable[[Run], None]) -> Run:
        """Start `body(run)` in a thread; its RecapError becomes the run's one-line error."""
        run = Run(secrets.token_hex(6), kind, source)
        with self._lock:
            self._runs[run.id] = run
        run.thread = threading.Thread(target=self._main, args=(run, body),
                                      name=f"recap-studio-{run.id}", daemon=True)
        run.thread.start()
        return run

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[Run]:
        with self._lock:
            return list(self._runs.values())

    @staticmethod
    def _main(run: Run, body: Callable[[Run], None]) -> None:
        from recap.errors import RecapError
        from recap.redact import redact

        try:
            try:
                body(run)
            except RunCancelled:
                run.finish("cancelled", "cancelled; finished stages are kept")
            except RecapError as exc:
                run.finish("failed", " ".join(redact(str(exc)).split()))
            except Exception as exc:  # noqa: BLE001 - one line for the page, never a traceback
                import logging

                logging.getLogger("recap.web").debug("run %s failed", run.id, exc_info=True)
                run.finish("failed", f"unexpected error: {redact(f'{type(exc).__name__}: {exc}')}")
            else:
                run.finish("done")
        except RunCancelled:  # cancel arrived between the body's end and finish()
            if not run.finished:
                run.finish("cancelled", "cancelled; finished stages are kept")


async def stream(run: Run, poll: float = 0.2, keepalive: float = 15.0) -> AsyncIterator[str]:
    """The run's events as server-sent events, from the first; ends after the `end` event."""
    import asyncio

    sent = 0
    quiet = 0.0
    while True:
        with run._cond:
            fresh = run.events[sent:]
        for event in fresh:
            yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
        sent += len(fresh)
        if fresh and fresh[-1]["type"] == "end":
            return
        if fresh:
            quiet = 0.0
        elif quiet >= keepalive:
            quiet = 0.0
            yield ": keepalive\n\n"
        await asyncio.sleep(poll)
        quiet += poll
