"""JSON replies from any OpenAI-compatible endpoint: structured output, validation, retries."""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recap.errors import EmbeddedServerError, LLMAuthError, LLMError, LLMReplyError
from recap.llm.cache import ReplyCache
from recap.llm.pricing import estimate_cost
from recap.llm.settings import PLACEHOLDER_KEY, LLMSettings
from recap.redact import redact

if TYPE_CHECKING:
    import openai

    from recap.llm.embedded import EmbeddedServer

log = logging.getLogger("recap.llm")

# The order `auto` falls back through when an endpoint rejects a response_format.
_FALLBACK = {"json_schema": "json_object", "json_object": "prompt"}
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "schema", "json_object")
_CONTEXT_WORDS = ("context length", "context_length", "context window", "maximum context",
                  "too many tokens", "exceed context")
# Protocol text, not content: tells any model (with or without structured output) what shape
# to reply in. Content prompts live in prompts/.
_SHAPE = ("\n\nReply with one JSON object and nothing else: no prose, no code fences. "
          "It must be valid against this JSON Schema:\n{schema}")
_FIX = ("Your previous reply could not be used: {problem}. Reply again with only the "
        "corrected JSON object, valid against the schema.")


class LLMTruncated(LLMReplyError):
    """The reply (or the prompt) did not fit the token limit: split the input and retry."""


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


