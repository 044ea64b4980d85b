"""Keeping llama.cpp off Intel AMX, whose kernels crash it, without losing its other CPU kernels.

llama.cpp built for a CPU with AMX (Intel Sapphire Rapids and later: the build's system info
says `AMX_INT8 = 1`) moves most weights into AMX buffers, and llama-cpp-python 0.3.36's AMX
kernels crash the process (SIGSEGV) on the first batch of more than one token with the embedded
model's K-quants, that is on every prompt (ggml-org/llama.cpp#20824). Turning off llama.cpp's
CPU-specific buffers altogether (`use_extra_bufts`) avoids it, but also its repacked weights,
which write 1.3-1.4x faster on such a CPU. llama.cpp uses AMX only once Linux has granted the
process the AMX state (`arch_prctl(ARCH_REQ_XCOMP_PERM)`); `deny_amx` makes that request fail in
this process, on all its threads, and in the processes it starts (a seccomp filter that answers
that one request EPERM and lets every other system call through), so llama.cpp says "AMX is not
ready to be used!" and keeps the weights as on a CPU without AMX, repacked. Measured on a 2-core
Xeon with AMX (Qwen 1.5B Q4_K_M, `llama_decode`): one sequence wrote 17.1 tokens/s repacked
against 12.5 in plain buffers, three 25.5 against 19.7; prompts read at 96-101 tokens/s against
124-144.
"""

from __future__ import annotations

import ctypes
import platform
import struct
import sys
import threading

ARCH_REQ_XCOMP_PERM = 0x1023
"""arch_prctl code asking for a dynamically enabled CPU state (AMX's tile data)."""
_SYS_ARCH_PRCTL = 158  # x86-64
_AUDIT_ARCH_X86_64 = 0xC000003E
_PR_SET_NO_NEW_PRIVS = 38
_SYS_SECCOMP = 317  # x86-64
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1  # on every thread of the process, not only the caller
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_EPERM = 1
# classic BPF opcodes
_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K

_lock = threading.Lock()
_denied: bool | None = None


def _instruction(code: int, if_true: int, if_false: int, value: int) -> bytes:
    return struct.pack("HBBI", code, if_true, if_false, value)


def filter_program() -> bytes:
    """The seccomp program: arch_prctl(ARCH_REQ_XCOMP_PERM, ...) on x86-64 fails with EPERM,
    anything else is allowed. `struct seccomp_data`: nr at 0, arch at 4, args[0] at 16 (its
    low half on little-endian x86-64)."""
    return b"".join([
        _instruction(_LOAD_WORD, 0, 0, 4),
        _instruction(_JUMP_IF_EQUAL, 0, 5, _AUDIT_ARCH_X86_64),
        _instruction(_LOAD_WORD, 0, 0, 0),
        _instruction(_JUMP_IF_EQUAL, 0, 3, _SYS_ARCH_PRCTL),
        _instruction(_LOAD_WORD, 0, 0, 16),
        _instruction(_JUMP_IF_EQUAL, 0, 1, ARCH_REQ_XCOMP_PERM),
        _instruction(_RETURN, 0, 0, _SECCOMP_RET_ERRNO | _EPERM),
        _instruction(_RETURN, 0, 0, _SECCOMP_RET_ALLOW),
    ])


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_amx() -> bool:
    """Make this process's request for the AMX state fail from now on, on all its threads and
    the processes it starts (once a process). True where that is in place: on Linux x86-64 with
    seccomp; False elsewhere, or where the kernel refused the filter. It must run before
    llama.cpp first loads a model in this process, which is when it asks."""
    global _denied
    with _lock:
        if _denied is None:
            _denied = _install()
        return _denied


def _install() -> bool:
    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        program = filter_program()
        code = ctypes.create_string_buffer(program, len(program))
        fprog = _Program(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
        # Without privileges a filter needs no_new_privs (no setuid gains in this process).
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        # 0, or -1, or the id of a thread that cannot take the filter (none is then installed)
        return int(libc.syscall(_SYS_SECCOMP, _SECCOMP_SET_MODE_FILTER,
                                _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))) == 0
    except (OSError, AttributeError):
        return False
