"""The one way the notes stage talks to the model: prompt files in, replies out, all cached."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recap.errors import LLMReplyError
from recap.languages import instruction

if TYPE_CHECKING:
    from recap.llm import LLMClient, ReplyCache
    from recap.notes.options import NotesOptions

TOKEN_MARGIN = 96
"""The chat template's own tokens and the client's reply-shape sentence."""


@dataclass
class Asker:
    """Renders a prompt file, sends it, and keeps the episode's reply cache."""

    llm: LLMClient
    options: NotesOptions
    cache: ReplyCache | None
    calls: dict[str, int] = field(default_factory=dict)
    language: str = "en"
    """The language the notes are written in."""
    source_language: str = "en"
    """The transcript's language."""
    failed: dict[str, int] = field(default_factory=dict)
    """Calls whose reply was unusable, by prompt (not cached: a rerun asks them again)."""

    def render(self, prompt: str, values: dict[str, object]) -> tuple[str, str]:
        system, user = self.options.load_prompts()[prompt].render(**values)
        rule = instruction(self.language, self.source_language)
        return (f"{system}\n\n{rule}" if rule else system), user

    def json(self, prompt: str, values: dict[str, object], schema: dict[str, Any],
             max_tokens: int) -> dict[str, Any]:
        """A JSON reply valid against `schema` (LLMReplyError when the model cannot give one)."""
        system, user = self.render(prompt, values)
        self.calls[prompt] = self.calls.get(prompt, 0) + 1
        with self._counting_failures(prompt):
            return self.llm.complete_json(system=system, user=user, schema=schema,
                                          max_tokens=max_tokens,
                                          temperature=self.options.temperature, cache=self.cache)

    def text(self, prompt: str, values: dict[str, object], max_tokens: int,
             stop: list[str] | None = None) -> str:
        """A plain-text reply."""
        system, user = self.render(prompt, values)
        self.calls[prompt] = self.calls.get(prompt, 0) + 1
        with self._counting_failures(prompt):
            return self.llm.complete_text(system=system, user=user, max_tokens=max_tokens,
                                          temperature=self.options.temperature, cache=self.cache,
                                          stop=stop)

    @contextlib.contextmanager
    def _counting_failures(self, prompt: str) -> Iterator[None]:
        try:
            yield
        except LLMReplyError:
            self.failed[prompt] = self.failed.get(prompt, 0) + 1
            raise

    def tokens(self, *texts: str) -> int:
        from recap.tokens import counter_for

        counter = counter_for(self.llm.settings.model_name())
        return sum(counter.count(t) for t in texts)

    def room(self, prompt: str, values: dict[str, object], max_tokens: int,
             schema: dict[str, Any] | None = None) -> int:
        """Tokens left in the context once this prompt, its schema and its reply are counted."""
        system, user = self.render(prompt, values)
        shape = json.dumps(schema, separators=(",", ":")) if schema is not None else ""
        return (self.llm.settings.context_window() - max_tokens - TOKEN_MARGIN
                - self.tokens(system, user, shape))
