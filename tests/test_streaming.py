"""Streaming: notes start on the first chunk while transcription goes on.

A real pipeline run (faster-whisper on real speech) against an OpenAI-compatible server on
127.0.0.1 that records when each request arrives; the ordering of events shows the overlap.
"""

from __future__ import annotations

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
from tests.audio import decode_all
from tests.fake_openai import Reply, fake_openai
from tests.test_notes import (
    extract_reply,
    heading_reply,
    intro_reply,
    kind_of,
    speakers_reply,
    titles_reply,
)

ROOT = Path(__file__).resolve().parent.parent


def answer(request: dict[str, Any]) -> Reply:
    """A valid reply for every kind of notes call (the paraphrasing fake of test_notes)."""
    replies = {"extract": extract_reply, "speakers": speakers_reply, "titles": titles_reply,
               "heading": heading_reply, "intro": intro_reply}
    return replies[kind_of(request)](request)


class Clock(Reporter):
    """Records when transcription reports progress."""

    def __init__(self) -> None:
        self.transcribe_progress: list[float] = []
        self.lock = threading.Lock()

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        if stage == "transcribe":
            with self.lock:
                self.transcribe_progress.append(time.time())


def test_first_extraction_request_arrives_before_transcription_ends(tmp_path: Path) -> None:
    # 55 s of real speech: the start of the sample episode.
    audio = decode_all(ROOT / "samples" / "city-bees.mp3")[: 55 * media.SAMPLE_RATE]
    source = tmp_path / "bees-55s.wav"
    import wave

    with wave.open(str(source), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(media.SAMPLE_RATE)
        out.writeframes((audio * 32767).astype(np.int16).tobytes())
    arrivals: list[float] = []

    def recording(request: dict[str, Any]) -> Reply:
        if kind_of(request) == "extract":
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
    # The overlap: an extraction call was asked (and so a chunk was complete) while whisper was still
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
