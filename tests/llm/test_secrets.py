"""An API key never appears in messages, logs, cache files, settings or manifests."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from recap.config import Config
from recap.errors import RecapError
from recap.llm import LLMSettings, ReplyCache, open_llm
from tests.fake_openai import FakeOpenAI, Reply, error, ok, text
from tests.llm.conftest import FAKE_KEY
from tests.llm.test_client import GOOD, ask, closed_port


def echo_key(status: int) -> object:
    """An endpoint that, like some proxies, echoes the Authorization header in its errors."""
    def respond(request: dict) -> Reply:
        return error(status, f"bad request with key {FAKE_KEY} (Bearer {FAKE_KEY})")
    return respond


def resolved(base_url: str) -> LLMSettings:
    config = Config(file_values={}, environ={"OPENAI_API_KEY": FAKE_KEY})
    settings = LLMSettings.resolve(config, base_url=base_url)
    settings.retry_delay, settings.retry_delay_cap, settings.max_retries = 0.001, 0.01, 1
    settings.timeout = 0.3
    return settings


@pytest.mark.parametrize("status", [400, 401, 404, 422, 429, 500, 503])
def test_key_echoed_by_the_endpoint_is_redacted(fake_llm: FakeOpenAI, status: int,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.responder = echo_key(status)  # type: ignore[assignment]
    caplog.set_level(logging.DEBUG)
    with open_llm(resolved(fake_llm.base_url)) as llm, pytest.raises(RecapError) as caught:
        ask(llm)
    assert fake_llm.headers[0]["authorization"] == f"Bearer {FAKE_KEY}"  # it was really sent
    assert FAKE_KEY not in str(caught.value)
    assert FAKE_KEY not in caplog.text


def test_key_never_in_timeouts_refusals_or_connection_errors(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(Reply(delay=3.0), Reply(delay=3.0), text(None, refusal=f"no {FAKE_KEY}"))
    messages = []
    for url in (fake_llm.base_url, fake_llm.base_url,
                f"http://127.0.0.1:{closed_port()}/v1"):
        with open_llm(resolved(url)) as llm, pytest.raises(RecapError) as caught:
            ask(llm)
        messages.append(str(caught.value))
    assert "timed out" in messages[0] and "refused" in messages[1]
    assert "connection refused" in messages[2]
    assert not any(FAKE_KEY in m for m in messages)


def test_key_never_in_settings_params_or_cache(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    settings = resolved(fake_llm.base_url)
    assert FAKE_KEY not in repr(settings)
    assert FAKE_KEY not in str(settings.params())
    fake_llm.script(ok(GOOD))
    with open_llm(settings) as llm:
        ask(llm, cache=ReplyCache(tmp_path), user=f"a transcript quoting {FAKE_KEY[:4]}")
        assert FAKE_KEY not in str(llm.usage.to_dict())
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert FAKE_KEY not in path.read_text(encoding="utf-8")
