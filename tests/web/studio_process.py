"""`recap studio` as its own process on a free port, for the tests that need a real server: it
is ready once *this* studio lists the episodes (a port another test's server took in the
meantime means a new port), and its stderr is read as it comes, so a full pipe never blocks it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

TRIES = 3


@dataclass
class Studio:
    base: str
    """http://127.0.0.1:PORT"""
    port: int
    stderr: Drain

    @property
    def token(self) -> str | None:
        """The access token the studio printed (bound off loopback), else None."""
        found = re.search(r"\?token=([\w-]+)", "".join(self.stderr.lines))
        return found.group(1) if found else None


class Drain:
    """A process's stderr, read line by line on a thread."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    def join(self) -> None:
        self.thread.join(10)

    def text(self) -> str:
        return "".join(self.lines[-20:])


@contextmanager
def running_studio(output_root: Path, *args: str,
                   env: dict[str, str] | None = None) -> Iterator[Studio]:
    """`recap studio OUTPUT_ROOT --port N [args]`, stopped on leaving."""
    errors = ""
    for _ in range(TRIES):
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "recap", "studio", str(output_root),
                                 "--port", str(port), *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=env)
        drain = Drain(proc)
        studio = Studio(f"http://127.0.0.1:{port}", port, drain)
        try:
            if _answers(studio, proc, output_root):
                yield studio
                return
        finally:
            stop(proc)
            drain.join()
        errors = drain.text()
    raise AssertionError(f"recap studio did not start on {TRIES} ports: {errors}")


def _answers(studio: Studio, proc: subprocess.Popen[str], output_root: Path,
             seconds: float = 60) -> bool:
    """True once this studio lists the episodes under `output_root` (an episode list with their
    stages); False where its port was taken (it exits, or another server answers there)."""
    folders = {p.name for p in output_root.iterdir()}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if not any("serving" in line for line in studio.stderr.lines):
            time.sleep(0.1)
            continue
        headers = {"Authorization": f"Bearer {studio.token}"} if studio.token else {}
        request = urllib.request.Request(f"{studio.base}/api/episodes", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                listed = json.loads(answer.read())
        except urllib.error.HTTPError:
            return False  # this studio answers 200 to its own token: another server holds the port
        except (OSError, ValueError):
            time.sleep(0.2)
            continue
        episodes = isinstance(listed, list) and all(
            isinstance(e, dict) and e.get("slug") in folders and "stages" in e for e in listed)
        return episodes and proc.poll() is None
    raise AssertionError(f"{studio.base}/api/episodes did not answer within {seconds:g} s: "
                         f"{studio.stderr.text()}")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


__all__ = ["Drain", "Studio", "running_studio", "stop"]
