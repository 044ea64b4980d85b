"""The clean-up pass: notes in the first person or not whole sentences, rewritten in one call.

Fixing them costs one request for a batch of notes, far less than a request per note; a rewrite
is checked again like any note, and dropped if it still fails.
"""

from __future__ import annotations

import logging
from typing import Any

from recap.errors import LLMReplyError
from recap.notes.ask import Asker
from recap.notes.verify import Candidate
from recap.notes.words import one_line

log = logging.getLogger("recap.notes")

BATCH = 10
"""Notes per rewrite call: enough to save requests, few enough for a small model to keep order."""


def rewrite_schema(count: int) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"notes": {"type": "array", "items": {"type": "string"},
                                     "minItems": count, "maxItems": count}},
            "required": ["notes"]}


def rewrite(asker: Asker, candidates: list[Candidate], speakers: str) -> list[str | None]:
    """The rewritten text of each candidate, in order (None where the model gave none)."""
    out: list[str | None] = []
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start: start + BATCH]
        listing = "\n".join(
            f"{i}. {c.text}\n   Transcript: {_words(c.source() or c.window.text, 45)}"
            for i, c in enumerate(batch, 1))
        values: dict[str, object] = {"speakers": speakers, "notes": listing, "count": len(batch)}
        try:
            reply = asker.json("rewrite", values, rewrite_schema(len(batch)),
                               asker.options.rewrite_max_tokens)
        except LLMReplyError as exc:
            log.info("rewrite call failed (%s); its notes are dropped", exc)
            out.extend([None] * len(batch))
            continue
        texts = [one_line(t) for t in reply.get("notes") or []]
        texts += [""] * (len(batch) - len(texts))
        out.extend(t or None for t in texts[: len(batch)])
    return out


def _words(text: str, limit: int) -> str:
    parts = text.split()
    return " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")
