"""Terminal drawing for the CLI (rich on stderr); the library only calls Reporter methods."""

from __future__ import annotations

import threading
from typing import Any

from recap.progress import Reporter

_UNITS = {"fetch": "bytes", "transcribe": "s", "notes": "chunks"}


class ConsoleReporter(Reporter):
    """Progress bars per stage on stderr; plain lines when stderr is not a terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> ConsoleReporter:
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        if self.console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description:<11}"), BarColumn(), TaskProgressColumn(),
                TimeElapsedColumn(), TextColumn("{task.fields[detail]}"),
                console=self.console, transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _task(self, stage: str, total: float | None = None) -> Any:
        if stage not in self._tasks and self._progress is not None:
            self._tasks[stage] = self._progress.add_task(stage, total=total, detail="")
        return self._tasks.get(stage)

    def stage_started(self, stage: str, total: float | None = None, detail: str = "") -> None:
        with self._lock:
            task = self._task(stage, total)
            if task is not None:
                self._progress.update(task, total=total, detail=detail[:60])

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        with self._lock:
            task = self._task(stage, total)
            if task is not None:
                self._progress.update(task, completed=done, total=total)

    def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
        with self._lock:
            task = self._task(stage)
            if task is not None:
                total = self._progress.tasks[task].total or 1
                self._progress.update(task, completed=total, total=total,
                                      detail=f"{status} {detail}"[:70])
            else:
                # soft_wrap: one line per event in logs, never a path broken across lines
                self.console.print(f"{stage}: {status} {detail}".rstrip(), highlight=False,
                                   markup=False, soft_wrap=True)

    def message(self, text: str) -> None:
        with self._lock:
            self.console.print(f"recap: {text}", highlight=False, markup=False, soft_wrap=True)


def print_status(rows: list[Any]) -> None:
    """Print `recap status` as a table on stdout."""
    from rich.console import Console
    from rich.table import Table

    from recap.episode import STAGES

    table = Table(title="recap status")
    table.add_column("episode")
    for stage in STAGES:
        table.add_column(stage)
    table.add_column("last error")
    styles = {"done": "green", "stale": "yellow", "edited": "cyan", "failed": "red",
              "missing": "dim"}
    for row in rows:
        cells = [f"[{styles.get(s, '')}]{s}[/]" for s in (row.stages[x] for x in STAGES)]
        table.add_row(row.slug, *cells, (row.error or "")[:60])
    Console(width=160).print(table)