class LLMClient:
    """Asks an OpenAI-compatible endpoint for JSON that validates against a schema.

    Build it with `open_llm`. Nothing happens until the first call that misses the cache:
    only then is the embedded server started (when no endpoint is configured).
    """

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.model = settings.model_name()
        self.usage = Usage(self.model)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._openai: openai.OpenAI | None = None
        self._server: EmbeddedServer | None = None
        self._start_error: str | None = None
        self._mode = settings.structured
        if self._mode == "auto":
            self._mode = "json_object" if settings.embedded else "json_schema"
        self._token_param = "max_tokens"

    # ------------------------------------------------------------ public

    @property
    def server(self) -> EmbeddedServer | None:
        """The embedded server, once started."""
        return self._server

    @property
    def structured_mode(self) -> str:
        """The structured-output mode in use now (after any fallback)."""
        return self._mode

    def endpoint(self) -> str:
        """The endpoint as shown in messages."""
        if self.settings.embedded:
            url = self._server.base_url if self._server and self._server.port else None
            return f"the embedded server ({url})" if url else "the embedded server"
        return str(self.settings.base_url)

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
            if hit is not None and _problem(hit, schema) is None:
                self.usage.add(cache_hits=1)
                return hit
        messages = [{"role": "system", "content": system + _SHAPE.format(
                        schema=json.dumps(schema, ensure_ascii=False, separators=(",", ":")))},
                    {"role": "user", "content": user}]
        text = self._chat(messages, schema, max_tokens, temperature)
        try:
            reply = parse_reply(text, schema)
        except _InvalidReply as first:
            log.info("reply did not validate (%s); asking again", first)
            messages += [{"role": "assistant", "content": text},
                         {"role": "user", "content": _FIX.format(problem=first)}]
            text = self._chat(messages, schema, max_tokens, temperature)
            try:
                reply = parse_reply(text, schema)
            except _InvalidReply as second:
                raise LLMReplyError(f"the model's reply is not valid for the requested JSON "
                                    f"schema, even after a retry: {second}") from None
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
        self._closed.set()
        server = self._server
        if server is not None:
            server.stop()
        if self._openai is not None:
            with contextlib.suppress(Exception):
                self._openai.close()

    # ------------------------------------------------------------ internals

    def _client(self) -> openai.OpenAI:
        if self._closed.is_set():
            raise LLMError("the LLM client is closed")
        with self._lock:
            if self._start_error is not None:
                raise EmbeddedServerError(self._start_error)
            if self._openai is None:
                self._openai = self._connect()
            return self._openai

    def _connect(self) -> openai.OpenAI:
        import openai

        if self.settings.embedded:
            from recap.llm.embedded import EmbeddedServer, assemble_model

            try:
                path = assemble_model(self.settings.embedded_model)
                self._server = EmbeddedServer(path, context_tokens=self.settings.context_window(),
                                              threads=self.settings.threads,
                                              model_alias=self.model)
                if self._closed.is_set():
                    raise LLMError("the LLM client is closed")
                self._server.start()
            except EmbeddedServerError as exc:
                self._start_error = str(exc)  # every later call fails the same way, fast
                raise
            base_url, api_key = self._server.base_url, PLACEHOLDER_KEY
        else:
            base_url = str(self.settings.base_url)
            api_key = self.settings.api_key or PLACEHOLDER_KEY
        return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=self.settings.timeout,
                             max_retries=0)

    def _check_server(self) -> None:
        """When the embedded server has died, say so rather than 'connection refused'."""
        if self._server is not None and not self._closed.is_set():
            self._server.check_alive()

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
              temperature: float, stop: list[str] | None = None) -> str:
        import openai

        attempt = 0
        while True:
            client = self._client()
            self._check_server()
            mode, token_param = self._mode, self._token_param
            request: dict[str, Any] = {"model": self.model, "messages": messages,
                                       "temperature": temperature, token_param: max_tokens}
            response_format = _response_format(mode, schema) if schema is not None else None
            if response_format is not None:
                request["response_format"] = response_format
            if stop:
                request["stop"] = stop
            self.usage.add(requests=1)
            retry_after: float | None = None
            try:
                response = client.chat.completions.create(**request)
            except openai.APIStatusError as exc:
                status, detail = exc.status_code, _detail(exc)
                if status in (401, 403):
                    raise LLMAuthError(f"the LLM endpoint rejected the API key (HTTP {status})"
                                       ) from None
                if self._fall_back(mode, status, detail):
                    continue
                if (status == 400 and token_param == "max_tokens"
                        and "max_completion_tokens" in detail):
                    self._token_param = "max_completion_tokens"
                    continue
                if status == 404:
                    raise LLMError(f"model {self.model!r} not found at {self.endpoint()} "
                                   f"(HTTP 404: {detail}); check --llm-model and --llm-base-url"
                                   ) from None
                if status in (400, 413, 422) and _mentions(detail, _CONTEXT_WORDS):
                    raise LLMTruncated(f"the prompt does not fit the model's context "
                                       f"(HTTP {status}: {detail})") from None
                if status not in (408, 409, 429) and status < 500:
                    raise LLMError(f"the LLM endpoint at {self.endpoint()} refused the request "
                                   f"(HTTP {status}: {detail})") from None
                self._check_server()
                retry_after = _retry_after(exc.response)
                failure = f"HTTP {status}: {detail}"
                final = (f"the LLM endpoint at {self.endpoint()} "
                         + ("kept rate-limiting requests" if status == 429 else "kept failing")
                         + f" (HTTP {status} after {attempt + 1} attempts): {detail}")
            except openai.APITimeoutError:
                self._check_server()
                failure = f"timed out after {self.settings.timeout:g} s"
                final = (f"the LLM endpoint at {self.endpoint()} timed out after "
                         f"{self.settings.timeout:g} s ({attempt + 1} attempts)")
            except openai.APIConnectionError as exc:
                self._check_server()
                failure = _connection_problem(exc)
                final = f"cannot reach the LLM endpoint at {self.endpoint()} ({failure})"
            else:
                return self._reply_text(response, max_tokens)
            if self._closed.is_set():  # closed under us (an interrupt): no retry, no warning
                raise LLMError("the LLM client is closed")
            if attempt >= self.settings.max_retries:
                raise LLMError(final) from None
            delay = self._backoff(attempt, retry_after)
            log.warning("LLM call failed (%s); retry %d of %d in %.1f s", failure, attempt + 1,
                        self.settings.max_retries, delay)
            self.usage.add(retries=1)
            attempt += 1
            if self._closed.wait(delay):
                raise LLMError("the LLM client is closed")

    def _reply_text(self, response: Any, max_tokens: int) -> str:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage.add(prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                           completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))
        choices = getattr(response, "choices", None)
        if not choices:
            raise LLMReplyError(f"the LLM endpoint at {self.endpoint()} returned no reply")
        choice = choices[0]
        message = choice.message
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise LLMReplyError(f"the model refused: {_one_line(refusal)}")
        if choice.finish_reason == "length":
            raise LLMTruncated(f"the model's reply was cut off at max_tokens={max_tokens}")
        if choice.finish_reason == "content_filter":
            raise LLMReplyError("the model's reply was withheld by the endpoint's content filter")
        content = message.content
        if not content or not content.strip():
            raise LLMReplyError("the model returned an empty reply")
        return str(content)

    def _fall_back(self, mode: str, status: int, detail: str) -> bool:
        """In auto mode, step down once (and remember) when a response_format is rejected."""
        if (self.settings.structured != "auto" or mode not in _FALLBACK
                or status not in (400, 422, 500) or not _mentions(detail, _FORMAT_WORDS)):
            return False
        with self._lock:
            if self._mode == mode:
                self._mode = _FALLBACK[mode]
                log.warning("%s rejected response_format %s (HTTP %d); using %s from now on",
                            self.endpoint(), mode, status, self._mode)
        return True

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.settings.retry_delay * (2 ** attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return max(0.0, min(delay, self.settings.retry_delay_cap))


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


# ---------------------------------------------------------------- replies

class _InvalidReply(Exception):
    """A reply that is not JSON or fails the schema; the message says why, in one line."""


def parse_reply(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in `text`, valid against `schema`; repairs fences and surrounding prose.

    Raises:
        _InvalidReply: nothing in the text parses, or what parses fails the schema.
    """
    problem = "no JSON object in the reply"
    schema_problem = None
    for candidate in _candidates(text):
        try:
            value = json.loads(candidate)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            problem = f"not valid JSON ({msg} at line {getattr(exc, 'lineno', '?')})"
            continue
        found = _problem(value, schema)
        if found is None:
            return value
        schema_problem = schema_problem or found
    raise _InvalidReply(schema_problem or problem)


def _candidates(text: str) -> list[str]:
    stripped = text.strip()
    candidates = [stripped]
    fenced = re.search(r"```(?:json|JSON)?\s*\n?(.*?)```", stripped, re.DOTALL)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    return list(dict.fromkeys(candidates))


def _problem(value: Any, schema: dict[str, Any]) -> str | None:
    """Why `value` is not a schema-valid JSON object, or None."""
    if not isinstance(value, dict):
        return f"the reply is a JSON {type(value).__name__}, not an object"
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the top level"
    return f"at {where}: {_one_line(error.message, 200)}"


def _response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": False}}
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}  # llama.cpp honours the schema here
    return None


# ---------------------------------------------------------------- errors

def _detail(exc: Any) -> str:
    """A short, redacted, one-line reason from an HTTP error body."""
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message") or inner.get("detail")
        elif isinstance(inner, str):
            message = inner
        if message is None and "detail" in body:
            message = body["detail"]
    elif isinstance(body, str):
        message = body
    if message is None:
        message = getattr(exc, "message", None) or str(exc)
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    return _one_line(message, 300)


def _connection_problem(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    text = f"{cause or ''} {exc}".lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text or \
            "name resolution" in text:
        return "unknown host"
    if "ssl" in text or "certificate" in text:
        return "TLS error: " + _one_line(str(cause or exc), 150)
    return _one_line(str(cause or exc), 150) or "connection failed"


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        with contextlib.suppress(ValueError):
            return float(milliseconds) / 1000.0
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(redact(str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
