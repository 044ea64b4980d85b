"""Shared fixtures: a clean environment for every test, paths to bundled audio, a CLI runner
through the real `recap` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "samples" / "city-bees.mp3"

# ---------------------------------------------------------------- a clean environment
#
# Nothing of the developer's shell, home or working directory may reach a test: not their API
# keys or endpoints (a test would send the sample to a paid API), not their recap settings
# (RECAP_CONFIG, ./recap.toml, ~/.config/recap/config.toml, RECAP_*), not the settings other
# tools read from the environment (llama.cpp server options, Hugo, Jekyll, XDG folders).

DROPPED_PREFIXES = ("OPENAI_", "RECAP_", "AZURE_OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_API_",
                    "MISTRAL_", "GROQ_", "COHERE_", "TOGETHER_", "DEEPSEEK_", "OLLAMA_",
                    "LLAMA_", "LITELLM_", "HF_", "HUGGING_FACE_", "HUGO_", "JEKYLL_", "XDG_")
DROPPED_SUFFIXES = ("_API_KEY", "_API_TOKEN", "_ACCESS_TOKEN", "_SECRET_KEY", "_BASE_URL",
                    "_API_BASE")
PROXY_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# Port 9 (discard) refuses connections: a request for any host but this machine goes to the
# proxy here and fails, instead of leaving it (the HTTP clients recap uses, httpx for openai
# and yt-dlp, honour these variables).
DEAD_PROXY = "http://127.0.0.1:9"
LOCAL_HOSTS = "127.0.0.1,localhost"

# Where the embedded Qwen model is joined from its packages (1.1 GB, checksum-verified): kept
# across tests and runs, as `make demo` keeps it, rather than joined again in every home.
MODEL_CACHE = Path(os.environ.get("RECAP_CACHE") or Path.home() / ".cache" / "recap")


def leaks(name: str) -> bool:
    """True for an environment variable that must not reach a test."""
    upper = name.upper()
    return (upper.startswith(DROPPED_PREFIXES) or upper.endswith(DROPPED_SUFFIXES)
            or upper in (*PROXY_NAMES, "NO_PROXY"))


def isolate(patch: pytest.MonkeyPatch, home: Path, cwd: Path) -> None:
    """Drop what leaks, then give `home` and `cwd` as the home and working directory."""
    for name in [name for name in os.environ if leaks(name)]:
        patch.delenv(name)
    patch.setenv("HOME", str(home))
    patch.setenv("RECAP_CACHE", str(MODEL_CACHE))
    # The embedded server's saved prompt prefixes start empty in every test: a reply then does
    # not depend on which tests ran before (a loaded prefix shifts llama.cpp's arithmetic).
    patch.setenv("RECAP_PREFIXES", str(home / ".recap-prefixes"))
    for name in PROXY_NAMES:
        patch.setenv(name, DEAD_PROXY)
        patch.setenv(name.lower(), DEAD_PROXY)
    patch.setenv("NO_PROXY", LOCAL_HOSTS)
    patch.setenv("no_proxy", LOCAL_HOSTS)
    patch.chdir(cwd)


@pytest.fixture(scope="session", autouse=True)
def _clean_session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for session fixtures (prepared episode folders), which run before any test's."""
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, tmp_path_factory.mktemp("session-home"), tmp_path_factory.mktemp("session-cwd"))
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch,
                       tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test: no keys, no recap settings, an empty home and an empty working directory."""
    isolate(monkeypatch, tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("cwd"))


# ---------------------------------------------------------------- no silent skips in CI
#
# Every skip in this suite means something is missing: the hugo or jekyll binary, Dask,
# llama-cpp-python, a model package, a tmpfs mount. On a developer's machine that may be so
# (the reasons are printed: -ra). In CI it would let the run pass while testing nothing, so
# under CI=true a skip is a failure that names what is missing.

def in_ci() -> bool:
    """True when $CI says this is a CI run (CI=true, CI=1, ...)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _ci_failure(reason: str) -> str:
    return (f"CI={os.environ.get('CI')}: this would be skipped ({reason}); CI must install "
            "what every test needs (.ci/run: make test, the hugo and jekyll packages)")


def _skip_reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if report.skipped and not hasattr(report, "wasxfail") and in_ci():
        report.outcome = "failed"
        report.longrepr = _ci_failure(_skip_reason(report.longrepr))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    report: pytest.CollectReport = yield  # a module-level importorskip skips its whole file
    if report.skipped and in_ci():
        report.outcome = "failed"
        report.longrepr = _ci_failure(_skip_reason(report.longrepr))
    return report


# ---------------------------------------------------------------- time limits
#
# Every test has pytest-timeout's limit from pyproject.toml (300 s); a slow test that needs
# more names it with @pytest.mark.timeout(N). A slow test on a real model that names none gets
# this one: the embedded 1.5B model takes minutes on 2 cores, but never 20.
REAL_MODEL_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.get_closest_marker("slow") and item.get_closest_marker("llm")
                and not item.get_closest_marker("timeout")):
            item.add_marker(pytest.mark.timeout(REAL_MODEL_TIMEOUT))


# ---------------------------------------------------------------- the slow pass on two workers
#
# `make test`'s slow pass runs on two pytest-xdist workers with `--dist loadgroup`, scheduled
# here: the tests of the modules below keep both cores busy on their own (a real model: the
# llama.cpp server, or Whisper on more than a few seconds of audio), so they are one group that
# one worker runs one at a time, as they would alone; the other worker takes the other slow tests,
# which mostly wait (a browser, a Dask cluster, a wheel build, signals). The group also keeps a
# Whisper transcript shared by a module's or the session's tests (fixtures) on one worker.
# (pytest-xdist's own `xdist_group` marks are not read with this pytest, so the group is named by
# module here.) The quick pass distributes by file and never comes here.
CPU_BOUND_MODULES = frozenset({
    "tests/test_faithful_e2e.py", "tests/test_transcribe.py", "tests/test_languages.py",
    "tests/test_notes.py", "tests/test_batch.py", "tests/test_interrupt.py",
    "tests/llm/test_embedded.py", "tests/reliability/test_interrupt_notes.py"})


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneRealModelAtATime(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "cpu-bound" if module in CPU_BOUND_MODULES else nodeid

    return OneRealModelAtATime(config, log)


# ---------------------------------------------------------------- bundled data, the CLI

@pytest.fixture
def sample_mp3() -> Path:
    return SAMPLE


@pytest.fixture
def jfk_wav() -> Path:
    return DATA / "jfk.wav"


def run_recap(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `recap` command (python -m recap) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("RECAP_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "recap", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"recap {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def recap_cli():
    return run_recap


@pytest.fixture(scope="session")
def sample_transcribed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample fetched and transcribed once, by the real CLI with the product's settings: the
    word-error-rate test reads its transcript and the embedded-model test starts from a copy, so
    the suite transcribes it once. Never changed in place: copy it to go on."""
    out = tmp_path_factory.mktemp("sample-run")
    run_recap("run", str(SAMPLE), "-o", str(out), "--stop-after", "transcribe", check=True,
              timeout=900)
    return out / "city-bees"
