"""Streaming: notes start on the first chunk while transcription goes on.

A real pipeline run (faster-whisper on real speech) against an OpenAI-compatible server on
127.0.0.1 that records when each request arrives; the ordering of events shows the overlap.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from recap import media, pipeline
from recap.chunk import ChunkOptions
from recap.llm import LLMSettings, open_llm
from recap.models import Chunks, Notes
from recap.notes import NotesOptions
from recap.progress import Reporter
from recap.transcribe import TranscribeOptions
from tests.fake_openai import Reply, fake_openai, ok

ROOT = Path(__file__).resolve().parent.parent
_SEGMENT_LINE = re.compile(r"^\(S(\d+)\) (.*)$", re.MULTILINE)
_TOPIC_LINE = re.compile(r"^T(\d+) ", re.MULTILINE)


def answer(request: dict[str, Any]) -> Reply:
    """A valid reply for map, reduce and intro calls (map bullets quote their segments)."""
    fmt = request.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
    keys = set(schema.get("properties") or {})
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    if "topics" in keys:
        lines = _SEGMENT_LINE.findall(user)
        return ok({"topics": [{"title": f"Part from S{lines[0][0]}", "bullets": [
            {"text": text, "segments": [int(sid)]} for sid, text in lines]}]})
    if "sections" in keys:
        ids = [int(i) for i in _TOPIC_LINE.findall(user)]
        return ok({"sections": [{"title": "All of it", "topics": ids}]})
    if "summary" in keys:
        return ok({"summary": "Bees.", "intro": "City bees.", "keywords": ["bees"],
                   "speakers": []})
    return ok({"text": ""})


class Clock(Reporter):
    """Records when transcription reports progress."""

    def __init__(self) -> None:
        self.transcribe_progress: list[float] = []
        self.lock = threading.Lock()

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        if stage == "transcribe":
            with self.lock:
                self.transcribe_progress.append(time.time())


def test_first_map_request_arrives_before_transcription_ends(tmp_path: Path) -> None:
    # 55 s of real speech: the start of the sample episode.
    audio = media.decode_all(ROOT / "samples" / "city-bees.mp3")[: 55 * media.SAMPLE_RATE]
    source = tmp_path / "bees-55s.wav"
    import wave

    with wave.open(str(source), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(media.SAMPLE_RATE)
        out.writeframes((audio * 32767).astype(np.int16).tobytes())
    arrivals: list[float] = []

    def recording(request: dict[str, Any]) -> Reply:
        if "topics" in str(request.get("response_format")):
            arrivals.append(time.time())
        return answer(request)

    with fake_openai() as server:
        server.responder = recording
        settings = LLMSettings(base_url=server.base_url, model="fake-model", timeout=30.0,
                               jobs=2)
        options = pipeline.RunOptions(
            transcribe=TranscribeOptions(),
            chunk=ChunkOptions(context_tokens=4096, max_chunk_tokens=100, model="fake-model"),
            notes=NotesOptions.create(None, settings), llm=settings, stop_after="notes")
        clock = Clock()
        result = pipeline.run(str(source), tmp_path / "out", options, clock,
                              llm_factory=lambda: open_llm(settings))

    episode = result.episode
    assert result.stages["notes"] == "done"
    chunks = Chunks.load(episode.chunks_path).chunks
    assert len(chunks) >= 2
    assert len(arrivals) >= len(chunks)
    transcript_written = episode.transcript_path.stat().st_mtime
    # The overlap: a map call was asked (and so a chunk was complete) while whisper was still
    # reporting progress, well before the transcript was written.
    assert min(arrivals) < transcript_written
    assert min(arrivals) < clock.transcribe_progress[-1]
    assert sum(1 for t in arrivals if t < transcript_written) >= 1
    notes = Notes.load(episode.notes_path)
    assert notes.topics


def test_no_stream_asks_only_after_the_transcript_is_written(tmp_path: Path) -> None:
    """The baseline: the same run with streaming off starts notes after transcription."""
    source = ROOT / "tests" / "data" / "jfk.wav"
    arrivals: list[float] = []

    def recording(request: dict[str, Any]) -> Reply:
        arrivals.append(time.time())
        return answer(request)

    with fake_openai() as server:
        server.responder = recording
        settings = LLMSettings(base_url=server.base_url, model="fake-model", timeout=30.0)
        options = pipeline.RunOptions(
            chunk=ChunkOptions(context_tokens=4096, max_chunk_tokens=100, model="fake-model"),
            notes=NotesOptions.create(None, settings), llm=settings, stop_after="notes",
            stream=False)
        result = pipeline.run(str(source), tmp_path / "out", options,
                              llm_factory=lambda: open_llm(settings))
    assert arrivals
    assert min(arrivals) >= result.episode.transcript_path.stat().st_mtime
