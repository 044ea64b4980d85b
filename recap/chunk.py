"""Chunk stage: transcript segments packed into chunks that fit the model's context."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recap.episode import Episode, atomic_write_text
from recap.errors import ConfigError
from recap.models import Chapter, Chunk, Chunks, Info, Segment, Transcript
from recap.text.clock import clock
from recap.tokens import TokenCounter, counter_for


@dataclass
class ChunkOptions:
    """How to pack the transcript."""

    context_tokens: int = 4096
    """The model's context window."""
    prompt_tokens: int = 700
    """Room kept for the prompt template and instructions."""
    output_tokens: int = 1024
    """Room kept for the model's reply."""
    max_chunk_tokens: int = 2000
    """Upper bound on transcript tokens per chunk, even with a large context."""
    model: str = "local"
    """The model whose tokenizer counts tokens (tiktoken for OpenAI models)."""
    min_chapter_fill: float = 0.3
    """Cut at a chapter boundary once the chunk holds this share of its budget."""

    @property
    def budget(self) -> int:
        """Transcript tokens per chunk."""
        room = self.context_tokens - self.prompt_tokens - self.output_tokens
        budget = min(room, self.max_chunk_tokens)
        if budget < 100:
            raise ConfigError(
                f"context of {self.context_tokens} tokens leaves {room} for the transcript "
                "after prompt and reply; use a model with a larger context"
            )
        return budget

    def params(self) -> dict[str, Any]:
        return {"budget": self.budget, "model": self.model}


class ChunkPacker:
    """Packs segments into chunks as they arrive (streaming), cut on segment boundaries."""

    def __init__(self, budget: int, counter: TokenCounter, chapters: Iterable[Chapter] = (),
                 min_chapter_fill: float = 0.3):
        self.budget = budget
        self.counter = counter
        self.chapter_starts = sorted(c.start for c in chapters if c.start > 0)
        self.chapters = sorted(chapters, key=lambda c: c.start)
        self.min_fill = min_chapter_fill
        self._segments: list[Segment] = []
        self._tokens = 0
        self._index = 0

    def add(self, segment: Segment) -> list[Chunk]:
        """Add one segment; return the chunks it completed."""
        done: list[Chunk] = []
        # Count the line as the chunk's text will hold it (timestamp, newline), so chunk.tokens,
        # what the model sees, stays within the budget.
        tokens = self.counter.count(_line(segment)) + 1
        if self._segments and (
            self._tokens + tokens > self.budget or self._crosses_chapter(segment)
        ):
            done.append(self._emit())
        if tokens > self.budget:
            # A single over-long segment: split it by words into pieces that fit.
            done.extend(self._split_segment(segment))
            return done
        self._segments.append(segment)
        self._tokens += tokens
        return done

    def finish(self) -> list[Chunk]:
        """Flush the last chunk."""
        return [self._emit()] if self._segments else []

    def _crosses_chapter(self, segment: Segment) -> bool:
        if not self.chapter_starts or self._tokens < self.min_fill * self.budget:
            return False
        # Only a chapter that starts with this segment: one passed while the chunk was still
        # small has been packed across already.
        previous = self._segments[-1].start
        return any(previous < boundary <= segment.start + 0.01
                   for boundary in self.chapter_starts)

    def _chapter_of(self, start: float) -> str | None:
        title = None
        for ch in self.chapters:
            if ch.start <= start + 0.01:
                title = ch.title
        return title

    def _emit(self) -> Chunk:
        segs = self._segments
        text = "\n".join(_line(s) for s in segs)
        chunk = Chunk(
            index=self._index,
            start=segs[0].start,
            end=segs[-1].end,
            segment_ids=[s.id for s in segs],
            text=text,
            tokens=self.counter.count(text),
            chapter=self._chapter_of(segs[0].start),
        )
        self._index += 1
        self._segments = []
        self._tokens = 0
        return chunk

    def _split_segment(self, segment: Segment) -> list[Chunk]:
        words = segment.text.split()
        room = self.budget - self.counter.count(f"[{clock(segment.end)}] ")
        pieces: list[list[str]] = [[]]
        used = 0
        for word in words:
            cost = self.counter.count(word + " ")
            if pieces[-1] and used + cost > room:
                pieces.append([])
                used = 0
            pieces[-1].append(word)
            used += cost
        span = (segment.end - segment.start) / max(1, len(words))
        out, position = [], 0
        for piece in pieces:
            start = segment.start + position * span
            position += len(piece)
            end = segment.start + position * span
            self._segments = [Segment(segment.id, round(start, 2), round(end, 2), " ".join(piece))]
            out.append(self._emit())
        return out


def _line(segment: Segment) -> str:
    return f"[{clock(segment.start)}] {segment.text.strip()}"



def chunk_segments(segments: Iterable[Segment], options: ChunkOptions,
                   chapters: Iterable[Chapter] = ()) -> Chunks:
    """Pack all segments into chunks."""
    counter = counter_for(options.model)
    packer = ChunkPacker(options.budget, counter, chapters, options.min_chapter_fill)
    chunks: list[Chunk] = []
    for segment in segments:
        chunks.extend(packer.add(segment))
    chunks.extend(packer.finish())
    return Chunks(options.budget, counter.name, chunks)


def chunk(episode: Episode, options: ChunkOptions | None = None) -> Chunks:
    """Read transcript.json (and chapters from info.json) and write chunks.json."""
    options = options or ChunkOptions()
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {episode.root}")
    info = Info.load(episode.info_path, "recap fetch SOURCE")
    result = chunk_segments(transcript.segments, options, info.chapters)
    atomic_write_text(episode.chunks_path, result.to_json())
    return result
