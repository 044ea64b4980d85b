"""The OpenAI SDK client for the configured endpoint, or for the embedded server it starts."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from recap.errors import EmbeddedServerError, LLMError
from recap.llm.settings import PLACEHOLDER_KEY, LLMSettings

if TYPE_CHECKING:
    import openai

    from recap.llm.embedded import EmbeddedServer


class Endpoint:
    """Connects on first use: only then is the embedded server started (when no endpoint is
    configured). The SDK's own retries are off; the client retries (see `LLMClient`)."""

    def __init__(self, settings: LLMSettings, model: str):
        self.settings = settings
        self.model = model
        self.closed = threading.Event()
        """Set by `close()`: every call, and every wait between retries, ends."""
        self._lock = threading.Lock()
        self._openai: openai.OpenAI | None = None
        self._server: EmbeddedServer | None = None
        self._start_error: str | None = None

    @property
    def server(self) -> EmbeddedServer | None:
        """The embedded server, once started."""
        return self._server

    def label(self) -> str:
        """The endpoint as shown in messages."""
        if self.settings.embedded:
            url = self._server.base_url if self._server and self._server.port else None
            return f"the embedded server ({url})" if url else "the embedded server"
        return str(self.settings.base_url)

    def client(self) -> openai.OpenAI:
        """The SDK client, connecting (and starting the embedded server) on first use."""
        self.check_open()
        with self._lock:
            if self._start_error is not None:
                raise EmbeddedServerError(self._start_error)
            if self._openai is None:
                self._openai = self._connect()
            return self._openai

    def check_open(self) -> None:
        """Raise LLMError once the client is closed (an interrupt, or the end of a run)."""
        if self.closed.is_set():
            raise LLMError("the LLM client is closed")

    def check_server(self) -> None:
        """When the embedded server has died, say so rather than 'connection refused'."""
        if self._server is not None and not self.closed.is_set():
            self._server.check_alive()

    def close(self) -> None:
        """Stop the embedded server (if started) and refuse further calls."""
        self.closed.set()
        server = self._server
        if server is not None:
            server.stop()
        if self._openai is not None:
            with contextlib.suppress(Exception):
                self._openai.close()

    def _connect(self) -> openai.OpenAI:
        import openai

        if self.settings.embedded:
            from recap.llm.embedded import (
                EmbeddedServer,
                assemble_model,
                prefixes_dir,
                trace_file,
            )

            try:
                path = assemble_model(self.settings.embedded_model)
                self._server = EmbeddedServer(path, context_tokens=self.settings.context_window(),
                                              threads=self.settings.threads,
                                              slots=self.settings.jobs,
                                              model_alias=self.model, prefixes=prefixes_dir(),
                                              trace=trace_file())
                self.check_open()
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
