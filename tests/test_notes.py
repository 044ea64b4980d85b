"""Notes stage against an OpenAI-compatible server on 127.0.0.1.

The fake endpoint (tests/fake_openai.py) answers map, reduce, intro and repair calls with
replies built from the request itself (a map reply quotes the segments it was shown, so its
bullets are faithful); single tests replace one kind of reply to inject a fault.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recap.chunk import ChunkPacker
from recap.episode import Episode
from recap.errors import ArtifactError
from recap.llm import LLMSettings, open_llm
from recap.models import Chapter, Chunks, Info, Notes, Segment, Transcript
from recap.notes import NotesBuilder, NotesOptions, explain, notes, section_range
from recap.progress import Reporter
from recap.tokens import EstimateCounter
from tests.fake_openai import FakeOpenAI, Reply, fake_openai, ok, text

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "samples" / "city-bees.script.json"
_SEGMENT_LINE = re.compile(r"^\(S(\d+)\) (.*)$", re.MULTILINE)
_TOPIC_LINE = re.compile(r"^T(\d+) ", re.MULTILINE)

# ---------------------------------------------------------------- the fake model

def kind_of(request: dict[str, Any]) -> str:
    """map | reduce | intro | repair, from the schema the client sent."""
    response_format = request.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get(
        "schema") or {}
    keys = set(schema.get("properties") or {})
    for kind, key in (("map", "topics"), ("reduce", "sections"), ("intro", "summary"),
                      ("repair", "text")):
        if key in keys:
            return kind
    raise AssertionError(f"unexpected request schema {keys}")


def user_text(request: dict[str, Any]) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def map_reply(request: dict[str, Any]) -> Reply:
    """One topic per call, one bullet per segment shown, quoting it and citing its id."""
    lines = _SEGMENT_LINE.findall(user_text(request))
    bullets = [{"text": words, "segments": [int(sid)]} for sid, words in lines]
    return ok({"topics": [{"title": f"Part from S{lines[0][0]}", "bullets": bullets}]})


def reduce_reply(request: dict[str, Any]) -> Reply:
    """Pairs of topics, listed last pair first (recap must order sections by time)."""
    ids = [int(i) for i in _TOPIC_LINE.findall(user_text(request))]
    pairs = [ids[i : i + 2] for i in range(0, len(ids), 2)]
    return ok({"sections": [{"title": f"Section of T{p[0]}", "topics": p}
                            for p in reversed(pairs)]})


def intro_reply(request: dict[str, Any]) -> Reply:
    return ok({"summary": "Rooftop beekeeping in Rotterdam.",
               "intro": "Field Notes talks with Priya Natarajan about city bees.",
               "keywords": ["bees", "Rotterdam", "honey", "varroa", "bees"],
               "speakers": ["Priya Natarajan"]})


def repair_reply(request: dict[str, Any]) -> Reply:
    return ok({"text": ""})


class Model:
    """The fake endpoint's brain: a reply per kind, and a log of what was asked."""

    def __init__(self, server: FakeOpenAI):
        self.server = server
        self.replies: dict[str, Callable[[dict[str, Any]], Reply]] = {
            "map": map_reply, "reduce": reduce_reply, "intro": intro_reply,
            "repair": repair_reply}
        server.responder = lambda request: self.replies[kind_of(request)](request)

    def count(self, kind: str | None = None) -> int:
        return sum(1 for r in self.server.completions if kind is None or kind_of(r) == kind)


@pytest.fixture
def model() -> Iterator[Model]:
    with fake_openai() as server:
        yield Model(server)


# ---------------------------------------------------------------- the episode

