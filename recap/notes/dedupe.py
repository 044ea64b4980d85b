"""De-duplication: overlapping windows and a talkative model say many things twice."""

from __future__ import annotations

from typing import Any

from recap.notes.verify import Candidate
from recap.notes.words import content_stems, jaccard
from recap.text.vocabulary import is_unit_word

# The same claim in other words: sentence vectors this alike (cosine, all-MiniLM-L6-v2), with
# this share of the shorter note's content words in the other's and no figure of its own.
SAME_MEANING = 0.7
SAME_MEANING_WORDS = 0.6
SAME_LINES_WORDS = 0.5
"""Two notes resting on the same transcript lines (one's cited lines all among the other's) and
meaning the same need only this share of the shorter one's words in the other: "The librarians
were nervous about the initial setup." beside "The librarians were nervous about the project
for a week.", both from one answer."""
SHARED_FIGURES = 2
SHARED_FIGURES_WORDS = 0.3
"""A note whose figures, `SHARED_FIGURES` of them or more, are all in another note is the same
claim when this share of its words is there too: "The pottery pays its way at 14 euros a mug
and 900 euros a kiln." beside "A 300 millilitre mug sells for 14 euros, a small kiln costs about
900 euros." (two claims that share two figures and nothing else are two)."""

SAME_MEASURE_WORDS = 2
"""Two notes giving the same measured amount (a weight, length, volume, temperature or sum of
money, not a count, share, date or span of time) say the same thing when they share this many
other words, units of measure not counted: "They weighed what was fixed last year: 9 tons."
beside "The repairs weighed about 9 tons last year, mostly heavy vacuum cleaners." (an amount
like "9 tons" is not said twice of two things; "3 days" and "20 percent" are; "Entry costs 5
euros." and "Coffee costs 5 euros." share one word and are two)."""
_TIMES = frozenset("second minut hour day week month year decad century centur".split())
_NOT_MEASURES = frozenset({"", "%", "s", "x", "ordinal", "h", "min", "second", "day", "week",
                           "month", "year"})


def figures_of(text: str) -> frozenset[str]:
    """The figures of `text` that are not soft ("one of them"), each by its readings' key."""
    return _figure_keys(text)[0]


def _figure_keys(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The figures of `figures_of`, and those among them that measure an amount: a unit that
    is not a count's, a share's, a date's or a span of time's, and not one of something (one
    pass over the text for both)."""
    from recap.text.figures import extract_figures

    found = [f for f in extract_figures(text) if not f.soft]
    return (frozenset(str(f.key) for f in found),
            frozenset(str(f.key) for f in found
                      if f.readings and f.readings[0].value != 1
                      and f.readings[0].unit not in _NOT_MEASURES))


def remove_duplicates(candidates: list[Candidate], threshold: float) -> tuple[list[Candidate], int]:
    """Keep one of each group of notes that say the same thing: the one with more figures, then
    the longer. Two notes are the same when their content words overlap by `threshold` or more
    (with the same figures), when one's figures are all in the other and half of its words, or
    when one's words and figures are almost all inside the other's. With the sentence encoder,
    also when they mean the same (vectors at least `SAME_MEANING` alike) and the shorter shares
    `SAME_MEANING_WORDS` of its words and has no figure the other lacks ("The cafe is in an old
    bicycle shop the city was not using" beside "The cafe opened in 2017 in an old bicycle shop
    the city wasn't using"); from the same transcript lines, `SAME_LINES_WORDS` of its words
    are enough."""
    vectors = _vectors([c.text for c in candidates])
    kept: list[Candidate] = []
    signatures: list[tuple[set[str], frozenset[str], Any, set[int], frozenset[str]]] = []
    removed = 0
    for n, candidate in enumerate(candidates):
        stems, (figures, measures) = content_stems(candidate.text), _figure_keys(candidate.text)
        vector = vectors[n] if vectors is not None else None
        lines = set(candidate.segment_ids)
        match = None
        for i, (other_stems, other_figures, other_vector, other_lines, other_measures) in \
                enumerate(signatures):
            meaning = float(vector @ other_vector) if vector is not None else 0.0
            same_lines = bool(lines) and (lines <= other_lines or other_lines <= lines)
            if (_same(stems, figures, other_stems, other_figures, threshold, meaning, same_lines)
                    or _same_measure(stems, figures, measures, other_stems, other_figures,
                                     other_measures)):
                match = i
                break
        if match is None:
            kept.append(candidate)
            signatures.append((stems, figures, vector, lines, measures))
            continue
        removed += 1
        if _richer(candidate, figures, kept[match], signatures[match][1]):
            kept[match] = candidate
            signatures[match] = (stems, figures, vector, lines, measures)
    return kept, removed


def _vectors(texts: list[str]) -> Any:
    from recap.text.embedding import encoder

    model = encoder()
    return model.encode(texts) if model is not None and texts else None


def _same(a: set[str], fa: frozenset[str], b: set[str], fb: frozenset[str],
          threshold: float, meaning: float = 0.0, same_lines: bool = False) -> bool:
    if not a or not b:
        return False
    if fa == fb and jaccard(a, b) >= threshold:
        return True
    shared = len(a & b)
    if (fa and fa <= fb and shared >= 0.5 * len(a)) or (fb and fb <= fa and shared >= 0.5 * len(b)):
        # the same figures, and half its words: the same claim, said shorter (either way round:
        # two notes of as many words, one adding "in the second season")
        return True
    fewer, more = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    if len(fewer) >= SHARED_FIGURES and fewer <= more:
        wa, wb = ({w for w in stems if not any(c.isdigit() for c in w)} for stems in (a, b))
        if wa and wb and len(wa & wb) >= SHARED_FIGURES_WORDS * min(len(wa), len(wb)):
            return True  # two figures or more, all in the other note: one claim, said twice
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    small_f, large_f = (fa, fb) if len(a) <= len(b) else (fb, fa)
    contained = len(small & large) / len(small)
    words_needed = SAME_LINES_WORDS if same_lines else SAME_MEANING_WORDS
    if meaning >= SAME_MEANING and contained >= words_needed and small_f <= large_f:
        return True  # the same claim in other words (from the same lines: fewer of them)
    return contained >= 0.85 and small_f <= large_f and len(small) >= 3


def _same_measure(a: set[str], fa: frozenset[str], ma: frozenset[str], b: set[str],
                  fb: frozenset[str], mb: frozenset[str]) -> bool:
    """The same measured amount in both, every figure of one in the other, and
    `SAME_MEASURE_WORDS` other words shared (the amount's unit not among them)."""
    if not (ma & mb) or not (fa <= fb or fb <= fa):
        return False
    shared = {w for w in a & b if not any(c.isdigit() for c in w)
              and not (is_unit_word(w) and w not in _TIMES)}
    return len(shared) >= SAME_MEASURE_WORDS


def _richer(new: Candidate, new_figures: frozenset[str], old: Candidate,
            old_figures: frozenset[str]) -> bool:
    return (len(new_figures), len(new.text)) > (len(old_figures), len(old.text))
