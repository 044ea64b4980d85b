"""A fault-injecting fake OpenAI-compatible server on 127.0.0.1, for tests of failures only.

Real behaviour is tested against a real llama.cpp server; this one answers what a test scripts:

    with fake_openai() as server:
        server.script(error(429, headers={"Retry-After": "0"}), ok({"title": "x"}))
        settings = LLMSettings(base_url=server.base_url, ...)
        ...
        assert len(server.completions) == 2

Each POST to /v1/chat/completions takes the next scripted `Reply` (or calls the `responder`
when the script is empty; by default an empty JSON object). `server.completions` holds the
parsed request bodies, `server.headers` their headers (names lower-cased). GET /v1/models
lists one model.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    content: str | None = "{}"
    """The assistant message's content (for status 200)."""
    finish_reason: str = "stop"
    refusal: str | None = None
    delay: float = 0.0
    """Seconds to wait before answering (to provoke client timeouts)."""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    """Raw JSON body for errors (default: OpenAI's error shape with `message`)."""
    message: str = ""
    """The error message, for status != 200."""
    prompt_tokens: int = 11
    completion_tokens: int = 7


def ok(value: Any, **kwargs: Any) -> Reply:
    """A 200 whose content is `value` as JSON."""
    return Reply(content=json.dumps(value), **kwargs)


def text(content: str | None, **kwargs: Any) -> Reply:
    """A 200 whose content is exactly `content`."""
    return Reply(content=content, **kwargs)


def error(status: int, message: str = "", **kwargs: Any) -> Reply:
    """An HTTP error with OpenAI's error body."""
    return Reply(status=status, message=message or f"fake error {status}", **kwargs)


Responder = Callable[[dict[str, Any]], Reply]


def rejects_json_schema(then: Responder | None = None) -> Responder:
    """Like llama.cpp's server: HTTP 500 on response_format json_schema, else `then`."""
    def respond(request: dict[str, Any]) -> Reply:
        kind = (request.get("response_format") or {}).get("type")
        if kind == "json_schema":
            return error(500, "1 validation error for CreateChatCompletionRequest "
                              "response_format: Input should be 'text' or 'json_object'")
        return then(request) if then else ok({})
    return respond


class FakeOpenAI:
    """The server; use `fake_openai()` to run one."""

    def __init__(self) -> None:
        self.completions: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.responder: Responder = lambda request: ok({})
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies, used in order before falling back to `responder`."""
        with self._lock:
            self._script.extend(replies)

    def next_reply(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.completions.append(request)
            self.headers.append(headers)
            if self._script:
                return self._script.pop(0)
        return self.responder(request)

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            request = json.loads(raw)
        except ValueError:
            self._send(400, {"error": {"message": "body is not JSON"}})
            return
        fake = self.server.fake
        reply = fake.next_reply(request, {k.lower(): v for k, v in self.headers.items()})
        if reply.delay:
            fake.wait(reply.delay)
        if reply.status != 200:
            body = reply.body if reply.body is not None else {
                "error": {"message": reply.message, "type": "fake", "code": reply.status}}
            self._send(reply.status, body, reply.headers)
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.refusal is not None:
            message["refusal"] = reply.refusal
        self._send(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": reply.prompt_tokens,
                      "completion_tokens": reply.completion_tokens,
                      "total_tokens": reply.prompt_tokens + reply.completion_tokens},
        }, reply.headers)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAI


@contextlib.contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    """Run a FakeOpenAI on a free 127.0.0.1 port for the length of the block."""
    fake = FakeOpenAI()
    httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
    httpd.fake = fake
    fake._httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              name="fake-openai", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake._closing.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