def write_episode(root: Path, turns: list[str] | None = None, budget: int = 120,
                  chapters: list[Chapter] | None = None) -> Episode:
    """An episode folder with info.json, transcript.json and chunks.json (one segment a turn)."""
    if turns is None:
        turns = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]]
    segments, clock = [], 0.0
    for i, words in enumerate(turns):
        length = round(0.4 * len(words.split()), 2)
        segments.append(Segment(i, round(clock, 2), round(clock + length, 2), words))
        clock += length + 0.5
    duration = round(clock, 2)
    episode = Episode(root)
    root.mkdir(parents=True, exist_ok=True)
    info = Info(title="City Bees: what rooftop hives teach us about cities", duration=duration,
                audio_file="audio.mp3", source="city-bees.mp3", uploader="Field Notes",
                description="Priya Natarajan keeps forty beehives on rooftops in Rotterdam.",
                chapters=chapters or [])
    episode.info_path.write_text(info.to_json())
    transcript = Transcript("en", duration, "tiny.en", segments)
    episode.transcript_path.write_text(transcript.to_json())
    packer = ChunkPacker(budget, EstimateCounter(), info.chapters)
    chunks = [c for s in segments for c in packer.add(s)] + packer.finish()
    episode.chunks_path.write_text(Chunks(budget, "estimate-3cpt", chunks).to_json())
    return episode


@pytest.fixture
def episode(tmp_path: Path) -> Episode:
    return write_episode(tmp_path / "city-bees")


def settings_for(model: Model, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {"base_url": model.server.base_url, "model": "fake-model",
                              "timeout": 10.0, "max_retries": 1, "retry_delay": 0.001,
                              "retry_delay_cap": 0.01, "jobs": 3}
    values.update(overrides)
    return LLMSettings(**values)


def run_notes(episode: Episode, settings: LLMSettings, reporter: Reporter | None = None,
              **options: Any) -> Notes:
    opts = NotesOptions.create(None, settings)
    for name, value in options.items():
        setattr(opts, name, value)
    with open_llm(settings) as llm:
        return notes(episode, opts, llm, reporter or Reporter())


def load(episode: Episode) -> tuple[Notes, Transcript, Chunks]:
    return (Notes.load(episode.notes_path), Transcript.load(episode.transcript_path),
            Chunks.load(episode.chunks_path))


def all_bullets(result: Notes) -> list:
    return [b for t in result.topics for b in t.bullets]


def assert_grounded(episode: Episode) -> None:
    """Every bullet's time range lies inside its segments' chunk and the episode."""
    result, transcript, chunks = load(episode)
    known = {s.id for s in transcript.segments}
    for bullet in all_bullets(result):
        assert bullet.segment_ids and set(bullet.segment_ids) <= known, bullet
        home = [c for c in chunks.chunks if set(bullet.segment_ids) <= set(c.segment_ids)]
        assert home, f"bullet cites segments of more than one chunk: {bullet}"
        assert any(c.start <= bullet.start <= bullet.end <= c.end for c in home), bullet
        assert 0 <= bullet.start <= bullet.end <= transcript.duration


# ---------------------------------------------------------------- tests

def test_notes_json_schema_grounding_and_order(model: Model, episode: Episode) -> None:
    result = run_notes(episode, settings_for(model))
    data = json.loads(episode.notes_path.read_text())
    assert set(data) >= {"topics", "keywords", "summary", "intro", "speakers", "checks"}
    for topic in data["topics"]:
        assert topic["title"] and topic["bullets"]
        for bullet in topic["bullets"]:
            assert set(bullet) == {"text", "start", "end", "segment_ids"}
    assert Notes.from_dict(data) == result
    assert_grounded(episode)
    starts = [t.start for t in result.topics]
    assert starts == sorted(starts), "sections must be ordered by first appearance"
    low, high = section_range(load(episode)[1].duration, 99)
    assert low <= len(result.topics) <= high
    # No bullet is lost: the fake wrote one per segment, each citing its own segment.
    transcript = load(episode)[1]
    assert sorted(i for b in all_bullets(result) for i in b.segment_ids) == [
        s.id for s in transcript.segments]
    for topic in result.topics:
        assert [b.start for b in topic.bullets] == sorted(b.start for b in topic.bullets)
    assert result.summary == "Rooftop beekeeping in Rotterdam."
    assert result.keywords == ["bees", "Rotterdam", "honey", "varroa"]
    assert result.speakers == ["Priya Natarajan"]
    chunk_count = len(load(episode)[2].chunks)
    assert chunk_count >= 4
    assert model.count("map") == chunk_count and model.count("intro") == 1
    checks = result.checks
    assert checks["chunks"] == chunk_count and checks["reduce"] == "llm"
    assert checks["bullets"] == len(all_bullets(result))
    assert checks["usage"]["requests"] == model.count()
    assert "checked" in checks and "coverage" in checks


def test_map_sees_segment_ids_and_no_transcript_is_cut(model: Model, episode: Episode) -> None:
    run_notes(episode, settings_for(model))
    _, transcript, _ = load(episode)
    shown = {int(i): words for r in model.server.completions if kind_of(r) == "map"
             for i, words in _SEGMENT_LINE.findall(user_text(r))}
    assert shown == {s.id: s.text for s in transcript.segments}


def test_rerun_with_nothing_changed_makes_no_request(model: Model, episode: Episode) -> None:
    first = run_notes(episode, settings_for(model))
    asked = model.count()
    second = run_notes(episode, settings_for(model))
    assert model.count() == asked
    assert second.topics == first.topics and second.summary == first.summary
    assert second.checks["usage"]["requests"] == 0
    assert second.checks["usage"]["cache_hits"] == asked


def test_a_changed_chunk_is_the_only_one_asked_again(model: Model, tmp_path: Path) -> None:
    turns = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]]
    episode = write_episode(tmp_path / "ep", turns)
    run_notes(episode, settings_for(model))
    maps = model.count("map")
    turns[9] = turns[9].replace("two meters", "three meters")
    write_episode(tmp_path / "ep", turns)
    result = run_notes(episode, settings_for(model))
    assert model.count("map") == maps + 1
    assert any("three meters" in b.text for b in all_bullets(result))


