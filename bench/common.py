"""Shared pieces of the benchmarks: the machine, test episodes built from real speech, WER,
and a delay LLM server on 127.0.0.1.

Inputs are built, not downloaded: from the speech in ../shared/data/speech (or $RECAP_SPEECH_DIR)
when present, else from the repository's own samples/city-bees.mp3 and tests/data/jfk.wav.
Built files are kept in bench/_work/ (git-ignored) and reused by later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "_work"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from recap import media  # noqa: E402

SR = media.SAMPLE_RATE
PAUSE_SECONDS = 0.8  # between two pieces of speech


# ---------------------------------------------------------------- the machine

def machine() -> dict[str, Any]:
    """Cores, CPU model and the vector units llama.cpp picks its kernels by, memory and load:
    printed with every result (the "Intel(R) Xeon(R) Processor" of two cloud machines may
    read prompts at 36 or at 100 tokens/s)."""
    model = platform.processor() or platform.machine()
    units: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):  # after the first CPU's model name
                flags = set(line.split(":", 1)[1].split())
                units = [u for u in ("avx2", "avx512f", "avx512_vnni", "amx_int8")
                         if u in flags]
                break
    memory_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    versions = {}
    for dist in ("faster-whisper", "ctranslate2"):
        with contextlib.suppress(Exception):
            from importlib import metadata

            versions[dist] = metadata.version(dist)
    return {"cpu": model, "vector_units": units, "cores": usable,
            "memory_gb": round(memory_gb, 1),
            "load_1min": round(os.getloadavg()[0], 2), "python": platform.python_version(),
            **versions}


def describe(info: dict[str, Any]) -> str:
    return (f"{info['cores']} cores, {info['cpu']}, {info['memory_gb']} GB RAM, "
            f"load {info['load_1min']} at start")


def main_with_rounds(doc: str, run: Callable[[int], dict[str, Any]], name: str) -> None:
    """The command line of a benchmark that alternates baseline and target `--rounds` times:
    run it and save its result as bench/results/<name>.json."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    save_result(name, run(parser.parse_args().rounds))


def save_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


# ---------------------------------------------------------------- speech and episodes

def speech_dir() -> Path | None:
    """The shared speech folder when this checkout has one."""
    for candidate in (os.environ.get("RECAP_SPEECH_DIR"), ROOT.parent / "shared" / "data" /
                      "speech"):
        if candidate and (Path(candidate) / "asterisk_allison_long.flac").is_file():
            return Path(candidate)
    return None


@dataclass
class Piece:
    """A stretch of speech and what is said in it."""

    audio: np.ndarray
    text: str


