"""The developer's environment never reaches a test, and no request leaves this machine.

tests/conftest.py gives every test a clean environment. These tests prove it: one looks at what
a test sees; one runs tests in a nested pytest under a hostile environment (the keys, endpoint,
config files and settings a real user of recap has); one gives recap a bare API key, as a user
would, and watches where its request goes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from recap.config import Config, config_file_path
from recap.llm import LLMSettings
from recap.models import Info
from tests.conftest import DATA, DEAD_PROXY, MODEL_CACHE, ROOT, leaks, run_recap

HOSTILE_CONFIG = 'whisper_model = "large-v3"\nllm_base_url = "http://127.0.0.1:9/v1"\n'


def test_a_test_sees_none_of_the_developer_environment() -> None:
    leaked = sorted(name for name in os.environ if leaks(name)
                    and name.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
                    and name not in ("RECAP_CACHE", "RECAP_PREFIXES"))
    assert leaked == []
    assert os.environ["RECAP_CACHE"] == str(MODEL_CACHE)
    # the embedded server's saved prompt prefixes: the test's own, never the developer's
    assert Path(os.environ["RECAP_PREFIXES"]).parent == Path.home()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        assert os.environ[name] == DEAD_PROXY
    home, cwd = Path.home(), Path.cwd()
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    assert home != cwd and ROOT not in (home, cwd, *cwd.parents)
    # So recap finds no config file, no key and no endpoint: the embedded model, the defaults.
    assert config_file_path() is None
    config = Config.load()
    assert config.file_values == {}
    assert config.resolve("whisper_model", None, "tiny.en") == "tiny.en"
    assert LLMSettings.resolve(config).embedded


def test_a_hostile_developer_environment_does_not_reach_tests(tmp_path: Path) -> None:
    """The issue's reproduction: a user's key, endpoint and config files, then the tests."""
    home = tmp_path / "home"
    (home / ".config" / "recap").mkdir(parents=True)
    (home / ".config" / "recap" / "config.toml").write_text(HOSTILE_CONFIG)
    cwd = tmp_path / "project"
    cwd.mkdir()
    (cwd / "recap.toml").write_text(HOSTILE_CONFIG)
    env = {**os.environ, "HOME": str(home), "OPENAI_API_KEY": "sk-test",
           "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "RECAP_CONFIG": str(cwd / "recap.toml"),
           "RECAP_WHISPER_MODEL": "large-v3", "RECAP_CLUSTER": "tcp://127.0.0.1:9",
           "RECAP_PROMPTS": str(cwd / "no-prompts"), "XDG_CACHE_HOME": str(cwd / "cache")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                 "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        env.pop(name, None)
    # The first test failed this way before the fixture: "cannot load whisper model 'large-v3'".
    tests = [f"{ROOT}/tests/test_cli.py::test_fetch_transcribe_and_skip",
             f"{ROOT}/tests/test_isolation.py::test_a_test_sees_none_of_the_developer_environment"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--basetemp", str(tmp_path / "inner"), *tests],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout, proc.stdout
    # And the user's files are as they left them.
    assert sorted(p.name for p in cwd.iterdir()) == ["recap.toml"]


# ---------------------------------------------------------------- a bare API key

class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that records each CONNECT (host:port) and refuses it."""

    def __init__(self) -> None:
        self.connects: list[str] = []
        self.url = ""

    @contextlib.contextmanager
    def running(self) -> Iterator[RecordingProxy]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

            def do_CONNECT(self) -> None:  # noqa: N802 - stdlib name
                proxy.connects.append(self.path)
                self.send_error(403, "tests send nothing off this machine")

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                proxy.connects.append(self.path)
                self.send_error(403, "tests send nothing off this machine")

            do_POST = do_GET  # noqa: N815

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