def test_reduce_falls_back_to_time_order_on_a_broken_reply(model: Model,
                                                           episode: Episode) -> None:
    model.replies["reduce"] = lambda request: text("Sections: bees, money, rules")
    result = run_notes(episode, settings_for(model))
    assert result.checks["reduce"] == "fallback"
    assert model.count("reduce") == 2  # the client asked once more with the error, then gave up
    transcript = load(episode)[1]
    assert len(all_bullets(result)) == len(transcript.segments)
    low, high = section_range(transcript.duration, result.checks["map_topics"])
    assert low <= len(result.topics) <= high
    assert [t.start for t in result.topics] == sorted(t.start for t in result.topics)
    assert_grounded(episode)


def test_reduce_reply_with_unknown_topic_ids_falls_back(model: Model, episode: Episode) -> None:
    model.replies["reduce"] = lambda request: ok(
        {"sections": [{"title": "Made up", "topics": [97, 98, 99]}]})
    result = run_notes(episode, settings_for(model))
    assert result.checks["reduce"] == "fallback"
    assert len(all_bullets(result)) == len(load(episode)[1].segments)


def test_topics_the_reduce_reply_forgot_join_their_neighbours(model: Model,
                                                              episode: Episode) -> None:
    def forgetful(request: dict[str, Any]) -> Reply:
        ids = [int(i) for i in _TOPIC_LINE.findall(user_text(request))]
        third = len(ids) // 3
        return ok({"sections": [{"title": "First part", "topics": ids[: third - 1]},
                                {"title": "Second part", "topics": ids[third: 2 * third]},
                                {"title": "Third part", "topics": ids[2 * third:]}]})

    model.replies["reduce"] = forgetful
    result = run_notes(episode, settings_for(model))
    assert result.checks["reduce"] == "llm"
    assert [t.title for t in result.topics] == ["First part", "Second part", "Third part"]
    assert len(all_bullets(result)) == len(load(episode)[1].segments)


def test_truncated_map_reply_splits_the_chunk_and_retries(model: Model, episode: Episode) -> None:
    def truncating(request: dict[str, Any]) -> Reply:
        if len(_SEGMENT_LINE.findall(user_text(request))) > 1:
            return text('{"topics": [{"title": "Cut', finish_reason="length")
        return map_reply(request)

    model.replies["map"] = truncating
    result = run_notes(episode, settings_for(model))
    chunks = load(episode)[2].chunks
    assert result.checks["splits"] >= sum(1 for c in chunks if len(c.segment_ids) > 1)
    assert len(all_bullets(result)) == len(load(episode)[1].segments)
    assert_grounded(episode)


