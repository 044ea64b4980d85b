"""Fact recall: which expected facts a post states (what `recap eval` prints)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.errors import ArtifactError, InputError
from recap.models import Notes
from recap.quality.coverage import notes_texts, ratio
from recap.text.figures import canonical_words
from recap.text.markdown import strip_front_matter


@dataclass
class Fact:
    """An expected fact: found when any of its phrasings occurs in the post.

    A phrasing may hold parts separated by "..." that must all occur in one paragraph or bullet
    ("lost 6 ... 40 hive").
    """

    id: str
    phrasings: list[str]


def load_facts(path: Path) -> list[Fact]:
    """Read a facts file: a JSON list of facts, each a list of phrasings or {"id", "any": [...]}."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"facts file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read facts file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"facts file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"facts file {path} must hold a non-empty JSON list of facts")
    facts = []
    for number, item in enumerate(data, 1):
        if isinstance(item, dict):
            phrasings, fact_id = item.get("any"), str(item.get("id") or f"fact {number}")
        else:
            phrasings, fact_id = item, ""
        if isinstance(phrasings, str):
            phrasings = [phrasings]
        if (not isinstance(phrasings, list) or not phrasings
                or not all(isinstance(p, str) and p.strip() for p in phrasings)):
            raise InputError(f"facts file {path}: fact {number} must be a list of phrasings "
                             'or {"id": ..., "any": [phrasings]}')
        facts.append(Fact(fact_id or phrasings[0], phrasings))
    return facts


def score_facts(text: str, facts: list[Fact]) -> dict[str, Any]:
    """Fact recall of `text`: which facts occur, compared with numbers and case normalised."""
    blocks = [canonical_words(block) for block in _blocks(strip_front_matter(text))]
    results: list[dict[str, Any]] = []
    for fact in facts:
        matched = next((p for p in fact.phrasings if _phrasing_found(p, blocks)), None)
        results.append({"id": fact.id, "found": matched is not None, "matched": matched})
    found = sum(r["found"] for r in results)
    return {"total": len(facts), "found": found, "score": ratio(found, len(facts)) or 0.0,
            "facts": results}


def _phrasing_found(phrasing: str, blocks: list[list[str]]) -> bool:
    parts = [canonical_words(p) for p in re.split(r"\.\.\.|…", phrasing)]
    parts = [p for p in parts if p]
    return bool(parts) and any(all(_contains(block, part) for part in parts) for block in blocks)


def _contains(words: list[str], part: list[str]) -> bool:
    size = len(part)
    return any(words[i:i + size] == part for i in range(len(words) - size + 1))


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items: the span within which a phrasing's parts must co-occur."""
    pieces = re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s|#)", text)
    return [p for p in pieces if p.strip()]



def post_text(folder: Path) -> tuple[str, Path]:
    """The episode's post (or, before `recap write`, its notes) as text, and the file read."""
    from recap.episode import Episode

    episode = Episode.open(folder)
    record = episode.stage_record("write")
    candidates = []
    if record is not None and record.stats.get("post"):
        candidates.append(episode.root / str(record.stats["post"]))
    candidates.append(episode.post_dir / "index.md")
    for path in candidates:
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8"), path
            except (OSError, UnicodeDecodeError) as exc:
                raise ArtifactError(f"cannot read {path}: {exc}") from None
    if episode.notes_path.exists():
        notes = Notes.load(episode.notes_path, f"recap notes {episode.root}")
        return "\n\n".join(notes_texts(notes)), episode.notes_path
    raise ArtifactError(f"{episode.root} has no post and no notes.json; "
                        f"make them with `recap run` or `recap notes {episode.root}`")


def evaluate(folder: Path, facts_path: Path) -> dict[str, Any]:
    """Score an episode's post against expected facts (what `recap eval` prints)."""
    facts = load_facts(facts_path)
    text, path = post_text(folder)
    return {"episode": str(folder), "post": str(path), "facts_file": str(facts_path),
            **score_facts(text, facts)}
