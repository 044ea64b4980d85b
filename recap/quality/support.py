"""The support check: is every figure and proper name of a bullet in the text it rests on?

Figures are compared through `recap.text.figures`, so "twenty two kilograms" supports "22 kg"; a
proper name must occur in the source or in the episode metadata (`recap.text.names`). The notes
stage repairs or drops the bullets that fail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from recap.errors import LLMError
from recap.models import Bullet, Info, Transcript
from recap.text.figures import extract_figures
from recap.text.markdown import mask_links
from recap.text.names import Name, group_names, name_spans, name_supported, name_vocabulary
from recap.text.quantity import find_match

log = logging.getLogger("recap.quality")

# Time markers that chunk texts carry before each segment: "[0:01:23]".
_TIME_MARK_RE = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\]")


def without_time_marks(text: str) -> str:
    """`text` without the "[0:01:23]" markers that chunk texts carry before each segment."""
    return _TIME_MARK_RE.sub(" ", text)


@dataclass
class BulletProblem:
    """Why a bullet is not supported by its source."""

    unsupported_figures: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for a repair prompt or a report."""
        parts = []
        if self.unsupported_figures:
            parts.append("figures not in the transcript: " + ", ".join(self.unsupported_figures))
        if self.unsupported_names:
            parts.append("names not in the transcript or the episode details: "
                         + ", ".join(self.unsupported_names))
        return "; ".join(parts)

    @property
    def message(self) -> str:
        return self.describe()

    def __str__(self) -> str:
        return self.describe()

    def __bool__(self) -> bool:
        return bool(self.unsupported_figures or self.unsupported_names)


@dataclass
class Inspection:
    figures: int = 0
    figures_found: int = 0
    names: int = 0
    names_found: int = 0
    problem: BulletProblem = field(default_factory=BulletProblem)


class SourceText:
    """A source text read once: its figures (as heard) and its vocabulary for names."""

    def __init__(self, text: str, known_names: Iterable[str] = ()):
        self.text = without_time_marks(text or "")
        self.lowered = self.text.lower()
        self.figures = extract_figures(self.text, heard=True)
        self.vocabulary = name_vocabulary([self.text, *known_names])

    def _says(self, text: str) -> bool:
        """True when the source says a figure's text as it is written, as a whole: a form the
        figure reader does not parse ("COVID-19", "A4"), never a piece of a longer number or
        word ("2" in "250 hours", "one" in "someone")."""
        whole = re.compile(rf"(?<![\w])(?<!\d[.,]){re.escape(text.lower())}(?![\w]|[.,]\d)")
        return whole.search(self.lowered) is not None

    def inspect(self, bullet_text: str) -> Inspection:
        result = Inspection()
        for figure in extract_figures(mask_links(bullet_text)):
            if figure.soft:
                continue
            result.figures += 1
            if find_match(figure, self.figures) or self._says(figure.text):
                result.figures_found += 1
            else:
                result.problem.unsupported_figures.append(figure.text)
        missing: list[Name] = []
        for name in name_spans(bullet_text):
            result.names += 1
            if name_supported(name.word, self.vocabulary):
                result.names_found += 1
            else:
                missing.append(name)
        result.problem.unsupported_names.extend(group_names(bullet_text, missing))
        return result


def check_bullet(text: str, source_text: str,
                 known_names: Iterable[str] = ()) -> BulletProblem | None:
    """The bullet's unsupported figures and names, or None when the source supports it all.

    Args:
        text: The bullet (markdown allowed).
        source_text: The transcript text the bullet rests on.
        known_names: Episode metadata (title, uploader, description, chapter titles) where
            names may also occur.
    """
    problem = SourceText(source_text, known_names).inspect(text).problem
    return problem if problem else None


def count_support(text: str, source_text: str,
                  known_names: Iterable[str] = ()) -> tuple[int, int, int, int]:
    """(figures, figures found, names, names found) of a bullet against its source."""
    found = SourceText(source_text, known_names).inspect(text)
    return found.figures, found.figures_found, found.names, found.names_found