def test_cited_ids_outside_the_chunk_fall_back_to_lexical_overlap(model: Model,
                                                                  episode: Episode) -> None:
    def miscited(request: dict[str, Any]) -> Reply:
        lines = _SEGMENT_LINE.findall(user_text(request))
        return ok({"topics": [{"title": "Miscited", "bullets": [
            {"text": words, "segments": [9999, int(sid) + 1000]} for sid, words in lines]}]})

    model.replies["map"] = miscited
    result = run_notes(episode, settings_for(model))
    transcript = load(episode)[1]
    by_text = {s.text: s.id for s in transcript.segments}
    for bullet in all_bullets(result):
        assert by_text[bullet.text] in bullet.segment_ids
        assert len(bullet.segment_ids) <= 3
    assert_grounded(episode)


def test_a_chunk_whose_reply_stays_unusable_is_reported_and_the_rest_kept(
        model: Model, episode: Episode) -> None:
    def one_broken(request: dict[str, Any]) -> Reply:
        if "(S0) " in user_text(request):
            return text("I cannot help with that.")
        return map_reply(request)

    model.replies["map"] = one_broken
    messages: list[str] = []

    class Recorder(Reporter):
        def message(self, text: str) -> None:
            messages.append(text)

    result = run_notes(episode, settings_for(model), Recorder())
    assert result.checks["failed_chunks"] == [0]
    assert any("chunk 1" in m for m in messages)
    assert 0 not in {i for b in all_bullets(result) for i in b.segment_ids}
    assert all_bullets(result)


def test_empty_chunks_is_a_clear_error_and_no_call(model: Model, episode: Episode) -> None:
    episode.chunks_path.write_text(Chunks(120, "estimate-3cpt", []).to_json())
    with pytest.raises(ArtifactError, match="holds no chunks"):
        run_notes(episode, settings_for(model))
    assert model.count() == 0 and not episode.notes_path.exists()


def test_missing_chunks_names_the_command_to_rebuild(model: Model, episode: Episode) -> None:
    episode.chunks_path.unlink()
    with pytest.raises(ArtifactError, match="recap chunk"):
        run_notes(episode, settings_for(model))


def test_long_episode_in_a_small_context_reduces_hierarchically(model: Model,
                                                                tmp_path: Path) -> None:
    base = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]]
    turns = [f"In round {n} {turn}" for n in range(1, 9) for turn in base]  # 136 segments
    episode = write_episode(tmp_path / "long", turns, budget=90)
    settings = settings_for(model, context_tokens=1400)
    result = run_notes(episode, settings, map_max_tokens=300, reduce_max_tokens=200,
                       intro_max_tokens=200)
    checks = result.checks
    assert checks["map_topics"] > 30
    assert checks["reduce"] == "hierarchical" and checks["reduce_calls"] > 2
    # Long turns were split across chunks; the later pieces repeat word for word in every
    # round, and are removed as duplicates (the rounds' own numbers keep the rest apart).
    pieces = sum(len(c.segment_ids) for c in load(episode)[2].chunks)
    assert pieces > len(turns) and checks["duplicates_removed"] > 0
    assert len(all_bullets(result)) + checks["duplicates_removed"] == pieces
    low, high = section_range(load(episode)[1].duration, checks["map_topics"])
    assert low <= len(result.topics) <= high
    window = settings.context_window()
    for request in model.server.completions:
        prompt = sum(len(m["content"]) for m in request["messages"])
        assert EstimateCounter().count("x" * prompt) + request["max_tokens"] <= window
    assert_grounded(episode)


def test_streaming_builder_matches_the_batch_run(model: Model, tmp_path: Path) -> None:
    batch = write_episode(tmp_path / "batch")
    expected = run_notes(batch, settings_for(model))
    streamed = write_episode(tmp_path / "streamed")
    settings = settings_for(model)
    chunks, transcript = Chunks.load(streamed.chunks_path), Transcript.load(
        streamed.transcript_path)
    progress: list[tuple[float, float | None]] = []

    class Recorder(Reporter):
        def advance(self, stage: str, done: float, total: float | None = None) -> None:
            progress.append((done, total))

    with open_llm(settings) as llm:
        builder = NotesBuilder(streamed, NotesOptions.create(None, settings), llm, Recorder())
        try:
            for chunk in chunks.chunks:
                builder.submit(chunk)
            result = builder.finish(chunks, transcript)
        finally:
            builder.close()
    assert result.topics == expected.topics
    assert Notes.load(streamed.notes_path).topics == expected.topics
    assert progress[-1] == (len(chunks.chunks), len(chunks.chunks))


