"""What an endpoint's failure means: one redacted line for the user, and whether to retry."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

from recap.errors import LLMAuthError, LLMError, LLMReplyError
from recap.redact import redact

_CONTEXT_WORDS = ("context length", "context_length", "context window", "maximum context",
                  "too many tokens", "exceed context")


class LLMTruncated(LLMReplyError):
    """The reply (or the prompt) did not fit the token limit: split the input and retry.

    `partial` is the text the model wrote before it was cut off (None when the prompt itself
    did not fit): a plain-text reply's complete lines may still be of use.
    """

    def __init__(self, message: str, partial: str | None = None):
        super().__init__(message)
        self.partial = partial


class Transient(Exception):
    """A failure worth retrying: `str()` names it for a retry warning, `final(attempts)` is the
    message once the retries are spent, `retry_after` the wait the endpoint asked for."""

    def __init__(self, failure: str, final: Callable[[int], str],
                 retry_after: float | None = None):
        super().__init__(failure)
        self.final = final
        self.retry_after = retry_after


def classify(exc: Exception, *, model: str, endpoint: str, timeout: float) -> Exception:
    """The error an openai SDK exception stands for: a final domain error, or a Transient."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return Transient(f"timed out after {timeout:g} s", lambda attempts: (
            f"the LLM endpoint at {endpoint} timed out after {timeout:g} s ({attempts} attempts)"))
    if not isinstance(exc, openai.APIStatusError):
        problem = connection_problem(exc)
        return Transient(problem, lambda _: f"cannot reach the LLM endpoint at {endpoint} ({problem})")
    status, detail = exc.status_code, error_detail(exc)
    if status in (401, 403):
        return LLMAuthError(f"the LLM endpoint rejected the API key (HTTP {status})")
    if status == 404:
        return LLMError(f"model {model!r} not found at {endpoint} (HTTP 404: {detail}); "
                        f"check --llm-model and --llm-base-url")
    if status in (400, 413, 422) and mentions(detail, _CONTEXT_WORDS):
        return LLMTruncated(f"the prompt does not fit the model's context (HTTP {status}: {detail})")
    if status not in (408, 409, 429) and status < 500:
        return LLMError(f"the LLM endpoint at {endpoint} refused the request "
                        f"(HTTP {status}: {detail})")
    kept = "kept rate-limiting requests" if status == 429 else "kept failing"
    return Transient(f"HTTP {status}: {detail}", lambda attempts: (
        f"the LLM endpoint at {endpoint} {kept} (HTTP {status} after {attempts} attempts): "
        f"{detail}"), retry_after(exc.response))


def error_detail(exc: Any) -> str:
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
    return one_line(message, 300)


def connection_problem(exc: Exception) -> str:
    """Why a connection failed, in a few words ("connection refused", "unknown host"...)."""
    cause = exc.__cause__ or exc.__context__
    text = f"{cause or ''} {exc}".lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text or \
            "name resolution" in text:
        return "unknown host"
    if "ssl" in text or "certificate" in text:
        return "TLS error: " + one_line(str(cause or exc), 150)
    return one_line(str(cause or exc), 150) or "connection failed"


def retry_after(response: Any) -> float | None:
    """The wait a reply asks for: Retry-After-Ms, or Retry-After in seconds or as a date."""
    headers = getattr(response, "headers", None) or {}
    with contextlib.suppress(KeyError, ValueError):
        return float(headers["retry-after-ms"]) / 1000.0
    value = headers.get("retry-after") or ""
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    return None


def mentions(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def one_line(text: str, limit: int = 300) -> str:
    """`text` redacted, on one line, at most `limit` characters."""
    line = " ".join(redact(str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
