"""Progress callbacks: the library reports, the CLI draws."""

from __future__ import annotations


class Reporter:
    """No-op base; the CLI subclasses it with a rich display, batch with a per-episode one."""

    def stage_started(self, stage: str, total: float | None = None, detail: str = "") -> None:
        """A stage began; `total` is its amount of work when known (seconds, bytes, chunks)."""

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        """A stage made progress."""

    def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
        """A stage ended: done, skipped, failed, edited."""

    def message(self, text: str) -> None:
        """A notice for the user (e.g. 'post edited by hand; wrote index.new.md')."""