RepairFn = Callable[[Bullet, BulletProblem], Bullet | None]


def verify_bullets(bullets: list[Bullet], source_text: str, known_names: list[str],
                   repair: RepairFn | None) -> tuple[list[Bullet], dict[str, Any]]:
    """Keep the bullets the source supports; repair or drop the others.

    A failing bullet goes to `repair(bullet, problem)` (one LLM retry, done by the caller); the
    repaired bullet is checked again and dropped if it still fails or if `repair` returns None.

    Returns:
        The kept bullets, in order, and stats: checked, verified (passed as written), repaired,
        dropped, figures_checked / figures_verified and names_checked / names_verified (over the
        bullets as written), dropped_bullets (texts), repaired_bullets ({"before", "after"}) and
        problems ({"text", "problem", "outcome"}). `merge_checks` adds such stats together.
    """
    source = SourceText(source_text, known_names)
    stats = empty_checks()
    kept: list[Bullet] = []
    for bullet in bullets:
        found = source.inspect(bullet.text)
        stats["checked"] += 1
        stats["figures_checked"] += found.figures
        stats["figures_verified"] += found.figures_found
        stats["names_checked"] += found.names
        stats["names_verified"] += found.names_found
        if not found.problem:
            stats["verified"] += 1
            kept.append(bullet)
            continue
        fixed = _try_repair(repair, bullet, found.problem)
        if fixed is not None and fixed.text.strip() and not source.inspect(fixed.text).problem:
            if not fixed.segment_ids and bullet.segment_ids:
                fixed = replace(fixed, start=bullet.start, end=bullet.end,
                                segment_ids=list(bullet.segment_ids))
            kept.append(fixed)
            stats["repaired"] += 1
            stats["repaired_bullets"].append({"before": bullet.text, "after": fixed.text})
            outcome = "repaired"
        else:
            stats["dropped"] += 1
            stats["dropped_bullets"].append(bullet.text)
            outcome = "dropped"
        stats["problems"].append({"text": bullet.text, "problem": found.problem.describe(),
                                  "outcome": outcome})
        log.info("bullet %s (%s): %s", outcome, found.problem.describe(), bullet.text)
    return kept, stats


def _try_repair(repair: RepairFn | None, bullet: Bullet, problem: BulletProblem) -> Bullet | None:
    if repair is None:
        return None
    try:
        return repair(bullet, problem)
    except LLMError as exc:
        log.warning("repair failed, dropping the bullet: %s", exc)
        return None


_COUNTS = ("checked", "verified", "repaired", "dropped", "figures_checked", "figures_verified",
           "names_checked", "names_verified")
_LISTS = ("dropped_bullets", "repaired_bullets", "problems")


def empty_checks() -> dict[str, Any]:
    """Stats of checking no bullets."""
    return {**dict.fromkeys(_COUNTS, 0), **{key: [] for key in _LISTS}}


def merge_checks(*parts: dict[str, Any]) -> dict[str, Any]:
    """Add up the stats of several `verify_bullets` calls (one per chunk, say)."""
    total = empty_checks()
    for part in parts:
        for key in _COUNTS:
            total[key] += int(part.get(key) or 0)
        for key in _LISTS:
            total[key].extend(part.get(key) or [])
    return total


# ---------------------------------------------------------------- grounding

def known_names(info: Info | None) -> list[str]:
    """Episode metadata in which names may occur: title, uploader, description, chapters."""
    if info is None:
        return []
    return [info.title, info.uploader, info.description, *(c.title for c in info.chapters)]


def bullet_source(bullet: Bullet, transcript: Transcript) -> str:
    """The transcript text a bullet rests on: its segments, else those in its time range."""
    wanted = set(bullet.segment_ids)
    segments = [s for s in transcript.segments if s.id in wanted]
    if not segments:
        segments = [s for s in transcript.segments
                    if s.end > bullet.start - 0.5 and s.start < bullet.end + 0.5]
    return " ".join(s.text.strip() for s in segments)
