"""Extraction: one window of transcript -> candidate notes (plain text, one per line).

Plain-text bullets cost a small model far fewer tokens than JSON, and the fixed instructions come
first so llama.cpp reuses the prompt prefix from one window to the next. Citations are not asked
of the model: they are found in code (`verify.cite`), which is both cheaper and more reliable.
"""

from __future__ import annotations

import logging
import re

from recap.notes.ask import Asker
from recap.notes.verify import FIXABLE, Candidate
from recap.notes.windows import Line, Window

log = logging.getLogger("recap.notes")

_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*\S)\s*$")
_TRAILING_CITATION = re.compile(r"\s*[\[(](?:S?\d+[,;\s]*)+[\])]\s*$")
STOP = ["\nExcerpt:", "\nPodcast:", "\nSpeakers:", "\n\n\n"]


def parse_notes(reply: str) -> list[str]:
    """The notes in a reply: its list items (or its lines, when it has no list at all)."""
    lines = [ln for ln in reply.splitlines() if ln.strip()]
    items = [m.group(1) for m in (_MARKER.match(ln) for ln in lines) if m]
    if not items:
        items = [ln.strip() for ln in lines if not ln.strip().endswith(":")]
    out: list[str] = []
    for item in items:
        text = _TRAILING_CITATION.sub("", item).strip().strip("*").strip()
        if text and text not in out:
            out.append(text)
    return out


def extract(asker: Asker, window: Window, title: str, speakers: str,
            depth: int = 0) -> list[Candidate]:
    """The candidate notes of one window; a window whose reply runs over is halved and retried.

    Raises:
        LLMReplyError: the model gave no usable reply (LLMTruncated: not even for the halves).
    """
    from recap.llm import LLMTruncated

    values: dict[str, object] = {"title": title, "speakers": speakers, "excerpt": window.text}
    try:
        reply = asker.text("extract", values, asker.options.extract_max_tokens, stop=STOP)
    except LLMTruncated:
        if len(window.lines) < 2 or depth >= asker.options.max_split_depth:
            raise
        log.info("window %s: reply hit the token limit; noting it in two halves", window.key)
        half = len(window.lines) // 2
        first = Window(window.chunk, window.index, window.lines[:half])
        second = Window(window.chunk, window.index, window.lines[half:])
        return (extract(asker, first, title, speakers, depth + 1)
                + extract(asker, second, title, speakers, depth + 1))
    texts = parse_notes(reply)
    if not texts:
        log.info("window %s: no notes (small talk, or nothing the model could use)", window.key)
    return [Candidate(text, window) for text in texts]


def uncovered(window: Window, candidates: list[Candidate], min_words: int) -> list[Window]:
    """The stretches of `window` no usable note cites, of `min_words` words or more, each as a
    window of its own. A small model given a dense window often notes only its last part (what
    follows the last question); these stretches are asked again."""
    if min_words <= 0:
        return []
    cited = {i for c in candidates if set(c.problems) <= FIXABLE for i in c.segment_ids}
    runs: list[list[Line]] = [[]]
    for line in window.lines:
        if line.id in cited:
            runs.append([])
        else:
            runs[-1].append(line)
    return [Window(window.chunk, window.index, tuple(run)) for run in runs
            if sum(line.word_count for line in run) >= min_words]
