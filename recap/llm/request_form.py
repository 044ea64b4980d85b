"""The form of request an endpoint accepts, learnt from its refusals."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recap.llm.failures import error_detail, mentions
from recap.llm.settings import LLMSettings

if TYPE_CHECKING:
    import openai

log = logging.getLogger("recap.llm")

# The order `auto` falls back through when an endpoint rejects a response_format.
_FALLBACK = {"json_schema": "json_object", "json_object": "prompt"}
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "schema", "json_object")


@dataclass(frozen=True)
class Request:
    """A chat-completion request and the form it was built in."""

    body: dict[str, Any]
    mode: str
    token_param: str


class RequestForm:
    """Shared by every call of one client: in auto mode a rejected response_format steps down
    once (json_schema → json_object → prompt) and is remembered; a token limit the endpoint
    wants as max_completion_tokens is sent so from then on."""

    def __init__(self, settings: LLMSettings):
        self.auto = settings.structured == "auto"
        self.mode = settings.structured
        if self.mode == "auto":
            self.mode = "json_object" if settings.embedded else "json_schema"
        self.token_param = "max_tokens"
        self._lock = threading.Lock()

    def request(self, *, model: str, messages: list[dict[str, str]],
                schema: dict[str, Any] | None, max_tokens: int, temperature: float,
                stop: list[str] | None) -> Request:
        """The request in the form the endpoint accepts now."""
        mode, token_param = self.mode, self.token_param
        body: dict[str, Any] = {"model": model, "messages": messages,
                                "temperature": temperature, token_param: max_tokens}
        if schema is not None and (form := response_format(mode, schema)) is not None:
            body["response_format"] = form
        if stop:
            body["stop"] = stop
        return Request(body, mode, token_param)

    def step_down(self, sent: Request, exc: openai.APIStatusError, endpoint: str) -> bool:
        """Whether the endpoint refused `sent` for its form, so that it is worth sending again."""
        status, detail = exc.status_code, error_detail(exc)
        if (self.auto and sent.mode in _FALLBACK and status in (400, 422, 500)
                and mentions(detail, _FORMAT_WORDS)):
            with self._lock:
                if self.mode == sent.mode:  # not already stepped down by another thread
                    self.mode = _FALLBACK[sent.mode]
                    log.warning("%s rejected response_format %s (HTTP %d); using %s from now on",
                                endpoint, sent.mode, status, self.mode)
            return True
        if (status == 400 and sent.token_param == "max_tokens"
                and "max_completion_tokens" in detail):
            self.token_param = "max_completion_tokens"
            return True
        return False


def response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The `response_format` request field for a structured-output mode (None: prompt only)."""
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": False}}
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}  # llama.cpp honours the schema here
    return None
