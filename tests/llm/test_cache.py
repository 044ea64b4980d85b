"""The reply cache: a hit makes no request and starts no server."""

from __future__ import annotations

import json
from pathlib import Path

from recap.llm import LLMSettings, ReplyCache, open_llm
from tests.fake_openai import FakeOpenAI, ok
from tests.llm.test_client import GOOD, SCHEMA, ask


def test_second_identical_call_makes_no_request(fake_llm: FakeOpenAI, settings: LLMSettings,
                                                tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "cache")
    fake_llm.responder = lambda request: ok(GOOD)
    with open_llm(settings) as llm:
        assert ask(llm, cache=cache) == GOOD
        assert ask(llm, cache=cache) == GOOD
        assert (llm.usage.requests, llm.usage.cache_hits) == (1, 1)
    with open_llm(settings) as llm:  # a later run
        assert ask(llm, cache=cache) == GOOD
        assert llm.usage.requests == 0
    assert len(fake_llm.completions) == 1
    assert len(cache) == 1


def test_anything_that_shapes_the_reply_changes_the_key(fake_llm: FakeOpenAI,
                                                        settings: LLMSettings,
                                                        tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    fake_llm.responder = lambda request: ok(GOOD)
    with open_llm(settings) as llm:
        ask(llm, cache=cache)
        ask(llm, cache=cache, temperature=0.7)
        ask(llm, cache=cache, max_tokens=300)
        ask(llm, cache=cache, user="another chunk")
        ask(llm, cache=cache, system="Another prompt.")
    assert len(fake_llm.completions) == 5
    other_model = LLMSettings(**{**settings.__dict__, "model": "other-model"})
    with open_llm(other_model) as llm:
        ask(llm, cache=cache)
    assert len(fake_llm.completions) == 6


def test_unreadable_or_invalid_entries_are_misses(fake_llm: FakeOpenAI, settings: LLMSettings,
                                                  tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    fake_llm.responder = lambda request: ok(GOOD)
    with open_llm(settings) as llm:
        ask(llm, cache=cache)
        (entry,) = tmp_path.glob("*.json")
        entry.write_text('{"reply": {"title": "Be', encoding="utf-8")  # cut in half
        assert ask(llm, cache=cache) == GOOD
        entry.write_text(json.dumps({"reply": {"title": 3}}), encoding="utf-8")  # fails schema
        assert ask(llm, cache=cache) == GOOD
        assert llm.usage.cache_hits == 0
    assert len(fake_llm.completions) == 3
    assert json.loads(entry.read_text(encoding="utf-8"))["reply"] == GOOD  # rewritten whole


def test_failed_calls_are_not_cached(fake_llm: FakeOpenAI, settings: LLMSettings,
                                     tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    fake_llm.responder = lambda request: ok({"title": 1})
    with open_llm(settings) as llm:
        try:
            ask(llm, cache=cache)
        except Exception:  # noqa: BLE001 - the failure itself is tested elsewhere
            pass
    assert len(cache) == 0


def test_a_hit_does_not_start_the_embedded_server(tmp_path: Path) -> None:
    settings = LLMSettings(embedded_model=str(tmp_path / "no-such-model.gguf"))
    cache = ReplyCache(tmp_path / "cache")
    key = ReplyCache.key(model=settings.model_name(), base_url="embedded", system="Summarise.",
                         user="Some transcript.", schema=SCHEMA, max_tokens=200,
                         temperature=0.2)
    cache.put(key, GOOD, model=settings.model_name())
    with open_llm(settings) as llm:
        assert ask(llm, cache=cache) == GOOD  # a miss would fail: the model file is missing
        assert llm.server is None
        assert (llm.usage.requests, llm.usage.cache_hits) == (0, 1)
