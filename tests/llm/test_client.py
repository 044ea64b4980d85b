"""LLMClient against a fault-injecting OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from recap.errors import LLMAuthError, LLMError, LLMReplyError
from recap.llm import LLMClient, LLMSettings, LLMTruncated, open_llm, parse_reply
from tests.fake_openai import FakeOpenAI, Reply, error, ok, rejects_json_schema, text
from tests.llm.conftest import quick_settings

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"},
                   "bullets": {"type": "array", "items": {"type": "string"}}},
    "required": ["title", "bullets"],
}
GOOD = {"title": "Bees", "bullets": ["Roof hives doubled since 2019"]}


def ask(llm: LLMClient, **kwargs: object) -> dict:
    values = {"system": "Summarise.", "user": "Some transcript.", "schema": SCHEMA,
              "max_tokens": 200}
    values.update(kwargs)
    return llm.complete_json(**values)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the happy path

def test_reply_is_validated_dict_and_request_describes_the_shape(fake_llm: FakeOpenAI,
                                                                 settings: LLMSettings) -> None:
    fake_llm.script(ok(GOOD, prompt_tokens=120, completion_tokens=30))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
        assert llm.usage.requests == 1
        assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (120, 30)
    request = fake_llm.completions[0]
    assert request["model"] == "fake-model"
    assert request["max_tokens"] == 200
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"] == SCHEMA
    system = request["messages"][0]["content"]
    assert system.startswith("Summarise.")
    assert json.dumps(SCHEMA, separators=(",", ":")) in system  # shape described for any model
    assert fake_llm.headers[0]["authorization"] == "Bearer not-needed"  # placeholder key


def test_configured_key_is_sent(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(ok(GOOD))
    with open_llm(quick_settings(fake_llm.base_url, api_key="sk-local-123456789")) as llm:
        ask(llm)
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-local-123456789"


def test_concurrent_calls_from_a_pool_are_counted_once_each(fake_llm: FakeOpenAI,
                                                            settings: LLMSettings) -> None:
    fake_llm.responder = lambda request: ok(
        {"title": request["messages"][1]["content"], "bullets": []})
    with open_llm(settings) as llm, ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda i: ask(llm, user=f"chunk {i}"), range(16)))
        assert [r["title"] for r in replies] == [f"chunk {i}" for i in range(16)]
        assert llm.usage.requests == 16
        assert llm.usage.prompt_tokens == 16 * 11


def test_cost_is_estimated_for_known_models_only(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(ok(GOOD, prompt_tokens=1_000_000, completion_tokens=1_000_000))
    with open_llm(quick_settings(fake_llm.base_url, model="gpt-4o-mini")) as llm:
        ask(llm)
        assert llm.usage.estimated_cost_usd == pytest.approx(0.15 + 0.60)
        assert llm.usage.to_dict()["estimated_cost_usd"] == pytest.approx(0.75)
    fake_llm.script(ok(GOOD))
    with open_llm(quick_settings(fake_llm.base_url, model="llama3:8b")) as llm:
        ask(llm)
        assert llm.usage.to_dict()["estimated_cost_usd"] is None


# ---------------------------------------------------------------- retries

def test_429_then_success_is_retried(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.script(error(429, "slow down", headers={"Retry-After": "0"}), ok(GOOD))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
        assert (llm.usage.requests, llm.usage.retries) == (2, 1)


def test_500_always_fails_after_the_retries(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.responder = lambda request: error(500, "model crashed")
    with open_llm(settings) as llm, pytest.raises(LLMError) as caught:
        ask(llm)
    assert len(fake_llm.completions) == settings.max_retries + 1
    message = str(caught.value)
    assert "HTTP 500" in message and "model crashed" in message and fake_llm.base_url in message
    assert "\n" not in message


def test_503_then_success(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.script(error(503), error(502), ok(GOOD))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
        assert llm.usage.retries == 2


def test_backoff_grows_honours_retry_after_and_is_capped() -> None:
    client = LLMClient(LLMSettings(base_url="http://127.0.0.1:9/v1", retry_delay=1.0,
                                   retry_delay_cap=30.0))
    assert 0.5 <= client._backoff(0, None) <= 1.0
    assert 4.0 <= client._backoff(3, None) <= 8.0
    assert client._backoff(0, 12.0) == 12.0
    assert client._backoff(0, 3600.0) == 30.0
    assert client._backoff(10, None) == 30.0


def test_slow_reply_times_out(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = lambda request: Reply(delay=5.0)
    settings = quick_settings(fake_llm.base_url, timeout=0.3, max_retries=1)
    with open_llm(settings) as llm, pytest.raises(LLMError, match=r"timed out after 0.3 s"):
        ask(llm)
    assert len(fake_llm.completions) == 2


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with open_llm(quick_settings(url)) as llm, pytest.raises(LLMError) as caught:
        ask(llm)
    assert str(caught.value) == f"cannot reach the LLM endpoint at {url} (connection refused)"
    assert llm.usage.retries == 2


# ---------------------------------------------------------------- errors without retries

@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_not_retried(fake_llm: FakeOpenAI, settings: LLMSettings,
                                     status: int) -> None:
    fake_llm.responder = lambda request: error(status, "Incorrect API key provided")
    with open_llm(settings) as llm, pytest.raises(LLMAuthError) as caught:
        ask(llm)
    assert str(caught.value) == f"the LLM endpoint rejected the API key (HTTP {status})"
    assert len(fake_llm.completions) == 1


def test_unknown_model_names_model_and_endpoint(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = lambda request: error(404, "model 'nope' not found")
    with open_llm(quick_settings(fake_llm.base_url, model="nope")) as llm, \
            pytest.raises(LLMError) as caught:
        ask(llm)
    assert "'nope'" in str(caught.value) and fake_llm.base_url in str(caught.value)
    assert len(fake_llm.completions) == 1


def test_other_client_errors_are_not_retried(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.responder = lambda request: error(400, "temperature out of range")
    with open_llm(settings) as llm, pytest.raises(LLMError, match="HTTP 400"):
        ask(llm)
    assert len(fake_llm.completions) == 1


def test_prompt_over_the_context_is_truncation(fake_llm: FakeOpenAI,
                                               settings: LLMSettings) -> None:
    fake_llm.script(error(400, "Requested tokens (5000) exceed context window of 4096"))
    with open_llm(settings) as llm, pytest.raises(LLMTruncated):
        ask(llm)


def test_max_completion_tokens_is_used_when_asked_for(fake_llm: FakeOpenAI,
                                                      settings: LLMSettings) -> None:
    fake_llm.script(error(400, "Unsupported parameter: 'max_tokens'. Use "
                               "'max_completion_tokens' instead."), ok(GOOD), ok(GOOD))
    with open_llm(settings) as llm:
        ask(llm)
        ask(llm)
    assert [("max_tokens" in r, "max_completion_tokens" in r) for r in fake_llm.completions] == [
        (True, False), (False, True), (False, True)]


# ---------------------------------------------------------------- unusable replies

def test_cut_off_reply_raises_truncated(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.script(text('{"title": "Bees", "bull', finish_reason="length"))
    with open_llm(settings) as llm, pytest.raises(LLMTruncated, match="max_tokens=200") as cut:
        ask(llm)
    assert issubclass(LLMTruncated, LLMReplyError)
    assert cut.value.partial == '{"title": "Bees", "bull'  # what was written before the cut


def test_refusal(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.script(text(None, refusal="I can't help with that."))
    with open_llm(settings) as llm, pytest.raises(LLMReplyError,
                                                  match="the model refused: I can't help"):
        ask(llm)


def test_empty_reply(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    fake_llm.script(text("   "))
    with open_llm(settings) as llm, pytest.raises(LLMReplyError, match="empty reply"):
        ask(llm)


def test_invalid_json_is_retried_once_with_the_problem(fake_llm: FakeOpenAI,
                                                       settings: LLMSettings) -> None:
    fake_llm.script(text("Sure! Here are the notes: title Bees"), ok(GOOD))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
    retry = fake_llm.completions[1]["messages"]
    assert retry[2] == {"role": "assistant", "content": "Sure! Here are the notes: title Bees"}
    assert "could not be used" in retry[3]["content"]


def test_invalid_json_twice_is_a_reply_error(fake_llm: FakeOpenAI,
                                             settings: LLMSettings) -> None:
    fake_llm.responder = lambda request: text("not json at all")
    with open_llm(settings) as llm, pytest.raises(LLMReplyError, match="not valid JSON"):
        ask(llm)
    assert len(fake_llm.completions) == 2


def test_schema_failure_twice_names_the_problem(fake_llm: FakeOpenAI,
                                                settings: LLMSettings) -> None:
    fake_llm.responder = lambda request: ok({"title": "Bees", "bullets": "one, two"})
    with open_llm(settings) as llm, pytest.raises(LLMReplyError) as caught:
        ask(llm)
    assert "at bullets" in str(caught.value) and "is not of type 'array'" in str(caught.value)
    fixing = fake_llm.completions[1]["messages"][-1]["content"]
    assert "at bullets" in fixing


def test_fenced_reply_is_repaired_without_a_retry(fake_llm: FakeOpenAI,
                                                  settings: LLMSettings) -> None:
    fake_llm.script(text("Here you go:\n```json\n" + json.dumps(GOOD) + "\n```\nEnjoy!"))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
    assert len(fake_llm.completions) == 1


@pytest.mark.parametrize("reply", [
    json.dumps(GOOD),
    "```\n" + json.dumps(GOOD) + "\n```",
    "The JSON: " + json.dumps(GOOD) + " -- done.",
])
def test_parse_reply_repairs(reply: str) -> None:
    assert parse_reply(reply, SCHEMA) == GOOD


# ---------------------------------------------------------------- structured-output modes

def test_json_schema_rejected_falls_back_once_and_remembers(fake_llm: FakeOpenAI,
                                                            settings: LLMSettings) -> None:
    fake_llm.responder = rejects_json_schema(lambda request: ok(GOOD))
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
        assert llm.structured_mode == "json_object"
        assert ask(llm, user="second chunk") == GOOD
    kinds = [r["response_format"]["type"] for r in fake_llm.completions]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert fake_llm.completions[1]["response_format"]["schema"] == SCHEMA


def test_falls_back_to_prompt_only(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    def respond(request: dict) -> Reply:
        if "response_format" in request:
            return error(400, "response_format is not supported by this model")
        return ok(GOOD)

    fake_llm.responder = respond
    with open_llm(settings) as llm:
        assert ask(llm) == GOOD
        assert llm.structured_mode == "prompt"
    assert "response_format" not in fake_llm.completions[-1]
    assert len(fake_llm.completions) == 3


def test_configured_mode_does_not_fall_back(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = rejects_json_schema()
    settings = quick_settings(fake_llm.base_url, structured="json_schema", max_retries=0)
    with open_llm(settings) as llm, pytest.raises(LLMError, match="HTTP 500"):
        ask(llm)


def test_auto_mode_uses_json_object_for_the_embedded_server() -> None:
    assert LLMClient(LLMSettings()).structured_mode == "json_object"
    assert LLMClient(LLMSettings(base_url="http://x/v1")).structured_mode == "json_schema"
    assert LLMClient(LLMSettings(base_url="http://x/v1",
                                 structured="prompt")).structured_mode == "prompt"


def test_closed_client_refuses_calls(fake_llm: FakeOpenAI, settings: LLMSettings) -> None:
    with open_llm(settings) as llm:
        pass
    with pytest.raises(LLMError, match="closed"):
        ask(llm)
    assert fake_llm.completions == []
