"""Extraction: one window of transcript -> candidate notes (plain text, one per line).

Plain-text bullets cost a small model far fewer tokens than JSON, and the fixed instructions come
first so llama.cpp reuses the prompt prefix from one window to the next. Citations are not asked
of the model: they are found in code (`verify.cite`), which is both cheaper and more reliable.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from recap.notes.ask import Asker
from recap.notes.verify import FIXABLE, Candidate, only_asks
from recap.notes.windows import Line, Window
from recap.notes.words import sentences
from recap.text.figures import extract_figures

log = logging.getLogger("recap.notes")

_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*\S)\s*$")
_TRAILING_CITATION = re.compile(r"\s*[\[(](?:S?\d+[,;\s]*)+[\])]\s*$")
# A speaker's label put before a line as in a script ("Ana Ruiz: Turn it once a week.", "Tom and
# Leo: …"): the model's guess at who said it, often wrong, and no part of the note; who said
# what is settled from the transcript's cues (`review`).
_SPEAKER_LABEL = re.compile(r"^(?:Dr\. |Mr\. |Ms\. |Mrs\. )?[A-Z][\w'’-]*"
                            r"(?: (?:[A-Z][\w'’-]*|and|&)){0,3}: (?=[A-Z\"“])")
# The host's label for what follows, copied as the note's head ("Last question: the kiln…",
# "One more listener question: …"): the claim after it is the note.
_QUESTION_LABEL = re.compile(r"^(?:[\w'’-]+ ){0,3}question\s*:\s*(?=\S)", re.IGNORECASE)
STOP = ["\nExcerpt:", "\nPodcast:", "\nSpeakers:", "\n\n\n"]


def parse_notes(reply: str) -> list[str]:
    """The notes in a reply: its list items (or its lines, when it has no list at all)."""
    lines = [ln for ln in reply.splitlines() if ln.strip()]
    items = [m.group(1) for m in (_MARKER.match(ln) for ln in lines) if m]
    if not items:
        items = [ln.strip() for ln in lines if not ln.strip().endswith(":")]
    return _cleaned(items)


def complete_notes(partial: str) -> list[str]:
    """The notes of a reply cut off at the token limit: its list items that ended before the
    cut (the line being written when the model was stopped is dropped, and a reply that is not
    a list gives none)."""
    finished, _, _ = partial.rpartition("\n")
    return _cleaned([m.group(1) for m in map(_MARKER.match, finished.splitlines()) if m])


def _cleaned(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        text = _TRAILING_CITATION.sub("", item).strip().strip("*").strip()
        text = _SPEAKER_LABEL.sub("", text, count=1)
        if (unlabelled := _QUESTION_LABEL.sub("", text, count=1)) != text:
            text = unlabelled[:1].upper() + unlabelled[1:]
        if text and text not in out:
            out.append(text)
    return out


def excerpt(window: Window) -> str:
    """The window's text as the model reads it: one sentence per line. Given one run of text,
    the small model skipped more of a window's later sentences, which were then asked again as
    stretches (a call each); read line by line, it notes more of the window at once (see the
    README's "How the notes are made")."""
    return "\n".join(sentences(window.text))


def extract(asker: Asker, window: Window, title: str, speakers: str,
            depth: int = 0) -> list[Candidate]:
    """The candidate notes of one window; a window whose reply runs over is halved and retried.

    Raises:
        LLMReplyError: the model gave no usable reply (LLMTruncated: not even for the halves).
    """
    from recap.llm import LLMTruncated

    values: dict[str, object] = {"title": title, "speakers": speakers,
                                 "excerpt": excerpt(window)}
    try:
        reply = asker.text("extract", values, asker.options.extract_max_tokens, stop=STOP)
    except LLMTruncated as exc:
        if len(window.lines) < 2 or depth >= asker.options.max_split_depth:
            kept = complete_notes(exc.partial or "")
            if not kept:
                raise
            log.info("window %s: the reply hit the token limit even for %d line(s); keeping its "
                     "%d complete note(s)", window.key, len(window.lines), len(kept))
            return [Candidate(text, window) for text in kept]
        log.info("window %s: reply hit the token limit; noting it in two halves", window.key)
        half = len(window.lines) // 2
        first = Window(window.chunk, window.index, window.lines[:half], window.lines[half])
        second = Window(window.chunk, window.index, window.lines[half:], window.after)
        return (extract(asker, first, title, speakers, depth + 1)
                + extract(asker, second, title, speakers, depth + 1))
    texts = parse_notes(reply)
    if not texts:
        log.info("window %s: no notes (small talk, or nothing the model could use)", window.key)
    return [Candidate(text, window) for text in texts]


@dataclass(frozen=True)
class Gap:
    """A stretch of a window to ask again: its lines, and which of them are open (the others
    are context, the line before a short stretch)."""

    window: Window
    open_ids: frozenset[int]

    def keeps(self, candidate: Candidate) -> bool:
        """A note from the stretch is kept when it cites an open line: one resting only on the
        context line says again what a note of the window already said."""
        return bool(self.open_ids.intersection(candidate.segment_ids))


def uncovered(window: Window, candidates: list[Candidate], min_words: int,
              ads: frozenset[int] = frozenset()) -> list[Gap]:
    """The stretches of `window` that no usable note covers, to be asked again. A small model
    given a dense window often notes only part of it: its last part (what follows the last
    question), or one figure of an answer that gives three.

    A line is open when no usable note cites it (a line that only asks, cited by a note dropped
    as a question, is not), or when it holds a figure no usable note
    writes (compared strictly: "80 wheels" is not noted by "80 %"). A run of open lines is asked
    again when it is `min_words` words or more, or when it holds such a figure; a shorter one
    takes the line before it too, so the model sees what the figure answers. A sponsor's read
    (`ads`) is never open."""
    if min_words <= 0:
        return []
    usable = [c for c in candidates if set(c.problems) <= FIXABLE]
    cited = {i for c in usable for i in c.segment_ids}
    # A question the model copied was noted, and dropped: the line that only asks it has nothing
    # to note, and asked again it gave notes nobody made ("This would allow the company to pay
    # for itself").
    lines = {line.id: line for line in window.lines}
    cited |= {i for c in candidates if "question" in c.problems for i in c.segment_ids
              if i in lines and only_asks(lines[i].text)}
    noted = {q.base() for c in usable for f in extract_figures(c.text) for q in f.readings}
    runs: list[list[Line]] = [[]]
    missing: set[int] = set()
    for line in window.lines:
        if line.id in ads:
            runs.append([])
            continue
        if _unnoted_figure(line, noted):
            missing.add(line.id)
        elif line.id in cited:
            runs.append([])
            continue
        runs[-1].append(line)
    gaps: list[Gap] = []
    for run in runs:
        if not run:
            continue
        open_ids = frozenset(line.id for line in run)
        if sum(line.word_count for line in run) < min_words:
            if not open_ids & missing:
                continue
            at = window.lines.index(run[0])
            run = list(window.lines[max(at - 1, 0):at]) + run
        at = window.lines.index(run[-1])
        after = window.lines[at + 1] if at + 1 < len(window.lines) else window.after
        gaps.append(Gap(Window(window.chunk, window.index, tuple(run), after), open_ids))
    return gaps


def _unnoted_figure(line: Line, noted: set[tuple[Decimal, str]]) -> bool:
    """True when the line says a figure (a count, an amount, a year) that no note writes."""
    for figure in extract_figures(line.text, heard=True):
        if not figure.soft and not any(q.base() in noted for q in figure.readings):
            return True
    return False
