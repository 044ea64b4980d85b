"""Shared pieces of the reliability suite: the real CLI, what "nothing half-written" means,
a fake-model endpoint, fast retries, and a throttled HTTP server for interrupted downloads."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fake_openai import FakeOpenAI, Reply
from tests.test_notes import Model

KEY = "sk-test-LEAKCHECK-0123456789"
"""A recognisable fake API key: it must never appear in anything recap writes or prints."""


# ---------------------------------------------------------------- the real command

def recap(*args: str, env: dict[str, str] | None = None, debug: bool = False,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `python -m recap` (RECAP_DEBUG only when `debug`)."""
    return subprocess.run([sys.executable, "-m", "recap", *args], capture_output=True, text=True,
                          env=recap_env(env, debug), timeout=timeout)


def start_recap(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `python -m recap` in the background (for interruption tests)."""
    return subprocess.Popen([sys.executable, "-m", "recap", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=recap_env(env))


def recap_env(extra: dict[str, str] | None = None, debug: bool = False) -> dict[str, str]:
    """The test's environment (already clean: tests/conftest.py) plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "RECAP_DEBUG"}
    env.update(extra or {})
    if debug:
        env["RECAP_DEBUG"] = "1"
    return env


def assert_error(proc: subprocess.CompletedProcess[str], *needles: str, code: int = 1) -> str:
    """Exit `code`, exactly one `recap: error:` line (the last), no traceback; returns it."""
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("recap: error:")]
    assert len(errors) == 1, proc.stderr
    assert lines[-1] == errors[0], f"output after the error line:\n{proc.stderr}"
    for needle in needles:
        assert needle.lower() in errors[0].lower(), errors[0]
    return errors[0]


def assert_nothing_half_written(folder: Path) -> None:
    """No temporary or partial file anywhere below `folder`; every JSON file parses."""
    leftovers = [str(p.relative_to(folder)) for p in folder.rglob("*")
                 if ".tmp-" in p.name or p.name.endswith((".part", ".ytdl"))
                 or p.name.startswith(".fetch-")]
    assert not leftovers, leftovers
    for artifact in folder.rglob("*.json"):
        json.loads(artifact.read_text(encoding="utf-8"))  # complete, or it would not parse


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def stage_status(folder: Path, stage: str) -> str | None:
    record = manifest(folder)["stages"].get(stage)
    return record["status"] if record else None


def copy_episode(source: Path, root: Path) -> Path:
    """A private copy of a prepared episode folder under `root`."""
    target = root / source.name
    shutil.copytree(source, target)
    return target


# ---------------------------------------------------------------- LLM endpoint

def llm_args(server: FakeOpenAI) -> list[str]:
    """Point recap at the fake endpoint."""
    return ["--llm-base-url", server.base_url, "--llm-model", "fake"]


def fast_retries(folder: Path, **extra: Any) -> dict[str, str]:
    """A config file with short retry waits (two retries); returns the env that selects it."""
    values = {"llm_retries": 2, "llm_retry_delay": 0.01, **extra}
    path = folder / "recap.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return {"RECAP_CONFIG": str(path)}


def fake_model(server: FakeOpenAI) -> Model:
    """Valid replies to every notes call, built from each request (see tests/test_notes.py)."""
    return Model(server)


def delay_after(server: FakeOpenAI, answered: int, seconds: float) -> None:
    """Answer the first `answered` requests at once, then hold every later reply `seconds`."""
    inner = server.responder

    def respond(request: dict[str, Any]) -> Reply:
        reply = inner(request)
        if len(server.completions) > answered:
            reply.delay = seconds
        return reply

    server.responder = respond


# ---------------------------------------------------------------- waiting and signals

def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str],
               timeout: float = 120, what: str = "the condition") -> None:
    """Poll `condition` while `proc` runs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"recap exited ({proc.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"{what} never happened")
        time.sleep(0.05)


def interrupt(proc: subprocess.Popen[str], sig: int = signal.SIGINT,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Send `sig` and collect the outcome (`timeout` is far below any delay a test scripts)."""
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"recap did not exit after {signal.Signals(sig).name}:\n{err}"
                             ) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# ---------------------------------------------------------------- a slow download

class ThrottledServer:
    """Serves files from `root` on 127.0.0.1 at `rate` bytes a second (no Range support).

    `sent` counts the body bytes written so far, so a test can interrupt mid-download.
    """

    def __init__(self, root: Path, rate: int = 32 * 1024) -> None:
        self.root = Path(root)
        self.rate = rate
        self.sent = 0
        self.closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @contextlib.contextmanager
    def running(self) -> Iterator[ThrottledServer]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

            def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
                self._answer(body=False)

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                path = server.root / self.path.lstrip("/").split("?", 1)[0]
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav" if path.suffix == ".wav"
                                 else "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not body:
                    return
                step = max(1, server.rate // 10)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for start in range(0, len(data), step):
                        if server.closing.wait(0.1):
                            return
                        self.wfile.write(data[start : start + step])
                        server.sent += len(data[start : start + step])

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.closing.set()
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
