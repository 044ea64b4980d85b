"""Honest token counting for the model in use."""

from __future__ import annotations

import functools
import math
from typing import Protocol


class TokenCounter(Protocol):
    name: str

    def count(self, text: str) -> int: ...


class EstimateCounter:
    """A safe over-estimate for models whose tokenizer we cannot run: ~3 characters a token.

    English averages ~4 characters a token on Llama/Qwen/GPT tokenizers, so this errs towards
    smaller chunks, never towards overflowing the context.
    """

    name = "estimate-3cpt"

    def count(self, text: str) -> int:
        return max(1, math.ceil(len(text) / 3.0)) if text else 0


class TiktokenCounter:
    """Exact counts for OpenAI models."""

    def __init__(self, encoding: object, name: str):
        self._encoding = encoding
        self.name = name

    def count(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))  # type: ignore[attr-defined]



_OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-")


@functools.lru_cache(maxsize=8)
def counter_for(model: str) -> TokenCounter:
    """tiktoken for OpenAI models when available, else the safe estimate."""
    if model.startswith(_OPENAI_PREFIXES):
        try:
            import tiktoken

            try:
                enc = tiktoken.encoding_for_model(model)
            except KeyError:
                enc = tiktoken.get_encoding("o200k_base")
            return TiktokenCounter(enc, f"tiktoken:{enc.name}")
        except Exception:  # noqa: BLE001 - tiktoken may be missing or unable to load offline
            pass
    return EstimateCounter()
