"""Token and request totals for one LLM client, with the estimated cost."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from recap.llm.pricing import estimate_cost


@dataclass
class Usage:
    """Running totals for one client; safe to update from many threads."""

    model: str
    requests: int = 0
    """HTTP requests sent (retries included)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    """Calls answered from the reply cache (no request made)."""
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, requests: int = 0, prompt_tokens: int = 0, completion_tokens: int = 0,
            cache_hits: int = 0, retries: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.cache_hits += cache_hits
            self.retries += retries

    def add_reply(self, response: Any) -> None:
        """Count the tokens a chat completion reports (if it reports any)."""
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.add(prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                     completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))

    @property
    def estimated_cost_usd(self) -> float | None:
        """Estimated cost for known hosted models; None when the price is unknown."""
        return estimate_cost(self.model, self.prompt_tokens, self.completion_tokens)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"model": self.model, "requests": self.requests,
                    "prompt_tokens": self.prompt_tokens,
                    "completion_tokens": self.completion_tokens,
                    "cache_hits": self.cache_hits, "retries": self.retries,
                    "estimated_cost_usd": self.estimated_cost_usd}