def decode_all(path: Path) -> np.ndarray:
    """A whole file decoded at once (recap itself streams): baselines need it in memory."""
    blocks = list(media.decode_stream(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def speech_pieces() -> tuple[str, list[Piece]]:
    """Real speech cut into pieces with their reference text, and where it came from."""
    found = speech_dir()
    if found is None:
        bees = decode_all(ROOT / "samples" / "city-bees.mp3")
        jfk = decode_all(ROOT / "tests" / "data" / "jfk.wav")
        return "repo samples (city-bees.mp3 + jfk.wav)", [
            Piece(bees, (ROOT / "samples" / "city-bees.reference.txt").read_text()),
            Piece(jfk, (ROOT / "tests" / "data" / "jfk.txt").read_text())]
    pieces = []
    long = decode_all(found / "asterisk_allison_long.flac")
    for line in (found / "asterisk_allison_long.segments.tsv").read_text().splitlines():
        start, end, _name, text = line.split("\t", 3)
        pieces.append(Piece(long[int(float(start) * SR) : int(float(end) * SR)], text))
    for name in ("librivox_sense_and_sensibility", "librivox_sonnet1", "jfk"):
        audio_file = next(p for p in (found / f"{name}.flac", found / f"{name}.wav")
                          if p.is_file())
        pieces.append(Piece(decode_all(audio_file), (found / f"{name}.txt").read_text()))
    return f"shared speech ({found})", pieces


@dataclass
class Episode:
    """A built test episode."""

    path: Path
    reference: str
    seconds: float
    source: str
    meta: dict[str, Any] = field(default_factory=dict)


def build_episode(minutes: float, name: str | None = None, fmt: str = "mp3",
                  first_piece: int = 0) -> Episode:
    """Concatenate real speech (with short pauses) into an episode of at least `minutes`.

    Pieces are taken in order from `first_piece` and repeated from the start when they run out;
    the reference is their texts in the same order. The file is cached in bench/_work/.
    """
    source, pieces = speech_pieces()
    target = minutes * 60
    chosen: list[Piece] = []
    seconds, index = 0.0, first_piece
    while seconds < target:
        piece = pieces[index % len(pieces)]
        chosen.append(piece)
        seconds += len(piece.audio) / SR + PAUSE_SECONDS
        index += 1
    digest = hashlib.sha256(f"{source}|{minutes}|{len(chosen)}|{fmt}|{first_piece}".encode()).hexdigest()[:10]
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{name or 'speech'}-{minutes:g}min-{digest}.{fmt}"
    reference = "\n".join(p.text.strip() for p in chosen)
    if not path.exists():
        _encode(chosen, path)
    return Episode(path, reference, seconds, source)


def _encode(pieces: list[Piece], path: Path) -> None:
    """Stream the pieces into ffmpeg (mp3 at 64 kbit/s mono, like a spoken-word podcast)."""
    partial = path.with_name(path.name + ".part" + path.suffix)
    codec = ["-c:a", "libmp3lame", "-b:a", "64k"] if path.suffix == ".mp3" else []
    cmd = [media.ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ac", "1",
           "-ar", str(SR), "-i", "-", *codec, str(partial)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    pause = np.zeros(int(PAUSE_SECONDS * SR), dtype=np.int16)
    for piece in pieces:
        proc.stdin.write((np.clip(piece.audio, -1, 1) * 32767).astype(np.int16).tobytes())
        proc.stdin.write(pause.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"ffmpeg failed to write {partial}")
    partial.replace(path)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate in percent, both texts normalised the same way: lower case, no
    punctuation, every figure in one canonical form ("twenty two" = "22"), via recap.text.figures."""
    import jiwer

    from recap.text.figures import canonical_words

    return 100.0 * float(jiwer.wer(" ".join(canonical_words(reference)),
                                   " ".join(canonical_words(hypothesis))))


# ---------------------------------------------------------------- a delay LLM server

_EXCERPT = re.compile(r"^Excerpt:\n(.*?)\nNotes:", re.MULTILINE | re.DOTALL)
_SECTION = re.compile(r"^Section (\d+):$", re.MULTILINE)
_JSON_KINDS = (("speakers", "guests"), ("titles", "titles"),
               ("intro", "summary"))
LLM_KINDS = ("speakers", "extract", "titles", "heading", "intro")
"""The notes stage's calls, in the order they are made."""
_TIMESTAMP = re.compile(r"^\[\d+:\d{2}:\d{2}\] ?")


@dataclass
class Request:
    """One chat completion the server received."""

    kind: str
    arrived: float
    """time.time() when it arrived."""
    user: str


def _kind(body: dict[str, Any]) -> str:
    """extract | speakers | titles | heading | intro, from the reply schema (extraction and a
    section's heading are the plain-text calls: they have none)."""
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
    keys = set(schema.get("properties") or {})
    for kind, key in _JSON_KINDS:
        if key in keys:
            return kind
    if _user(body).rstrip().endswith("Heading:"):
        return "heading"
    return "extract" if _EXCERPT.search(_user(body)) else "unknown"


def _user(body: dict[str, Any]) -> str:
    return next((m.get("content") or "" for m in body.get("messages", [])
                 if m.get("role") == "user"), "")


def excerpt(user: str) -> str:
    """The transcript an extraction request shows (its `Excerpt:` lines, one sentence each),
    as one line."""
    found = _EXCERPT.findall(user)
    return " ".join(found[-1].splitlines()) if found else ""


def chunk_plain_text(chunk: dict[str, Any]) -> str:
    """A chunks.json chunk's text as extraction excerpts quote it: no timestamps, one line."""
    return " ".join(" ".join(_TIMESTAMP.sub("", line).split())
                    for line in chunk["text"].splitlines() if line.strip())


_THIRD_PERSON = [(r"\bI am\b", "the speaker is"), (r"\bI\b", "the speaker"), (r"\b[Ww]e\b", "they"),
                 (r"\b(?:me|us)\b", "them"), (r"\b(?:[Mm]y|[Oo]ur)\b", "their"),
                 (r"\b(?:mine|ours)\b", "theirs")]


def canned_reply(kind: str, user: str) -> str:
    """A valid reply of each kind, built from the request: the message content to send.

    Extraction answers in plain text, a "- " line per sentence of the excerpt (quoted, so the
    notes are grounded); the other calls answer JSON of their shape.
    """
    if kind == "extract":
        sentences = re.split(r"(?<=[.!?])\s+", excerpt(user))
        notes = [s for s in sentences if len(s.split()) >= 4 and not s.endswith("?")][:8]
        return "\n".join(f"- {n}" for n in notes) or "- Nothing of note."
    if kind == "speakers":
        return json.dumps({"show": "", "host": "", "guests": []})
    if kind == "heading":  # the section's notes come last, after the prompt's examples
        first = re.findall(r"^- (.*)$", user.rsplit("Notes:", 1)[-1], re.MULTILINE)[:1]
        longest = sorted(re.findall(r"[A-Za-z]{4,}", first[0] if first else ""),
                         key=lambda w: (-len(w), w))[:2]
        return " and ".join(longest).capitalize() or "Benchmark notes"
    if kind == "titles":
        return json.dumps({"titles": [f"Section {n} of the benchmark"
                                      for n in _SECTION.findall(user)]})
    return json.dumps({"summary": "A benchmark episode.",
                       "intro": "Speech stitched together for a benchmark.",
                       "keywords": ["benchmark"]})


class DelayLLM:
    """An OpenAI-compatible endpoint on 127.0.0.1 that answers every chat completion with a
    valid canned reply after `delay` seconds, and records each request's arrival time and kind."""

    def __init__(self, delay: float):
        self.delay = delay
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if kind is None or r.kind == kind)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()

    def __enter__(self) -> DelayLLM:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

            def do_GET(self) -> None:  # noqa: N802
                self._send({"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                user = _user(body)
                kind = _kind(body)
                with server._lock:
                    server.requests.append(Request(kind, time.time(), user))
                time.sleep(server.delay)
                content = canned_reply(kind, user)
                self._send({"id": "bench", "object": "chat.completion",
                            "created": int(time.time()), "model": body.get("model", "fake"),
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content}}],
                            "usage": {"prompt_tokens": 100, "completion_tokens": 50,
                                      "total_tokens": 150}})

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def llm_config(context_tokens: int) -> Path:
    """A recap config file setting the LLM context (which sets the chunk size)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"recap-context-{context_tokens}.toml"
    path.write_text(f"llm_context = {context_tokens}\n")
    return path


def recap_command(*args: str, config: Path | None = None,
                  log: Path | None = None) -> tuple[float, float]:
    """Run the real `recap` CLI in a subprocess; its wall time and CPU time (user + system,
    which shared cores do not inflate) in seconds."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("OPENAI_API_KEY", None)
    if config is not None:
        env["RECAP_CONFIG"] = str(config)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "recap", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ recap {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
    if proc.returncode != 0:
        raise SystemExit(f"recap {' '.join(args)} failed ({proc.returncode}):\n"
                         f"{proc.stderr[-2000:]}")
    return wall, cpu


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@contextlib.contextmanager
def serve_files(root: Path) -> Iterator[str]:
    """Serve the folder `root` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietFiles, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def write_feed(root: Path, base_url: str, episodes: list[Episode]) -> str:
    """An RSS podcast feed (feed.xml in `root`) with one enclosure per episode; its URL."""
    items = []
    for n, episode in enumerate(episodes, 1):
        items.append(
            f"<item><title>Benchmark episode {n}</title><guid>bench-{n}</guid>"
            f"<pubDate>Mon, 0{n} Jan 2024 12:00:00 +0000</pubDate>"
            f'<enclosure url="{base_url}/{episode.path.name}" '
            f'length="{episode.path.stat().st_size}" type="audio/mpeg"/>'
            f"<itunes:duration>{int(episode.seconds)}</itunes:duration></item>")
    (root / "feed.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f"<channel><title>Benchmark feed</title><link>{base_url}/</link>"
        "<description>Served on 127.0.0.1.</description>" + "".join(items)
        + "</channel></rss>\n")
    return f"{base_url}/feed.xml"


@contextlib.contextmanager
def timer() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    started = time.monotonic()
    try:
        yield out
    finally:
        out["seconds"] = time.monotonic() - started
