"""Chunking properties: every segment once, in order, within budget, cut at chapters."""

from __future__ import annotations

import random

import pytest

from recap.chunk import ChunkOptions, ChunkPacker, chunk_segments
from recap.errors import ConfigError
from recap.models import Chapter, Segment
from recap.tokens import EstimateCounter

WORDS = ("bees hive honey roof city varroa mite winter queen garden flower euro jar "
         "seventeen kilograms Rotterdam library association season rules").split()


def make_segments(seed: int, count: int, max_words: int = 30) -> list[Segment]:
    rng = random.Random(seed)
    segments, clock = [], 0.0
    for i in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, max_words))]
        length = 0.3 * len(words)
        segments.append(Segment(i, round(clock, 2), round(clock + length, 2), " ".join(words)))
        clock += length + rng.choice((0.0, 0.2, 1.5))
    return segments


def whole_episode_budget(segments: list[Segment]) -> int:
    return pack(segments, 10**6)[0].tokens + len(segments) + 10


def pack(segments: list[Segment], budget: int, chapters: list[Chapter] = ()) -> list:
    packer = ChunkPacker(budget, EstimateCounter(), chapters)
    chunks = []
    for segment in segments:
        chunks.extend(packer.add(segment))
    return chunks + packer.finish()


@pytest.mark.parametrize("seed", range(12))
def test_every_segment_in_exactly_one_chunk_in_order(seed: int) -> None:
    segments = make_segments(seed, 200)
    chunks = pack(segments, budget=150 + 40 * seed)
    ids = [i for c in chunks for i in c.segment_ids]
    assert ids == [s.id for s in segments]
    assert [c.index for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize("seed", range(12))
def test_budget_respected_counting_the_text_the_model_sees(seed: int) -> None:
    budget = 120 + 30 * seed
    chunks = pack(make_segments(seed, 200), budget)
    counter = EstimateCounter()
    for chunk in chunks:
        assert counter.count(chunk.text) <= budget, chunk.index
        assert chunk.tokens <= budget


@pytest.mark.parametrize("seed", range(6))
def test_chunk_times_cover_their_segments_and_do_not_overlap(seed: int) -> None:
    segments = make_segments(seed, 150)
    by_id = {s.id: s for s in segments}
    chunks = pack(segments, budget=200)
    for chunk in chunks:
        assert chunk.start == by_id[chunk.segment_ids[0]].start
        assert chunk.end == by_id[chunk.segment_ids[-1]].end
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.end <= after.start


def test_chunk_text_has_one_timestamped_line_per_segment() -> None:
    segments = make_segments(3, 40)
    for chunk in pack(segments, budget=300):
        lines = chunk.text.splitlines()
        assert len(lines) == len(chunk.segment_ids)
        assert all(line.startswith("[0:") for line in lines)


def test_chapter_boundaries_are_preferred() -> None:
    segments = make_segments(7, 120, max_words=12)
    boundary = segments[60].start
    chapters = [Chapter("Opening", 0.0, boundary), Chapter("Money", boundary, 9999.0)]
    budget = whole_episode_budget(segments)
    chunks = pack(segments, budget, chapters=chapters)
    # The whole episode would fit in one chunk; the chapter start cuts it instead.
    assert len(pack(segments, budget)) == 1
    assert len(chunks) == 2
    assert chunks[1].segment_ids[0] == 60
    assert [c.chapter for c in chunks] == ["Opening", "Money"]


def test_chapter_cut_waits_until_the_chunk_is_reasonably_full() -> None:
    segments = make_segments(8, 120, max_words=12)
    early = segments[2].start  # a chapter two segments in: too small a chunk to cut there
    chapters = [Chapter("Intro", 0.0, early), Chapter("Main", early, 9999.0)]
    chunks = pack(segments, whole_episode_budget(segments), chapters=chapters)
    assert len(chunks) == 1


def test_over_long_segment_is_split_into_pieces_that_fit() -> None:
    long_text = " ".join(WORDS[i % len(WORDS)] for i in range(900))
    segments = [Segment(0, 0.0, 5.0, "short opening words"),
                Segment(1, 5.0, 305.0, long_text),
                Segment(2, 305.0, 310.0, "short closing words")]
    budget = 200
    chunks = pack(segments, budget)
    pieces = [c for c in chunks if c.segment_ids == [1]]
    assert len(pieces) > 2
    counter = EstimateCounter()
    assert all(counter.count(c.text) <= budget for c in chunks)
    # The pieces keep every word, in order, and split the segment's time range between them.
    words = [w for c in pieces for w in c.text.split("] ", 1)[1].split()]
    assert words == long_text.split()
    assert pieces[0].start == 5.0 and pieces[-1].end == 305.0
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end == pytest.approx(after.start)
    # The segments around it are not merged into the pieces.
    assert chunks[0].segment_ids == [0] and chunks[-1].segment_ids == [2]


def test_chunk_segments_uses_the_options_budget() -> None:
    options = ChunkOptions(context_tokens=4096, prompt_tokens=700, output_tokens=1024)
    result = chunk_segments(make_segments(1, 400), options)
    assert result.token_budget == min(4096 - 700 - 1024, options.max_chunk_tokens)
    assert all(c.tokens <= result.token_budget for c in result.chunks)
    assert result.tokenizer == "estimate-3cpt"


def test_a_context_too_small_for_any_transcript_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="larger context"):
        _ = ChunkOptions(context_tokens=1500).budget
