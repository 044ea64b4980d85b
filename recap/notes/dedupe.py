"""De-duplication: overlapping windows and a talkative model say many things twice."""

from __future__ import annotations

from recap.notes.verify import Candidate
from recap.notes.words import content_stems, jaccard


def _figures(text: str) -> frozenset[str]:
    from recap.text.figures import extract_figures

    return frozenset(str(f.key) for f in extract_figures(text) if not f.soft)


def remove_duplicates(candidates: list[Candidate], threshold: float) -> tuple[list[Candidate], int]:
    """Keep one of each group of notes that say the same thing: the one with more figures, then
    the longer. Two notes are the same when their content words overlap by `threshold` or more
    (with the same figures), when one's figures are all in the other and half of its words, or
    when one's words and figures are almost all inside the other's."""
    kept: list[Candidate] = []
    signatures: list[tuple[set[str], frozenset[str]]] = []
    removed = 0
    for candidate in candidates:
        stems, figures = content_stems(candidate.text), _figures(candidate.text)
        match = None
        for i, (other_stems, other_figures) in enumerate(signatures):
            if _same(stems, figures, other_stems, other_figures, threshold):
                match = i
                break
        if match is None:
            kept.append(candidate)
            signatures.append((stems, figures))
            continue
        removed += 1
        if _richer(candidate, figures, kept[match], signatures[match][1]):
            kept[match] = candidate
            signatures[match] = (stems, figures)
    return kept, removed


def _same(a: set[str], fa: frozenset[str], b: set[str], fb: frozenset[str],
          threshold: float) -> bool:
    if not a or not b:
        return False
    if fa == fb and jaccard(a, b) >= threshold:
        return True
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    small_f, large_f = (fa, fb) if len(a) <= len(b) else (fb, fa)
    contained = len(small & large) / len(small)
    if small_f and small_f <= large_f and contained >= 0.5:
        return True  # the same figures, and half its words: the same claim, said shorter
    return contained >= 0.85 and small_f <= large_f and len(small) >= 3


def _richer(new: Candidate, new_figures: frozenset[str], old: Candidate,
            old_figures: frozenset[str]) -> bool:
    return (len(new_figures), len(new.text)) > (len(old_figures), len(old.text))
