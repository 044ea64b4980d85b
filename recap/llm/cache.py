"""A content-addressed cache of validated LLM replies: one JSON file per reply."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from recap.episode import atomic_write_json

log = logging.getLogger("recap.llm")

CACHE_VERSION = 1


class ReplyCache:
    """Replies stored under the hash of everything that shapes them.

    The key covers model, endpoint, prompts, schema, max_tokens and temperature, never the API
    key. A hit makes no request (and does not start the embedded server). An unreadable entry
    is a miss, not an error: the cache only ever saves work.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._write_lock = threading.Lock()

    @staticmethod
    def key(*, model: str, base_url: str, system: str, user: str, schema: dict[str, Any],
            max_tokens: int, temperature: float) -> str:
        """The sha256 naming one request's reply."""
        material = json.dumps(
            {"v": CACHE_VERSION, "model": model, "base_url": base_url, "system": system,
             "user": user, "schema": schema, "max_tokens": max_tokens,
             "temperature": temperature},
            sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply, or None."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable LLM cache entry %s: %s", self.path(key), exc)
            return None
        reply = data.get("reply") if isinstance(data, dict) else None
        return reply if isinstance(reply, dict) else None

    def put(self, key: str, reply: dict[str, Any], *, model: str) -> None:
        """Store a validated reply."""
        with self._write_lock:  # atomic_write_json's temporary name is per process, not thread
            atomic_write_json(self.path(key), {"key": key, "model": model, "reply": reply})

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0
