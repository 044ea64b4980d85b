"""What the model must reply: the JSON shape asked for (checked, and repaired where it can be)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from recap.errors import LLMReplyError
from recap.llm.failures import LLMTruncated, one_line

log = logging.getLogger("recap.llm")

# Protocol text, not content: tells any model (with or without structured output) what shape
# to reply in. Content prompts live in prompts/.
_SHAPE = ("\n\nReply with one JSON object and nothing else: no prose, no code fences. "
          "It must be valid against this JSON Schema:\n{schema}")
_FIX = ("Your previous reply could not be used: {problem}. Reply again with only the "
        "corrected JSON object, valid against the schema.")


class InvalidReply(Exception):
    """A reply that is not JSON or fails the schema; the message says why, in one line."""


def ask_json(chat: Callable[[list[dict[str, str]]], str], *, system: str, user: str,
             schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object `chat` replies with, valid against `schema`; when even the repaired
    reply fails, the model is asked once more with the problem.

    Raises:
        LLMReplyError: the reply is not valid even after that second question.
    """
    messages = [{"role": "system", "content": system + _SHAPE.format(
                    schema=json.dumps(schema, ensure_ascii=False, separators=(",", ":")))},
                {"role": "user", "content": user}]
    text = chat(messages)
    try:
        return parse_reply(text, schema)
    except InvalidReply as first:
        log.info("reply did not validate (%s); asking again", first)
        messages += [{"role": "assistant", "content": text},
                     {"role": "user", "content": _FIX.format(problem=first)}]
    text = chat(messages)
    try:
        return parse_reply(text, schema)
    except InvalidReply as second:
        raise LLMReplyError(f"the model's reply is not valid for the requested JSON "
                            f"schema, even after a retry: {second}") from None


def reply_text(response: Any, max_tokens: int, endpoint: str) -> str:
    """The text of a chat completion's first choice.

    Raises:
        LLMTruncated: the reply was cut off at `max_tokens`.
        LLMReplyError: no reply, a refusal, a content filter, or an empty reply.
    """
    choices = getattr(response, "choices", None)
    if not choices:
        raise LLMReplyError(f"the LLM endpoint at {endpoint} returned no reply")
    choice = choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise LLMReplyError(f"the model refused: {one_line(refusal)}")
    if choice.finish_reason == "length":
        raise LLMTruncated(f"the model's reply was cut off at max_tokens={max_tokens}",
                           partial=str(message.content or ""))
    if choice.finish_reason == "content_filter":
        raise LLMReplyError("the model's reply was withheld by the endpoint's content filter")
    content = message.content
    if not content or not content.strip():
        raise LLMReplyError("the model returned an empty reply")
    return str(content)


def parse_reply(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in `text`, valid against `schema`; repairs fences and surrounding prose.

    Raises:
        InvalidReply: nothing in the text parses, or what parses fails the schema.
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
        found = problem_with(value, schema)
        if found is None:
            return value
        schema_problem = schema_problem or found
    raise InvalidReply(schema_problem or problem)


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


def problem_with(value: Any, schema: dict[str, Any]) -> str | None:
    """Why `value` is not a schema-valid JSON object, or None."""
    if not isinstance(value, dict):
        return f"the reply is a JSON {type(value).__name__}, not an object"
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the top level"
    return f"at {where}: {one_line(error.message, 200)}"
