"""A note without a verb, joined to the note before it.

A small model writes the end of a sentence as a note of its own: "About 80% stays in France,
the other 20% is exported." then "Mostly to Japan and to the United States." The second is a
fragment that still carries facts; dropped, they are lost; kept, the post reads like a
transcript. Joined to the note it continues ("... is exported: mostly to Japan and to the United
States."), it reads as one written sentence. Only a note next to the one before it (the same
window, lines at most one apart) is joined, and a note is joined to at most once.
"""

from __future__ import annotations

import re

from recap.notes.dedupe import figures_of
from recap.notes.verify import Candidate
from recap.notes.words import PHRASE_OPENERS, content_stems, has_verb, words
from recap.text.names import STOPWORDS, says_word
from recap.text.vocabulary import is_number_word

LONGEST_FRAGMENT = 8
"""Words: a longer note without a verb the check found is more likely a sentence it missed."""
LONGEST_JOINED = 45
"""Words: the longest note the checks keep (`verify.LONGEST_NOTE`)."""
# A short sentence that goes on about the note before it ("It has 22 stops." after "The line is
# 14 kilometers long."): joined as a clause of its own (", and it has 22 stops"), not after a
# colon, which would make it the first note's explanation.
_GOES_ON = frozenset("it they he she this these that those".split())


def join_fragments(notes: list[Candidate], short: list[Candidate] | None = None,
                   ) -> tuple[list[Candidate], list[dict[str, str]], list[Candidate]]:
    """`notes` (in time order) with each verbless note joined to the one before it where they
    are next to each other; what was joined (`{"before": ..., "after": ...}`); and the notes of
    `short` that were not joined.

    `short`: notes too short to stand alone (under five words) that hold a figure, which the
    checks dropped as fragments whether or not they have a verb: "Hours take eight evenings."
    after "Some cities require a beekeeping course." is the end of its sentence, and its figure
    the course's length; joined like a verbless note where it can be, dropped where not."""
    alone = {id(note) for note in short or []}
    out: list[Candidate] = []
    joined: list[dict[str, str]] = []
    left: list[Candidate] = []
    grown = False  # the last note in `out` has had a fragment joined to it already
    # by start, then end: a note that starts on a short note's line and goes on past it comes
    # after it, so the short note is joined to the note before it, not to that one
    ordered = sorted([*notes, *short], key=lambda c: (c.start, c.end)) if short else notes
    for note in ordered:
        before = out[-1] if out else None
        length = len(words(note.text))
        too_short = id(note) in alone
        if (before is not None and not grown and _next_to(before, note, too_short)
                and length <= LONGEST_FRAGMENT and (too_short or not has_verb(note.text))
                and len(words(before.text)) + length <= LONGEST_JOINED
                and before.text.endswith(".") and _common_first_word(note)):
            if _repeats(note, before):  # "Seller holds 18,000 wheels." after "The seller holds…"
                left.append(note)
                continue
            text = f"{before.text[:-1]}{_joint(note.text)}{_continued(note.text)}"
            joined.append({"before": f"{before.text} {note.text}", "after": text})
            before.text = text
            before.segment_ids = sorted({*before.segment_ids, *note.segment_ids})
            grown = True
            continue
        if too_short:
            left.append(note)
            continue
        out.append(note)
        grown = False
    return out, joined, left


def _repeats(note: Candidate, before: Candidate) -> bool:
    """Whether the fragment says nothing the note before does not (its content words and
    figures all there): joined, the bullet would say it twice."""
    mine = content_stems(note.text)
    return (mine <= content_stems(before.text)
            and figures_of(note.text) <= figures_of(before.text))


def _joint(text: str) -> str:
    """What joins the fragment to the note before: a comma and "and" before a sentence of its
    own that opens on a pronoun, else a colon (what follows a colon explains or lists)."""
    first = _first_word(text).lower()
    return ", and " if first in _GOES_ON and has_verb(text) else ": "


def _next_to(before: Candidate, note: Candidate, alone: bool = False) -> bool:
    if not before.segment_ids or not note.segment_ids:
        return False
    if alone:  # a stretch of a window asked again is that window (its key) for a short note
        if before.window.key != note.window.key:
            return False
    elif before.window is not note.window:
        return False
    return min(note.segment_ids) - max(before.segment_ids) <= 1


def _first_word(text: str) -> str:
    return re.sub(r"^[^\w]+|[^\w'’-]+$", "", text.split()[0]) if text.split() else ""


def _common_first_word(note: Candidate) -> bool:
    """Whether the note opens on a common word, one its window also writes in lower case
    ("Mostly", "Spruce"), not on a name ("Japan", "Henry"): a fragment that opens on a name is
    seldom the end of the sentence before it."""
    first = _first_word(note.text)
    low = first.lower()
    if not first or low in STOPWORDS or low in PHRASE_OPENERS or is_number_word(low) or \
            low.endswith("ly"):
        return bool(first)
    return says_word(note.window.text, low)


def _continued(text: str) -> str:
    """The fragment as the rest of a sentence: its first word in lower case ("mostly to Japan",
    "spruce boards from...")."""
    first = _first_word(text)
    at = text.find(first)
    return text[:at] + first.lower() + text[at + len(first):] if first else text