def test_explain_shows_each_bullet_with_its_transcript(model: Model, episode: Episode) -> None:
    result = run_notes(episode, settings_for(model))
    shown = explain(episode)
    transcript = load(episode)[1]
    for bullet in all_bullets(result):
        assert bullet.text in shown
    for segment in transcript.segments:
        assert f"(S{segment.id}) [" in shown and segment.text in shown
    assert "## " in shown and "–" in shown


def test_explain_without_notes_says_how_to_build_them(episode: Episode) -> None:
    with pytest.raises(ArtifactError, match="recap notes"):
        explain(episode)


def test_an_invented_figure_is_repaired_or_dropped(model: Model, episode: Episode) -> None:
    def inventive(request: dict[str, Any]) -> Reply:
        lines = _SEGMENT_LINE.findall(user_text(request))
        bullets = [{"text": words, "segments": [int(sid)]} for sid, words in lines]
        for sid, words in lines:
            if "forty beehives" in words:
                bullets.append({"text": "Priya keeps 400 beehives on rooftops.",
                                "segments": [int(sid)]})
            if "twenty fifteen" in words:
                bullets.append({"text": "She started with 9 hives in 2015.",
                                "segments": [int(sid)]})
        return ok({"topics": [{"title": f"Part from S{lines[0][0]}", "bullets": bullets}]})

    def repair(request: dict[str, Any]) -> Reply:
        if "400 beehives" in user_text(request):
            return ok({"text": "Priya keeps 40 beehives on rooftops across Rotterdam."})
        return ok({"text": "She started with 12 hives."})  # still invented: dropped

    model.replies["map"] = inventive
    model.replies["repair"] = repair
    result = run_notes(episode, settings_for(model))
    texts = [b.text for b in all_bullets(result)]
    assert "Priya keeps 40 beehives on rooftops across Rotterdam." in texts
    assert not any("400" in t or "9 hives" in t or "12 hives" in t for t in texts)
    assert result.checks["repaired"] >= 1 and result.checks["dropped"] >= 1


@pytest.mark.llm
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (make setup-llm)")
def test_whole_stage_against_a_real_llama_cpp_server(tmp_path: Path) -> None:
    """Protocol only: SmolLM2's wording is useless, its JSON and the time ranges are not."""
    episode = write_episode(tmp_path / "city-bees", budget=260)
    settings = LLMSettings(embedded_model="smollm2-135m", jobs=1, timeout=300.0)
    options = NotesOptions.create(None, settings)
    options.verify = False  # what a 135M model writes fails any figure check; not tested here
    with open_llm(settings) as llm:
        result = notes(episode, options, llm, Reporter())
        assert llm.structured_mode == "json_object"
        requests = llm.usage.requests
    assert requests >= len(load(episode)[2].chunks) + 1
    data = json.loads(episode.notes_path.read_text())
    assert Notes.from_dict(data) == result
    assert result.topics and all(t.title and t.bullets for t in result.topics)
    assert all(isinstance(k, str) for k in result.keywords)
    assert_grounded(episode)
    assert [t.start for t in result.topics] == sorted(t.start for t in result.topics)
    assert result.checks["usage"]["completion_tokens"] > 0
    # A rerun is answered from the cache: the server is never started.
    with open_llm(settings) as llm:
        again = notes(episode, options, llm, Reporter())
        assert llm.usage.requests == 0 and llm.server is None
    assert again.topics == result.topics