def test_a_bare_api_key_sends_nothing_off_this_machine(tmp_path: Path) -> None:
    """OPENAI_API_KEY and no base URL means api.openai.com: the request reaches 127.0.0.1 and
    stops there, and recap says in one line that it cannot reach the endpoint."""
    folder = tmp_path / "city-bees"
    folder.mkdir()
    shutil.copy(DATA / "city-bees.transcript.json", folder / "transcript.json")
    info = Info(title="City Bees", duration=117.0, audio_file="audio.mp3",
                source="https://example.invalid/city-bees")
    (folder / "info.json").write_text(info.to_json())
    # ./recap.toml of the test's own working directory: no retries, so one request is enough.
    Path("recap.toml").write_text("llm_retries = 0\n")
    with RecordingProxy().running() as proxy:
        proxies = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                 "http_proxy", "https_proxy", "all_proxy"), proxy.url)
        env = {"OPENAI_API_KEY": "sk-test", **proxies}
        assert run_recap("chunk", str(folder), env=env).returncode == 0
        proc = run_recap("notes", str(folder), env=env, timeout=120)
    # Every request went to the proxy on 127.0.0.1 and no further: the chat completion, and
    # tiktoken's download of the gpt-4o-mini encoding (it falls back to an estimate offline).
    assert "api.openai.com:443" in proxy.connects, proxy.connects
    assert set(proxy.connects) <= {"api.openai.com:443", "openaipublic.blob.core.windows.net:443"}
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("recap: error:")]
    assert len(errors) == 1 and "api.openai.com" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    everything = proc.stdout + proc.stderr + "".join(
        p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())
    assert "sk-test" not in everything
    assert not (folder / "notes.json").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["stages"]["notes"]["status"] == "failed"


# ---------------------------------------------------------------- no silent skips in CI

SKIPPING_TESTS = {
    "test_needs_a_binary.py": ("import pytest\n\n"
                               "def test_needs_a_binary():\n"
                               "    pytest.skip('frobnicate is not installed')\n\n"
                               "def test_runs():\n"
                               "    pass\n"),
    "test_needs_a_module.py": ("import pytest\n\n"
                               "pytest.importorskip('no_such_module_for_recap_tests')\n\n"
                               "def test_uses_it():\n"
                               "    pass\n"),
}


def _run_skipping_tests(folder: Path, ci: str | None,
                        *names: str) -> subprocess.CompletedProcess[str]:
    folder.mkdir(exist_ok=True)
    for name in names or SKIPPING_TESTS:
        (folder / name).write_text(SKIPPING_TESTS[name])
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    # This suite's conftest as a plugin, on test files outside the suite.
    return subprocess.run([sys.executable, "-m", "pytest", "-ra", "-p", "tests.conftest",
                           "-p", "no:cacheprovider", "--rootdir", str(folder),
                           "--basetemp", str(folder / "tmp"), str(folder)],
                          capture_output=True, text=True, env=env, cwd=folder, timeout=120)


def test_under_ci_a_skip_for_something_missing_fails_the_run(tmp_path: Path) -> None:
    proc = _run_skipping_tests(tmp_path, "true", "test_needs_a_binary.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED test_needs_a_binary.py::test_needs_a_binary - CI=true: this would be skipped " \
           "(frobnicate is not installed)" in proc.stdout, proc.stdout
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout


def test_under_ci_a_file_that_cannot_import_what_it_tests_stops_the_run(tmp_path: Path) -> None:
    proc = _run_skipping_tests(tmp_path / "ci", "1")  # importorskip at the top of a file
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "ERROR test_needs_a_module.py - CI=1: this would be skipped (could not import " \
           "'no_such_module_for_recap_tests'" in proc.stdout, proc.stdout


def test_outside_ci_it_skips_with_the_reason_printed(tmp_path: Path) -> None:
    proc = _run_skipping_tests(tmp_path, "false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "SKIPPED [1] test_needs_a_binary.py:4: frobnicate is not installed" in out, out
    assert "could not import 'no_such_module_for_recap_tests'" in out, out
    assert "1 passed, 2 skipped" in out, out
