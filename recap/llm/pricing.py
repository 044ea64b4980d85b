"""Estimated cost of LLM calls for known hosted models."""

from __future__ import annotations

# USD per 1M tokens (input, output), OpenAI's published standard-tier prices as of 2025-06.
# Estimates only: prices change, and cached-input or batch discounts are not modelled.
# Longest prefix first, so "gpt-4o-mini" is not priced as "gpt-4o".
PRICES_PER_MILLION: tuple[tuple[str, float, float], ...] = (
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4-turbo", 10.00, 30.00),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o4-mini", 1.10, 4.40),
    ("o3-mini", 1.10, 4.40),
    ("o3", 2.00, 8.00),
    ("o1-mini", 1.10, 4.40),
    ("o1", 15.00, 60.00),
)


def price_for(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for a known model, else None."""
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, prompt_price, completion_price in PRICES_PER_MILLION:
        if name == prefix or name.startswith(prefix + "-"):
            return prompt_price, completion_price
    return None


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Estimated USD for the tokens used, or None when the model's price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    prompt_price, completion_price = price
    return round((prompt_tokens * prompt_price + completion_tokens * completion_price) / 1e6, 6)
