"""Transcript windows: a chunk's segments in small, slightly overlapping pieces.

A small model notes far more of what was said in 150 words than in 1,500: each window gets its
own extraction call. A window ends where a sentence does, so the next starts on a sentence of
its own; only where no sentence ends in reach is a window cut mid-sentence, and the next then
repeats its last segment so the fact cut there is whole in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recap.models import Chunk

_LINE = re.compile(r"^\[(\d+):(\d{2}):(\d{2})\] ?(.*)$")
_PHRASE_END = re.compile(r"[.,;:?!…]")
RUN_ON_WORDS = 6
"""The most words a line Whisper cut mid-sentence is given from the next line."""


@dataclass(frozen=True)
class Line:
    """One transcript segment as the notes stage sees it."""

    id: int
    start: float
    end: float
    text: str

    def run_on(self, after: Line | None) -> str:
        """The words of `after` that finish this line, where Whisper cut it mid-sentence: up to
        their first punctuation mark, `RUN_ON_WORDS` at most ("eight" | "evenings, and then…"
        -> "evenings"); "" when this line ends on punctuation or `after` starts a sentence."""
        said = self.text.rstrip()
        if after is None or not said or said.endswith((".", "?", "!", ",", ";", ":", "…")):
            return ""
        more = _PHRASE_END.split(after.text.strip(), maxsplit=1)[0].strip()
        return more if more[:1].islower() and len(more.split()) <= RUN_ON_WORDS else ""

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
    def checked_text(self) -> str:
        """The text a note's figures are checked against: the window's, its last line finished
        from the line after where Whisper cut it mid-sentence. The model saw "hours take say
        eight" and wrote "8 hours"; checked without the next line's "evenings", the bare
        number supported it."""
        more = self.lines[-1].run_on(self.after)
        return f"{self.text} {more}" if more else self.text

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


def make_windows(chunk: Chunk, lines: list[Line], words: int, overlap: int,
                 whole_sentences: bool = False) -> list[Window]:
    """The chunk's lines packed into windows of about `words` words, each starting with the last
    `overlap` lines of the one before; a short tail joins the window before it.

    With `whole_sentences`, a window ends where a sentence does: at the sentence end nearest to
    `words` words between `SENTENCE_FLOOR` and `SENTENCE_SLACK` times that, and the next window
    starts on the sentence after, repeating no line. Whisper cuts half its lines mid-sentence,
    and a window that starts inside a sentence gave notes of its second half ("France put
    together a land ownership system."), which one line of overlap did not prevent. Only where
    no sentence ends in reach is a window cut mid-sentence, and the next repeats its `overlap`
    lines."""
    kept = [line for line in lines if line.text.strip()]
    spans: list[list[Line]] = []
    begin = 0
    while begin < len(kept):
        end, count = begin, 0
        while end < len(kept) and count < words:
            count += kept[end].word_count
            end += 1
        repeat = overlap
        if whole_sentences and end < len(kept):
            cut = _sentence_cut(kept, begin, words)
            if cut is not None:
                end, repeat = cut, 0
        span = kept[begin:end]
        if spans and end >= len(kept):
            fresh = [ln for ln in span if ln not in spans[-1]]
            if sum(ln.word_count for ln in fresh) < words * 0.4:
                spans[-1].extend(fresh)  # a short tail joins the window before it
                break
        spans.append(span)
        if end >= len(kept):
            break
        begin = end - repeat if repeat and end - repeat > begin else end
    following = {a.id: b for a, b in zip(lines, lines[1:], strict=False)}
    return [Window(chunk.index, i, tuple(span), following.get(span[-1].id))
            for i, span in enumerate(spans)]


SENTENCE_FLOOR = 0.7
SENTENCE_SLACK = 1.4
"""A window of `words` words ends at a sentence end between these many times `words`."""

TURN_PULL = 0.3
"""A cut just before a line that asks counts as this many times `words` nearer, one just after
a line that asks as this much farther: a window that ended on the host's question showed the
model a question without its answer, and the next an answer without its question, which the
model skipped (it notes what follows a window's last question)."""


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def ends_sentence(text: str) -> bool:
    """True when the line ends on a full stop, a question or an exclamation mark."""
    return bool(_SENTENCE_END.search(text.rstrip()))


def _sentence_cut(lines: list[Line], begin: int, words: int) -> int | None:
    """Where the window starting at `lines[begin]` (about `words` words) ends on a sentence end:
    the index after the line nearest to `words` words that ends a sentence, a cut before a
    question counted nearer and one after a question farther (`TURN_PULL`); None: none in
    reach."""
    best: tuple[float, int] | None = None
    count = 0
    for i in range(begin, len(lines)):
        count += lines[i].word_count
        if count > words * SENTENCE_SLACK:
            break
        if count >= words * SENTENCE_FLOOR and ends_sentence(lines[i].text):
            distance: float = abs(count - words)
            if "?" in lines[i].text:
                distance += words * TURN_PULL
            elif i + 1 < len(lines) and "?" in lines[i + 1].text:
                distance -= words * TURN_PULL
            if best is None or distance < best[0]:
                best = (distance, i + 1)
    return best[1] if best is not None else None