def test_detail_pass_asks_again_for_the_lines_whose_figures_were_skipped(
        model: Model, episode: Episode) -> None:
    shy = re.compile(r"\b(forty|fifteen|eleven|euros|kilograms)\b")
    seen: list[list[int]] = []
    omitted: set[int] = set()

    def figure_shy(request: dict[str, Any]) -> Reply:
        """Like a small model: the first call skips the lines with these figures."""
        lines = _SEGMENT_LINE.findall(user_text(request))
        seen.append([int(sid) for sid, _ in lines])
        if len(seen) == 1:
            omitted.update(int(sid) for sid, words in lines if shy.search(words))
            lines = [(sid, words) for sid, words in lines if not shy.search(words)]
        bullets = [{"text": words, "segments": [int(sid)]} for sid, words in lines]
        return ok({"topics": [{"title": "Notes", "bullets": bullets}]})

    model.replies["map"] = figure_shy
    result = run_notes(write_episode(episode.root, budget=10_000), settings_for(model),
                       verify=False)
    assert len(seen) == 2, "one map call for the chunk, one for the lines it skipped"
    assert omitted and set(seen[1]) == omitted
    texts = " ".join(b.text for b in all_bullets(result))
    assert "eleven euros" in texts and "forty" in texts
    assert result.checks["detail_calls"] == 1

    import shutil

    shutil.rmtree(episode.llm_cache_dir)
    seen.clear()
    run_notes(episode, settings_for(model), verify=False, detail_pass=False)
    assert len(seen) == 1


def test_a_bullet_citing_the_wrong_line_is_pointed_at_the_line_with_its_figures(
        model: Model, episode: Episode) -> None:
    def off_by_one(request: dict[str, Any]) -> Reply:
        """Each bullet quotes a line but cites the line before it, as small models do."""
        lines = _SEGMENT_LINE.findall(user_text(request))
        ids = [int(sid) for sid, _ in lines]
        bullets = [{"text": words, "segments": [ids[max(0, k - 1)]]}
                   for k, (_, words) in enumerate(lines)]
        return ok({"topics": [{"title": "Notes", "bullets": bullets}]})

    model.replies["map"] = off_by_one
    episode = write_episode(episode.root, budget=10_000)  # one chunk: lines cite their neighbour
    result = run_notes(episode, settings_for(model), detail_pass=False)
    transcript = load(episode)[1]
    by_text = {s.text: s.id for s in transcript.segments}
    bullets = all_bullets(result)
    assert result.checks["dropped"] == 0 and len(bullets) == len(transcript.segments)
    regrounded = [b for b in bullets if by_text[b.text] in b.segment_ids and len(b.segment_ids) > 1]
    assert regrounded, "bullets whose figures sit in another line must cite that line too"
    from recap.faithful import bullet_source, check_bullet, known_names

    names = known_names(Info.load(episode.info_path))
    for bullet in bullets:  # what `recap check` re-checks later holds
        assert check_bullet(bullet.text, bullet_source(bullet, transcript), names) is None, bullet


def test_a_single_map_topic_is_still_grouped_into_sections(model: Model, episode: Episode) -> None:
    asked: list[int] = []

    def grouping(request: dict[str, Any]) -> Reply:
        ids = [int(i) for i in _TOPIC_LINE.findall(user_text(request))]
        asked.append(len(ids))
        third = len(ids) // 3
        return ok({"sections": [{"title": "Start", "topics": ids[:third]},
                                {"title": "Middle", "topics": ids[third: 2 * third]},
                                {"title": "End", "topics": ids[2 * third:]}]})

    model.replies["reduce"] = grouping  # map_reply gives one topic per chunk: one chunk here
    result = run_notes(write_episode(episode.root, budget=10_000), settings_for(model),
                       detail_pass=False)
    assert asked and asked[0] == len(load(episode)[1].segments), "the reduce sees the bullets"
    assert [t.title for t in result.topics] == ["Start", "Middle", "End"]
    assert len(all_bullets(result)) == len(load(episode)[1].segments)


def test_the_intro_is_a_few_sentences_not_the_transcript(model: Model, episode: Episode) -> None:
    transcript_text = " ".join(Transcript.load(episode.transcript_path).text.split())

    def copycat(request: dict[str, Any]) -> Reply:
        return ok({"summary": transcript_text, "intro": transcript_text, "keywords": ["bees"],
                   "speakers": []})

    model.replies["intro"] = copycat
    result = run_notes(episode, settings_for(model), detail_pass=False)
    assert 0 < len(result.intro.split()) < len(transcript_text.split()) // 3
    assert len(re.findall(r"[.!?](\s|$)", result.intro)) <= 4
    assert len(re.findall(r"[.!?](\s|$)", result.summary)) <= 2
