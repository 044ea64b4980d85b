"""JSON replies from any OpenAI-compatible endpoint: structured output, validation, retries."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast

from recap.errors import LLMError
from recap.llm.cache import ReplyCache
from recap.llm.endpoint import Endpoint
from recap.llm.failures import Transient, classify
from recap.llm.replies import ask_json, problem_with, reply_text
from recap.llm.request_form import RequestForm
from recap.llm.settings import LLMSettings
from recap.llm.usage import Usage

if TYPE_CHECKING:
    import tenacity

    from recap.llm.embedded import EmbeddedServer

log = logging.getLogger("recap.llm")


class LLMClient:
    """Asks an OpenAI-compatible endpoint for JSON that validates against a schema.

    Build it with `open_llm`. Nothing happens until the first call that misses the cache:
    only then is the embedded server started (when no endpoint is configured).
    """

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.model = settings.model_name()
        self.usage = Usage(self.model)
        self._endpoint = Endpoint(settings, self.model)
        self._form = RequestForm(settings)

    # ------------------------------------------------------------ public

    @property
    def server(self) -> EmbeddedServer | None:
        """The embedded server, once started."""
        return self._endpoint.server

    @property
    def structured_mode(self) -> str:
        """The structured-output mode in use now (after any fallback)."""
        return self._form.mode

    def endpoint(self) -> str:
        """The endpoint as shown in messages."""
        return self._endpoint.label()

    def complete_json(self, *, system: str, user: str, schema: dict[str, Any], max_tokens: int,
                      temperature: float = 0.2, cache: ReplyCache | None = None) -> dict[str, Any]:
        """One chat completion whose reply is a JSON object valid against `schema`.

        Thread-safe. The reply is repaired when it is wrapped in prose or code fences; when it
        still fails, the model is asked once more with the validation error.

        Raises:
            LLMTruncated: the reply was cut off at `max_tokens`, or the prompt does not fit.
            LLMReplyError: the reply is a refusal, empty, or not valid even after a retry.
            LLMAuthError: the endpoint rejected the key.
            LLMError: the endpoint failed and retries did not help.
            EmbeddedServerError: the embedded server could not start or died.
        """
        key = None
        if cache is not None:
            key = ReplyCache.key(model=self.model, base_url=self.settings.endpoint_label(),
                                 system=system, user=user, schema=schema,
                                 max_tokens=max_tokens, temperature=temperature)
            hit = cache.get(key)
            if hit is not None and problem_with(hit, schema) is None:
                self.usage.add(cache_hits=1)
                return hit
        reply = ask_json(lambda messages: self._chat(messages, schema, max_tokens, temperature),
                         system=system, user=user, schema=schema)
        if cache is not None and key is not None:
            cache.put(key, reply, model=self.model)
        return reply

    def complete_text(self, *, system: str, user: str, max_tokens: int, temperature: float = 0.2,
                      cache: ReplyCache | None = None, stop: list[str] | None = None) -> str:
        """One chat completion answered in plain text (no structured output).

        Cheaper than JSON for a small model (no keys or quotes to generate) and, with fixed
        instructions first and the varying text last, it lets llama.cpp reuse the prompt prefix.

        Raises:
            LLMTruncated: the reply was cut off at `max_tokens`, or the prompt does not fit.
            LLMReplyError: the reply is a refusal or empty.
            LLMAuthError, LLMError, EmbeddedServerError: as for `complete_json`.
        """
        key = None
        if cache is not None:
            key = ReplyCache.key(model=self.model, base_url=self.settings.endpoint_label(),
                                 system=system, user=user, schema={"text": stop or []},
                                 max_tokens=max_tokens, temperature=temperature)
            hit = cache.get(key)
            if hit is not None and isinstance(hit.get("text"), str):
                self.usage.add(cache_hits=1)
                return str(hit["text"])
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        text = self._chat(messages, None, max_tokens, temperature, stop=stop)
        if cache is not None and key is not None:
            cache.put(key, {"text": text}, model=self.model)
        return text

    def close(self) -> None:
        """Stop the embedded server (if started) and refuse further calls."""
        self._endpoint.close()

    # ------------------------------------------------------------ one request, retried

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
              temperature: float, stop: list[str] | None = None) -> str:
        """One completion; tenacity retries transient failures, waiting in `_sleep`."""
        import tenacity

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Transient),
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait, sleep=self._sleep, before_sleep=self._before_sleep,
            retry_error_callback=_give_up)
        return retrying(self._send, messages, schema, max_tokens, temperature, stop)

    def _send(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
              temperature: float, stop: list[str] | None) -> str:
        """One request, sent again at once when the endpoint wants another form of it."""
        import openai

        client = self._endpoint.client()
        self._endpoint.check_server()
        request = self._form.request(model=self.model, messages=messages, schema=schema,
                                     max_tokens=max_tokens, temperature=temperature, stop=stop)
        self.usage.add(requests=1)
        try:
            response = client.chat.completions.create(**request.body)
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            if (isinstance(exc, openai.APIStatusError)
                    and self._form.step_down(request, exc, self.endpoint())):
                return self._send(messages, schema, max_tokens, temperature, stop)
            failure = classify(exc, model=self.model, endpoint=self.endpoint(),
                               timeout=self.settings.timeout)
        else:
            self.usage.add_reply(response)
            return reply_text(response, max_tokens, self.endpoint())
        if isinstance(failure, Transient):
            self._endpoint.check_server()  # a dead embedded server is named, not retried
            self._endpoint.check_open()  # closed under us (an interrupt): no retry, no warning
        raise failure from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.settings.retry_delay * (2 ** attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return max(0.0, min(delay, self.settings.retry_delay_cap))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Backoff with jitter, or the Retry-After the endpoint asked for (both capped)."""
        return self._backoff(state.attempt_number - 1, _failure(state).retry_after)

    def _sleep(self, seconds: float) -> None:
        """The wait between attempts, ended at once by `close()` (Ctrl-C, a stopped run)."""
        if self._endpoint.closed.wait(seconds):
            raise LLMError("the LLM client is closed")

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("LLM call failed (%s); retry %d of %d in %.1f s", _failure(state),
                    state.attempt_number, self.settings.max_retries, delay)
        self.usage.add(retries=1)


def _failure(state: tenacity.RetryCallState) -> Transient:
    """What the last attempt raised: a Transient, the only failure that is retried."""
    assert state.outcome is not None
    return cast(Transient, state.outcome.exception())


def _give_up(state: tenacity.RetryCallState) -> NoReturn:
    """The retries are spent: one LLMError saying what kept failing and how often."""
    raise LLMError(_failure(state).final(state.attempt_number)) from None


@contextlib.contextmanager
def open_llm(settings: LLMSettings) -> Iterator[LLMClient]:
    """An LLM client for the length of a `with` block.

    The embedded server (when used) starts on the first call that misses the cache and is
    always stopped on exit, whether the block ends normally, by an exception or by Ctrl-C.
    """
    client = LLMClient(settings)
    try:
        yield client
    finally:
        client.close()
