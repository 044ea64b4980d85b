"""Seconds as text: one function per format recap shows."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """h:mm:ss, always with the hours ("0:02:05"): logs, chunk and window labels."""
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def timestamp(seconds: float) -> str:
    """m:ss, or h:mm:ss past the hour ("2:05", "1:02:05"): what a reader sees in a post."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def srt_time(seconds: float) -> str:
    """hh:mm:ss,mmm for SubRip files."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def duration(seconds: float | None) -> str:
    """A length for a plan or an estimate ("1h 02m", "3m 05s", "40s"; "unknown" for None)."""
    if seconds is None:
        return "unknown"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"
