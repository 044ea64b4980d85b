"""Coverage: how much of the transcript's figures and names reach the notes, chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from recap.models import Bullet, Chunk, Notes
from recap.quality.support import without_time_marks
from recap.text.figures import extract_figures
from recap.text.names import fold, name_supported, name_vocabulary, proper_names
from recap.text.quantity import Figure, find_match


def coverage(notes: Notes, chunks: list[Chunk]) -> dict[str, Any]:
    """How much of the transcript's specifics reach the notes.

    For each chunk: its distinct figures and names, how many of them occur anywhere in the notes,
    and how many bullets rest on it. Overall: the share of distinct source figures (and names)
    that appear in the notes. `uncovered_chunks` lists the chunks that have figures or names of
    which none reaches the notes.
    """
    notes_text = "\n".join(notes_texts(notes))
    notes_figures = extract_figures(notes_text)
    notes_vocabulary = name_vocabulary([notes_text])
    bullets = [b for t in notes.topics for b in t.bullets]
    texts = [without_time_marks(c.text) for c in chunks]
    total_words = sum(len(t.split()) for t in texts) or 1
    rows: list[dict[str, Any]] = []
    all_figures: dict[Any, bool] = {}
    all_names: dict[str, bool] = {}
    for chunk, text in zip(chunks, texts, strict=True):
        figures = _distinct(f for f in extract_figures(text, heard=True) if not f.soft)
        found_figures = [f for f in figures if find_match(f, notes_figures)]
        names = list(dict.fromkeys(fold(n) for n in proper_names(text)))
        found_names = [n for n in names if name_supported(n, notes_vocabulary)]
        for figure in figures:
            all_figures[figure.key] = all_figures.get(figure.key, False) or figure in found_figures
        for name in names:
            all_names[name] = all_names.get(name, False) or name in found_names
        grounded = sum(1 for b in bullets if _rests_on(b, chunk))
        words = len(text.split())
        rows.append({
            "index": chunk.index, "start": chunk.start, "end": chunk.end, "words": words,
            "word_share": round(words / total_words, 3), "bullets": grounded,
            "figures": len(figures), "figures_in_notes": len(found_figures),
            "names": len(names), "names_in_notes": len(found_names),
            "missing_figures": [f.text for f in figures if f not in found_figures],
            "missing_names": [n for n in names if n not in found_names],
        })
    bullet_total = sum(r["bullets"] for r in rows) or 1
    for row in rows:
        row["bullet_share"] = round(row["bullets"] / bullet_total, 3)
    uncovered = [r["index"] for r in rows
                 if (r["figures"] or r["names"]) and not r["figures_in_notes"]
                 and not r["names_in_notes"]]
    return {
        "figures": len(all_figures),
        "figures_in_notes": sum(all_figures.values()),
        "figure_coverage": ratio(sum(all_figures.values()), len(all_figures)),
        "names": len(all_names),
        "names_in_notes": sum(all_names.values()),
        "name_coverage": ratio(sum(all_names.values()), len(all_names)),
        "chunks": rows,
        "uncovered_chunks": uncovered,
    }


def notes_texts(notes: Notes) -> list[str]:
    """The texts of the notes: intro, summary, topic titles and bullets."""
    texts = [notes.intro, notes.summary]
    for topic in notes.topics:
        texts.append(topic.title)
        texts.extend(b.text for b in topic.bullets)
    return [t for t in texts if t]


def _distinct(figures: Iterable[Figure]) -> list[Figure]:
    seen: dict[Any, Figure] = {}
    for figure in figures:
        seen.setdefault(figure.key, figure)
    return list(seen.values())


def _rests_on(bullet: Bullet, chunk: Chunk) -> bool:
    if bullet.segment_ids:
        return bool(set(bullet.segment_ids) & set(chunk.segment_ids))
    return bullet.start < chunk.end and bullet.end > chunk.start


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` to three places, or None when there is no whole."""
    return round(part / whole, 3) if whole else None
