"""Transcript windows: a chunk's segments in small, slightly overlapping pieces.

A small model notes far more of what was said in 150 words than in 1,500: each window gets its
own extraction call. Windows overlap by a segment so a fact cut by a window's edge is whole in
one of them; the duplicates this makes are removed later (`dedupe`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recap.models import Chunk

_LINE = re.compile(r"^\[(\d+):(\d{2}):(\d{2})\] ?(.*)$")


@dataclass(frozen=True)
class Line:
    """One transcript segment as the notes stage sees it."""

    id: int
    start: float
    end: float
    text: str

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Window:
    """Consecutive lines noted by one extraction call."""

    chunk: int
    index: int
    lines: tuple[Line, ...]
    after: Line | None = None
    """The chunk's line after the window's last (not shown to the model): a note copied up to a
    line Whisper cut mid-sentence is finished from it (`rewrite.finish_cut_phrase`)."""

    @property
    def start(self) -> float:
        return self.lines[0].start

    @property
    def end(self) -> float:
        return self.lines[-1].end

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @property
    def key(self) -> tuple[int, int]:
        return (self.chunk, self.index)


def chunk_lines(chunk: Chunk) -> list[Line]:
    """The chunk's segments, recovered from its text (`[h:mm:ss] text` per segment)."""
    texts: list[tuple[float, str]] = []
    for raw in chunk.text.splitlines():
        match = _LINE.match(raw)
        if match:
            h, m, s, text = match.groups()
            texts.append((int(h) * 3600 + int(m) * 60 + int(s), text.strip()))
        elif texts:
            texts[-1] = (texts[-1][0], f"{texts[-1][1]} {raw.strip()}".strip())
        elif raw.strip():
            texts.append((chunk.start, raw.strip()))
    ids = chunk.segment_ids or [0]
    if not texts:
        texts = [(chunk.start, "")]
    if len(texts) > len(ids):  # extra lines: a segment's own text held a timestamp
        texts[len(ids) - 1 :] = [(texts[len(ids) - 1][0],
                                  " ".join(t for _, t in texts[len(ids) - 1 :]))]
    starts = [min(max(t, chunk.start), chunk.end) for t, _ in texts]
    starts[0] = chunk.start
    lines = []
    for i, (segment_id, (_, text)) in enumerate(zip(ids, texts, strict=False)):
        end = starts[i + 1] if i + 1 < len(texts) else chunk.end
        lines.append(Line(segment_id, starts[i], max(end, starts[i]), text))
    return lines


def make_windows(chunk: Chunk, lines: list[Line], words: int, overlap: int) -> list[Window]:
    """The chunk's lines packed into windows of about `words` words, each starting with the last
    `overlap` lines of the one before; a short tail joins the window before it."""
    spans: list[list[Line]] = []
    current: list[Line] = []
    count = 0
    for line in lines:
        if not line.text.strip():
            continue
        current.append(line)
        count += line.word_count
        if count >= words:
            spans.append(current)
            carried = current[-overlap:] if overlap and len(current) > overlap else []
            current, count = list(carried), sum(ln.word_count for ln in carried)
    fresh = [ln for ln in current if not spans or ln not in spans[-1]]
    if fresh:
        tail_words = sum(ln.word_count for ln in fresh)
        if spans and tail_words < words * 0.4:
            spans[-1].extend(fresh)
        else:
            spans.append(current)
    following = {a.id: b for a, b in zip(lines, lines[1:], strict=False)}
    return [Window(chunk.index, i, tuple(span), following.get(span[-1].id))
            for i, span in enumerate(spans)]
