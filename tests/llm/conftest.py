"""Fixtures for the LLM layer: a fake endpoint for faults, fast retry settings, a real server."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from recap.llm import LLMSettings
from tests.fake_openai import FakeOpenAI, fake_openai

# A key shaped like none the redactor knows, so only registration keeps it out of messages.
FAKE_KEY = "recaptest-KEY-7f3a9c1e5b"


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    """A fault-injecting OpenAI-compatible server on 127.0.0.1."""
    with fake_openai() as server:
        yield server


def quick_settings(base_url: str | None, **overrides: object) -> LLMSettings:
    """Settings with retries that wait milliseconds, not seconds."""
    values: dict[str, object] = {"base_url": base_url, "model": "fake-model", "timeout": 5.0,
                                 "max_retries": 2, "retry_delay": 0.001,
                                 "retry_delay_cap": 0.01}
    values.update(overrides)
    return LLMSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(fake_llm: FakeOpenAI) -> LLMSettings:
    return quick_settings(fake_llm.base_url)


requires_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                                    reason="llama-cpp-python is not installed (make setup-llm)")
