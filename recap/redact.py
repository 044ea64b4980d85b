"""Keep secrets out of anything recap prints or writes."""

from __future__ import annotations

import os
import re

_SECRET_ENV = ("OPENAI_API_KEY", "RECAP_LLM_API_KEY")
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,})")
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` removes it wherever it appears."""
    if value and len(value) >= 6:
        _registered.add(value)


def redact(text: str) -> str:
    """Replace API keys (registered, from the environment, or shaped like `sk-...`) with ***."""
    secrets = set(_registered)
    for name in _SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 6:
            secrets.add(value)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _KEY_PATTERN.sub("sk-***", text)
