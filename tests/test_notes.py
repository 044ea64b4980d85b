"""Notes stage against an OpenAI-compatible server on 127.0.0.1.

The fake endpoint (tests/fake_openai.py) plays a small model that paraphrases: for each window it
rewrites the excerpt's sentences in the third person ("Natarajan started…" for "I started…"), so
its notes are faithful without quoting. Single tests give it the faults real small models have —
a changed figure, a swapped name, a claim nobody made, a reversed comparison, a merged pair of
claims from different parts, the first person, a pasted question, talk about the show, a
repeated note — and check that each is caught and put right or dropped as documented.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recap.chunk import ChunkPacker
from recap.episode import Episode
from recap.errors import ArtifactError
from recap.llm import LLMSettings, open_llm
from recap.models import Chapter, Chunk, Chunks, Info, Notes, Segment, Transcript
from recap.notes import NotesBuilder, NotesOptions, explain, notes
from recap.notes.windows import Line, make_windows
from recap.notes.words import content_stems, first_person, longest_copied_run, sentences, words
from recap.progress import Reporter
from recap.tokens import EstimateCounter
from tests.fake_openai import FakeOpenAI, Reply, fake_openai, ok, text

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "samples" / "city-bees.script.json"
_EXCERPT = re.compile(r"^Excerpt:\n(.*?)\nNotes:", re.MULTILINE | re.DOTALL)
_SECTION = re.compile(r"^Section (\d+):$", re.MULTILINE)
_NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.MULTILINE)

# ---------------------------------------------------------------- the fake model


def kind_of(request: dict[str, Any]) -> str:
    """extract | heading | speakers | titles | intro, from the request's shape."""
    response_format = request.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get(
        "schema") or {}
    keys = set(schema.get("properties") or {})
    if not keys:
        if user_text(request).rstrip().endswith("Heading:"):
            return "heading"
        assert "Excerpt:" in user_text(request), "a plain-text request is an extraction"
        return "extract"
    for kind, key in (("speakers", "guests"), ("titles", "titles"), ("intro", "summary")):
        if key in keys:
            return kind
    raise AssertionError(f"unexpected request schema {keys}")


def user_text(request: dict[str, Any]) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def excerpt(request: dict[str, Any]) -> str:
    found = _EXCERPT.findall(user_text(request))
    return " ".join(found[-1].splitlines()) if found else ""


_THIRD_PERSON = [(r"\bI am\b", "Natarajan is"), (r"\bI\b", "Natarajan"), (r"\bWe\b", "The team"),
                 (r"\bwe\b", "the team"), (r"\b[Oo]ur\b", "the team's"),
                 (r"\b[Oo]urs\b", "the team's one"), (r"\b[Mm]y\b", "her")]


def paraphrase(sentence: str) -> str:
    for pattern, replacement in _THIRD_PERSON:
        sentence = re.sub(pattern, replacement, sentence)
    return sentence[0].upper() + sentence[1:]


def extract_reply(request: dict[str, Any]) -> Reply:
    """A note per statement of four words or more, in the third person; questions skipped."""
    sentences = re.split(r"(?<=[.!?])\s+", excerpt(request))
    notes_ = [paraphrase(s) for s in sentences if len(s.split()) >= 4 and not s.endswith("?")]
    return text("\n".join(f"- {n}" for n in notes_) or "- Nothing of note.")


def speakers_reply(request: dict[str, Any]) -> Reply:
    return ok({"show": "Field Notes", "host": "",
               "guests": [{"name": "Priya Natarajan", "role": "keeps forty beehives"},
                          {"name": "Jan Invented", "role": "mayor"}]})


def titles_reply(request: dict[str, Any]) -> Reply:
    sections = _SECTION.findall(user_text(request))
    return ok({"titles": [f"Subject heading {n}" for n in sections]})


def heading_for(note: str) -> str:
    """The fake model's heading for a section whose first note shown is `note`: its two longest
    words."""
    first, second = sorted(words(note), key=lambda w: (-len(w), w))[:2]
    return f"{first.capitalize()} and {second}"


def heading_reply(request: dict[str, Any]) -> Reply:
    """A heading made of the section's first note's longest words (the prompt's own examples
    come before the section's notes)."""
    return text(f"Heading: {heading_for(heading_notes(request)[0])}")


def heading_notes(request: dict[str, Any]) -> list[str]:
    """The notes of the section a heading request asks about (after the prompt's examples)."""
    return re.findall(r"^- (.*)$", user_text(request).rsplit("Notes:", 1)[-1], re.MULTILINE)


def intro_reply(request: dict[str, Any]) -> Reply:
    return ok({"summary": "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
               "intro": "This episode of Field Notes visits Priya Natarajan and her rooftop "
                        "hives. It covers honey, mites, wind, money and rules.",
               "keywords": ["bees", "Rotterdam", "honey", "varroa", "bees", "Atlantis"]})


def reviewed(said: list[str], speakers: Any, notes: list[str], names: Any = None,
             translated: bool = False) -> Any:
    """`notes`, as the model gave them for one window of the lines `said`, first looked at and
    reviewed in English (`names`: the speakers' NameContext unless given; `translated`: the
    lines are in another language)."""
    from recap.notes.review import NameContext, WindowResult, first_look, review
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, tuple(Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)))
    names = names if names is not None else NameContext.of([], speakers)
    result = WindowResult(window, first_look([Candidate(t, window) for t in notes], window,
                                             names, "en", translated=translated, verify=True))
    return review([result], names, speakers, language="en", translated=translated,
                  similarity=0.6)


def intro_saying(summary: str, intro: str) -> Callable[[dict[str, Any]], Reply]:
    """An intro reply with this summary and intro, and no keywords."""
    return lambda request: ok({"summary": summary, "intro": intro, "keywords": []})


class Model:
    """The fake endpoint's brain: a reply per kind, and a log of what was asked."""

    def __init__(self, server: FakeOpenAI):
        self.server = server
        self.replies: dict[str, Callable[[dict[str, Any]], Reply]] = {
            "extract": extract_reply, "speakers": speakers_reply, "titles": titles_reply,
            "heading": heading_reply, "intro": intro_reply}
        server.responder = lambda request: self.replies[kind_of(request)](request)

    def count(self, kind: str | None = None) -> int:
        return sum(1 for r in self.server.completions if kind is None or kind_of(r) == kind)

    def requests(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.server.completions if kind_of(r) == kind]


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
    for i, spoken in enumerate(turns):
        length = round(0.4 * len(spoken.split()), 2)
        segments.append(Segment(i, round(clock, 2), round(clock + length, 2), spoken))
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


def texts(result: Notes) -> str:
    return "\n".join(b.text for b in all_bullets(result))


def assert_grounded(episode: Episode) -> None:
    """Every bullet cites segments of one chunk, and its times lie inside them."""
    result, transcript, chunks = load(episode)
    by_id = {s.id: s for s in transcript.segments}
    for bullet in all_bullets(result):
        assert bullet.segment_ids and set(bullet.segment_ids) <= set(by_id), bullet
        assert any(set(bullet.segment_ids) <= set(c.segment_ids) for c in chunks.chunks), bullet
        cited = [by_id[i] for i in bullet.segment_ids]
        assert bullet.start == min(s.start for s in cited)
        assert bullet.end == max(s.end for s in cited)
        assert 0 <= bullet.start <= bullet.end <= transcript.duration


def inject(model: Model, fault: str, where: str, alone: bool = False) -> None:
    """Add `fault` to the notes of the window whose excerpt holds `where` (`alone`: as its
    only note, so that no faithful note of the same line competes with it)."""
    def faulty(request: dict[str, Any]) -> Reply:
        reply = extract_reply(request)
        if where in excerpt(request):
            reply.content = f"- {fault}" if alone else f"{reply.content}\n- {fault}"
        return reply

    model.replies["extract"] = faulty


# ---------------------------------------------------------------- the happy path

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
    bullets = all_bullets(result)
    assert [b.start for b in bullets] == sorted(b.start for b in bullets)
    # in English each section is titled alone with the heading prompt, no list call
    assert len(result.topics) >= 2
    for topic in result.topics:
        said = {w for b in topic.bullets for w in words(b.text)}
        assert set(words(topic.title)) - {"and"} <= said, (topic.title, said)
    # Every figure of the transcript reaches the notes, in digits (a small count without its
    # unit stays a word, as in edited prose).
    for figure in ("2015", "22 kilograms", "11 euros", "8 evenings"):
        assert figure in texts(result)
    assert not any(first_person(b.text) for b in bullets)
    # The speaker the opening names is kept; the one it does not ("Jan Invented") is not.
    assert result.speakers == ["Priya Natarajan"]
    assert "Priya Natarajan" in user_text(model.requests("extract")[0])
    assert result.keywords == ["bees", "Rotterdam", "honey", "varroa"]  # no "Atlantis"
    checks = result.checks
    assert checks["bullets"] == len(bullets) and checks["sections"] == len(result.topics)
    assert checks["reduce_fallbacks"] == 0 and checks["title_fallbacks"] == 0
    assert checks["usage"]["requests"] == model.count()
    assert checks["windows"] + checks["gaps_asked"] == model.count("extract")
    assert model.count("speakers") == 1 and model.count("titles") == 0
    assert model.count("heading") == checks["title_calls"] == len(result.topics)
    assert model.count("intro") == 1
    assert "coverage" in checks and checks["coverage"]["figure_coverage"] == 1.0


def test_every_line_is_shown_in_small_windows_of_whole_sentences(model: Model,
                                                                 tmp_path: Path) -> None:
    episode = write_episode(tmp_path / "ep", budget=10_000)  # one chunk, many windows
    run_notes(episode, settings_for(model), window_words=60)
    transcript = load(episode)[1]
    first = {s.text: s.id for s in transcript.segments}
    shown = sorted((excerpt(r) for r in model.requests("extract")),  # calls run 3 at a time
                   key=lambda w: min(i for t, i in first.items() if w.startswith(t)))
    assert len(shown) >= 4
    *said, goodbye = transcript.segments  # "Priya Natarajan, thank you so much. That is all…"
    for segment in said:
        assert any(segment.text in window for window in shown), segment
    assert not any(goodbye.text in window for window in shown)  # the closing words are not asked
    for window in shown:
        assert len(window.split()) < 60 * 1.4 + max(len(s.text.split()) for s in said)
        assert window.rstrip().endswith((".", "?", "!"))  # each ends where a sentence does
    # Every line of this script ends a sentence: no window repeats a line of the one before.
    for a, b in zip(shown, shown[1:], strict=False):
        assert not any(s.text in a and s.text in b for s in said)


def _lines(*texts: str) -> list[Line]:
    return [Line(i, i * 5.0, i * 5.0 + 5, text) for i, text in enumerate(texts)]


def _chunk() -> Chunk:
    return Chunk(index=0, start=0.0, end=100.0, segment_ids=[0], text="", tokens=0)


def test_a_window_ends_at_the_sentence_end_nearest_its_size() -> None:
    ten = "one two three four five six seven eight nine ten"
    lines = _lines(f"{ten}.", f"{ten}", f"{ten} ten.", f"{ten}", f"{ten}.", f"{ten}", f"{ten}.")
    windows = make_windows(_chunk(), lines, 30, 1, whole_sentences=True)
    # 30 words fall mid-sentence in line 2; the sentence ends in line 2 at 31 words.
    assert [[ln.id for ln in w.lines] for w in windows] == [[0, 1, 2], [3, 4, 5, 6]]
    assert windows[0].after == lines[3]
    # Without it, windows are cut at their size and repeat their edge line.
    plain = make_windows(_chunk(), lines, 30, 1)
    assert [[ln.id for ln in w.lines] for w in plain] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]


def test_a_window_with_no_sentence_end_in_reach_is_cut_and_repeats_its_edge() -> None:
    ten = "one two three four five six seven eight nine ten"
    lines = _lines(*[ten] * 8, f"{ten}.")
    windows = make_windows(_chunk(), lines, 30, 1, whole_sentences=True)
    assert [[ln.id for ln in w.lines] for w in windows] == [[0, 1, 2], [2, 3, 4], [4, 5, 6],
                                                             [6, 7, 8]]
    # A sentence that ends before the size, in reach, is preferred to a cut after it.
    lines = _lines(ten, f"{ten} {ten[:15]}?", ten, ten, ten, f"{ten}.")
    windows = make_windows(_chunk(), lines, 30, 1, whole_sentences=True)
    assert [[ln.id for ln in w.lines] for w in windows][0] == [0, 1]


def test_a_window_ends_before_a_question_rather_than_after_it() -> None:
    """A window that ended on the host's question showed the model a question without its
    answer, and the next window an answer without its question: the model noted what followed
    that window's last question and skipped the answer it started on (a guest's career, before
    "What is the bog?"). A cut just before a question counts as nearer than it is, one just after
    a question as farther."""
    twelve = "one two three four five six seven eight nine ten eleven twelve"
    eight = "one two three four five six seven eight"
    lines = _lines(f"{twelve}.", f"{twelve}.", f"so what {eight[:-6]}?", f"{eight}.", f"{eight}.",
                   f"{eight}.", f"{eight}.")
    windows = make_windows(_chunk(), lines, 30, 1, whole_sentences=True)
    # 30 words fall in the question (it ends at 33 words); the window ends before it (24).
    assert [ln.id for ln in windows[0].lines] == [0, 1]
    assert windows[1].lines[0].text.endswith("?")
    assert not any(w.lines[-1].text.endswith("?") for w in windows)
    # With no question near, the nearest sentence end stays the cut.
    plain = _lines(f"{twelve}.", f"{twelve}.", f"{eight}.", f"{eight}.", f"{eight}.")
    assert [ln.id for ln in make_windows(_chunk(), plain, 30, 1, True)[0].lines] == [0, 1, 2]


def test_rerun_with_nothing_changed_makes_no_request(model: Model, episode: Episode) -> None:
    first = run_notes(episode, settings_for(model))
    asked = model.count()
    second = run_notes(episode, settings_for(model))
    assert model.count() == asked
    assert second.topics == first.topics and second.intro == first.intro
    assert second.checks["usage"]["requests"] == 0
    assert second.checks["usage"]["cache_hits"] == asked


def test_a_changed_chunk_is_the_only_one_asked_again(model: Model, tmp_path: Path) -> None:
    turns = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]]
    episode = write_episode(tmp_path / "ep", turns)
    run_notes(episode, settings_for(model))
    extracts = model.count("extract")
    turns[9] = turns[9].replace("two meters", "three meters")
    write_episode(tmp_path / "ep", turns)
    result = run_notes(episode, settings_for(model))
    assert model.count("extract") == extracts + 1
    assert "3 meters" in texts(result)  # a count with its unit in digits


def test_streaming_builder_matches_the_batch_run(model: Model, tmp_path: Path) -> None:
    batch = write_episode(tmp_path / "batch")
    expected = run_notes(batch, settings_for(model))
    streamed = write_episode(tmp_path / "streamed")
    chunks = Chunks.load(streamed.chunks_path)
    transcript = Transcript.load(streamed.transcript_path)
    settings = settings_for(model)
    with open_llm(settings) as llm:
        builder = NotesBuilder(streamed, NotesOptions.create(None, settings), llm, Reporter())
        try:
            for chunk in chunks.chunks:
                builder.submit(chunk)
            result = builder.finish(chunks, transcript)
        finally:
            builder.close()
    assert result.topics == expected.topics and result.intro == expected.intro


def test_explain_shows_each_bullet_with_its_transcript(model: Model, episode: Episode) -> None:
    result = run_notes(episode, settings_for(model))
    shown = explain(episode)
    transcript = load(episode)[1]
    for bullet in all_bullets(result):
        assert f"- {bullet.text}" in shown
        for i in bullet.segment_ids:
            assert f"(S{i})" in shown and transcript.segments[i].text.strip() in shown


def test_explain_without_notes_says_how_to_build_them(episode: Episode) -> None:
    with pytest.raises(ArtifactError, match="recap notes"):
        explain(episode)


# ---------------------------------------------------------------- faults of a small model

@pytest.mark.parametrize(("fault", "where", "reason"), [
    ("Natarajan's city hives produced about 25 kilograms of honey each last year.",
     "twenty two kilograms", "figures"),
    ("The beekeeper Jan Jansen keeps forty beehives on rooftops across Rotterdam.",
     "Priya Natarajan, who", "names"),
    ("Natarajan is known for her innovative use of technology to improve efficiency and safety.",
     "twenty two kilograms", "unsupported"),
    ("Over the last winter the team gained six of its forty hives.", "varroa mite", "reversed"),
    ("The team places its hives closer than two meters to the edge of the roof.",
     "Wind is the real problem", "reversed"),
    ("The team started in twenty fifteen and sells a jar for eleven euros.", "twenty fifteen",
     "figures"),
    ("Is a city actually a good place for bees?", "good place for bees", "question"),
    ("A city is actually a good place for bees.", "good place for bees", "question"),
    ("The excerpt discusses how wind affects the rooftop hives.", "Wind is the real problem",
     "meta"),
    ("The speakers are not named, and the wind is the real problem.", "Wind is the real problem",
     "meta"),
    ("Priya Natarajan thanks the host for having her on the show.", "lovely to be here",
     "show_talk"),
    ("The episode discusses rooftop hives, the wind and the city's rules for beekeepers.",
     "Wind is the real problem", "show_talk"),
    ("They discuss the wind on the roofs and how the hives are strapped down.",
     "Wind is the real problem", "show_talk"),
    ("Rooftop hives are brought to you by a honey shop: a free jar with the code BEES.",
     "lovely to be here", "show_talk"),
    ("That's all for this episode about rooftop hives, until next time.", "lovely to be here",
     "show_talk"),
    ("Priya Natarajan and Jan Jansen are the hosts of the podcast.", "lovely to be here",
     "show_talk"),
    ("The guest is a beekeeper from Rotterdam with rooftop hives.", "lovely to be here",
     "show_talk"),
    ("Field Notes is hosted by Priya Natarajan in Rotterdam.", "lovely to be here", "show_talk"),
    # the show's own appeal, by its name and not the word "show"
    ("Field Notes is made possible by its listeners in Rotterdam.", "lovely to be here",
     "show_talk"),
    ("Listeners who like the rooftop hives can tell a friend about it.", "lovely to be here",
     "show_talk"),
    ("Natarajan is the Priya Natarajan.", "lovely to be here", "show_talk"),
    # the listeners addressed, and a parting wish
    ("A lot of you wrote about the rooftop hives and the wind this month.",
     "Wind is the real problem", "show_talk"),
    ("Good luck to the rooftop beekeepers with the wind this winter.",
     "Wind is the real problem", "show_talk"),
    # listeners said to have asked, with no answer
    ("Several people asked whether hives on a roof can stand the wind.",
     "Wind is the real problem", "question"),
    ("Ines from Delft asked how the rooftop hives survive the wind.",
     "Wind is the real problem", "question"),
    ("The podcast will take a small detour to discuss the wind on roofs.",
     "Wind is the real problem", "show_talk"),
    ("Natarajan discusses the financial side of keeping hives on rooftops.",
     "Wind is the real problem", "show_talk"),
    ("Let's talk about the wind, can the hives on a roof stand it.", "Wind is the real problem",
     "question"),
    ("Many of them are new to it.", "Wind is the real problem", "vague"),
    ("The second reason is that the hives arrive in the city center at.",
     "Wind is the real problem", "fragment"),
    ("The best is the best.", "lovely to be here", "vague"),
    ("The two biggest worries of the rooftop beekeepers right now are:.",
     "Wind is the real problem", "fragment"),
    ("It mentions the wind on the roofs and the straps on the hives.",
     "Wind is the real problem", "show_talk"),
    ("The podcast mentions the wind on the roofs and the straps on the hives.",
     "Wind is the real problem", "show_talk"),
    ("The host asks how the rooftop hives survive the wind.", "Wind is the real problem",
     "question"),
    ("Natarajan says that, surprisingly, city gardens, parks and street trees all flower at "
     "different times, so there is food for the bees from March to October, and the city hives "
     "produced about twenty two kilograms of honey each last year, while hives on nearby "
     "farmland averaged fifteen kilograms.", "twenty two kilograms", "run_on"),
])
def test_a_faulty_note_is_caught_and_dropped(model: Model, episode: Episode, fault: str,
                                             where: str, reason: str) -> None:
    from recap.text.digits import in_digits

    inject(model, fault, where)
    result = run_notes(episode, settings_for(model))
    fault = in_digits(fault)  # as the checks see it: figures said in words written in digits
    assert fault not in texts(result)
    checks = result.checks
    assert fault in checks["dropped_bullets"]
    problems = [p["problem"].split(", ") for p in checks["problems"] if p["text"] == fault]
    assert problems and reason in problems[0], problems  # dropped for this reason, not another
    assert_grounded(episode)


def test_a_note_cut_where_whisper_cut_the_line_is_finished() -> None:
    """Whisper ends a line mid-sentence ("… so we bought 11 carriages second" / "hand from an
    Italian operator."), and the model copies up to the cut: the note goes on with the next
    line's words to their first punctuation mark. Not when the line ends a sentence, the next
    line starts one, or it would take more than a few words."""
    from recap.notes.rewrite import finish_cut_phrase
    from recap.notes.windows import Line

    said = ["Nobody builds sleeper cars, so we bought 11 carriages second",
            "hand from an Italian operator. They were built in the 1980s.",
            "The peat is basically moss that never rotted, because it is permanently",
            "waterlogged and cold and acidic and dark and very slow to change, you see."]
    lines = [Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(said)]
    assert finish_cut_phrase("They bought 11 carriages second.", lines) == \
        "They bought 11 carriages second hand from an Italian operator."
    assert finish_cut_phrase("Peat never rotted because it is permanently.", lines) == \
        "Peat never rotted because it is permanently."  # the rest runs on too long
    assert finish_cut_phrase("They were built in the 1980s.", lines) == \
        "They were built in the 1980s."
    capital = [lines[0], Line(1, 5, 10, "Hand from Italy, they said.")]
    assert finish_cut_phrase("They bought 11 carriages second.", capital) == \
        "They bought 11 carriages second."
    # cut at the window's last line: finished from the line after the window, which the note
    # then cites (its name, "Italian", is checked against it)
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate
    from recap.notes.windows import Window

    window = Window(0, 0, (lines[0],), lines[1])
    names = NameContext.of([], Speakers(host="Clara", guests=[("Thomas Goss", "")]))
    looked = first_look([Candidate("They bought 11 carriages second.", window)], window, names,
                        "en", translated=False, verify=True)
    assert [(c.text, c.problems, c.segment_ids) for c in looked] == [
        ("They bought 11 carriages second hand from an Italian operator.", [], [0, 1])]


def test_a_figure_whose_unit_whisper_put_on_the_next_line_is_checked_with_it() -> None:
    """Whisper cut "eight | evenings" across two lines, and the window ended on the first: the
    model, which never saw the unit, wrote "8 hours". The figure is checked with the words that
    finish the window's last line, so the wrong unit is caught and the right one supported."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window

    said = ["The beekeeping course runs in spring, and the hours take say eight",
            "evenings, and then you get your own hive."]
    lines = [Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(said)]
    window = Window(0, 0, (lines[0],), lines[1])
    assert window.checked_text == f"{said[0]} evenings"
    wrong = Candidate("The beekeeping course in spring takes 8 hours.", window)
    inspect(wrong, [])
    assert "figures" in wrong.problems
    right = Candidate("The beekeeping course in spring takes 8 evenings.", window)
    inspect(right, [])
    assert "figures" not in right.problems
    names = NameContext.of([], Speakers(host="Clara", guests=[("Thomas Goss", "")]))
    looked = first_look([wrong], window, names, "en", translated=False, verify=True)
    assert looked[0].problems == ["figures"]
    # a line that ends a sentence, or a next line that starts one, adds nothing
    assert Window(0, 0, (lines[1],), lines[0]).checked_text == said[1]
    assert Window(0, 0, (lines[0],), Line(1, 5, 10, "Evenings are long.")).checked_text == said[0]


def test_a_question_made_into_a_claim_is_a_question() -> None:
    """A note resting only on the host's questions says what was asked, not answered; a line
    that goes on into its answer after the question mark, or a figure, is another matter."""
    from recap.notes.verify import Candidate, asked_only
    from recap.notes.windows import Line, Window

    said = ["Denmark bumping, are delays a problem?",
            "Is she right? Yes, the coffee on board is terrible, she says.",
            "You keep forty hives?",
            "I crossed on the early boat today. Was it busy?"]
    window = Window(0, 0, tuple(Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(said)))
    assert asked_only(Candidate("Delays are a problem in Denmark.", window, [0]))
    assert not asked_only(Candidate("The coffee on board is terrible.", window, [1]))
    assert not asked_only(Candidate("She keeps 40 hives.", window, [2]))
    assert not asked_only(Candidate("Delays are a problem.", window, []))
    assert not asked_only(Candidate("Reed crossed on the early boat today.", window, [3]))


def test_a_first_person_note_is_put_in_the_third_person_without_a_call(
        model: Model, episode: Episode) -> None:
    fault = "Um, we strap every hive down and I never place one near the edge of my roof."
    inject(model, fault, "Wind is the real problem", alone=True)
    result = run_notes(episode, settings_for(model))
    fixed = ("Natarajan's team strap every hive down and Natarajan never places one near the "
             "edge of Natarajan's roof.")
    assert fixed in texts(result)
    before = "We strap every hive down and I never place one near the edge of my roof."
    assert {"before": before, "after": fixed} in result.checks["repaired_bullets"]
    assert not any(first_person(b.text) for b in all_bullets(result))
    assert model.count("heading") == len(result.topics)
    assert model.count() == model.count("extract") + 2 + len(result.topics), (
        "no call was made to fix it")


def test_the_third_person_keeps_a_past_tense_and_a_pair_as_they_are() -> None:
    """"I lost six hives" is "Hart lost six hives" (the sample's post had "losts"), and "I" in a
    pair ("Vero and I lost", "my wife and I run") takes the pair's verb; "and I" joining two
    clauses is still one person."""
    from recap.notes.rewrite import third_person

    assert third_person("I lost six of our hives.", "Hart") == "Hart lost six of Hart's hives."
    assert third_person("I sold the van and I bought a boat.", "Hart") == (
        "Hart sold the van and Hart bought a boat.")
    assert third_person("I sell honey.", "Hart") == "Hart sells honey."
    assert third_person("Marta and I lost six hives.", "Hart") == "Marta and Hart lost six hives."
    assert third_person("My wife and I run the farm.", "") == (
        "The guest's wife and the guest run the farm.")
    assert third_person("Marta and I was there.", "Hart") == "Marta and Hart were there."
    assert third_person("I think so, and I go.", "Hart") == "Hart thinks so, and Hart goes."
    # the team after its speaker is named is "the team", not "Hart's team" again
    assert third_person("I think it was the best money we spent.", "Hart") == (
        "Hart thinks it was the best money the team spent.")
    assert third_person("We sold 300 boats and I was proud.", "Hart") == (
        "Hart's team sold 300 boats and Hart was proud.")


def test_a_bound_said_with_never_is_not_a_negation_lost() -> None:
    """"We never place one closer than two meters to the edge" places hives: "placed at least 2
    meters away from the edge" says the same bound (the sample's note was dropped as a negation
    lost). A note that drops the negation of a comparison, stating no bound, still is one."""
    from recap.notes.verify import negation_lost

    said = "We strap every hive down and we never place one closer than two meters to the edge."
    assert not negation_lost("Every hive is placed at least 2 meters away from the edge.", said)
    assert negation_lost("They place the hives closer than 2 meters to the edge.", said)
    assert negation_lost("Brannock fired the people who turned wheels.",
                         "We didn't fire anyone who turned wheels.")


@pytest.mark.parametrize(("note", "said", "changed"), [
    ("The bakery cut its waste by 40%.", "we cut our waste to forty percent of what it was", True),
    ("The bakery cut its waste to 40%.", "we cut our waste to forty percent of what it was", False),
    ("Leaks fell from 40 to 25 a month.", "leaks went from twenty five to forty a month", True),
    ("Leaks rose from 25 to 40 a month.", "leaks went from twenty five to forty a month", False),
    # a figure the source says without "by", "to" or "from" is not judged
    ("The bakery cut its waste by 40%.", "we cut our waste forty percent", False),
    ("The bakery cut its waste by 40%.", "forty percent less, we cut it by forty percent", False),
])
def test_a_figure_given_another_role_in_a_change_is_caught(note: str, said: str,
                                                           changed: bool) -> None:
    """A small model turns "cut to 40%" into "cut by 40%", and swaps the before and after of
    "from 25 to 40": each figure is in the source, so the figure check passes it, but the claim
    is another one."""
    from recap.notes.verify import figure_role_changed

    assert figure_role_changed(note, said) is changed


@pytest.mark.parametrize(("note", "said", "told_as_done"), [
    ("The co-op opened a second depot in Eastgate.",
     "next spring we want to open a second depot in Eastgate", True),
    ("The co-op opened a second depot in Eastgate.",
     "and we'll open a second depot in Eastgate in May", True),
    ("The co-op plans to open a second depot in Eastgate.",
     "next spring we want to open a second depot in Eastgate", False),
    ("The co-op will open a second depot in Eastgate.",
     "and we'll open a second depot in Eastgate in May", False),
    # done once, planned again: the note may tell what was done
    ("The co-op opened its first depot in 2019.",
     "we opened the first depot in 2019 and we want to open a second", False),
])
def test_a_plan_told_as_done_is_caught(note: str, said: str, told_as_done: bool) -> None:
    from recap.notes.verify import plan_told_as_done

    assert plan_told_as_done(note, said) is told_as_done


def test_a_figure_given_another_figures_rate_is_caught() -> None:
    """A small model moves a rate from one figure to its neighbour: "20,000 tons of carbon
    dioxide per hectare per year" where the guest said 10 tons per hectare and 20,000 tons a
    year across the site. Both figures and the rate are in the source, so the figure check
    passed it. The same rate on its own figure, the other figure with its own rate, a rate
    said in other words and a rate the source never says are not caught."""
    from recap.notes.verify import rate_moved

    said = ("On a badly drained site like ours we estimate about ten tons of carbon dioxide per "
            "hectare per year, across the whole site that's in the order of 20,000 tons a year.")
    assert rate_moved("The site releases about 20,000 tons of carbon dioxide per hectare per "
                      "year.", said)
    assert not rate_moved("A drained site releases about 10 tons of carbon dioxide per hectare "
                          "per year.", said)
    assert not rate_moved("The whole site releases about 20,000 tons per year.", said)
    assert not rate_moved("The crofters keep about one sheep per two hectares.",
                          "they keep grazing at about one sheep for every two hectares")
    assert not rate_moved("The boat takes 12 people per trip.", "the boat takes 12 people")
    # a rate said before its figure, in the same clause
    assert not rate_moved("The company has 64 people in total, with six staff per train.",
                          "The whole company is 64 people, on board each train there are six "
                          "staff, two drivers.")
    assert not rate_moved("Sales rose 30 per cent.",
                          "sales rose thirty percent, and fat is 5 per cent of the cheese")
    # and the check drops it as a figure problem
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 9.0, said),))
    note = Candidate("The site releases about 20,000 tons of carbon dioxide per hectare per year.",
                     window)
    inspect(note, [])
    assert "figures" in note.problems


def test_a_note_of_two_sentences_becomes_two_notes() -> None:
    """A bullet states one claim: a note of two whole sentences is two notes, however short;
    a short word before the sentence ("Yes.") leaves it whole, and a pasted question goes."""
    from recap.notes.verify import split_note

    assert split_note("They lost six hives over the winter. Now they count mites every two "
                      "weeks.") == ["They lost six hives over the winter.",
                                    "Now they count mites every two weeks."]
    assert split_note("Yes. They count mites every two weeks.") == [
        "Yes. They count mites every two weeks."]
    assert split_note("Why count mites? They count mites every two weeks.") == [
        "They count mites every two weeks."]


def test_a_note_reporting_what_the_episode_says_keeps_only_the_claim(
        model: Model, episode: Episode) -> None:
    """"It mentions that X" is X: the post states the claims, it does not report the recording."""
    inject(model, "It mentions that every hive is strapped down against the wind.",
               "Wind is the real problem")
    result = run_notes(episode, settings_for(model))
    assert "Every hive is strapped down against the wind." in texts(result)
    assert "mentions" not in texts(result)


def test_a_note_still_failing_after_the_rewrite_is_dropped(model: Model,
                                                          episode: Episode) -> None:
    fault = "We strap every hive down before the 9 autumn storms."  # no 9 in the transcript
    inject(model, fault, "Wind is the real problem")
    result = run_notes(episode, settings_for(model))
    assert "autumn storms" not in texts(result)
    assert fault in result.checks["dropped_bullets"]


def test_a_repeated_note_is_kept_once(model: Model, episode: Episode) -> None:
    again = "Wind is the real problem for rooftop hives."
    inject(model, again, "Wind is the real problem")
    base = model.replies["extract"]
    model.replies["extract"] = lambda r: Reply(content=(base(r).content or "") + f"\n- {again}")
    result = run_notes(episode, settings_for(model))
    assert texts(result).count(again) == 1
    assert result.checks["duplicates_removed"] >= 1


def test_a_truncated_extract_reply_halves_the_window(model: Model, tmp_path: Path) -> None:
    episode = write_episode(tmp_path / "ep", budget=10_000)

    def truncating(request: dict[str, Any]) -> Reply:
        if len(excerpt(request).split()) > 60:
            return text("- A note cut", finish_reason="length")
        return extract_reply(request)

    model.replies["extract"] = truncating
    result = run_notes(episode, settings_for(model), window_words=120)
    assert "8 evenings" in texts(result) and "2015" in texts(result)
    assert_grounded(episode)


def test_a_reply_cut_off_even_for_one_line_keeps_its_finished_notes(model: Model,
                                                                   episode: Episode) -> None:
    """A model that rambles on past the token limit wrote whole notes before the cut: those are
    kept once the window cannot be halved any more; the note it was writing is dropped."""
    def rambling(request: dict[str, Any]) -> Reply:
        finished = extract_reply(request).content or ""
        return text(f"{finished}\n- The note it was still writing when", finish_reason="length")

    model.replies["extract"] = rambling
    result = run_notes(episode, settings_for(model), max_split_depth=1)
    assert "8 evenings" in texts(result) and "2015" in texts(result)
    assert "still writing" not in texts(result)
    assert result.checks["failed_windows"] == 0
    assert_grounded(episode)


def test_a_cut_off_reply_that_is_not_a_list_gives_no_notes() -> None:
    from recap.notes.extract import complete_notes

    assert complete_notes("- One whole note.\n* Another one.\n- A third one is bei") == [
        "One whole note.", "Another one."]
    assert complete_notes("The speaker talks about bees and then goes on\nand on and") == []
    assert complete_notes("- Only the note being written") == []


def test_a_window_whose_reply_stays_unusable_is_reported_and_the_rest_kept(
        model: Model, episode: Episode) -> None:
    def one_broken(request: dict[str, Any]) -> Reply:
        if "Hello and welcome" in excerpt(request):
            return text("")
        return extract_reply(request)

    model.replies["extract"] = one_broken
    messages: list[str] = []

    class Recorder(Reporter):
        def message(self, text: str) -> None:
            messages.append(text)

    result = run_notes(episode, settings_for(model), Recorder())
    assert result.checks["failed_windows"] == 1
    assert any("gave no usable notes" in m for m in messages)
    assert 0 not in {i for b in all_bullets(result) for i in b.segment_ids}
    assert all_bullets(result)


def test_no_usable_note_anywhere_is_an_error_and_no_file(model: Model, episode: Episode) -> None:
    model.replies["extract"] = lambda request: text("")
    from recap.errors import LLMReplyError

    with pytest.raises(LLMReplyError, match="no usable notes"):
        run_notes(episode, settings_for(model))
    assert not episode.notes_path.exists()


def test_empty_chunks_is_a_clear_error_and_no_call(model: Model, episode: Episode) -> None:
    episode.chunks_path.write_text(Chunks(120, "estimate-3cpt", []).to_json())
    with pytest.raises(ArtifactError, match="holds no chunks"):
        run_notes(episode, settings_for(model))
    assert model.count() == 0 and not episode.notes_path.exists()


def test_missing_chunks_names_the_command_to_rebuild(model: Model, episode: Episode) -> None:
    episode.chunks_path.unlink()
    with pytest.raises(ArtifactError, match="recap chunk"):
        run_notes(episode, settings_for(model))


# ---------------------------------------------------------------- sections, titles, intro

TRAINS = [
    "The night train from Vienna to Hamburg now runs three times a week.",
    "Sleeper cars on that line were rebuilt in twenty twenty one with private cabins.",
    "A cabin for two costs about one hundred and sixty euros one way.",
    "The railway company bought thirty three new sleeper cars from a factory in Turkey.",
    "Delays on the border crossing average twelve minutes according to the timetable office.",
    "Passengers can bring bicycles if they book a bicycle place in advance.",
    "The dining car serves breakfast between six and nine in the morning.",
    "Ticket sales for the winter season rose by eighteen percent over last year.",
]


def test_sections_follow_the_subjects_of_the_episode(model: Model, tmp_path: Path) -> None:
    bees = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]][3:16]
    episode = write_episode(tmp_path / "two-subjects", bees + TRAINS, budget=10_000)
    result = run_notes(episode, settings_for(model), window_words=40)
    trains = {w for line in TRAINS for w in words(line)} - {w for b in bees for w in words(b)}
    total = len(all_bullets(result))
    assert len(result.topics) >= 3
    for topic in result.topics:
        kinds = {any(w in trains for w in words(b.text)) for b in topic.bullets}
        assert len(kinds) == 1, f"section {topic.title!r} mixes bees and trains"
        assert len(topic.bullets) <= -(-total // 3)


def test_unusable_titles_are_asked_again_then_made_from_the_notes(model: Model,
                                                                  episode: Episode) -> None:
    model.replies["heading"] = lambda request: text("Sure! Here is a heading: {bees}")
    result = run_notes(episode, settings_for(model))
    # every section asked once, all at once: nothing usable from any, so the model cannot title
    # these notes and none is asked again
    assert model.count("titles") == 0 and model.count("heading") == len(result.topics)
    assert result.checks["title_calls"] == len(result.topics)
    assert result.checks["title_fallbacks"] == len(result.topics) >= 2
    assert result.checks["reduce"] == "fallback"
    assert all(t.title and t.title != "Notes" for t in result.topics)
    assert len({t.title for t in result.topics}) == len(result.topics)


def first_then(first: Callable[[dict[str, Any]], Reply],
               rest: Callable[[dict[str, Any]], Reply] = heading_reply,
               ) -> Callable[[dict[str, Any]], Reply]:
    """A heading responder that answers the first request with `first` (the first section's
    when the calls are made one at a time: `jobs=1`)."""
    asked: list[int] = []

    def respond(request: dict[str, Any]) -> Reply:
        asked.append(1)
        return first(request) if len(asked) == 1 else rest(request)

    return respond


def test_generic_titles_are_replaced(model: Model, episode: Episode) -> None:
    """A generic heading is no heading: the section is asked again with fewer of its notes (a
    simpler ask) before a title is made without the model."""
    model.replies["heading"] = first_then(lambda request: text("Discussion."))
    result = run_notes(episode, settings_for(model, jobs=1))
    assert result.topics[0].title not in ("Introduction", "Discussion")
    assert result.checks["title_fallbacks"] == 0
    assert result.checks["title_calls"] == len(result.topics) + 1
    # every section asked once before the first is asked again
    first, again = model.requests("heading")[0], model.requests("heading")[-1]
    assert len(re.findall(r"^- ", user_text(again).rsplit("Notes:", 1)[-1], re.MULTILINE)) < len(
        re.findall(r"^- ", user_text(first).rsplit("Notes:", 1)[-1], re.MULTILINE))


def test_each_section_is_titled_alone_with_the_heading_prompt(model: Model,
                                                               episode: Episode) -> None:
    model.replies["heading"] = first_then(
        lambda request: text('Heading: "How the hives began."\nNotes:'))
    result = run_notes(episode, settings_for(model, jobs=1))
    assert result.topics[0].title == "How the hives began"
    assert result.checks["title_fallbacks"] == 0
    assert result.checks["title_calls"] == len(result.topics) == model.count("heading")
    # asked with the heading prompt: the first section's notes after the prompt's examples,
    # one line wanted back
    asked = model.requests("heading")[0]
    shown = user_text(asked).rsplit("Notes:", 1)[-1]
    assert shown.rstrip().endswith("Heading:")
    assert any(f"- {b.text}" in shown for b in result.topics[0].bullets)
    assert not any(f"- {b.text}" in shown for b in result.topics[1].bullets)
    assert asked["stop"] == ["\n"] and asked["max_tokens"] <= 32


def _made_up_sections(*groups: list[str]) -> list[list[Any]]:
    """Sections of notes from made-up texts, all in one placeholder window."""
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    return [[Candidate(t, window) for t in texts] for texts in groups]


class _ListAsker:
    """`title_sections`' view of the model in a language other than English, where one call
    titles the list first: `listed` answers that call (given the sections as shown), `alone` a
    section asked alone (given its notes as shown)."""

    def __init__(self, listed: Callable[[str], list[str]], alone: Callable[[str], str]):
        from types import SimpleNamespace

        self.options = SimpleNamespace(titles_max_tokens=200)
        self.language = "nl"
        self.listed, self.alone = listed, alone
        self.asked: list[str] = []

    def json(self, prompt: str, values: dict[str, Any], schema: dict[str, Any],
             max_tokens: int) -> dict[str, Any]:
        shown = str(values["sections"])
        self.asked.append(shown)
        if values["count"] == 1:
            return {"titles": [self.alone(shown)]}
        return {"titles": self.listed(shown)}

    def text(self, prompt: str, values: dict[str, Any], max_tokens: int,
             stop: list[str] | None = None) -> str:
        raise AssertionError("the heading prompt's examples are English: not asked in Dutch")


class _HeadingAsker:
    """`title_sections`' view of the model in English, where each section is asked alone for a
    heading: `reply` answers given the notes shown, which `shown` keeps, call by call."""

    def __init__(self, reply: Callable[[list[str]], str], prompts: Any = None):
        from types import SimpleNamespace

        self.options = SimpleNamespace(titles_max_tokens=200)
        if prompts is not None:
            self.options.load_prompts = lambda: prompts
        self.language = "en"
        self.reply = reply
        self.shown: list[list[str]] = []

    def text(self, prompt: str, values: dict[str, Any], max_tokens: int,
             stop: list[str] | None = None) -> str:
        notes = re.findall(r"^- (.*)$", str(values["notes"]), re.MULTILINE)
        self.shown.append(notes)
        return self.reply(notes)


_FERRY = (
    ["The ferry trust bought its first wooden boat from a Danish yard in 1998.",
     "The first boat carried 40 passengers and a handful of bicycles."],
    ["Diesel now costs the trust about 900 euros a week for the crossing.",
     "Fuel prices for the small harbour doubled in the winter of 2022."],
    ["Winter storms cancel about 20 crossings on the sound every year.",
     "Storm warnings reach the skipper by marine radio before each crossing."],
    ["The trust trains six new deckhands at the harbour each spring.",
     "Every deckhand needs a first aid course before the summer timetable."])


def test_a_title_list_of_the_wrong_length_is_placed_by_its_words() -> None:
    """A small model titling four sections may give three headings (two sections merged): each
    goes to the section whose notes hold its words, and only the section left is asked alone."""
    from recap.notes.sections import title_sections

    asker = _ListAsker(lambda shown: ["Fuel and diesel prices", "Winter storms and radio warnings",
                                      "Training new deckhands"],
                       lambda shown: "The first boat")
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(*_FERRY))
    assert titles == ["The first boat", "Fuel and diesel prices",
                      "Winter storms and radio warnings", "Training new deckhands"]
    assert stats["title_calls"] == 2 and stats["title_fallbacks"] == 0
    assert "first wooden boat" in asker.asked[1]  # the section left is the one asked alone


def test_english_sections_are_never_titled_as_a_list() -> None:
    """In English the list call is not made: each section is asked alone, with the heading
    prompt's examples and a one-line plain-text reply."""
    from types import SimpleNamespace

    from recap.notes.sections import title_sections

    asked: list[str] = []

    class Asker:
        options = SimpleNamespace(titles_max_tokens=200)
        language = "en"

        def json(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            raise AssertionError("no titles list in English")

        def text(self, prompt: str, values: dict[str, Any], max_tokens: int,
                 stop: list[str] | None = None) -> str:
            asked.append(prompt)
            return heading_for(re.findall(r"^- (.*)$", str(values["notes"]), re.MULTILINE)[0])

    titles, stats = title_sections(Asker(), "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(*_FERRY))
    assert asked == ["heading"] * 4 and stats["title_calls"] == 4
    assert titles[0] == heading_for(_FERRY[0][0]) and stats["title_fallbacks"] == 0


def test_the_sections_are_asked_for_their_headings_together(model: Model,
                                                            episode: Episode) -> None:
    """With three calls allowed, the headings are asked at once (the embedded server decodes
    them together) and the post is titled as when they are asked one by one."""
    one_by_one = run_notes(episode, settings_for(model, jobs=1))
    lock, now, most = threading.Lock(), [0], [0]

    def slow_heading(request: dict[str, Any]) -> Reply:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.3)
        with lock:
            now[0] -= 1
        return heading_reply(request)

    model.replies["heading"] = slow_heading
    shutil.rmtree(episode.llm_cache_dir)  # asked again, not answered from the cache
    together = run_notes(episode, settings_for(model, jobs=3))
    assert len(together.topics) >= 3 and most[0] == 3
    assert [t.title for t in together.topics] == [t.title for t in one_by_one.topics]
    assert together.checks["title_calls"] == len(together.topics)


def test_a_description_given_alone_is_cut_to_a_heading(model: Model, episode: Episode) -> None:
    """Asked alone, a small model may describe its section in a dozen words: the heading is
    that description's noun phrases that belong to the section, not a fallback."""
    described: list[str] = []

    def heading(request: dict[str, Any]) -> Reply:
        phrases = [" ".join(p) for n in heading_notes(request) for p in noun_phrases(n)]
        described.append(f"A long look at the {phrases[0]} and what the guest says about "
                         f"the {phrases[-1]}")
        return text(described[-1])

    from recap.notes.sections import noun_phrases

    model.replies["heading"] = first_then(heading)
    result = run_notes(episode, settings_for(model, jobs=1))  # the first section is asked first
    heading = result.topics[0].title
    assert described and heading not in described and len(heading.split()) <= 7
    assert set(words(heading)) <= set(words(described[0]))
    assert result.checks["titles_shortened"] == 1 and result.checks["title_fallbacks"] == 0


def test_a_note_given_back_as_its_title_is_asked_again() -> None:
    from recap.notes.sections import title_sections

    copied: list[str] = []
    alone: list[int] = []

    def listed(shown: str) -> list[str]:
        firsts = re.findall(r"Section \d+:\n- (.*)", shown)
        # a small model's habit: a heading for the first section, then the first five words of
        # each other section's first note
        firsts = [" ".join(first.split()[:5]) for first in firsts[1:]]
        copied.extend(firsts)
        return ["Opening heading", *firsts]

    def heading(shown: str) -> str:  # asked alone, the section gets a heading
        alone.append(1)
        return f"Subject heading, part {len(alone)}"

    titles, stats = title_sections(_ListAsker(listed, heading), "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(*_FERRY))
    assert copied and not set(titles) & set(copied)
    assert titles[0] == "Opening heading"
    assert all(t.startswith("Subject heading, part") for t in titles[1:]), (titles, copied)
    assert stats["title_fallbacks"] == 0 and stats["title_calls"] == 1 + 3


def test_a_title_slipped_onto_the_next_section_is_asked_for_alone() -> None:
    """A list of titles that slipped by one (each section headed with its neighbour's subject)
    is caught by where the title's words occur, and each such section is titled alone."""
    from recap.notes.sections import title_sections

    def heading(block: str) -> str:
        # the two longest words of the section's first note shown
        return heading_for(re.findall(r"^- (.*)$", block, re.MULTILINE)[0])

    def listed(shown: str) -> list[str]:
        blocks = re.findall(r"Section \d+:\n((?:- .*\n?)+)", shown)
        return [heading(b) for b in blocks[1:]] + [heading(blocks[0])]

    sections = _made_up_sections(*_FERRY)
    titles, stats = title_sections(_ListAsker(listed, heading), "The Crossing",  # type: ignore[arg-type]
                                   sections)
    for title, section in zip(titles, sections, strict=True):
        said = {w for c in section for w in words(c.text)}
        assert set(words(title)) - {"and"} <= said, (title, said)
    assert stats["titles_misplaced"] >= 2
    assert stats["title_fallbacks"] == 0


def test_the_intro_never_copies_the_transcript(model: Model, episode: Episode) -> None:
    transcript = Transcript.load(episode.transcript_path)

    def copycat(request: dict[str, Any]) -> Reply:
        return ok({"summary": transcript.segments[0].text, "intro": transcript.text,
                   "keywords": ["bees"]})

    model.replies["intro"] = copycat
    result = run_notes(episode, settings_for(model))
    source = words(transcript.text)
    assert result.intro and result.summary
    assert longest_copied_run(result.intro, source) < 8
    assert longest_copied_run(result.summary, source) < 8
    assert result.checks["intro_fallback"] is True
    assert "Priya Natarajan" in result.intro


def test_the_composed_intro_leaves_out_a_role_that_would_copy_the_opening(
        model: Model, episode: Episode) -> None:
    transcript = Transcript.load(episode.transcript_path)
    model.replies["intro"] = lambda request: ok({"summary": transcript.segments[0].text,
                                                 "intro": transcript.text, "keywords": []})
    # The role is the opening's words, right after the name the composed intro also has.
    model.replies["speakers"] = lambda request: ok({
        "show": "Field Notes", "host": "",
        "guests": [{"name": "Priya Natarajan", "role": "who keeps forty beehives on rooftops"}]})
    result = run_notes(episode, settings_for(model))
    source = words(transcript.text)
    assert result.checks["intro_fallback"] is True and "Priya Natarajan" in result.intro
    assert longest_copied_run(result.intro, source) < 8, result.intro
    assert longest_copied_run(result.summary, source) < 8, result.summary


def test_an_intro_that_does_not_say_who_talks_is_told_it(model: Model, episode: Episode) -> None:
    """"The episode covers topics such as honey and mites.": the reader is not told whose
    hives these are; the composed sentence saying who talks comes first."""
    model.replies["intro"] = intro_saying(
        "Rooftop hives in Rotterdam and what they teach about cities.",
        "The episode covers topics such as honey, mites and the wind on the roofs.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("In Field Notes, the host talks with Priya Natarajan, who keeps forty "
                            "beehives. The episode covers topics such as honey, mites and the wind "
                            "on the roofs."), result.intro
    assert result.checks["intro_named_guest"] is True
    assert result.checks["intro_fallback"] is False


# The guest's name misheard: a role, not a name. (A reply giving "Priya", whom the opening
# greets, "Priya, welcome.", for the host is set right: she is a guest with a name.)
_NAMELESS = {"show": "", "host": "", "guests": [{"name": "pre-natter agent", "role": ""}]}


def test_an_intro_that_is_a_note_is_framed_by_the_summary(model: Model, episode: Episode) -> None:
    """With no guest whose name is a name, an intro that states a claim says neither who talks
    nor what the episode is: the summary's opening, which does, comes first. (Two of the notes
    run together, "Wind is the real problem for rooftop hives, and every hive is strapped
    down.", is the notes said again, and goes: "rooftop" opens the notes' "roof".)"""
    model.replies["speakers"] = lambda request: ok(_NAMELESS)
    model.replies["intro"] = intro_saying(
        "This episode shares what keeping beehives on rooftops in Rotterdam teaches.",
        "Wind on a roof matters more to hives than the cold.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("This episode shares what keeping beehives on rooftops in Rotterdam "
                            "teaches. "
                            "Wind on a roof matters more to hives than the cold."), result.intro
    assert result.checks["intro_framed"] is True and "intro_named_guest" not in result.checks


def test_an_intro_and_summary_naming_no_one_get_the_composed_sentence(
        model: Model, episode: Episode) -> None:
    """When the summary names no one either, the sentence composed without the model frames the
    intro."""
    model.replies["speakers"] = lambda request: ok(_NAMELESS)
    model.replies["intro"] = intro_saying(
        "Wind is the real problem for rooftop hives.",
        "Wind on a roof matters more to hives than the cold.")
    result = run_notes(episode, settings_for(model))
    framing, rest = result.intro.split(". ", 1)
    # no guest to name: the composed sentence says what the episode covers, by its sections
    assert framing.startswith("City Bees: what rooftop hives teach us about cities covers "), framing
    assert rest == "Wind on a roof matters more to hives than the cold."
    assert result.checks["intro_framed"] is True


def test_an_intro_that_names_the_guest_is_kept_as_written(model: Model, episode: Episode) -> None:
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("This episode of Field Notes visits Priya Natarajan and her rooftop "
                            "hives. It covers honey, mites, wind, money and rules.")
    assert "intro_named_guest" not in result.checks and "intro_framed" not in result.checks


def test_the_shows_sign_off_is_no_description(model: Model, episode: Episode) -> None:
    """"Field Notes promise to return then.": the model's summary was the show's goodbye, and
    the front matter's description said nothing else. A sign-off is dropped from the summary
    and the intro like any note's; the description is then the intro's opening."""
    model.replies["intro"] = intro_saying(
        "Field Notes promise to return then.",
        "This episode of Field Notes visits Priya Natarajan and her rooftop hives. Field Notes "
        "promise to return then.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("This episode of Field Notes visits Priya Natarajan and her rooftop "
                            "hives."), result.intro
    assert result.summary == result.intro
    assert result.checks["intro_sentences_dropped"] == 2


def test_an_intro_sentence_giving_the_host_the_guests_role_is_dropped() -> None:
    """"In this episode, Ferrier, head teacher at an academy, shares…": the model gave the host
    the guest's role (the head teacher is the guest), so the sentence says who is who wrongly.
    The guest with the role, or the host with another aside, is fine."""
    from recap.notes.intro import Speakers, host_given_role

    speakers = Speakers(host="Rob Ferrier", guests=[("Declan Delgado", "head teacher at the academy")])
    assert host_given_role("In this episode, Ferrier, head teacher at an academy, shares his "
                           "insights into homework.", speakers)
    assert host_given_role("Rob Ferrier, the academy's head teacher, explains why.", speakers)
    assert not host_given_role("Rob Ferrier talks with Declan Delgado, head teacher at the "
                               "academy.", speakers)
    assert not host_given_role("Rob Ferrier, the host of the show, talks about homework.",
                               speakers)
    assert not host_given_role("Ferrier, head teacher at an academy, shares his insights.",
                               Speakers(guests=[("Declan Delgado", "head teacher")]))  # no host


def test_an_intro_sentence_taking_the_show_for_its_subject_is_dropped() -> None:
    """"Harbour Hour is a ferry company that started in 2019": the show's name given to what
    its guest runs. Said to be a podcast or a show, or naming the guest, the sentence stays."""
    from recap.notes.intro import show_miscalled

    assert show_miscalled("Harbour Hour is a ferry company that started in 2019 with two boats.",
                          "Harbour Hour")
    assert show_miscalled("In this episode, Harbour Hour is the town's ferry co-operative.",
                          "Harbour Hour")
    assert not show_miscalled("Harbour Hour is a weekly podcast about life on the coast.",
                              "Harbour Hour")
    assert not show_miscalled("Ottilie Brandvold is a co-founder of Pelican Ferries.",
                              "Harbour Hour")
    assert not show_miscalled("Harbour Hour is a ferry company.", "")


def test_a_note_taking_the_show_for_its_subject_says_it_or_goes() -> None:
    """"Quay Talk is a novel about a lighthouse keeper…" where the line says "it's a novel…":
    the model put the show's name for the book the note before names, so the name becomes "It".
    "Quay Talk is back next Saturday.", where the line names the show, is the show's talk about
    itself and goes. A note that says the show is a show stays as it is."""
    from recap.notes.intro import Speakers

    speakers = Speakers(show="Quay Talk", host="Tom Reed", guests=[("Ines Varga", "")])
    said = ["Seven of you wrote to recommend The Salt Ledger by Ana Ruiz.",
            "And you were right, it's a novel about a lighthouse keeper in the 1890s.",
            "Quay Talk is back next Saturday, when we visit the boatyard.",
            "Quay Talk started in 1998 as a five-minute weekly roundup."]
    kept = [c.text for c in reviewed(said, speakers, [
        "Seven listeners recommend The Salt Ledger by Ana Ruiz.",
        "Quay Talk is a novel about a lighthouse keeper in the 1890s.",
        "Quay Talk is back next Saturday.",
        "Quay Talk started in 1998 as a five-minute weekly roundup."]).kept]
    assert kept == ["Seven listeners recommend The Salt Ledger by Ana Ruiz.",
                    "It is a novel about a lighthouse keeper in the 1890s.",
                    "Quay Talk started in 1998 as a five-minute weekly roundup."]


def test_an_intro_sentence_that_only_presents_the_show_is_dropped() -> None:
    """"In this episode, Lind introduces the podcast series The Harbour Hour.": who presents the
    show and nothing else, beside the sentence that says who talks with whom."""
    from recap.notes.intro import only_presents

    assert only_presents("In this episode, Lind introduces the podcast series The Harbour Hour.")
    assert only_presents("Oskar Lind presents the latest episode of Harbour Hour.")
    assert not only_presents("Lind introduces Maren Holt, who runs the ferry co-operative.")
    assert not only_presents("Holt introduces a four-day week at the ferry yard.")
    assert not only_presents("In Harbour Hour, Oskar Lind talks with Maren Holt.")


def test_an_intro_calling_the_show_something_else_loses_that_sentence(model: Model,
                                                                      episode: Episode) -> None:
    """The model's intro opening "Field Notes is a beekeeping business…" (the show's name for
    what its guest does) keeps only its sentences that say who and what rightly."""
    model.replies["intro"] = intro_saying(
        "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "Field Notes is a beekeeping business on the roofs of Rotterdam. Priya Natarajan tells "
        "Field Notes how she keeps hives on city roofs.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("Priya Natarajan tells Field Notes how she keeps hives on city "
                            "roofs."), result.intro
    assert result.checks["intro_sentences_dropped"] == 1


def test_an_intro_sentence_the_episode_does_not_say_is_dropped(model: Model,
                                                                 episode: Episode) -> None:
    """"The podcast explores the impact of climate change on urban ecosystems…": nothing the
    guest said, though every name and figure in it checks out; the sentence that is the
    episode's own stays."""
    model.replies["intro"] = intro_saying(
        "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "This episode of Field Notes visits Priya Natarajan and her rooftop hives. The podcast "
        "explores the impact of climate change on urban ecosystems and the challenges faced by "
        "conservationists in protecting pollinators.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("This episode of Field Notes visits Priya Natarajan and her rooftop "
                            "hives."), result.intro
    assert result.checks["intro_sentences_dropped"] == 1
    assert result.checks["intro_fallback"] is False


def test_praise_the_transcript_does_not_give_is_dropped_from_the_intro(model: Model,
                                                                      episode: Episode) -> None:
    """"a renowned expert": a claim about the guest no one made. Given as an aside after the
    name, the aside goes and the sentence stays; given as the sentence's claim, the sentence
    goes, and the intro still says who talks."""
    model.replies["intro"] = intro_saying(
        "Priya Natarajan, a leading beekeeper, explains what rooftop hives teach.",
        "Priya Natarajan, a renowned expert, talks about her forty beehives on rooftops in "
        "Rotterdam. The talk covers honey, mites, wind, money and rules.")
    result = run_notes(episode, settings_for(model))
    for praise in ("renowned", "expert", "leading"):
        assert praise not in result.intro and praise not in result.summary, result
    assert result.intro == ("Priya Natarajan talks about her forty beehives on rooftops in "
                            "Rotterdam. "
                            "The talk covers honey, mites, wind, money and rules."), result.intro
    assert result.summary == "Priya Natarajan explains what rooftop hives teach."
    assert result.checks["intro_sentences_dropped"] == 0

    model.replies["intro"] = lambda request: ok({
        "summary": "Priya Natarajan is a leading beekeeper.",
        "intro": "Priya Natarajan is a renowned expert on rooftop beehives in Rotterdam. "
                 "The talk covers honey, mites, wind, money and rules.",
        "keywords": []})
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    result = run_notes(episode, settings_for(model))
    for praise in ("renowned", "expert", "leading"):
        assert praise not in result.intro and praise not in result.summary, result
    assert "The talk covers honey, mites, wind, money and rules." in result.intro
    assert "Priya Natarajan" in result.intro  # the composed who-talks sentence
    assert result.checks["intro_sentences_dropped"] == 2


def test_an_intro_sentence_leaning_on_a_dropped_one_goes_with_it(model: Model,
                                                                  episode: Episode) -> None:
    """"It was then…" after the sentence that said what "it" is was dropped points at nothing
    (the magazine's intro told "It was then brought to the Switch" after its game was dropped).
    The same sentence after a kept one stays."""
    leaning = "They then talk about selling a five hundred gram jar of honey for eleven euros."
    model.replies["intro"] = lambda request: ok({
        "summary": "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "intro": "Priya Natarajan is a renowned expert who keeps forty beehives on rooftops. "
                 f"{leaning} The talk covers honey, mites, wind, money and rules.",
        "keywords": []})
    result = run_notes(episode, settings_for(model))
    assert leaning not in result.intro, result.intro
    assert "The talk covers honey, mites, wind, money and rules." in result.intro
    assert result.checks["intro_sentences_dropped"] == 2

    model.replies["intro"] = lambda request: ok({
        "summary": "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "intro": f"Priya Natarajan looks after forty hives on the roofs of Rotterdam. {leaning}",
        "keywords": []})
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    result = run_notes(episode, settings_for(model))
    assert leaning in result.intro, result.intro
    assert result.checks["intro_sentences_dropped"] == 0

    # "However, …" after a dropped sentence: however what?
    model.replies["intro"] = intro_saying(
        "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "Priya Natarajan is a renowned expert who keeps forty beehives on rooftops. "
        "However, the talk turns to the mites that cost hives every winter.")
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    result = run_notes(episode, settings_for(model))
    assert "However" not in result.intro, result.intro

    # "Priya also explains…" opening what is left (the night train's intro and description
    # were "Thomas also discusses the changes made to the dining cart in 2023…").
    adding = "Priya also explains why the city bees go hungry in late summer."
    model.replies["intro"] = lambda request: ok({
        "summary": adding,
        "intro": f"Priya Natarajan is a renowned expert who keeps forty beehives on rooftops. "
                 f"{adding}",
        "keywords": []})
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    result = run_notes(episode, settings_for(model))
    assert adding not in result.intro and adding not in result.summary, result.intro
    assert result.intro and result.summary


def test_an_intro_sentence_is_kept_without_an_aside_the_episode_does_not_say(
        model: Model, episode: Episode) -> None:
    """"Priya Natarajan, a renowned expert in urban ecology, keeps forty beehives…": the aside
    after the name says what the episode does not; without it the sentence is sound, and so is
    the one that leans on it. Where the claim itself is not the episode's, the sentence still
    goes."""
    from recap.notes.intro import Speakers, without_aside

    speakers = Speakers(host="Jan Smit", guests=[("Priya Natarajan", "")])
    assert without_aside("Natarajan, a renowned expert, keeps hives.", speakers) == \
        "Natarajan keeps hives."
    assert without_aside("In Rotterdam, bees, wasps, and ants thrive.", speakers) == \
        "In Rotterdam, bees, wasps, and ants thrive."  # no name before the commas
    leaning = "She then explains why a five hundred gram jar of honey sells for eleven euros."
    model.replies["intro"] = lambda request: ok({
        "summary": "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "intro": "Priya Natarajan, a renowned expert in urban ecology, talks about keeping forty "
                 f"beehives on rooftops in Rotterdam. {leaning}",
        "keywords": []})
    result = run_notes(episode, settings_for(model))
    assert result.intro == ("Priya Natarajan talks about keeping forty beehives on rooftops in "
                            f"Rotterdam. {leaning}"), result.intro
    assert result.checks["intro_sentences_dropped"] == 0


def test_an_intro_sentence_copying_the_guest_s_introduction_at_its_end_keeps_who_talks(
        model: Model, episode: Episode) -> None:
    """"…talks with Priya Natarajan, who keeps forty beehives on rooftops across Rotterdam.":
    the aside that ends the sentence is the opening's eight words, so the sentence was dropped
    and with it who talks with whom. Without the aside it stays."""
    from recap.notes.intro import Speakers, without_aside

    speakers = Speakers(host="Maren Holt", guests=[("Oskar Lind", "harbour master")])
    assert without_aside("Maren Holt talks with Oskar Lyne, the harbour master and chief pilot "
                         "of the ferry company.", speakers) == "Maren Holt talks with Oskar Lyne."
    assert without_aside("Holt meets Lind, a sailor.", speakers) == "Holt meets Lind, a sailor."
    assert without_aside("The episode covers tides, ferries, and storms.", speakers) == \
        "The episode covers tides, ferries, and storms."
    model.replies["intro"] = lambda request: ok({
        "summary": "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "intro": "In this episode of Field Notes, the host talks with Priya Natarajan, who keeps "
                 "forty beehives on rooftops across Rotterdam. She explains how city bees "
                 "make their honey and why mites worry her. She talks about the wind on the "
                 "roofs. The episode ends with the rules for keeping hives in the city.",
        "keywords": []})
    result = run_notes(episode, settings_for(model))
    assert result.intro.startswith(
        "In this episode of Field Notes, the host talks with Priya Natarajan. She explains"), \
        result.intro
    # four sentences kept: the last one says how the episode ends
    assert result.intro.endswith("The episode ends with the rules for keeping hives in the "
                                 "city."), result.intro


def test_an_intro_that_says_the_notes_again_gives_way_to_the_summary(model: Model,
                                                                    episode: Episode) -> None:
    """"Priya started keeping beehives in 2015. … It costs 500 grams per jar.": the model's
    intro was three of the notes said again (one sentence two notes run together), above the
    same bullets. Each such sentence goes; the summary, which says who talks about what in the
    writer's words, is the intro. A sentence that frames the episode is the writer's even where
    its words are a note's."""
    from recap.notes.intro import restates_a_note

    notes_ = ["Natarajan started with two hives on the library roof in 2015.",
              "City hives produced about 22 kilograms of honey each last year.",
              "Hives on nearby farmland average 15 kilograms."]
    assert restates_a_note("Natarajan started with two hives on the library roof in 2015.", notes_)
    assert restates_a_note("City hives produced about 22 kilograms of honey each last year, while "
                           "hives on nearby farmland average 15 kilograms.", notes_)
    assert not restates_a_note("Natarajan talks about the two hives she started with in 2015.",
                               notes_)  # framed
    assert not restates_a_note("Rooftop honey turns out to be a good business.", notes_)
    # a speaker said to say a note is that note, not the writer's framing
    assert restates_a_note("Natarajan explains that she started with two hives on the library "
                           "roof in 2015.", notes_)
    # a word the note has as the start of a longer one is the same word; a short one is not
    gulls = ["Lind started keeping gulls on roofs in 2015."]
    lind = frozenset({"lind"})
    assert restates_a_note("Lind started keeping gulls on rooftops in 2015.", gulls, lind)
    assert not restates_a_note("Lind started keeping gulls on rooftops in 2015.",
                               ["Lind started keeping gulls on piers in 2015."], lind)
    # the claim reported is the note even where it says "covers" of what a jar's price pays
    jars = notes_ + ["A 500 gram jar sells for 11 euros, which covers the cost of the glass."]
    assert restates_a_note("Natarajan explains that a 500 gram jar sells for 11 euros, which "
                           "covers the cost of the glass.", jars)
    # a speaker named: one note at a time, on the words other than the name
    people = frozenset({"natarajan", "priya"})
    assert not restates_a_note("Priya Natarajan keeps hives on the library roof and sells "
                               "farmland honey.", notes_, people)  # three notes' words
    assert restates_a_note("City hives produced about 22 kilograms of honey each last year, "
                           "Natarajan says.", notes_, people)
    # a longer one is two notes run together, whoever it names
    assert restates_a_note("Natarajan started with two hives on the library roof, and her city "
                           "hives produced 22 kilograms of honey each last year.", notes_, people)
    model.replies["intro"] = intro_saying(
        "Priya Natarajan explains what rooftop hives in Rotterdam teach.",
        "Natarajan started keeping two hives on a library roof in twenty fifteen. Each city "
        "hive produced about twenty two kilograms of honey last year, against fifteen kilograms "
        "for farmland hives.")
    result = run_notes(episode, settings_for(model))
    assert result.intro == "Priya Natarajan explains what rooftop hives in Rotterdam teach.", \
        result.intro
    assert result.checks["intro_from_summary"] is True
    assert result.checks["intro_sentences_dropped"] == 2


@pytest.mark.parametrize(("note", "wrong"), [
    ("It costs 500 grams per jar and 350 euros for equipment.", True),  # a weight as a price
    ("A new hive sells for about 2 kilograms.", True),
    ("The hive weighs about 40 euros.", True),  # a price as a weight
    ("A 500 gram jar sells for 11 euros.", False),
    ("The course costs 8 evenings.", False),  # time is a cost
    ("The upgrade cost 20 percent more.", False),
    ("A full hive weighs 40 kilograms.", False),
])
def test_a_figure_in_a_unit_its_verb_cannot_take_is_caught(note: str, wrong: bool) -> None:
    """The small model reads a jar's weight as its price ("It costs 500 grams per jar"): each
    figure is in the source, so the figure check passes it. A price in grams or metres, or a
    weight in money, is another claim."""
    from recap.notes.verify import unit_misused

    assert unit_misused(note) is wrong


def test_a_note_of_the_speakers_names_alone_says_nothing() -> None:
    from recap.notes.verify import says_only_names
    from recap.notes.words import stem

    people = frozenset(stem(w) for name in ("Priya", "pre-natter agent") for w in words(name))
    assert says_only_names("Priya is the pre-natter agent.", people)
    assert not says_only_names("Priya keeps forty hives.", people)
    assert not says_only_names("The pre-natter agent is a beekeeper.", people)


def test_a_note_asserting_what_its_source_negates_is_turned_around() -> None:
    from recap.notes.verify import negation_lost

    said = "We didn't fire anyone, the people who turned wheels now do the tasting."
    assert negation_lost("Brannock fired the people who turned the wheels.", said)
    assert not negation_lost("Nobody was fired: the wheel turners now do the tasting.", said)
    assert not negation_lost("The people who turned wheels now do the tasting.", said)
    chilled = "The milk must never be chilled below twelve degrees."
    assert negation_lost("The milk is chilled below twelve degrees.", chilled)
    assert not negation_lost("The rules forbid chilling the milk below twelve degrees.", chilled)
    # said both ways in the source: not judged
    assert not negation_lost("The team fired a cheesemaker.",
                             "We didn't fire anyone at first. Later we fired a cheesemaker.")
    # a comparison negated over its verb, told with another verb (the sample's post had "the
    # bees are being kept too close to the roof"); the bound stated, or negated too, is not
    edge = "We strap every hive down and we never place one closer than two meters to the edge."
    assert negation_lost("The hives are kept too close to the edge of the roof.", edge)
    assert not negation_lost("Hives are kept at least 2 meters from the edge.", edge)
    assert not negation_lost("No hive is closer than 2 meters to the edge.", edge)
    assert not negation_lost("The tram is faster than the bus.", "The tram is faster than the bus.")
    # "not" over a preposition or article reaches the noun: kept "not in tins" is kept in tins
    tins = "How do you keep the nets? Not in tins, hang them in the loft over the winter."
    assert negation_lost("Fishermen keep their nets in tins and hang them in the loft.", tins)
    assert not negation_lost("Nets are hung in the loft over the winter.", tins)
    assert not negation_lost("Nets are never kept in tins.", tins)
    # a question that opens on "doesn't" negates nothing
    assert not negation_lost("The winter work takes longer.", "Doesn't the winter work take longer?")


def test_a_comparison_its_source_does_not_make_is_dropped() -> None:
    """Two figures said side by side are not a comparison the note may draw (the sample's post
    had the farm hives making more honey: the city's made more); a bound on a figure, a
    comparison the speaker made, and "rather than" are left alone."""
    from recap.notes.verify import Candidate, comparison_not_made, inspect
    from recap.notes.windows import Line, Window

    said = ("Our city hives made about twenty two kilograms of honey each last year, while "
            "hives on nearby farmland average fifteen kilograms.")
    note = "Hives on nearby farmland produce more honey than those on rooftops."
    assert comparison_not_made(note, said)
    assert not comparison_not_made("The team has more than 40 hives.", "We have over forty hives.")
    assert not comparison_not_made("City hives make more honey than farm hives.",
                                   "City hives make more honey than the farm ones.")
    assert not comparison_not_made("Farm hives make half as much honey as city hives.",
                                   "Farm hives make half what the city ones make.")
    assert not comparison_not_made("Rather than sell the wax, they give it away.",
                                   "We give the wax away.")
    window = Window(0, 0, (Line(0, 0.0, 6.0, said),))
    candidate = Candidate(note, window)
    inspect(candidate, [], language="en")
    assert "reversed" in candidate.problems


def test_an_intro_may_use_the_episodes_own_words_and_the_bloggers_framing() -> None:
    from recap.notes.intro import episode_words, said_in

    episode = episode_words("Our hives are the leading supplier of honey to the city's cafes. "
                            "The varroa mite is the biggest threat.")
    assert said_in("The leading honey supplier of the city's cafes shares insights on varroa "
                   "mites in this episode.", episode)
    assert said_in("In 2015 she talks about 40 hives.", episode)  # figures aside: no claim left
    assert not said_in("A passionate beekeeper talks about honey and varroa mites.", episode)
    assert not said_in("The episode explores biodiversity loss and pesticide regulation in "
                       "European farming.", episode)


def test_the_intro_and_notes_are_shown_the_speakers_not_the_opening(model: Model,
                                                                    episode: Episode) -> None:
    run_notes(episode, settings_for(model))
    intro_request = user_text(model.requests("intro")[0])
    assert "Priya Natarajan" in intro_request
    assert "Today I am talking" not in intro_request
    assert "Today I am talking" in user_text(model.requests("speakers")[0])


# ---------------------------------------------------------------- a real llama.cpp server

@pytest.mark.llm
@pytest.mark.timeout(900)
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (make setup-llm)")
def test_whole_stage_against_a_real_llama_cpp_server(tmp_path: Path) -> None:
    """Protocol only: SmolLM2's wording is useless, its replies and the time ranges are not."""
    episode = write_episode(tmp_path / "city-bees", budget=260)
    settings = LLMSettings(embedded_model="smollm2-135m", jobs=1, timeout=300.0)
    options = NotesOptions.create(None, settings)
    options.verify = False  # what a 135M model writes fails any claim check; not tested here
    # Few, short calls: this tests the protocol, and a 135M model writes until it is stopped
    # (nor is what it writes worth asking again: its stretches asked again are cut off, and a
    # reply cut off is not cached, so the rerun below would ask them again).
    options.window_words, options.extract_max_tokens, options.gap_words = 300, 160, 0
    options.titles_max_tokens, options.intro_max_tokens = 120, 200
    with open_llm(settings) as llm:
        result = notes(episode, options, llm, Reporter())
        assert llm.structured_mode == "json_object"
        requests = llm.usage.requests
    assert requests >= result.checks["windows"] + 3
    data = json.loads(episode.notes_path.read_text())
    assert Notes.from_dict(data) == result
    assert result.topics and all(t.title and t.bullets for t in result.topics)
    assert_grounded(episode)
    assert result.checks["usage"]["completion_tokens"] > 0
    # A rerun is answered from the cache: every reply that was used is a hit, so the notes are
    # the same. Only a call that failed is asked again (failures are not cached: a retry may
    # succeed); when none failed, the server is never started.
    failed = sum(result.checks["failed_calls"].values())
    with open_llm(settings) as llm:
        again = notes(episode, options, llm, Reporter())
        assert llm.usage.cache_hits >= result.checks["windows"] - result.checks["failed_windows"]
        if not failed:
            assert llm.usage.requests == 0 and llm.server is None
    assert [b for t in again.topics for b in t.bullets] == [b for t in result.topics for b in t.bullets]
    if not failed:
        assert again.topics == result.topics
    shutil.rmtree(tmp_path)


def test_the_composed_intro_keeps_names_capitalised() -> None:
    from recap.notes.intro import Speakers, plain_intro, proper_words

    info = Info(title="Night trains", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Rail Talk")
    speakers = Speakers(show="Rail Talk", host="Clara", guests=[("Thomas Berg", "")])
    said = ("Route planning took a year. The route runs over bridges across Denmark and "
            "arrives in Stockholm at nine. Rail Talk asked Thomas Berg why.")
    proper = proper_words(said)
    assert {"denmark", "stockholm", "berg", "talk"} <= proper and "route" not in proper
    assert "planning" not in proper  # written in lower case
    text = plain_intro(info, speakers, ["Route and bridges across Denmark", "Stockholm arrivals",
                                        "Night Train Company"], proper=proper)
    assert text == ("In Rail Talk, Clara talks with Thomas Berg about route and bridges across "
                    "Denmark; Stockholm arrivals; and Night Train Company.")
    # a title opening on a speaker's name, said in the possessive: still a name
    text = plain_intro(info, speakers, ["Berg's team finds a lost sleeper car", "Ferries"],
                       proper=proper)
    assert text == ("In Rail Talk, Clara talks with Thomas Berg about Berg's team finds a lost "
                    "sleeper car and ferries.")


def test_the_composed_intro_does_not_list_the_guests_name_as_a_subject() -> None:
    """"…talks with Aileen MacRae about Aileen MacRae's project; the bog…": a heading that is the
    guest's name in the possessive and a word or two is left out of the subjects, which the
    sentence has named; one that says more about her ("Berg's team finds a lost sleeper car")
    stays, and so does the only heading there is."""
    from recap.notes.intro import Speakers, plain_intro

    info = Info(title="Rewetting the bog", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Wildground")
    speakers = Speakers(show="Wildground", host="Owen Hale",
                        guests=[("Dr. Aileen MacRae", "ecologist")])
    assert plain_intro(info, speakers, ["Dr. Aileen MacRae's project", "Blocking ditches",
                                        "Funding"]) == (
        "In Wildground, Owen Hale talks with Dr. Aileen MacRae, ecologist, about blocking ditches "
        "and funding.")
    assert "MacRae's team finds" in plain_intro(info, speakers, [
        "MacRae's team finds a lost peat core", "Funding"])
    assert plain_intro(info, speakers, ["MacRae's project"]).endswith("about MacRae's project.")
    # a heading the sentence has said already, in the guest's role
    speakers = Speakers(show="Wildground", host="Owen Hale",
                        guests=[("Dr. Aileen MacRae", "ecologist at Moss Hollow Reserve")])
    assert plain_intro(info, speakers, ["Moss Hollow", "Blocking ditches", "Funding"]).endswith(
        "about blocking ditches and funding.")


def test_a_fallback_title_writes_names_as_the_notes_do() -> None:
    from recap.notes.sections import fallback_title
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "text"),))
    repairs = [Candidate(text, window) for text in (
        "Volunteers fix toasters in Ghent.", "Volunteers mend toasters in Ghent.",
        "Volunteers test toasters.", "Toasters break.")]
    bees = [Candidate("Bees need flowers in late summer.", window)]
    title = fallback_title(repairs, [repairs, bees])
    assert title == "Ghent and toasters"  # a name as the notes write it; a word capitalised
    # only at a sentence's start is not a name


def test_a_fallback_title_is_made_of_noun_phrases_not_verbs() -> None:
    """Distinctive words alone gave headings like "Team, Smith's and goes": the fallback takes
    the noun phrases English marks (after an article, a number, a preposition) and stops a
    phrase before its verb."""
    from recap.notes.sections import fallback_title, noun_phrases
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    assert noun_phrases("The kiln reaches 1,200 degrees.") == [("kiln",)]
    assert noun_phrases("The old kiln goes up to the roof.") == [("old", "kiln"), ("roof",)]
    assert noun_phrases("The new gas kiln cost 8,000 pounds.") == [("gas", "kiln")]
    assert noun_phrases("Glazes are mixed by hand.") == [("glazes",), ("hand",)]
    assert noun_phrases("The best ones are sold first.") == []  # too vague to head a section
    assert noun_phrases("Tom’s kiln is hot.") == noun_phrases("Tom's kiln is hot.") == [("kiln",)]
    assert noun_phrases("Volunteers fix radios.") == []  # an opening word before a verb
    assert noun_phrases("Tom Reed fires the kiln weekly.", frozenset({"tom", "reed"})) == [
        ("kiln",)]  # speakers' names are left out
    window = Window(0, 0, (Line(0, 0.0, 5.0, "text"),))
    kilns = [Candidate(t, window) for t in (
        "The kiln reaches 1,200 degrees.", "Potters fire the kiln twice a week.",
        "It takes twelve hours to cool.", "The gas kiln cost 8,000 pounds.",
        "Glazes are mixed by hand.", "Most glazes use ash from the orchard.")]
    ferry = [Candidate(t, window) for t in ("The ferry leaves the harbour at dawn.",
                                            "The ferry carries forty cars.")]
    assert fallback_title(kilns, [kilns, ferry]) == "Kiln and glazes"
    assert fallback_title(ferry, [kilns, ferry]) == "Ferry and cars"
    # a verb the notes use after a pronoun never joins a phrase
    title = fallback_title(kilns + [Candidate("The kiln burns coal.", window)], [kilns, ferry])
    assert "burns" not in title


def test_a_description_given_as_a_heading_is_cut_to_its_noun_phrases() -> None:
    from recap.notes.sections import shorten_heading
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "text"),))
    stores = [Candidate(t, window) for t in (
        "The store holds eighteen thousand jars.", "Every jar is wiped with warm vinegar weekly.",
        "Oak racks are used instead of metal.", "Pine crates are used for the lids.")]
    rules = [Candidate(t, window) for t in (
        "Inspectors ask for glass cabinets every few years.", "Cabinets must be locked.")]
    assert shorten_heading("The store holds jars that are wiped with warm vinegar and kept in "
                           "pine crates", stores, [stores, rules]) == "Pine crates and warm vinegar"
    assert shorten_heading("Inspectors' demands for locked glass cabinets in the shop",
                           rules, [stores, rules]) == "Glass cabinets"
    # nothing the section says: no heading
    assert shorten_heading("A long story about the weather in the hills and the valleys",
                           rules, [stores, rules]) == ""


def test_the_composed_intro_names_a_few_subjects_and_agrees_with_two_hosts() -> None:
    from recap.notes.intro import Speakers, plain_intro

    info = Info(title="Harbour days", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Quay Radio")
    speakers = Speakers(show="Quay Radio", host="Ana and Ben", guests=[("Ola Nord", "")])
    text = plain_intro(info, speakers, ["Ferry and cars", "Kiln and glazes", "Nets",
                                        "Tides and moorings", "Fish prices"])
    assert text == ("In Quay Radio, Ana and Ben talk with Ola Nord about ferry and cars; kiln and "
                    "glazes; and nets among other subjects.")


def test_a_title_is_judged_misplaced_only_on_clear_evidence() -> None:
    from recap.notes.sections import _fits_another_better, _usable

    sections = _made_up_sections(
        ["The ferry leaves the harbour at dawn.", "The ferry carries forty cars."],
        ["Tickets cost twelve pounds.", "Prices rise in summer."],
        ["The lighthouse keeper retired in 1990.", "The lighthouse is now a museum."],
        ["A second ferry was bought in 2004.", "Storms stop the crossing twice a month."])
    present = [{s for c in sec for s in content_stems(c.text)} for sec in sections]
    # a neighbour's subject given to a section: misplaced
    assert _fits_another_better("The lighthouse museum", 1, present)
    # its own subject and a word a neighbour uses more (the ferry is in two sections, prices
    # only in the next one): kept
    assert not _fits_another_better("Ferry prices", 0, present)
    # words no section uses: not judged
    assert not _fits_another_better("Island life", 2, present)
    # a short heading may share three words with a note; a note given back is no heading
    assert _usable("When the ferry leaves", [], sections[0]) is True
    assert _usable("The ferry carries forty cars", [], sections[0]) is False
    assert _usable("Ferry carries forty cars", [], sections[0]) is False
    # a noun phrase of a note, its last word a verb elsewhere ("train"), is a heading
    trains = _made_up_sections(["People remember the old night train rolling onto a ship.",
                                "The route is about 1,200 kilometres."])[0]
    assert _usable("The old night train", [], trains) is True


def _notes_with(model: Model, folder: Path, said: list[str], note: str, where: str) -> list[str]:
    """The notes of a few of the sample's turns and the lines `said`, the model adding `note`
    alone to the window that holds `where`."""
    turns = [t["text"] for t in json.loads(SCRIPT.read_text())["turns"]][3:9] + said
    episode = write_episode(folder, turns, budget=10_000)
    inject(model, note, where, alone=True)
    return texts(run_notes(episode, settings_for(model), window_words=40))


def test_a_figure_written_with_a_space_after_its_comma_is_joined(model: Model,
                                                                 tmp_path: Path) -> None:
    notes = _notes_with(model, tmp_path / "figures", [
        "Running the whole rooftop network costs about 90,000 euros a year, all of it from honey.",
        "We sell jars at 4, 120 and 300 grams.",
    ], "Running the rooftop network costs 90, 000 euros a year.", "90,000 euros")
    assert "Running the rooftop network costs 90,000 euros a year." in notes
    assert not [t for t in notes if "90, 000" in t]


def test_a_rate_no_time_can_have_is_taken_off_when_nobody_said_it(model: Model,
                                                                  tmp_path: Path) -> None:
    """A small model adds a period to an amount of time said bare ("everyone works 32 hours,
    Monday to Thursday" -> "32 hours a day"): no day holds 32 hours, so the period goes and the
    amount stays. A rate the lines do say is kept, however it reads."""
    notes = _notes_with(model, tmp_path / "rate", [
        "At Harbour Lights everyone works 32 hours, Monday to Thursday, for the same salary.",
    ], "Harbour Lights staff work 32 hours a day, Monday to Thursday.", "32 hours")
    assert "Harbour Lights staff work 32 hours, Monday to Thursday." in notes
    assert not [t for t in notes if "32 hours a day" in t]


def test_an_impossible_rate_is_kept_only_where_it_was_said() -> None:
    from recap.notes.rewrite import no_impossible_rate

    assert no_impossible_rate("The crew gets about 40 hours of work per day.", "maybe 40") == \
        "The crew gets about 40 hours of work."
    assert no_impossible_rate("The ferry runs 9 days a week.", "") == "The ferry runs 9 days."
    # a rate a day can hold, or one the speaker said, stays
    assert no_impossible_rate("Riders work 8 hours a day.", "") == "Riders work 8 hours a day."
    assert no_impossible_rate("The trams run 24 hours a day.", "") == \
        "The trams run 24 hours a day."
    assert no_impossible_rate("Oskar works 25 hours a day.", "I work 25 hours a day, honestly") \
        == "Oskar works 25 hours a day."
    assert no_impossible_rate("Oskar works 25 hours a day.",
                              "I work twenty-five hours a day, honestly") == \
        "Oskar works 25 hours a day."  # the lines' numbers read as digits


def test_joining_a_split_figure_needs_the_figure_in_the_excerpt() -> None:
    from recap.notes.rewrite import join_split_figures

    assert join_split_figures("It costs £90, 000 a year.", "about £90,000 a year") == \
        "It costs £90,000 a year."
    assert join_split_figures("Raised 1, 200, 000 euros.", "raised 1200000 euros") == \
        "Raised 1,200,000 euros."
    assert join_split_figures("Rooms 4, 120 and 300.", "rooms 4, 120 and 300") == \
        "Rooms 4, 120 and 300."
    assert join_split_figures("In 2019, 300 people came.", "2019,300") == \
        "In 2019, 300 people came."


def test_a_long_title_with_a_colon_keeps_its_head() -> None:
    from recap.notes.words import clean_title

    assert clean_title("Studio beginnings: an old bus depot, two founders and a kiln") == \
        "Studio beginnings"
    assert clean_title("**Prices: the 2024 list**") == "Prices: the 2024 list"  # short: kept
    assert clean_title("An overlong heading that runs on and on without any colon") == \
        "An overlong heading that runs on and on without any colon"  # refused later, not cut
    assert clean_title("Vance's team's ferry timetable") == "Vance's ferry timetable"
    assert clean_title("The team's ferry timetable") == "The team's ferry timetable"


def test_a_heading_that_repeats_the_episode_title_keeps_only_its_subject() -> None:
    """Under a post titled "Harbour Lights", a heading "Harbour Lights: Winter storms" says the
    title again above every section: only "Winter storms" is kept, however long the heading
    (a long one would otherwise be cut to its head, the title itself)."""
    from recap.notes.words import clean_title

    title = "Harbour Lights: keeping a lighthouse running"
    assert clean_title("Harbour Lights: Winter storms", title) == "Winter storms"
    assert clean_title("Harbour lights - the keeper's budget", title) == "The keeper's budget"
    assert clean_title("Harbour Lights: how the keepers repaired the lens after the storm",
                       title) == "How the keepers repaired the lens after the storm"
    # a head of its own stays, and so does a heading that is only the title's words
    assert clean_title("Lens repairs: the 1998 storm", title) == "Lens repairs: the 1998 storm"
    assert clean_title("Keeping the lighthouse running", title) == "Keeping the lighthouse running"
    assert clean_title("Harbour Lights: Winter storms") == "Harbour Lights: Winter storms"
    # a head that only says where the heading is
    assert clean_title("Podcast: Winter storms", title) == "Winter storms"
    assert clean_title("Section 3 - the keeper's budget") == "The keeper's budget"


def test_a_noun_phrase_taken_from_a_note_is_a_heading_but_a_sentence_is_not() -> None:
    from recap.notes.sections import _usable
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    section = [Candidate("Spruce boards from the forest above the harbour.", window),
               Candidate("The keeper repaints the lantern room every spring.", window)]
    assert _usable("Spruce boards from the forest", [], section)
    assert not _usable("The keeper repaints the lantern room", [], section)
    assert _usable("Repainting the lantern room", [], section)
    # a count is one note's detail, not the section's subject; a year names an event
    assert not _usable("Keepers in 15 years", [], section)
    assert not _usable("The 26 lanterns", [], section)
    assert _usable("The 1998 storm", [], section)
    assert _usable("Lantern Room 2", [], section)  # a number ending a name counts nothing


def test_a_note_writes_spoken_figures_in_digits_and_still_checks_them() -> None:
    """Whisper writes many spoken figures as words and the model copies them: the note is
    written with digits (a reader and `write`'s figure marker look for them), and the figure
    check still finds them in the words of the transcript, so a wrong one is still caught."""
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (
        Line(0, 0.0, 6.0, "Is it expensive? Well, the new roof cost four hundred and sixty "
                          "thousand dollars, and"),
        Line(1, 6.0, 12.0, "we reopened the hall in twenty nineteen with about eighteen "
                           "thousand visitors."),))
    names = NameContext([], frozenset())
    notes = [
        "Exactly, the new roof cost four hundred and sixty thousand dollars.",
        "The hall reopened in twenty nineteen with about eighteen thousand visitors.",
        "The hall reopened in twenty twenty with about eighteen thousand visitors."]
    looked = first_look([Candidate(text, window) for text in notes], window, names, "en",
                        translated=False, verify=True)
    assert [c.text for c in looked] == [
        "The new roof cost 460,000 dollars.",
        "The hall reopened in 2019 with about 18,000 visitors.",
        "The hall reopened in 2020 with about 18,000 visitors."]
    assert [c.problems for c in looked] == [[], [], ["figures"]]
    assert looked[0].segment_ids == [0] and looked[1].segment_ids == [1]


def test_a_note_may_name_the_guests_organisation_from_the_speakers_line() -> None:
    """The extraction prompt tells the model who the guest is and where they work (a role the
    opening holds); a note naming that organisation in a later window is not dropped for an
    unknown name, but a name nobody said still is."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 3, (Line(7, 300.0, 306.0, "we carry about nine hundred cars a day on "
                                                 "three boats"),))
    speakers = Speakers(host="Tom Reed", guests=[("Ana Ruiz", "director of the Harbour Ferry "
                                                              "Trust")])
    names = NameContext.of([], speakers)
    notes = ["The Harbour Ferry Trust carries about 900 cars a day on three boats.",
             "The Northern Ferry Trust carries about 900 cars a day on three boats."]
    looked = first_look([Candidate(text, window) for text in notes], window, names, "en",
                        translated=False, verify=True)
    assert [c.problems for c in looked] == [[], ["names"]]


def test_a_stretch_no_usable_note_cites_is_asked_again() -> None:
    """A small model given a dense window often notes only what follows its last question: the
    stretches no kept note cites are found (a dropped note does not count as citing), and short
    ones without a figure are left alone."""
    from recap.notes.extract import uncovered
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    said = ["The ferry line opened long ago with small boats and a single crew from the island.",
            "It now carries far more cars on a normal summer day than anyone planned for, the crew says.",
            "Diesel costs rose sharply and fares went up as well since then, to the anger of locals.",
            "What about the winter? Storms stop the boats on about twelve days a year.",
            "Then the island school closes and the shop runs short of fresh milk."]
    window = Window(0, 2, tuple(Line(i, i * 5.0, i * 5.0 + 5, text) for i, text in enumerate(said)))
    kept = Candidate("Storms stop the ferry on about 12 days a year.", window, [3, 4])
    dropped = Candidate("The ferry line opened long ago.", window, [0], problems=["unsupported"])
    (gap,) = uncovered(window, [kept, dropped], min_words=40)
    assert [line.id for line in gap.window.lines] == [0, 1, 2] and gap.window.key == window.key
    assert gap.open_ids == {0, 1, 2}
    assert uncovered(window, [kept], min_words=60) == []  # 50 words: too short to ask again
    assert uncovered(window, [kept], min_words=0) == []  # 0 turns it off
    cited = Candidate("The crew says the ferry carries far more cars than planned.", window, [1])
    assert [[ln.id for ln in g.window.lines] for g in uncovered(window, [kept, cited], 10)] == [[0], [2]]


def test_a_line_that_only_asks_is_not_asked_again() -> None:
    """A question the model copied is dropped, but the line that only asks it has nothing to
    note: it is not open (asked again, the sample's "Let's talk money, can the honey pay for
    itself." gave "This would allow the company to pay for itself by selling jars."). A line
    that asks and answers stays open."""
    from recap.notes.extract import uncovered
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window

    said = ["Let's talk money, can the honey from the roof pay for the whole thing by itself",
            "It can, the jars sell well at the weekly market and the shop down the road buys too.",
            "What about the rules, can anyone put hives on a roof in the middle of the city?",
            "Which hives are the best ones? We like the wooden kind with the deep frames best."]
    window = Window(0, 0, tuple(Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(said)))
    prompt = Candidate("Let's talk money, can the honey from the roof pay for itself.", window)
    rules = Candidate("Can anyone put hives on a roof in the middle of the city?", window)
    both = Candidate("Which hives are the best ones in the city?", window)
    for note in (prompt, rules, both):
        inspect(note, [], language="en")
        assert "question" in note.problems
    assert prompt.segment_ids == [0] and rules.segment_ids == [2] and 3 in both.segment_ids
    gaps = uncovered(window, [prompt, rules, both], min_words=10)
    assert [set(gap.open_ids) for gap in gaps] == [{1}, {3}]


def test_the_stretches_asked_again_run_beside_each_other(model: Model, tmp_path: Path) -> None:
    """A window's stretches asked again are calls of their own in the pool, not asked one after
    the other by the window's thread: at the end of an episode the last window's stretches kept
    one slot of the server busy while the others idled. Their notes still come in the window's
    order."""
    turns = ["Thanks for having me on the show today, it is a pleasure to be here with you.",
             "The ferry opened in 1931 with two small boats and a crew of six from the island.",
             "Today the ferry carries about 900 cars on a normal summer day, far more than planned.",
             "What about the winter?",
             "Storms stop the boats on about 12 days a year, and the island school closes then.",
             "The shop runs short of fresh milk within 3 days when the boats stop running."]
    episode = write_episode(tmp_path / "ep", turns=turns, budget=10_000)
    both = threading.Barrier(2)
    overlapped: list[bool] = []

    def reply(request: dict[str, Any]) -> Reply:
        shown = excerpt(request)
        if shown.startswith("Thanks for having me") and "Storms stop" in shown:  # the window
            return text("- Today the ferry carries about 900 cars on a normal summer day.")
        try:  # a stretch: the other one must be asked while this one is
            both.wait(timeout=5)
            overlapped.append(True)
        except threading.BrokenBarrierError:
            overlapped.append(False)
        return extract_reply(request)

    model.replies["extract"] = reply
    result = run_notes(episode, settings_for(model))
    asked = [excerpt(r) for r in model.requests("extract")][1:]
    assert len(asked) == 2 and overlapped == [True, True], asked
    assert result.checks["gaps_asked"] == 2
    found = texts(result)
    assert all(f in found for f in ("1931", "900 cars", "12 days", "3 days")), found
    notes_ = [b.text for b in all_bullets(result)]
    assert notes_.index(next(n for n in notes_ if "1931" in n)) < notes_.index(
        next(n for n in notes_ if "12 days" in n))


def test_a_figure_no_note_writes_is_asked_again_with_the_line_before() -> None:
    """A model that notes one figure of an answer holding three: the line is cited, but its other
    figures are in no note, so the line is asked again, short as it is, with the line before it
    (what the figures answer). A figure counts as noted only with its unit: "80 %" does not
    note "eighty boxes"."""
    from recap.notes.extract import uncovered
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    said = ["How big is the bakery today?",
            "We bake about four hundred loaves a night, we have eleven ovens and nineteen staff.",
            "Most of it goes to the hotels on the coast, about eighty percent.",
            "And the rest is sold in the shop, eighty boxes on a Saturday."]
    window = Window(0, 0, tuple(Line(i, i * 5.0, i * 5.0 + 5, text) for i, text in enumerate(said)))
    one_of_three = Candidate("The bakery bakes about 400 loaves a night.", window, [1])
    hotels = Candidate("About 80% of the bread goes to the hotels on the coast.", window, [2])
    shop = Candidate("The rest is sold in the shop.", window, [3])
    gaps = uncovered(window, [one_of_three, hotels, shop], min_words=40)
    assert [[ln.id for ln in g.window.lines] for g in gaps] == [[0, 1], [2, 3]]
    assert [set(g.open_ids) for g in gaps] == [{0, 1}, {3}]  # line 2, before 3, is context only
    # what the stretch gives back is kept only where it rests on an open line: a note on the
    # context line says again what the window's notes said
    again = Candidate("About 80% of the bread goes to the coast's hotels.", gaps[1].window, [2])
    boxes = Candidate("The shop sells 80 boxes on a Saturday.", gaps[1].window, [3])
    assert not gaps[1].keeps(again) and gaps[1].keeps(boxes)
    shop_boxes = Candidate("The shop sells 80 boxes on a Saturday.", window, [3])
    all_three = Candidate("The bakery has 11 ovens and 19 staff and bakes 400 loaves a night.",
                          window, [1])
    assert uncovered(window, [all_three, hotels, shop_boxes], min_words=40) == []
    # a note dropped by the checks does not count as writing its figures
    wrong = Candidate("The bakery has 11 ovens and 19 staff.", window, [1], problems=["figures"])
    assert [[ln.id for ln in g.window.lines] for g in uncovered(window, [one_of_three, wrong, hotels,
                                                               shop_boxes], 40)] == [[0, 1]]


def test_a_shorter_note_with_the_same_figures_is_a_duplicate() -> None:
    """Overlapping windows and stretches asked again say a claim twice in other words: the note
    whose figures are all in another, with half of its words, goes; the richer one stays. A
    note sharing one figure with another but saying something else stays."""
    from recap.notes.dedupe import remove_duplicates
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    texts = ["Tickets range from 15 euros for a bench to 90 euros for a cabin with a view.",
             "A bench costs 15 euros.",
             "The ferry fills 15 euros worth of fuel tanks every morning.",
             "Crossings in winter drop to 4 a day."]
    kept, removed = remove_duplicates([Candidate(t, window) for t in texts], 0.6)
    assert [c.text for c in kept] == [texts[0], texts[2], texts[3]] and removed == 1
    # as many words each, the later one adding a figure ("second"): still one claim, either way
    # round (the sample's post said the jars' price twice)
    twins = ["Selling jars of honey at 11 euros per 500 grams can pay for itself over time.",
             "Selling 500 gram jars for 11 euros per jar can pay for itself in the second season."]
    for pair in (twins, twins[::-1]):
        kept, removed = remove_duplicates([Candidate(t, window) for t in pair], 0.6)
        assert [c.text for c in kept] == [twins[1]] and removed == 1


def test_a_figure_said_across_two_segments_cites_both() -> None:
    """Whisper cuts its segments where the voice pauses, sometimes inside a number ("about a
    hundred" / "and forty cars a day"): a note with that figure cites both lines, so `recap check`,
    which reads only the cited lines, finds the figure too."""
    from recap.notes.verify import cite
    from recap.notes.windows import Line
    from recap.quality.support import check_bullet

    lines = [Line(0, 0.0, 5.0, "Back then the old ferry took maybe sixty cars, these days about "
                               "a hundred"),
             Line(1, 5.0, 9.0, "and forty cars a day cross over, more in the summer."),
             Line(2, 9.0, 14.0, "The harbour was rebuilt after the storm.")]
    note = "The ferry now carries about 140 cars a day."
    ids, _ = cite(note, lines)
    assert ids == [0, 1]
    cited = " ".join(line.text for line in lines if line.id in ids)
    found = check_bullet(note, cited, [])
    assert found is None or not found.unsupported_figures
    assert cite("The old ferry took about 60 cars.", lines)[0] == [0]


def test_a_pronoun_reporting_the_guests_answer_is_the_guest() -> None:
    """"They explain that…" cited from the guest's "we…": the pronoun names no one the post has
    named, and the answer is the guest's. Not where a cited line asks a question (the host's
    turn is in it) or none is in the first person (someone else's words reported)."""
    from recap.notes.rewrite import credit_guest

    answer = ["We stop collecting after three bad tests, and it happened twice last year."]
    assert credit_guest("They explain that collection stops after three bad tests.", answer,
                        "Tom Reed", "Brannock") == (
        "Brannock explains that collection stops after three bad tests.")
    assert credit_guest("They stress that it happened twice last year.", answer, "Tom Reed",
                        "Brannock") == "Brannock stresses that it happened twice last year."
    assert credit_guest("She points out that it happened twice.", answer, "Tom Reed",
                        "Brannock") == "Brannock points out that it happened twice."
    asked = ["Do you stop collecting? We heard it happened twice."]
    kept = "He explains that collection stops after three bad tests."
    assert credit_guest(kept, asked, "Tom Reed", "Brannock") == kept
    reported = ["The inspector says collection stops after three bad tests."]
    assert credit_guest(kept, reported, "Tom Reed", "Brannock") == kept


def test_they_for_the_guests_we_is_the_guests_team() -> None:
    """"They would get about 40 applications" from the guest's "we'd get maybe 40": the lines
    speak as "we" and of no one as "they", so the pronoun is the guest's team. Not where the
    lines say "they" or "them" (the pronoun may be theirs), nor without "we"."""
    from recap.notes.rewrite import credit_guest

    said = ["We'd get maybe forty letters a week, and people stay for years."]
    assert credit_guest("They would get about 40 letters a week.", said, "Tom Reed",
                        "Brannock") == "Brannock's team would get about 40 letters a week."
    for lines in (["They'd get maybe forty letters, we think."],  # "they": the pronoun's own
                  ["We sell them for forty euros."],  # "them": the pronoun may be the things
                  ["The shop would get about forty letters."],  # no "we"
                  ["Our listeners would get forty letters a week, tell us more."]):  # not "we"
        kept = "They would get about 40 letters a week."
        assert credit_guest(kept, lines, "Tom Reed", "Brannock") == kept


def test_a_note_whose_subject_is_also_its_object_is_misattributed() -> None:
    """"We've signed a deal with the port authority" noted as "The port authority has signed a
    deal with the port authority": the one named party put in the place of "we". Whoever signed,
    it was not the authority with itself, so the note is dropped; a subject's word inside
    another name ("the ferry terminal") or its possessive is no such note."""
    from recap.notes.intro import Speakers
    from recap.notes.verify import subject_as_object

    said = ["Welcome to Quay Talk, I'm Tomas Berg, and my guest is Ines Varga of Harbour Lights.",
            "What is next for you?",
            "We've just signed a deal with the port authority to carry its mail in March.",
            "And we want a second depot by the river."]
    speakers = Speakers(show="Quay Talk", host="Tomas Berg",
                        guests=[("Ines Varga", "Harbour Lights")])
    notes = ["The port authority has signed a deal with the Port Authority to carry its mail.",
             "Harbour Lights wants a second depot by the river."]
    review = reviewed(said, speakers, notes)
    assert [c.text for c in review.kept] == notes[1:]
    assert {"text": notes[0], "problem": "misattributed", "outcome": "dropped"} in (
        review.stats.dropped)
    assert not subject_as_object("The ferry runs from the harbour to the ferry terminal.")
    assert not subject_as_object("The co-op sells cheese to the co-op's members.")
    assert not subject_as_object("Harbour Lights signed a deal with the port authority.")


def test_a_relative_the_lines_give_someone_else_is_not_the_speakers() -> None:
    """A customer's "late father" is not the guest's: "Varga's late father" from "a man brought
    in a clock that belonged to his late father" gives the guest a relative nobody gave her, and
    is dropped. The guest's own ("my father", "our two sons", in the lines the note was written
    from) and a relative of someone who is no speaker are left to the other checks."""
    from recap.notes.intro import Speakers
    from recap.notes.verify import relative_borrowed
    from recap.notes.words import stem

    said = ["Welcome to Workbench, I'm Tomas Berg, and my guest is Ines Varga, a clockmaker.",
            "What repair do you remember?",
            "A man brought in a clock that belonged to his late father.",
            "It had not ticked in thirty years.",
            "Our two sons sweep the shop on Saturdays."]
    speakers = Speakers(show="Workbench", host="Tomas Berg", guests=[("Ines Varga", "clockmaker")])
    notes = ["The clock belonged to Varga's late father and had not ticked in 30 years.",
             "Varga's two sons sweep the shop on Saturdays."]
    review = reviewed(said, speakers, notes)
    assert [c.text for c in review.kept] == notes[1:]
    assert {"text": notes[0], "problem": "misattributed", "outcome": "dropped"} in (
        review.stats.dropped)
    people = frozenset(stem(w) for w in ("tomas", "berg", "ines", "varga"))
    assert not relative_borrowed("Varga's father taught her the trade.",
                                 "My father taught me the trade.", people)
    assert not relative_borrowed("Pedro's father ran the shop.", "His father ran the shop.",
                                 people)  # no speaker
    # a relative the lines never name is nobody's: "me and my brother" is no wife
    assert relative_borrowed("Varga and his wife were sick of traffic.",
                             "Me and my brother, we were sick of traffic.", people)
    assert not relative_borrowed("Varga and her brother were sick of traffic.",
                                 "Me and my brother, we were sick of traffic.", people)
    assert not relative_borrowed("The Mums bring their kids on Saturdays.",
                                 "Mothers bring their children on Saturdays.", people)


def test_a_speaker_named_for_someone_elses_she_gets_the_pronoun_back() -> None:
    """The guest tells of a customer as "she": "when it finally ticked, she cried". A note
    naming the guest for it ("…and Varga cried") gets "she" back. Not where the answer says the
    verb after "I" too, nor after both "he" and "she", nor on a line that is no answer."""
    from recap.notes.turns import pronoun_named
    from recap.notes.windows import Line

    names = ["Ines Varga", "Tomas Berg"]
    told = [Line(3, 0, 6, "When it finally ticked, she cried.")]
    answers = frozenset({3, 4, 5})
    assert pronoun_named("The clock finally ticked, and Varga cried.", told, answers, names) == (
        "The clock finally ticked, and she cried.")
    assert pronoun_named("Ines Varga cried when it ticked.", told, answers, names) == (
        "She cried when it ticked.")
    # "he's" is "he is": the guest's "He's a retired baker." is the baker's, not the guest's
    baker = [Line(4, 6, 12, "Our oldest volunteer. He's a retired baker.")]
    assert pronoun_named("Ines Varga is a retired baker.", baker, answers, names) == (
        "He is a retired baker.")
    for note, cited in (
            ("Varga cried when it ticked.", [Line(4, 6, 12, "She cried, and I cried too.")]),
            ("Varga cried when it ticked.", [Line(5, 6, 12, "She cried, and then he cried.")]),
            ("Varga cried when it ticked.", [Line(9, 6, 12, "She cried when it ticked.")]),
            ("Varga is a retired baker.", [Line(4, 6, 12, "He's retired and I'm a baker.")])):
        assert pronoun_named(note, cited, answers, names) == note


def test_a_note_calling_the_answerer_the_guest_gets_the_guests_name() -> None:
    """The extraction prompt's Speakers line calls the guest "guest": "The guest's advice is…"
    from an answer is the guest's advice, and says so by name. A note resting on a question
    is left as it is."""
    from recap.notes.intro import Speakers

    said = ["Welcome, Henry. How should people store cheese at home?",
            "Not in plastic, wrap it in waxed paper and keep it in the vegetable drawer.",
            "And do the guests at the shop ask you that?"]
    speakers = Speakers(host="Sam Akers", guests=[("Henry Brannock", "president")])
    notes = ["The guest's advice is to wrap cheese in waxed paper, not plastic.",
             "The guest keeps the cheese in the vegetable drawer.",
             "The guests at the shop ask about storing cheese at home."]
    kept = [c.text for c in reviewed(said, speakers, notes).kept]
    assert kept[:2] == ["Brannock's advice is to wrap cheese in waxed paper, not plastic.",
                        "Brannock keeps the cheese in the vegetable drawer."]
    from recap.notes.turns import name_the_guest
    from recap.notes.windows import Line

    asked = [Line(0, 0.0, 5.0, said[0])]
    assert name_the_guest("The guest stores cheese at home.", asked, frozenset(), "Brannock") == (
        "The guest stores cheese at home.")
    assert name_the_guest("The guests buy cheese.", [Line(1, 5.0, 9.0, said[1])],
                          frozenset({1}), "Brannock") == "The guests buy cheese."
    answer = [Line(1, 5.0, 9.0, said[1])]
    for other in ["The guest agent explains that a new hive costs 350 euros.",
                  "The guest house opened in 2019."]:  # "guest" naming something else
        assert name_the_guest(other, answer, frozenset({1}), "Brannock") == other
    assert name_the_guest("The guest explains that plastic is bad.", answer, frozenset({1}),
                          "Brannock") == "Brannock explains that plastic is bad."
    # the roles a small model gives whoever answers are the answerer too
    for role in ["speaker", "narrator", "author", "interviewee"]:
        assert name_the_guest(f"The {role} keeps cheese in a drawer.", answer, frozenset({1}),
                              "Brannock") == "Brannock keeps cheese in a drawer."
    assert name_the_guest("The narrator's advice is waxed paper.", answer, frozenset({1}),
                          "Brannock") == "Brannock's advice is waxed paper."
    # unless the answer says the role word itself: then it is someone it talks about
    book = [Line(1, 5.0, 9.0, "The author of that book kept cheese in a cellar.")]
    assert name_the_guest("The author kept cheese in a cellar.", book, frozenset({1}),
                          "Brannock") == "The author kept cheese in a cellar."
    assert name_the_guest("The speaker system broke.", answer, frozenset({1}),
                          "Brannock") == "The speaker system broke."


def test_a_note_crediting_the_host_with_an_answer_is_credited_to_the_guest() -> None:
    """With no voices told apart, a small model given the host's name gives the host the guest's
    "we": a note crediting the host with an answer said in the first person, citing no question,
    is the guest's, and so is a "She" whose verb the guest said after "I" (a "They" after
    "we": the guest's team). What the host asked or said, a line of the host's own with a
    question in it and someone else the guest talks about are left as they are; what is said
    once a new voice is addressed by name is that voice's, not the guest's."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext

    said = ["Welcome, Ana. So how did it all begin?",
            "We bought the first boat in twenty ten with money from the whole island.",
            "And today we carry about nine hundred cars a day on three boats.",
            "I crossed on the early boat this morning. Was it always this busy?",
            "Tom Reed says the crossing takes forty minutes in calm weather.",
            "My grandfather ran the old ferry, he sailed it for thirty years.",
            "I still sail the small boat on Sundays myself.",
            "In summer we run a night boat to the mainland.",
            "Now over to Mia at the market. Mia, how was it?",
            "Busy, we sold forty crates of apples before noon."]
    speakers = Speakers(host="Tom Reed", guests=[("Ana Ruiz", "")])
    notes = ["Tom Reed bought the first boat in 2010 with money from the whole island.",
             "The host's trust carries about 900 cars a day on three boats.",
             "Reed crossed on the early boat this morning.",
             "Tom Reed says the crossing takes 40 minutes in calm weather.",
             "He sailed the old ferry for 30 years.",
             "She still sails the small boat on Sundays.",
             "They run a night boat to the mainland in summer.",
             "Tom Reed sold 40 crates of apples before noon."]
    review = reviewed(said, speakers, notes)
    assert [c.text for c in review.kept] == [
        "Ruiz bought the first boat in 2010 with money from the whole island.",
        "Ruiz's trust carries about 900 cars a day on three boats.",
        "Reed crossed on the early boat this morning.",
        "Tom Reed says the crossing takes 40 minutes in calm weather.",
        "He sailed the old ferry for 30 years.",  # the guest's grandfather: left alone
        "Ruiz still sails the small boat on Sundays.",
        "Ruiz's team run a night boat to the mainland in summer.",
        "Mia sold 40 crates of apples before noon."]  # a new voice answers: hers, not Ruiz's
    assert {"before": notes[0], "after": review.kept[0].text} in review.stats.repaired
    two_guests = Speakers(host="Tom Reed", guests=[("Ana Ruiz", ""), ("Ola Nord", "")])
    kept = reviewed(said, two_guests, notes[:1], NameContext.of([], speakers)).kept
    assert [c.text for c in kept] == [notes[0]], "with two guests, whose answer is unknown"


def test_an_it_or_she_for_the_guests_we_is_the_guests_team() -> None:
    """A small model writes "It" or "She" for the guest's "we" ("We started the studio in
    2016" -> "It started the studio in 2016."): where the guest said the note's verb right
    after "we", the note is the guest's team's. An "It" for a thing, whose verb follows no
    "we", is left as it is."""
    from recap.notes.rewrite import credit_guest

    answer = ["We started the studio in 2016, three of us in my kitchen.",
              "and we strap every crate down before the storm season."]
    assert credit_guest("It started the studio in 2016 in a kitchen.", answer, "Tom Reed",
                        "Ruiz") == "Ruiz's team started the studio in 2016 in a kitchen."
    assert credit_guest("She straps every crate down before the storm season.", answer,
                        "Tom Reed", "Ruiz") == \
        "Ruiz's team straps every crate down before the storm season."
    thing = ["It took four years to make, and it sold 90,000 copies."]
    kept = "It took 4 years to make."
    assert credit_guest(kept, thing, "Tom Reed", "Ruiz") == kept
    asked = ["Did you start in 2016? We started the studio in 2016."]
    assert credit_guest("It started the studio in 2016.", asked, "Tom Reed", "Ruiz") == \
        "It started the studio in 2016.", "a question in the lines: whose answer is unknown"


def test_a_note_naming_the_host_for_an_answer_is_the_guests() -> None:
    """The host asks, the guest answers: the lines after a question, up to the next one, are the
    guest's. A note that names the host (anywhere, "the host" too) and rests only on such lines,
    questions aside, says what the guest said, and is the guest's; one that gives the host what
    the guest told of someone else ("now he's taking the nets out") is dropped. A note on the
    opening, one whose lines name the host, or one naming the guest as well is left. A note
    opening on "She" reporting what an answer says is the guest's too."""
    from recap.notes.intro import Speakers
    from recap.notes.turns import answer_lines
    from recap.notes.windows import Line

    said = ["Welcome to Harbour Talk, I'm Tom Reed, and my guest is Ana Ruiz.",
            "How many people does it take to run the ferry?",
            "The whole company is sixty-four people, six of them on each boat.",
            "Do you sell tickets online?",
            "We do, and I'm honestly a bit cautious about the fees, about five percent.",
            "Who drives the boats?",
            "Mostly locals, one of them, Callum, used to fish here,",
            "and now he's taking the old nets out of the harbour.",
            "Does your family help?",
            "My kids remind me about the timetable at dinner, loudly.",
            "Why so few boats?",
            "Because the pier holds only two at a time, so we never bought a third.",
            "Last question, the one I ask everyone,",
            "what should listeners do?",
            "Thank you, Tom, take the early boat, it is the quietest one."]
    lines = [Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)]
    assert answer_lines(lines) == frozenset({2, 4, 6, 7, 9, 11, 14})  # not 12: runs on into 13
    speakers = Speakers(show="Harbour Talk", host="Tom Reed", guests=[("Ana Ruiz", "")])
    notes = ["Tom Reed hosts Harbour Talk with his guest Ana Ruiz.",
             "Tom Reed notes that the whole company is 64 people, six on each boat.",
             "Tickets are sold online, but the host is cautious about the fees of 5 percent.",
             "Tom Reed is taking the old nets out of the harbour.",
             "The kids remind Reed about the timetable at dinner.",
             "Tom Reed advises taking the early boat, the quietest one.",
             "Reed and Ruiz agree that locals drive the boats.",
             "She explains that the pier holds only two boats at a time."]
    review = reviewed(said, speakers, notes)
    assert [c.text for c in review.kept] == [  # who hosts whom is show talk
        "Ruiz notes that the whole company is 64 people, six on each boat.",
        "Tickets are sold online, but Ruiz is cautious about the fees of 5 percent.",
        "Reed and Ruiz agree that locals drive the boats.",
        "The kids remind Ruiz about the timetable at dinner.",
        "Ruiz explains that the pier holds only two boats at a time.",
        "Tom Reed advises taking the early boat, the quietest one."]  # the line says "Tom"
    assert [d for d in review.stats.dropped if d["problem"] != "show_talk"] == [
        {"text": "Tom Reed is taking the old nets out of the harbour.",
         "problem": "misattributed", "outcome": "dropped"}]
    assert {"before": notes[1], "after": review.kept[0].text} in review.stats.repaired


def test_a_listeners_question_read_out_is_not_the_guests() -> None:
    """The host reading a listener's letter ("Our first letter is from Quentin in Marlow." / "He
    says his lemon tree drops its leaves…" / "What is he doing wrong?") follows an answer, but
    is no answer: its "he says" is the listener's, not the guest's, and "our first letter" is
    the show's. The guest's answer after the question is still the guest's."""
    from recap.notes.intro import Speakers
    from recap.notes.turns import relayed_lines
    from recap.notes.windows import Line

    said = ["Welcome to Garden Line, I'm Rhea Moss, and my guest is Dr. Odile Brandt, a botanist.",
            "How did you start?",
            "I trained as a botanist in Lyon and I opened my nursery in 2011.",
            "Now, your questions, and a lot of our listeners wrote in this month.",
            "Our first letter is from Quentin in Marlow.",
            "He says his lemon tree drops its leaves every winter.",
            "What is he doing wrong?",
            "Cold air from a window does that, move the tree a metre away from the glass.",
            "Next, a question from Ilse in Kendal, who writes, how often do I water my fig?",
            "Once every two weeks is plenty in winter.",
            "Several of you asked about slugs.",
            "Beer traps work, I use them myself.",
            "I got a call from Rosa, who asked me to look at her palm."]
    lines = [Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)]
    assert relayed_lines(lines) == frozenset({4, 5, 6, 8, 10})  # 12: the guest's own story
    speakers = Speakers(show="Garden Line", host="Rhea Moss",
                        guests=[("Odile Brandt", "botanist")])
    notes = ["I trained as a botanist in Lyon and opened my nursery in 2011.",
             "Our first letter is from Quentin in Marlow.",
             "He says his lemon tree drops its leaves every winter.",
             "He says to water a fig once every two weeks in winter."]
    review = reviewed(said[:10], speakers, notes)
    assert [c.text for c in review.kept] == [
        "Brandt trained as a botanist in Lyon and opened Brandt's nursery in 2011.",
        "The show's first letter is from Quentin in Marlow.",
        "He says his lemon tree drops its leaves every winter.",  # Quentin, not Brandt
        "Brandt says to water a fig once every 2 weeks in winter."]


def test_a_note_made_of_the_hosts_framing_alone_is_show_talk() -> None:
    """A note resting only on the line that says whose question comes next ("Gardens filled
    the mailbag this month."), with no figure and naming no one, is show talk; one naming the
    listener, and one telling what the listener asks (the lines after), stay."""
    from recap.notes.intro import Speakers

    said = ["Welcome to Garden Line, I'm Rhea Moss, and my guest is Dr. Odile Brandt, a botanist.",
            "How did you start?",
            "I trained as a botanist in Lyon and I opened my nursery in 2011.",
            "Now, the mailbag, and a lot of you wrote in about gardens this month.",
            "Our first letter is from Quentin in Marlow.",
            "He says his lemon tree drops its leaves every winter.",
            "What is he doing wrong?",
            "Cold air from a window does that, move the tree a metre away from the glass."]
    speakers = Speakers(show="Garden Line", host="Rhea Moss",
                        guests=[("Odile Brandt", "botanist")])
    notes = ["Gardens filled the mailbag this month.",
             "The first letter is from Quentin in Marlow.",
             "He says his lemon tree drops its leaves every winter.",
             "Cold air from a window makes a lemon tree drop its leaves."]
    review = reviewed(said, speakers, notes)
    assert [c.text for c in review.kept] == notes[1:]
    assert {"text": notes[0], "problem": "show_talk", "outcome": "dropped"} in (
        review.stats.dropped)


def test_a_listeners_words_in_the_first_person_are_the_listeners() -> None:
    """"I", "my" in a letter the host reads out are the listener's: "The listener waters their
    fig…", not the guest's name. "Our listeners", "my show" are the show's."""
    from recap.notes.rewrite import third_person

    assert third_person("I water my fig once a week.", "the listener") == (
        "The listener waters their fig once a week.")
    assert third_person("A lot of our listeners grow figs.", "Brandt") == (
        "A lot of the show's listeners grow figs.")
    assert third_person("Our next letter is from Ilse.", "Brandt") == (
        "The show's next letter is from Ilse.")
    assert third_person("I talk about figs on my podcast.", "Moss") == (
        "Moss talks about figs on the podcast.")
    assert third_person("We sold our figs.", "Brandt") == "Brandt's team sold their figs."


def test_a_pronoun_for_the_answers_i_is_the_guest() -> None:
    """A note opening on "She" or "He" for what the guest said of herself ("I studied at
    Aberdeen") names her: the post's reader meets a pronoun with no one before it. Not where
    the answer speaks of someone else as "he" or "she", nor where it is not in the first
    person, nor on a line that is no answer (the host's opening)."""
    from recap.notes.turns import credit_pronoun
    from recap.notes.windows import Line

    said = ["My guest today is Dr. Aileen Ray, an ecologist.", "How did you start?",
            "I studied at Aberdeen and my first job was on a bog.",
            "Then a lecturer took us out, and he pulled up a peat core.",
            "Was it wet?", "The bog is eight metres deep in places."]
    lines = [Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)]
    answers = frozenset({2, 3, 5})
    assert credit_pronoun("She studied at Aberdeen University.", lines[1:3], answers,
                          "Ray") == "Ray studied at Aberdeen University."
    assert credit_pronoun("He studied at Aberdeen.", lines[2:3], answers,
                          "Ray") == "Ray studied at Aberdeen."
    for note, cited in (("He pulled up a peat core.", lines[2:4]),  # "he": the lecturer
                        ("She measured the bog at 8 metres deep.", lines[5:6]),  # no "I"
                        ("She is an ecologist.", lines[0:1])):  # the host's opening
        assert credit_pronoun(note, cited, answers, "Ray") == note


def test_a_note_naming_the_host_for_a_later_voices_answer_is_that_voices() -> None:
    """In a later part the host asks its voice: a note naming the host for an answer there is
    the voice's, not the first guest's; the host's own turn to the part stays the host's."""
    from recap.notes.intro import Speakers

    said = ["Welcome to Open Air, I'm Hannah Lloyd, and my guest is Gareth Price.",
            "How many volunteers do you have?",
            "There are fifty-two of us, and the pager goes off day and night.",
            "Gareth, thank you.", "Thanks, Hannah.",
            "Now, something different.",
            "Every month we take your questions to an expert.",
            "With me is Dr. Lena Sharma, a sleep researcher in Leeds.",
            "Lena, are naps good for us?",
            "Yes, I nap for twenty minutes after lunch myself, never longer."]
    speakers = Speakers(show="Open Air", host="Hannah Lloyd", guests=[("Gareth Price", "")])
    notes = ["Hannah Lloyd takes questions to an expert every month.",
             "Hannah Lloyd naps for 20 minutes after lunch, never longer."]
    kept = [c.text for c in reviewed(said, speakers, notes).kept]
    assert kept == ["Hannah Lloyd takes questions to an expert every month.",
                    "Sharma naps for 20 minutes after lunch, never longer."]


def test_a_later_voice_reporting_a_listeners_question_is_dropped() -> None:
    """"Lena asks Mark about naps.": the magazine's later voice reads out a listener's question.
    The window it comes from names Lena only at a sentence's start, so the first look cannot
    tell her for a speaker; once the later parts' voices are known, the note is a question."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, WindowResult, first_look, review
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    said = ["Welcome to Open Air, I'm Hannah Lloyd, and my guest is Gareth Price.",
            "How many volunteers are there?",
            "There are fifty-two of us, and the pager goes off day and night.",
            "Now to sleep. With me is Dr. Lena Sharma, a sleep researcher in Leeds.",
            "Lena, our first question is from Mark. He asks, are naps good for me?",
            "Yes, the sweet spot is about twenty minutes, longer and you wake up groggy."]
    lines = [Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)]
    first, second = Window(0, 0, tuple(lines[:4])), Window(0, 1, tuple(lines[4:]))
    speakers = Speakers(show="Open Air", host="Hannah Lloyd", guests=[("Gareth Price", "")])
    names = NameContext.of([], speakers)
    results = [WindowResult(window, first_look([Candidate(t, window) for t in notes], window,
                                               names, "en", translated=False, verify=True))
               for window, notes in [
                   (first, ["The team has 52 volunteers."]),
                   (second, ["Lena asks Mark about naps.",
                             "The sweet spot for a nap is about 20 minutes."])]]
    assert not any(c.problems for r in results for c in r.candidates)  # the first look: fine
    kept = review(results, names, speakers, language="en", translated=False, similarity=0.6).kept
    assert [c.text for c in kept] == ["The team has 52 volunteers.",
                                      "The sweet spot for a nap is about 20 minutes."]


def test_a_later_part_never_gets_the_first_guests_company() -> None:
    """Every extraction prompt gives the opening's speakers, the guest with their company; in a
    magazine's later part, a report on something else, the model gave that part's subject to
    the company ("The cost of Glowmoth Games' studio was 410 million euros", about a tram
    line). A later part's note naming the first guest's company where its own excerpt does not
    is dropped; in the opening's part, the company may come from the prompt."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, WindowResult, first_look, review
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    said = ["Welcome to Open Air, I'm Hannah Lloyd.",
            "My guest is Gareth Price, who leads the Ridgeway Rescue Team.",
            "How many volunteers do you have?",
            "There are fifty-two of us, and the pager goes off day and night.",
            "Now, something different.", "Felix, how was the first ride on the new tram?",
            "Smooth, and the line cost four hundred and ten million euros.",
            "Felix, does the Ridgeway Rescue Team ride it?",
            "Yes, the Ridgeway Rescue Team rides the tram to the hospital."]
    lines = [Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)]
    windows = [Window(0, 0, tuple(lines[2:4])), Window(0, 1, tuple(lines[5:7])),
               Window(0, 2, tuple(lines[7:]))]
    speakers = Speakers(show="Open Air", host="Hannah Lloyd",
                        guests=[("Gareth Price", "leads the Ridgeway Rescue Team")])
    names = NameContext.of([], speakers)
    notes = [["The Ridgeway Rescue Team has 52 volunteers."],
             ["The Ridgeway Rescue Team's tram line cost 410 million euros."],
             ["The Ridgeway Rescue Team rides the tram to the hospital."]]
    results = [WindowResult(w, first_look([Candidate(t, w) for t in n], w, names, "en",
                                          translated=False, verify=True))
               for w, n in zip(windows, notes, strict=True)]
    review_ = review(results, names, speakers, language="en", translated=False, similarity=0.6)
    assert [c.text for c in review_.kept] == [
        "The Ridgeway Rescue Team has 52 volunteers.",  # the opening's part: the prompt's
        "The Ridgeway Rescue Team rides the tram to the hospital."]  # its excerpt says it
    assert {"text": "The Ridgeway Rescue Team's tram line cost 410 million euros.",
            "problem": "misattributed", "outcome": "dropped"} in review_.stats.dropped
    # A role naming two places ("… of Harbour Lab and Bergen"): either is the company's.
    from recap.notes.turns import carries_organisation

    assert carries_organisation("The Harbour Lab's ferry cost 9 million euros.",
                                "The ferry cost nine million euros.", "Harbour Lab and Bergen")
    assert not carries_organisation("Harbour Lab built the ferry.", "At Harbour Lab we built it.",
                                    "Harbour Lab and Bergen")


def test_a_name_misheard_is_no_new_voice() -> None:
    """Whisper spells a name another way the second time ("Alene, who pays for this?" for
    Aileen): the host still talks to the guest, so the guest's answers are still the guest's.
    A name that only starts alike is someone else. A new voice is one the lines name elsewhere
    too: in full before, addressed again, or inside a sentence ("Over to Amanda…")."""
    from recap.notes.rewrite import spelt_alike, voices

    known = ["Owen Hartley", "Dr. Aileen Mac Ray"]
    assert voices(["And we're back. Alene, who pays for this?", "We measure carefully."],
                  known) == []
    assert voices(["Alene, who pays for this?", "Now over to Mia at the market. Mia, how was it?"],
                  known) == [(1, "Mia")]
    assert voices(["Over to Amanda in the studio.", "Amanda, who pays for this?"],
                  known) == [(1, "Amanda")]
    # a word said only at the head of a question is no one addressed: an exclamation, or the
    # first of a list, taken for a new voice, had every answer after it credited to it
    assert voices(["Goodness, how did that happen?", "Pears, plums, apples: which sell best?",
                   "Pears mostly, we sell about forty crates a week."], known) == []
    assert voices(["Mia, how was it?", "Busy. Mia, one more: how much?"], known) == [(0, "Mia")]
    assert spelt_alike("alene", "aileen") and spelt_alike("henri", "henry")
    assert not spelt_alike("mark", "marta") and not spelt_alike("tim", "tom")
    assert not spelt_alike("ellen", "aileen")  # another first letter


def test_a_note_that_only_reports_a_listeners_question_is_dropped() -> None:
    """"Sofia asks if coffee ruins sleep.": a listener's question read out, named by the lines
    it comes from; the answer is noted on its own. A capitalised word the lines never say
    inside a sentence is not taken for a name."""
    from recap.notes.intro import Speakers
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate, asks_only
    from recap.notes.windows import Line, Window

    said = ["Our next question comes from Sofia, who asks if coffee ruins sleep.",
            "Caffeine has a half-life of about five hours, so a coffee at four is still there "
            "at nine."]
    heard = " ".join(said)
    assert asks_only("Sofia asks if coffee ruins sleep.", [], heard)
    assert not asks_only("Sofia asks if coffee ruins sleep.", [], "Caffeine lasts.")
    assert not asks_only("Customers asked for refunds after the fire.", [], heard)
    two = "Next, Ingrid in Malmo and Tom from Leeds ask about showers on board."
    assert asks_only("Ingrid and Malmo ask about showers on board.", [], two)
    assert not asks_only("Ingrid and Malmo ask about the line, which opened in 2019.", [], two)
    assert not asks_only("Visitors ask about showers on board.", [], two)
    assert asks_only("The second question from Sofia asks if coffee ruins sleep.", [], heard)
    assert asks_only("Our next question comes from Sofia.", [], heard)
    assert not asks_only("A question from Sofia led to 3 new trials.", [], heard)
    assert asks_only("The listener asked if they can eat the rind.", [], heard)
    assert asks_only("A fisherman from Dunmore asked how long the nets last.", [], heard)
    assert asks_only("An owner in Quayvale asks whether the rind is safe.", [], heard)
    assert not asks_only("A fisherman from Dunmore asked for 3 new nets.", [], heard)
    # a question of the interview announced, with its figure or not
    assert asks_only("The second question is about skippers in 15 years.", [], heard)
    assert asks_only("Another question was whether the quay floods.", [], heard)
    assert not asks_only("The question is whether the town can pay 2 million euros.", [], heard)
    window = Window(0, 0, tuple(Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)))
    notes = ["Sofia asks if coffee ruins sleep.",
             "Caffeine has a half-life of about 5 hours, so a coffee at four is still there at "
             "nine."]
    names = NameContext.of([], Speakers(host="Tom Reed", guests=[("Ana Ruiz", "")]))
    looked = first_look([Candidate(t, window) for t in notes], window, names, "en",
                        translated=False, verify=True)
    assert [("question" in c.problems) for c in looked] == [True, False]


def test_a_later_parts_answers_are_its_own_voices() -> None:
    """An interview that moves on to another voice ("With me is Dr. Lena Sharma… Lena, our first
    question…"): the model, given the opening's speakers, credits that part's answers to the
    first guest ("Price advises…"), and the first person there is not the first guest's. A note
    of that part is credited to its voice, by the surname the lines give; one whose lines say
    the first guest's name, one of the opening part, or one naming the guest other than as its
    subject, is left as it is."""
    from recap.notes.intro import Speakers
    from recap.notes.rewrite import voices

    said = ["Welcome, Gareth. How many of you are there?",
            "We have fifty two volunteers and an eleven thousand pound drone.",
            "Gareth Price, thank you.",
            "Now, something different. With me is Dr. Lena Sharma, a sleep researcher.",
            "Lena, our first question is from Mark, who asks if naps",  # Whisper cut the line
            "are good for him?",
            "My advice is no caffeine after midday for a week.",
            "I recommend a nap of about twenty minutes before a night shift.",
            "Caffeine stays in the body for about five hours.",
            "And Gareth Price says the team naps in the Land Rover."]
    assert voices(said, ["Hannah Lloyd", "Gareth Price"]) == [(4, "Lena Sharma")]
    assert voices(said, ["Hannah Lloyd", "Gareth Price", "Lena Sharma"]) == []
    welcomed = ["Joining me is Dr. Jolly Nanda Kumer,", "a horticulturist at the botanic garden,",
                "where she runs a free plant clinic.", "And Jolly, welcome.", "Thank you."]
    assert voices(welcomed, ["Rob Ferrier"]) == [(3, "Jolly Nanda Kumer")]
    # a place after "and" in a line that goes on from the one before is nobody addressed; an
    # answer opening "Sometimes, …" that ends its sentence is no one asked the next question
    assert voices(["my guest is Nor Quillam, co-founder of Glowmoth Games",
                   "and Montreal, Nor, welcome.", "Do you miss the theatre?",
                   "Sometimes, the lettuce never forgets its lines.", "How many work there?"],
                  ["Ben Ockley", "Nor Quillam"]) == []
    speakers = Speakers(host="Hannah Lloyd", guests=[("Gareth Price", "the team leader")])
    notes = ["Gareth Price's team has 52 volunteers and an 11,000 pound drone.",
             "Price advises no caffeine after midday for a week.",
             "I recommend a nap of about 20 minutes before a night shift.",
             "Gareth Price says the team naps in the Land Rover.",
             "Mark's question about naps was meant for Gareth Price's team.",
             "Price, the team leader, says that caffeine stays in the body for about 5 hours."]
    assert sorted(c.text for c in reviewed(said, speakers, notes).kept) == sorted([
        "Gareth Price's team has 52 volunteers and an 11,000 pound drone.",
        "Sharma advises no caffeine after midday for a week.",
        "Sharma recommends a nap of about 20 minutes before a night shift.",
        "Gareth Price says the team naps in the Land Rover.",  # its line names him
        "Mark's question about naps was meant for Gareth Price's team.",
        "Sharma says that caffeine stays in the body for about 5 hours."])  # not his role


def test_the_opening_s_preview_of_a_later_part_is_talk_about_the_show() -> None:
    """"Later in the show, your letters about kites." in the opening previews a part that tells
    it in full: no note rests on it. The same words an hour in, or an opening line without a
    preview, are the episode's."""
    from recap.notes.verify import preview_lines
    from recap.notes.windows import Line

    lines = [Line(0, 0.0, 4.0, "Hello and welcome to Harbour Lights, I'm Oskar Lind."),
             Line(1, 4.0, 9.0, "Later in the show, your letters about kites, answered."),
             Line(2, 9.0, 14.0, "But first, the glassworks on the quay melts two tonnes a week."),
             Line(3, 14.0, 18.0, "Coming up: the night ferry's new cabins."),
             Line(4, 3600.0, 3604.0, "Coming up next week, the ferry's winter timetable.")]
    assert preview_lines(lines) == {1, 3}

def test_a_sponsors_read_gives_no_notes_and_is_never_asked_again() -> None:
    """A sponsor's read is found in the transcript (a line that says so, then the lines after
    it up to the next question or turn back to the show, "... and we're back" ending it): a note
    citing only it is dropped as show talk, however it is worded, and its lines are not asked
    again; so is a short line leading into it. The show's name with "supported by" is a read; a
    walk "sponsored" by a school, said in an answer, is not."""
    from recap.notes.extract import uncovered
    from recap.notes.review import NameContext, first_look
    from recap.notes.verify import Candidate, ad_lines
    from recap.notes.windows import Line, Window

    said = ["The harbour crane lifts about forty containers an hour.",
            "Quay Talk is supported by Lumen Lamps.",
            "The reading lamp that dims itself at sunset and lasts twelve years.",
            "Lumen Lamps, light that knows the time.",
            "Now, Ana, how many cranes are there?",
            "Six, and the school raised two thousand pounds with a walk sponsored by parents."]
    window = Window(0, 0, tuple(Line(i, i * 6.0, i * 6.0 + 6, t) for i, t in enumerate(said)))
    ads = ad_lines(window.lines, show="Quay Talk")
    assert ads == {1, 2, 3}
    assert ad_lines(window.lines) == frozenset(), "without the show's name, only the cues"
    misheard = [Line(0, 0, 5, "First, a quick word from this weak sponsor, Lumen Lamps."),
                Line(1, 5, 9, "Lamps that dim themselves at sunset.")]
    assert ad_lines(misheard) == {0, 1}, "a word from a sponsor, however the sponsor is named"
    for cue in ("Today's sponsor is Lumen Lamps.", "Support for this show comes from Lumen Lamps.",
                "Our sponsor this week is Lumen Lamps.", "Lumen Lamps sponsors this episode.",
                "Thanks to Lumen Lamps for sponsoring the show.",
                "This episode is made possible by Lumen Lamps.",
                "Thanks to our friends at Lumen Lamps."):
        assert ad_lines([Line(0, 0, 5, cue), misheard[1]]) == {0, 1}, cue
    for said_so in ("Our sponsors pay for the team's kit.", "The club found a new sponsor.",
                    "This show is made possible by our listeners.",
                    "The new roof was funded by the council."):
        assert ad_lines([Line(0, 0, 5, said_so), misheard[1]]) == frozenset(), said_so
    code = [Line(0, 0, 5, "Get ten percent off with the code HARBOUR at checkout."),
            Line(1, 5, 9, "It ships in two days."), Line(2, 9, 12, "Back to the cranes.")]
    assert ad_lines(code) == {0, 1}
    back = [Line(0, 0, 5, "This episode of Quay Talk is supported by Lumen Lamps."),
            Line(1, 5, 9, "Lumen Lamps, light that knows the time, and we're back, Ana"),
            Line(2, 9, 12, "The port pays twelve crane drivers from its own budget.")]
    assert ad_lines(back, show="Quay Talk") == {0, 1}, "the answer after it is not the read"
    def led(before: str) -> frozenset[int]:
        return ad_lines([Line(0, 0, 3, before), Line(1, 3, 5, back[0].text),
                         Line(2, 5, 9, back[1].text)], show="Quay Talk")

    assert led("A quick word before the news.") == {0, 1, 2}, "the line leading into it"
    # a read whose sponsor is named only in its offer: back to the host's turn to a break
    offer = ["The crane lifts forty boxes an hour.", "We'll be right back after this.",
             "Lumen Lamps make reading lamps that dim at sunset.", "They last twelve years.",
             "Go to lumenlamps dot com slash quay for twenty percent off your first order.",
             "Now, Ana, how many cranes are there?"]
    assert ad_lines([Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(offer)]) == {
        1, 2, 3, 4}
    asked = [*offer[:2], "Do the lamps last?", *offer[3:]]
    assert ad_lines([Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(asked)]) == {4}
    for said_so in ("The shop sells its seconds at 20 percent off.",
                    "The workers take a long break at noon."):
        assert ad_lines([Line(0, 0, 5, said_so), Line(1, 5, 9, offer[2])]) == frozenset()
    for said_before in ["They moved to Ghent.", "The crane lifts forty boxes.", "Is it costly?"]:
        assert led(said_before) == {1, 2}
    notes = ["The reading lamp dims itself at sunset and lasts 12 years.",
             "The harbour crane lifts about 40 containers an hour."]
    looked = first_look([Candidate(t, window) for t in notes], window, NameContext([], frozenset()),
                        "en", translated=False, verify=True, ads=ads)
    assert [c.problems for c in looked] == [["show_talk"], []]
    assert all(g.open_ids.isdisjoint(ads) for g in uncovered(window, looked[1:], 5, ads))
    assert any(g.open_ids & ads for g in uncovered(window, looked[1:], 5))


@pytest.mark.parametrize(("note", "verb"), [
    ("The ferry crosses the fjord 14 times a day.", True),
    ("Diesel is the biggest cost.", True),
    ("The crew they hired prefer the night shift.", True),
    ("It's the oldest ferry on the coast.", True),
    ("The old boat was sold in 2019.", True),
    ("The crew consists of volunteers.", True),
    ("Sitting in the same room matters.", True),
    ("Mostly to Norway and to the United Kingdom.", False),
    ("About 40,000 passengers last year.", False),
    ("The rest in the harbour office.", False),
    ("Twice a day, morning and evening.", False),
])
def test_a_note_without_a_verb_is_told_from_a_sentence(note: str, verb: bool) -> None:
    from recap.notes.words import has_verb

    assert has_verb(note) is verb


def test_a_note_without_a_verb_is_joined_to_the_note_it_continues() -> None:
    from recap.notes.fragments import join_fragments
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    lines = tuple(Line(i, i * 5.0, i * 5.0 + 5, f"line {i} of the harbour, where spruce grows")
                  for i in range(12))
    window, other = Window(0, 0, lines[:6]), Window(1, 0, lines[6:])

    def note(text: str, ids: list[int], where: Window = window) -> Candidate:
        return Candidate(text, where, ids)

    notes = [note("Half of the fish is sold at the harbour and the rest is exported.", [1]),
             note("Mostly to Norway and to the United Kingdom.", [2]),
             note("About 40,000 crates last year.", [2]),  # the note before was joined already
             note("The boat was built in 1998.", [3]),
             note("Three crew members in winter.", [5]),  # lines 3 and 5: not next to each other
             note("The harbour office opens at six.", [6], other),
             note("Mostly on weekdays.", [6], window),  # another window than the note before
             note("The ferry was painted in 2020.", [7], window),
             note("Spruce boards from the forest.", [7], window),  # a word the window writes
             note("The office was rebuilt in 2021.", [8], window),
             note("Henry and the cook.", [8], window)]  # a name the window never writes
    kept, joined, left = join_fragments(notes)
    assert left == []
    assert [n.text for n in kept] == [
        "Half of the fish is sold at the harbour and the rest is exported: mostly to Norway "
        "and to the United Kingdom.",
        "About 40,000 crates last year.", "The boat was built in 1998.",
        "Three crew members in winter.", "The harbour office opens at six.", "Mostly on weekdays.",
        "The ferry was painted in 2020: spruce boards from the forest.",
        "The office was rebuilt in 2021.", "Henry and the cook."]
    assert kept[0].segment_ids == [1, 2]
    assert [j["after"] for j in joined] == [kept[0].text, kept[6].text]
    assert joined[0]["before"] == ("Half of the fish is sold at the harbour and the rest is "
                                   "exported. Mostly to Norway and to the United Kingdom.")


def test_a_note_too_short_to_stand_alone_with_a_figure_is_joined_or_dropped() -> None:
    """A note under five words is a fragment, verb or not; with a figure it is the end of the
    note before ("Hours take eight evenings." after the course), joined where it can be."""
    from recap.notes.fragments import join_fragments
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    lines = tuple(Line(i, i * 5.0, i * 5.0 + 5, f"line {i}: hours take say eight evenings")
                  for i in range(8))
    window = Window(0, 0, lines)
    course = Candidate("Some cities require a beekeeping course.", window, [1])
    stretch = Window(0, 0, lines[2:4])  # a stretch of the window asked again
    hours = Candidate("Hours take 8 evenings.", stretch, [2])
    later = Candidate("The roof was rebuilt in 2021.", window, [4])
    far = Candidate("Hours take 9 evenings.", window, [7])  # lines 4 and 7: not next to it
    kept, joined, left = join_fragments([course, later], [hours, far])
    assert [n.text for n in kept] == [
        "Some cities require a beekeeping course: hours take 8 evenings.",
        "The roof was rebuilt in 2021."]
    assert kept[0].segment_ids == [1, 2] and len(joined) == 1
    assert left == [far]


def test_a_short_sentence_is_joined_as_a_clause_and_a_repeat_is_not_joined() -> None:
    """A short note that opens on a pronoun and has a verb goes on about the note before it: it
    is joined as a clause of its own (", and it has 21 stops"), not after a colon, which would
    make it the first note's explanation. A short note that says nothing the note before does
    not ("Ferry holds 300 bikes." after "The ferry holds 300 bikes.") is not joined at all."""
    from recap.notes.fragments import join_fragments
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    lines = tuple(Line(i, i * 5.0, i * 5.0 + 5, f"line {i}: the ferry and the tram")
                  for i in range(8))
    window = Window(0, 0, lines)
    tram = Candidate("The tram line is 9 kilometers long.", window, [1])
    stops = Candidate("It has 21 stops.", window, [2])
    ferry = Candidate("The ferry holds 300 bikes.", window, [4])
    again = Candidate("Ferry holds 300 bikes.", window, [5])
    kept, joined, left = join_fragments([tram, ferry], [stops, again])
    assert [n.text for n in kept] == [
        "The tram line is 9 kilometers long, and it has 21 stops.", "The ferry holds 300 bikes."]
    assert len(joined) == 1 and left == [again]


def test_no_section_is_cut_to_two_notes() -> None:
    """Two notes on a subject between two longer runs would make a section a heading over two
    bullets; sections hold three notes at least where the count allows."""
    from recap.notes.sections import section_count, split_sections
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    texts = ["The kiln reaches 1,200 degrees in the glass studio.",
             "The glass studio kiln burns gas.", "Glass vases cool in the studio kiln overnight.",
             "The studio sells glass vases and kiln glass.",
             "The bakery bakes sourdough loaves at dawn.",
             "Sourdough loaves from the bakery sell out.",
             "The ferry crosses the fjord in winter storms.",
             "Ferry passengers wait for the fjord crossing.",
             "The fjord ferry carries cars and passengers.", "Winter storms stop the fjord ferry."]
    notes = [Candidate(t, window) for t in texts]
    sizes = [len(s) for s in split_sections(notes, section_count(len(notes)))]
    assert sum(sizes) == len(texts) and min(sizes) >= 3, sizes


def _timed_notes(texts: list[str], starts: list[float]) -> list[Any]:
    """Notes citing one transcript line each, at the given times (each line 4 s long)."""
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    lines = tuple(Line(i, t, t + 4.0, text) for i, (t, text) in enumerate(zip(starts, texts, strict=True)))
    window = Window(0, 0, lines)
    return [Candidate(text, window, [i]) for i, text in enumerate(texts)]


_CARGO = ["timber", "salt", "wool", "copper", "barley", "cider", "slate", "linen", "tallow",
          "hemp", "pottery", "cheese", "apples", "coal", "glass", "oats", "rope", "tar", "wine",
          "flour", "iron", "hides", "honey", "peat", "lime", "soap", "tin", "nails", "oil", "hay"]


def test_a_long_stretch_without_notes_marks_a_change_of_subject() -> None:
    """A sponsor read or a goodbye and the next guest's introduction gives no notes: when the
    words alone do not say where the subject changes, the silence does (here after the fourth
    note, not in the middle where an even split would cut)."""
    from recap.notes.sections import split_sections

    texts = [f"The ferry crosses the fjord with {cargo}." for cargo in _CARGO[:12]]
    starts = [5.0 * i for i in range(4)] + [80.0 + 5.0 * i for i in range(8)]
    sections = split_sections(_timed_notes(texts, starts), 2)
    assert [len(s) for s in sections] == [4, 8]


def test_a_dense_run_of_subjects_is_cut_between_subjects_into_small_sections() -> None:
    """Ten subjects of five notes each, one after another (a dense episode of ten minutes):
    eight sections of about six notes (no longer six of eight, with three or four subjects in
    some), every cut between two subjects, none through one."""
    from recap.notes.sections import section_count, split_sections

    subjects = ["harbour crane container", "orchard apple cider", "choir singer rehearsal",
                "glacier ice melt", "bakery oven sourdough", "ferry deck passenger",
                "library shelf novel", "vineyard grape harvest", "kiln glass vase",
                "tram rail depot"]
    texts = [f"The {a} and the {b} need {c} number {i}."
             for a, b, c in (subject.split() for subject in subjects) for i in range(5)]
    notes = _timed_notes(texts, [5.0 * i for i in range(len(texts))])
    sections = split_sections(notes, section_count(len(notes)))
    held = [[n.text.split()[1] for n in s] for s in sections]
    assert len(sections) == 8 and max(len(s) for s in sections) <= 10, held
    for before, after in zip(held, held[1:], strict=False):
        assert before[-1] != after[0], held  # no subject cut through
    assert all(len(s) % 5 == 0 for s in held), held


def test_sections_are_even_where_the_words_do_not_say_where_to_cut() -> None:
    from recap.notes.sections import section_count, split_sections

    texts = [f"The ferry crosses the fjord with {cargo}." for cargo in _CARGO]
    notes = _timed_notes(texts, [5.0 * i for i in range(len(texts))])
    sizes = [len(s) for s in split_sections(notes, section_count(len(notes)))]
    assert sum(sizes) == len(texts) and max(sizes) - min(sizes) <= 1, sizes


def test_no_section_runs_across_the_start_of_a_later_part() -> None:
    """A magazine's next item is another subject whatever its words: where a later part starts
    (the host's turn to it, found going back from the line that addresses its voice to the
    line that turns to something new), the sections are cut, even where an even split or the
    words would cut elsewhere."""
    from recap.notes.sections import split_sections
    from recap.notes.turns import part_start

    said = ["So the pager goes off at night.", "Gareth, thank you.", "Thanks, Hannah.",
            "Now, something different.", "Every month we take your questions to an expert.",
            "With me is Dr. Lena Sharma, a sleep researcher.",
            "Lena, our first question is from Mark, are naps good for me?"]
    lines = _lines(*said)
    assert part_start(lines, 6) == 3
    assert part_start(lines[:3] + lines[4:], 5) == 5  # no turn to something new: the address
    assert part_start(lines, 2) == 2  # thanks end the search
    texts = [f"The ferry crosses the fjord with {cargo}." for cargo in _CARGO[:12]]
    notes = _timed_notes(texts, [5.0 * i for i in range(12)])
    assert [len(s) for s in split_sections(notes, 2)] == [6, 6]
    assert [len(s) for s in split_sections(notes, 2, breaks=[22.0])] == [5, 7]


def test_two_sentences_run_together_with_a_comma_are_joined_by_a_semicolon() -> None:
    """Whisper often writes no full stop between two sentences, and the model keeps the comma:
    "…deliver to them, together they bring…" reads as one sentence gone wrong. A comma before a
    new clause's subject is a semicolon, as `one_sentence` joins a note's sentences; not after
    a clause that leans on the next, nor inside an aside."""
    from recap.notes.rewrite import unspliced

    assert unspliced("Today, 30 boats work from the harbour, together they land about 400 tonnes "
                     "a year.") == ("Today, 30 boats work from the harbour; together they land "
                                    "about 400 tonnes a year.")
    assert unspliced("The kiln was their first, it was in every newspaper.") == (
        "The kiln was their first; it was in every newspaper.")
    assert unspliced("The workshop is small, it's three rooms.") == (
        "The workshop is small; it's three rooms.")
    for whole in ("When it rains, they close the market.",
                  "In winter, when it snows, they close the pass.",
                  "The ferry, they say, is always late.",
                  "Because the glass is thin, it breaks easily.",
                  "The last time they hired a glazier, they had 90 letters.",
                  "The kiln, which is old, still works."):
        assert unspliced(whole) == whole


def test_an_intro_about_the_first_part_is_told_who_speaks_in_the_later_ones() -> None:
    """A small model writes the intro about an episode's opening part. A later part whose voice
    the intro does not name gets a sentence saying so, with its sections' titles quoted (a
    heading is not always what a sentence can take as its object), three at most, spread over
    the part; a voice the intro names, even spelt otherwise (names are respelled later), gets
    none, and nor does an episode of one part."""
    from recap.notes.intro import goes_on

    titles = ["Glass furnaces", "Sand prices", "The night ferry", "Cabins and berths", "Delays",
              "Your letters on kites"]
    parts = [0, 0, 1, 1, 1, 1]
    intro = "In Harbour Lights, Oskar Lind talks with Maren Holt about her glassworks."
    assert goes_on(intro, titles, parts, ["Tobias Vance"]) == (
        'Later, the episode turns to Tobias Vance: "The night ferry", "Delays" and "Your '
        'letters on kites".')
    assert goes_on(f"{intro} Tobias Vence rides the night ferry.", titles, parts,
                   ["Tobias Vance"]) == ""
    assert goes_on(f"{intro} Vance's report follows.", titles, parts, ["Tobias Vance"]) == ""
    assert goes_on(intro, titles, [0] * 6, []) == ""
    two = ["Glass furnaces", "The night ferry", "Kites"]
    assert goes_on(intro, two, [0, 1, 2], ["Tobias Vance", "Ilse Brandt"]) == (
        'Later, the episode turns to Tobias Vance: "The night ferry". Later, the episode turns '
        'to Ilse Brandt: "Kites".')


def test_an_intro_sentence_on_one_part_s_voice_lists_only_that_part_s_sections() -> None:
    """Given every section, a small model credits a later part's voice with the opening's
    subjects ("Tobias Vance answers your questions about glass furnaces, sand prices and the
    night ferry"). A sentence naming one part's voice and listing section titles lists that
    part's only, or none; a sentence naming both parts' voices, or saying more than titles, or
    an episode of one part, is left as it is."""
    from recap.notes.intro import own_subjects

    titles = ["Glass furnaces", "Sand prices", "The night ferry", "Cabins and berths"]
    parts, voices, guests = [0, 0, 1, 1], ["Tobias Vence"], ["Maren Holt"]
    said = ("In Harbour Lights, Oskar Lind talks with Maren Holt. Dr. Tobias Vance answers your "
            "questions about glass furnaces, sand prices, the night ferry, cabins and berths.")
    assert own_subjects(said, titles, parts, voices, guests) == (
        "In Harbour Lights, Oskar Lind talks with Maren Holt. Dr. Tobias Vance answers your "
        "questions about the night ferry and cabins and berths.")
    only_first = "Tobias Vance answers your questions about glass furnaces and sand prices."
    assert own_subjects(only_first, titles, parts, voices, guests) == (
        "Tobias Vance answers your questions.")
    for kept in ["Maren Holt and Tobias Vance talk about glass furnaces and the night ferry.",
                 "Tobias Vance talks about glass furnaces and why the ferry is late."]:
        assert own_subjects(kept, titles, parts, voices, guests) == kept
    assert own_subjects(only_first, titles, [0] * 4, [], guests) == only_first
    mine = "Maren Holt talks about glass furnaces, the night ferry and sand prices."
    assert own_subjects(mine, titles, parts, voices, guests) == (
        "Maren Holt talks about glass furnaces and sand prices.")

def test_an_intro_names_a_speaker_it_calls_by_the_first_name_in_full_once() -> None:
    """An intro calling the guest "Maren" meets her as "Maren Holt" first (the notes call her
    Holt); a speaker named in full, by the surname, or known by one name only stays as is."""
    from recap.notes.intro import full_names

    names = ["Oskar Lind", "Maren Holt"]
    assert full_names("Maren shows Oskar the furnace, and Maren's kiln.", names) == (
        "Maren Holt shows Oskar Lind the furnace, and Maren's kiln.")
    for kept in ["Oskar Lind talks with Maren Holt.", "Holt shows Maren's kiln.",
                 "The glassworks runs three furnaces."]:
        assert full_names(kept, names) == kept
    assert full_names("Priya talks about bees.", ["Priya"]) == "Priya talks about bees."


# The opening of an interview in the intro tests: Oskar Lind hosts Harbour Lights, and Maren Holt
# runs a glassworks.
_GLASSWORKS = ["Hello and welcome to Harbour Lights. I'm Oskar Lind, and my guest is Maren Holt, "
               "who runs a glassworks on the quay. Maren, welcome.",
               "Thank you, Oskar. We melt about two tonnes of sand a week in three furnaces.",
               "What does the sand cost?",
               "The sand costs about ninety euros a tonne since the spring of twenty twenty two."]


def _glassworks_notes(model: Model, folder: Path, summary: str, intro: str,
                     *more: str) -> Notes:
    """The notes of the glassworks interview (and the turns `more` after it), the speakers call
    naming its host and guest and the intro call replying `summary` and `intro`."""
    model.replies["speakers"] = lambda request: ok({
        "show": "Harbour Lights", "host": "Oskar Lind",
        "guests": [{"name": "Maren Holt", "role": "runs a glassworks on the quay"}]})
    model.replies["intro"] = intro_saying(summary, intro)
    return run_notes(write_episode(folder, [*_GLASSWORKS, *more], budget=10_000),
                     settings_for(model))


def test_the_post_names_its_guest_in_full_in_the_intro_and_description(
        model: Model, tmp_path: Path) -> None:
    """End to end: an intro and a description that call the guest by the first name only name
    her in full (the speakers call gave the full name), and the manifest says so."""
    result = _glassworks_notes(
        model, tmp_path / "harbour", "Oskar Lind talks with Maren about her glassworks.",
        "In Harbour Lights, Oskar Lind visits Maren, who runs a glassworks on the quay.",
        "The three furnaces burn gas day and night from October to May.")
    assert "Oskar Lind visits Maren Holt, who runs" in result.intro, result.intro
    assert "talks with Maren Holt about" in result.summary, result.summary
    assert result.checks["intro_full_names"] is True


def test_the_post_intro_says_who_speaks_in_a_later_part(model: Model, tmp_path: Path) -> None:
    """End to end: an intro the model wrote about the first guest only is followed by the later
    part's voice and its sections."""
    result = _glassworks_notes(
        model, tmp_path / "harbour", "Oskar Lind talks with Maren Holt about her glassworks.",
        "In Harbour Lights, Oskar Lind visits Maren Holt, who runs a glassworks on the quay.",
        "The three furnaces burn gas day and night from October to May.",
        "Maren Holt, thank you.",
        "Now, something different. The night ferry to the islands has new cabins, and our "
        "reporter Tobias Vance took the first crossing. Tobias, how was it?",
        "The new cabins sleep four people and cost sixty euros a night in the summer.",
        "The crossing takes nine hours and the ferry left forty minutes late.",
        "The old ferry had no cabins at all, only reclining seats in one big lounge.")
    assert "Later, the episode turns to Tobias Vance: " in result.intro, result.intro
    assert result.checks["intro_goes_on"] is True


def test_an_intro_that_only_states_a_note_is_framed(model: Model, tmp_path: Path) -> None:
    """An intro naming the guest but saying only what she does ("Maren Holt pays dearly…")
    is a note, not an intro: the summary's opening, where it says who meets whom, comes first;
    where it does not, the composed sentence does."""
    note = "Maren Holt pays dearly for the sand her three furnaces melt."
    result = _glassworks_notes(model, tmp_path / "one",
                               "Oskar Lind meets Maren Holt at her glassworks on the quay.", note)
    assert result.intro == f"Oskar Lind meets Maren Holt at her glassworks on the quay. {note}"
    assert result.checks["intro_framed"] is True
    result = _glassworks_notes(model, tmp_path / "two", "Maren Holt buys sand.", note)
    assert result.intro.startswith("In Harbour Lights, Oskar Lind talks with Maren Holt"), (
        result.intro)
    assert result.intro.endswith(note)
    # saying who the guest is frames it
    who = f"Maren Holt is the woman behind the glassworks on the quay. {note}"
    result = _glassworks_notes(model, tmp_path / "three", "Oskar Lind meets Maren Holt.", who)
    assert result.intro == who and "intro_framed" not in result.checks


def test_each_section_knows_the_part_of_the_episode_it_is_in() -> None:
    """The review says where each later part starts and whose voice it is; the sections are
    placed in those parts for the intro."""
    from recap.notes.assemble import _parts
    from recap.notes.intro import Speakers
    from recap.notes.review import Review, ReviewStats

    said = ["Welcome, Gareth. How many of you are there?",
            "We have fifty two volunteers and an eleven thousand pound drone.",
            "Gareth Price, thank you.",
            "Now, something different. With me is Dr. Lena Sharma, a sleep researcher.",
            "Lena, our first question is from Mark: are naps good for him?",
            "My advice is no caffeine after midday for a week."]
    speakers = Speakers(host="Hannah Lloyd", guests=[("Gareth Price", "the team leader")])
    found = reviewed(said, speakers, ["Gareth Price's team has 52 volunteers."])
    assert found.voices == ["Lena Sharma"] and len(found.breaks) == 1
    notes = _timed_notes([f"The ferry carries {cargo}." for cargo in _CARGO[:6]],
                         [0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    review = Review(notes, ReviewStats(1, 0, 6), notes, breaks=[29.8, 50.0],
                    voices=["Lena Sharma", "Tom Reyes"])
    assert _parts([notes[:2], notes[2:3], notes[3:5], notes[5:]], review) == [0, 0, 1, 2]


def test_a_section_does_not_open_on_a_note_that_continues_the_one_before() -> None:
    """"They also carry barley." has its noun in the note before: the even cut in front of it
    moves by one."""
    from recap.notes.sections import split_sections

    texts = [f"The ferry crosses the fjord with {cargo}." for cargo in _CARGO[:8]]
    texts[4] = "They also carry barley."
    sections = split_sections(_timed_notes(texts, [5.0 * i for i in range(8)]), 2)
    assert [len(s) for s in sections] != [4, 4]
    assert not any(s[0].text.startswith("They") for s in sections)


def test_a_role_given_as_a_name_is_not_a_guest_the_intro_must_name() -> None:
    """The speakers call may give a role as a guest's name ("pre-natter agent", a mishearing):
    an intro that names the host is not told "Priya talks with pre-natter agent"."""
    from recap.notes.intro import Speakers, names_a_guest, who_talks

    info = Info(title="City Bees", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Field Notes")
    speakers = Speakers(show="Field Notes", host="Priya", guests=[("pre-natter agent", "agent")])
    assert names_a_guest("Priya keeps hives on rooftops in Rotterdam.", speakers)
    assert who_talks(info, speakers) == ""
    both = Speakers(host="Priya", guests=[("pre-natter agent", ""), ("Jan Smit", "a beekeeper")])
    assert not names_a_guest("Priya keeps hives.", both)
    assert who_talks(info, both) == "In Field Notes, Priya talks with Jan Smit, a beekeeper."
    # a guest named in the possessive is named: no "In Field Notes, … talks with Jan Smit."
    # before an intro that already says whose story it is
    assert names_a_guest("City Bees explores Smit's years of keeping bees.", both)
    assert names_a_guest("City Bees explores Smit’s years of keeping bees.", both)
    assert not names_a_guest("City Bees explores years of keeping bees.", both)


def test_a_show_name_in_lower_case_is_not_written_as_one() -> None:
    """A local file's name ("night train") taken for the show's: the composed sentence does not
    print "In night train, Clara talks with…"."""
    from recap.notes.intro import Speakers, plain_intro, who_talks

    info = Info(title="night train", duration=60.0, audio_file="a.mp3", source="night-train.mp3")
    speakers = Speakers(show="night train", host="Clara", guests=[("Thomas Berg", "")])
    assert who_talks(info, speakers) == "Clara talks with Thomas Berg."
    assert plain_intro(info, speakers, ["Sleeper prices"]) == (
        "In this episode, Clara talks with Thomas Berg about sleeper prices.")
    tagged = Info(title="night train", duration=60.0, audio_file="a.mp3", source="a.mp3",
                  uploader="Rail Talk")
    assert who_talks(tagged, speakers) == "In Rail Talk, Clara talks with Thomas Berg."


def test_the_prompts_placeholder_for_a_missing_channel_is_not_written() -> None:
    """A local file has no channel: the intro prompt says "Channel: unknown", and a small model
    writes "In this episode of unknown channel, …"."""
    from recap.notes.intro import without_placeholder

    assert without_placeholder("In this episode of unknown channel, Rob Ferrier introduces "
                               "Declan Delgado.", True) == (
        "In this episode, Rob Ferrier introduces Declan Delgado.")
    assert without_placeholder("An episode from the unknown podcast on bees.", True) == (
        "An episode on bees.")
    kept = "Rob says the cause is still unknown to the council."
    assert without_placeholder(kept, True) == kept
    assert without_placeholder("In this episode of unknown channel, Rob.", False) == (
        "In this episode of unknown channel, Rob.")  # a channel given: its words are its own


def test_a_guest_without_a_name_is_the_guest_in_notes_and_intro() -> None:
    """A guest whose "name" has no capitalised word ("pre-natter agent") is not written as a
    name: the first person becomes "they", not "Agent's team"; the composed intro does not
    say "Priya talks with pre-natter agent, agent"; and a role made of the name's own words is
    no role. A short name ("Li Na") is a name."""
    from recap.notes.intro import Speakers, plain_intro

    info = Info(title="City Bees", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Field Notes")
    unnamed = Speakers(show="Field Notes", host="Priya", guests=[("pre-natter agent", "")])
    assert unnamed.guest_surname() == "" and unnamed.named_guest() is None
    intro = plain_intro(info, unnamed, ["Rooftop hives", "Honey prices"])
    assert "pre-natter" not in intro and "talks with" not in intro, intro
    assert intro == "City Bees covers rooftop hives and honey prices."
    assert Speakers(guests=[("Li Na", "")]).guest_surname() == "Na"
    assert Speakers(guests=[("Ana de la Cruz", "")]).guest_surname() == "Cruz"
    named = Speakers(show="Field Notes", host="Priya", guests=[("Jan Smit", "a beekeeper")])
    assert plain_intro(info, named, ["Rooftop hives"]) == (
        "In Field Notes, Priya talks with Jan Smit, a beekeeper, about rooftop hives.")

    said = ["Welcome. How did it start?", "We lost six of our forty hives last winter."]
    kept = reviewed(said, unnamed, ["We lost six of our 40 hives last winter."]).kept
    assert [c.text for c in kept] == ["They lost six of their 40 hives last winter."]


class _SpeakersAsker:
    """`identify_speakers`' view of the model: the speakers call answers `reply`."""

    def __init__(self, reply: dict[str, Any]):
        from types import SimpleNamespace

        self.options = SimpleNamespace(speakers_max_tokens=160)
        self.reply = reply

    def json(self, prompt: str, values: dict[str, Any], schema: dict[str, Any],
             max_tokens: int) -> dict[str, Any]:
        return self.reply


def test_a_role_made_of_the_guests_own_name_is_no_role() -> None:
    """The speakers call gave "pre-natter agent" with the role "agent": the intro said
    "talks with pre-natter agent, agent"."""
    from recap.notes.intro import identify_speakers

    asker = _SpeakersAsker({"show": "Field Notes", "host": "Priya",
                            "guests": [{"name": "Jan Smit", "role": "Smit"},
                                       {"name": "Ola Nord", "role": "beekeeper"}]})
    info = Info(title="City Bees", duration=60.0, audio_file="a.mp3", source="a.mp3",
                uploader="Field Notes")
    opening = ("Welcome to Field Notes, I am Priya. With me are Jan Smit and Ola Nord, "
               "a beekeeper.")
    speakers = identify_speakers(asker, info, opening)  # type: ignore[arg-type]
    assert speakers.guests == [("Jan Smit", ""), ("Ola Nord", "beekeeper")]


def test_a_name_half_heard_is_the_half_the_episode_says() -> None:
    """Whisper heard "Priya Natarajan" as "pre-natter agent … Priya, welcome": the speakers call
    gave her full name, which the opening does not hold in full; she is "Priya" (the words the
    opening says as a name), not no one, so the notes and the re-check may name her. A name of
    which no word is said as a name ("Jan Invented"), or only a word said in lower case too, is
    dropped."""
    from recap.notes.intro import heard_part, identify_speakers

    asker = _SpeakersAsker({"show": "Field Notes", "host": "Mark Bell",
                            "guests": [{"name": "Priya Natarajan", "role": "keeps beehives"},
                                       {"name": "Jan Invented", "role": "mayor"}]})
    info = Info(title="City Bees", duration=60.0, audio_file="a.mp3", source="a.mp3")
    opening = ("Hello, and welcome to Field Notes. Today I am talking with pre-natter agent, "
               "who keeps 40 beehives across Rotterdam. Priya, welcome. Thank you, Mark.")
    speakers = identify_speakers(asker, info, opening)  # type: ignore[arg-type]
    assert speakers.guests == [("Priya", "keeps beehives")]
    assert speakers.host == "Mark"
    assert heard_part("Hello Kitty", opening) == ""  # a common word opening a sentence
    assert heard_part("Sam Keeps", "Sam keeps bees. Keeps, welcome.") == "Sam"


def test_someone_the_details_name_but_the_opening_never_says_is_not_speaking() -> None:
    """A file's comment tag naming its synthetic voices ("piper joe-us + flite slt") gave the
    speakers call two "guests"; a guest of a later part named in the description is not in the
    opening either. A name the opening says, even misheard ("Mayor Lena Vos" for the
    description's "Marlena Voss"), is kept."""
    from recap.notes.intro import identify_speakers, in_opening

    asker = _SpeakersAsker({"show": "Street Level", "host": "Greta Holm",
                            "guests": [{"name": "Marlena Voss", "role": "co-founder"},
                                       {"name": "Piper Joe-US", "role": ""},
                                       {"name": "Henrik Arvola", "role": "soil scientist"}]})
    info = Info(title="Street Level", duration=60.0, audio_file="a.mp3", source="a.mp3",
                description="Greta Holm meets Marlena Voss; Henrik Arvola answers questions. "
                            "Synthetic voices: Piper Joe-US and flite.")
    opening = ("Welcome to Street Level. I'm Greta Holm. My guest is Mayor Lena Vos, co-founder "
               "of the co-op. Marlena, welcome.")
    speakers = identify_speakers(asker, info, opening)  # type: ignore[arg-type]
    assert speakers.host == "Greta Holm"
    assert speakers.guests == [("Marlena Voss", "co-founder")]
    assert in_opening("Marlena Voss", "My guest is Mayor Lena Vos.")
    assert not in_opening("Henrik Arvola", opening)


def test_a_heading_in_the_plural_repeats_the_singular() -> None:
    """A tuning post had "Repair Cafe" and "Repair cafes" as two sections' headings: the second
    is a repeat, asked again like an exact one."""
    from recap.notes.sections import _heading_key, _usable
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 6.0, "The cafe fixes about forty toasters a month."),))
    section = [Candidate("The cafe fixes about 40 toasters a month.", window)]
    assert not _usable("Repair cafes", ["Repair Cafe"], section)
    assert not _usable("Electric ferry", ["Electric ferries"], section)
    assert _usable("Toaster repairs", ["Repair Cafe"], section)
    assert _usable("Glass", ["Gas"], section)
    assert _heading_key("東京の喫茶店") != _heading_key("大阪の喫茶店")  # no English words


def test_a_section_of_six_notes_is_shown_whole_for_its_heading() -> None:
    """Shown four of its notes, the model named one or two of them; a section of six or fewer
    is shown all of its notes the first time it is asked alone."""
    from recap.notes.sections import title_sections

    quay = ["The quay was built of granite blocks in 1871.",
            "Its granite came by barge from a quarry up the river.",
            "The harbour board charges 12 euros a night for a berth.",
            "Gulls nest on the roof of the fish market every spring.",
            "Divers check the quay wall for cracks every five years.",
            "The regatta brings 60 sailing boats to the harbour in August."]
    asker = _HeadingAsker(lambda notes: "The old quay" if "granite" in notes[0] else "Ferries")
    titles, _ = title_sections(asker, "Quay Talk",  # type: ignore[arg-type]
                               _made_up_sections(list(_FERRY[0]), quay))
    assert titles == ["Ferries", "The old quay"] and asker.shown[1] == quay


def test_a_heading_given_twice_is_asked_again_with_other_notes() -> None:
    """Two sections on one subject: the second, asked alone, is given the first one's heading
    again; it is asked once more with notes it was not shown, before a title is made without
    the model."""
    from recap.notes.sections import title_sections

    storms = [f"Storm number {n} cancelled {n + 10} crossings in the winter of {2000 + n}."
              for n in range(1, 13)]
    replies = iter(["Ferry history", "Ferry history", "Winter storms"])
    asker = _HeadingAsker(lambda notes: next(replies))
    shown = asker.shown
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(list(_FERRY[0]), storms))
    assert titles == ["Ferry history", "Winter storms"]
    assert stats["title_calls"] == 3 and stats["title_fallbacks"] == 0
    assert len(shown[1]) == len(shown[2]) == 6 and not set(shown[1]) & set(shown[2])


def test_a_heading_that_is_the_show_s_name_is_asked_again() -> None:
    """A heading that is only the show's name ("The Harbour Post" over a section of listeners'
    letters) says nothing of the section: it is asked again. A heading with more than the
    show's words is a heading."""
    from recap.notes.sections import names_only, title_sections

    storms = [f"Storm number {n} cancelled {n + 10} crossings in the winter of {2000 + n}."
              for n in range(1, 9)]
    replies = iter(["Ferry history", "The Harbour Post", "Winter storms"])
    asker = _HeadingAsker(lambda notes: next(replies))
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(list(_FERRY[0]), storms),
                                   show="The Harbour Post")
    assert titles == ["Ferry history", "Winter storms"]
    assert stats["title_calls"] == 3 and stats["title_fallbacks"] == 0
    assert names_only("Harbour Post podcast", "The Harbour Post")
    assert not names_only("Harbour Post letters", "The Harbour Post")
    assert not names_only("Winter storms", "")

def test_a_first_section_the_model_cannot_title_leaves_the_others_to_it() -> None:
    """The first section's headings are all no use (a generic word, however it is shown): the
    other sections are still asked, and only the first is titled without the model. (Asked
    again and again before the others, its two failed calls ended the asking, and every
    section's title was made without the model.)"""
    from recap.notes.sections import title_sections

    boats = [f"Boat number {n} joined the ferry trust in {1990 + n} with {n * 10} seats."
             for n in range(1, 10)]  # asked three times: shown four, four others, then two

    def reply(notes: list[str]) -> str:
        if any(n.startswith("Boat number") for n in notes):
            return "Discussion"
        return {"Diesel": "Fuel costs", "Winter": "Winter storms"}.get(
            notes[0].split()[0], "Training deckhands")

    asker = _HeadingAsker(reply)
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(boats, *(list(g) for g in _FERRY[1:])))
    assert titles[1:] == ["Fuel costs", "Winter storms", "Training deckhands"], asker.shown
    assert titles[0] and titles[0] != "Discussion"
    assert stats["title_fallbacks"] == 1


def test_a_heading_stopped_short_is_asked_again() -> None:
    """A heading that stops before its last word ("Storms in W", "Crossings of the") is no
    heading: the section is asked again. One ending on a letter after a noun ("Plan B") is
    whole."""
    from recap.notes.sections import _cut_off, title_sections

    storms = [f"Storm number {n} cancelled {n + 10} crossings in the winter of {2000 + n}."
              for n in range(1, 9)]
    replies = iter(["Ferry history", "Storms in W", "Winter storms"])
    asker = _HeadingAsker(lambda notes: next(replies))
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(list(_FERRY[0]), storms))
    assert titles == ["Ferry history", "Winter storms"]
    assert stats["title_calls"] == 3 and stats["title_fallbacks"] == 0
    assert _cut_off("Crossings of the") and _cut_off("Boats and")
    assert not _cut_off("Plan B") and not _cut_off("Vitamin D") and not _cut_off("Life on a farm")


def test_a_section_refused_twice_is_asked_once_more_with_two_notes() -> None:
    """Two headings for a section were no use (here the first section's again): before a
    heading made without the model, the section is asked once more, shown two of its notes."""
    from recap.notes.sections import title_sections

    storms = [f"Storm number {n} cancelled {n + 10} crossings in the winter of {2000 + n}."
              for n in range(1, 10)]
    asker = _HeadingAsker(lambda notes: "Winter storms" if len(notes) == 2 and "Storm" in notes[0]
                          else "Ferry history")
    shown = asker.shown
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(list(_FERRY[0]), storms))
    assert titles == ["Ferry history", "Winter storms"], shown
    assert stats["title_calls"] == 4 and stats["title_fallbacks"] == 0
    assert len(shown[-1]) == 2


def test_a_small_section_whose_first_two_asks_fail_is_asked_a_third_time() -> None:
    """A section of five notes shown four at first (as in a list call's language), whose
    first call fails and whose second reply is no use, is asked once more, shown its last two
    notes, before a heading made without the model."""
    from recap.errors import LLMReplyError
    from recap.notes.sections import title_sections

    tides = [f"Spring tide number {n} reached {n + 3} metres at the quay in {2010 + n}."
             for n in range(1, 6)]
    asked: list[int] = []

    def reply(notes: list[str]) -> str:
        if "Spring tide" not in notes[0]:
            return "Ferry history"
        asked.append(len(notes))
        if len(asked) == 1:
            raise LLMReplyError("the server closed the connection")
        return "Discussion" if len(asked) == 2 else "Spring tides at the quay"

    asker = _HeadingAsker(reply)
    titles, stats = title_sections(asker, "The Crossing",  # type: ignore[arg-type]
                                   _made_up_sections(list(_FERRY[0]), tides), alone=4)
    assert titles == ["Ferry history", "Spring tides at the quay"], asker.shown
    assert asked == [4, 2, 2] and asker.shown[-1] == tides[-2:]
    assert stats["title_fallbacks"] == 0


def test_a_heading_given_twice_is_asked_again_with_the_notes_that_did_not_draw_it() -> None:
    """A small section whose notes name the subject of the episode (the team) is given the
    first section's heading again. Asked once more, it is shown the notes that share fewest
    words with that heading, not a spread that holds the note naming the team again; were it
    shown that one, it would give the same heading and be titled without the model."""
    from recap.notes.sections import title_sections

    team = ["The Harbour Rescue Team was founded in 1964 by fishermen.",
            "The Harbour Rescue Team has 40 volunteers on call."]
    animals = ["The team brought 9 dogs back from the cliffs last year.",
               "A seal pup was once carried back to the water.",
               "The Harbour Rescue Team logbook goes back to its founding.",
               "A stranded pony was walked down the beach at low tide.",
               "Gulls nest on the roof of the boathouse every spring."]
    # the model names the team whenever a note shown names it
    asker = _HeadingAsker(lambda notes: "Harbour Rescue Team"
                          if any("Rescue Team" in n for n in notes) else "Animals on the shore")
    shown = asker.shown
    titles, stats = title_sections(asker, "On Call",  # type: ignore[arg-type]
                                   _made_up_sections(team, animals))
    assert titles == ["Harbour Rescue Team", "Animals on the shore"], shown
    assert stats["title_fallbacks"] == 0 and stats["title_calls"] == 3
    assert not any("Rescue Team" in n for n in shown[-1]) and len(shown[-1]) >= 2


def test_a_heading_borrowing_the_prompts_examples_loses_the_borrowed_words() -> None:
    """A small model copies the heading prompt's examples ("Training the youth team") into a
    heading for notes that never say "youth": the word is taken out ("Training the team").
    Where nothing readable is left ("A bakery in a fire station" for notes on storms), the
    section is asked again with fewer of its notes, before a title is made without the model;
    the same holds for a heading refused as another section's."""
    from recap.notes.options import PROMPT_VARIABLES
    from recap.notes.sections import title_sections
    from recap.prompts import load_prompts

    prompts = load_prompts(None, PROMPT_VARIABLES)
    training = ["New members of the team train every Wednesday evening for 18 months.",
                "About ten people start the training each year and six finish.",
                "Training covers first aid, ropes and navigation at night.",
                "Families carry much of the load, since the pager goes off at birthdays."]
    storms = ["Storm Ciara cancelled 40 crossings in February.",
              "The old pier was closed for 3 weeks after the storm.",
              "Waves reached 9 metres at the harbour mouth.",
              "Insurance paid 2 million euros for the repairs."]
    replies = iter(["Training the youth team", "A bakery in a fire station", "Winter storms"])
    asker = _HeadingAsker(lambda notes: next(replies), prompts)
    shown = asker.shown
    titles, stats = title_sections(asker, "Open Air",  # type: ignore[arg-type]
                                   _made_up_sections(training, storms))
    assert titles == ["Training the team", "Winter storms"]
    assert stats["titles_borrowed"] == 2 and stats["title_fallbacks"] == 0
    assert stats["title_calls"] == 3 and len(shown[2]) < len(shown[1])  # with fewer notes


def test_a_noun_phrase_heading_with_an_infinitive_or_a_participle_is_a_heading() -> None:
    """ "Project to restore mosses to peat bogs" and "Broken or strained ankle injuries" are
    noun phrases (an infinitive, a participle before its noun), not notes given back as
    headings; "The team lost six of its hives" is still a sentence."""
    from recap.notes.sections import _usable

    section = _made_up_sections([
        "The project aims to restore mosses to peat bogs in the far north of Scotland.",
        "About three in ten call outs are a broken or badly strained ankle after a descent.",
        "The team lost six of its hives over the winter."])[0]
    assert _usable("Project to restore mosses to peat bogs", [], section)
    assert _usable("Broken or badly strained ankle injuries", [], section)
    assert not _usable("The team lost six of its hives", [], section)


def test_a_title_before_a_name_does_not_end_a_sentence() -> None:
    """The summary falls back on the intro's first sentence: "… talks with Dr." was one."""
    assert sentences("Owen talks with Dr. Aileen Mac Ray about peat. Mr. Hale agrees.") == [
        "Owen talks with Dr. Aileen Mac Ray about peat.", "Mr. Hale agrees."]


def test_the_closing_words_are_not_asked() -> None:
    """A small model given a stretch that ends on the goodbye notes the goodbye ("Marta, thank
    you so much for coming in.") and little of the answers before it: the closing lines at the
    end of the talk are left out of the windows. A line with a figure, a long one, or one before
    a line that is no goodbye stays."""
    from recap.notes.verify import closing_lines
    from recap.notes.windows import Line

    said = ["Thank you, that was a great question. We weigh everything, roughly nine tons.",
            "Bring the charger and any cables, and some patience.",
            "Marta, thank you so much for coming in.",
            "Thank you, Daniel, see you on the second Saturday.",
            "That's all for this week, go and fix something."]
    lines = [Line(i, i * 5.0, i * 5.0 + 5, t) for i, t in enumerate(said)]
    assert closing_lines(lines) == frozenset({2, 3, 4})
    assert closing_lines(lines[:2]) == frozenset()
    figure = lines[:4] + [Line(4, 20.0, 25.0, "Thanks, and we reopen on 3 May.")]
    assert closing_lines(figure) == frozenset()
    long = Line(5, 25.0, 30.0, "Thank you, and remember that the whole idea is that people learn "
                               "to fix their own things together with our volunteers.")
    assert closing_lines(lines + [long]) == frozenset()
    teaser = Line(6, 30.0, 35.0, "Next week, we visit a mushroom grower in an old tunnel.")
    assert closing_lines(lines + [teaser]) == frozenset({2, 3, 4, 6}), "next week's teaser"
    # Whisper put the goodbye's last word on a line of its own: it closes with its line
    cut = [Line(7, 35.0, 40.0, "Henry, thank you, and I'll go and find my second jumper"),
           Line(8, 40.0, 41.0, "now.")]
    assert closing_lines(lines[:2] + cut) == frozenset({7, 8})
    # a goodbye that first names whom it thanks, and what they run, in full
    named = [Line(7, 35.0, 40.0, "Ilse Brenner of the Dorne old mill, thank you, and I'll go and "
                                 "dry my wet boots"),
             Line(8, 40.0, 41.0, "now.")]
    assert closing_lines(lines[:2] + named) == frozenset({7, 8})
    # the guest's thanks and invitation back, long as it is, closes too
    invited = Line(9, 41.0, 47.0, "Thank you, Ilse, come back in the autumn, when the mill wheel "
                                  "is turning again after the repairs.")
    assert closing_lines(lines[:2] + named + [invited]) == frozenset({7, 8, 9})
    # a goodbye Whisper ran into one long line closes it when it says two closing cues
    run_on = [Line(9, 45.0, 50.0, "Ana Ruiz, thank you, that's all from us this week, next week, "
                                  "we meet the last"),
              Line(10, 50.0, 53.0, "lighthouse keeper on this coast, goodbye.")]
    assert closing_lines(lines[:2] + run_on) == frozenset({9, 10})
    # but a sentence's end after a line that is no goodbye is asked, with that line
    assert closing_lines(lines[:1] + [Line(7, 35.0, 40.0, "and we fix about 40 kettles a"),
                                      Line(8, 40.0, 41.0, "year.")]) == frozenset()



def test_a_note_that_says_next_to_nothing_is_vague() -> None:
    """No figure, no name, and one content word, or two after an opening that points at what
    the note does not say: nothing a reader learns."""
    from recap.notes.verify import vague

    for said in ["Many are new to it.", "The best is the best.", "They are part of the taste.",
                 "It will be about why the size of this one."]:
        assert vague(said), said
    for said in ["The bog is healing.", "Moss is coming back in the bog.",
                 "It took 3 years.", "They moved to Ghent.", "Most of the site is peat bog.",
                 "The rules were discussed with the city in 2019."]:
        assert not vague(said), said


def test_a_note_that_only_says_something_is_mentioned_is_vague() -> None:
    """"2 meters to the edge of the roof is mentioned.": a figure, but nothing said of it."""
    from recap.notes.verify import vague

    for said in ["2 meters to the edge of the roof is mentioned.", "Rent is discussed.",
                 "The busiest day of the year was also brought up.",
                 "A farm makes more milk per hectare than a certain amount of milk per hectare."]:
        assert vague(said), said


@pytest.mark.parametrize(("note", "talk"), [
    ("Your questions, a lot of you wrote about the hives this month.", True),
    ("4 out of 5, high praise from you.", True),
    ("A couple of you also wrote about the episode on sleep.", True),
    ("Tomas, see you on the second Saturday.", True),
    ("Good luck with the frost.", True),
    # a generic "you" in a claim is not the listeners addressed
    ("If you are lost and it is getting dark, call 999.", False),
    ("The electric motor helps you up to 25 km an hour.", False),
    ("A drone lets the team see you from above at night.", False),
    ("Some of your neighbours keep hives too.", False),
    # who hosts or interviews, and where the talk is recorded
    ("Ines Varga is hosting the podcast Rooftops.", True),
    ("The host, Tomas Berg, is interviewing Varga about bees.", True),
    ("The interview takes place in a cold cellar.", True),
    ("The honey market takes place in June.", False),
    # the guest's first visit to the studio
    ("It's Lind's first time in a real radio studio.", True),
    ("Holt saw snow for the first time in the Andes.", False),
    ("It was the ferry's first time in the new harbour.", False),
])
def test_a_note_addressing_the_listeners_is_show_talk(note: str, talk: bool) -> None:
    from recap.notes.verify import _SHOW_TALK

    assert bool(_SHOW_TALK.search(note)) is talk


@pytest.mark.parametrize(("note", "talk"), [
    # that mail came, not what it says
    ("One letter made Lind laugh.", True),
    ("Letters came in all week.", True),
    ("Happy to read most of the letters on the ferry.", True),
    ("Happy to, though Lind should warn listeners that he read them on the ferry.", True),
    # a listener named: the notes after it say "she" of her
    ("The next question is from Ilse in Kendal.", False),
    # what a listener asks or tells, or a figure: a claim
    ("Ilse from Kendal asks how often to water a fig.", False),
    ("Lind got a lot of letters about ferries this month.", False),
    ("The show received 300 letters in March.", False),
    ("Happy to report that 38 volunteers came back.", False),
])
def test_a_note_that_only_says_mail_came_is_show_talk(note: str, talk: bool) -> None:
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window
    from recap.notes.words import stem

    window = Window(0, 0, (Line(0, 0.0, 6.0, note),))
    candidate = Candidate(note, window)
    inspect(candidate, ["Oskar Lind"], people=frozenset(stem(w) for w in ("oskar", "lind")))
    assert ("show_talk" in candidate.problems) is talk


@pytest.mark.parametrize(("note", "talk"), [
    ("The host invites Morrow back in the spring when the lambs are born.", True),
    ("Hale is invited back to the show next year.", True),
    ("The cafe invited 40 volunteers back after the flood.", False),  # a figure: a claim
    ("The mayor invited the farmers to the hall.", False),
])
def test_the_host_inviting_the_guest_back_is_show_talk(note: str, talk: bool) -> None:
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 6.0, note),))
    candidate = Candidate(note, window)
    inspect(candidate, [])
    assert ("show_talk" in candidate.problems) is talk


@pytest.mark.parametrize(("note", "asked"), [
    ("Several people asked if they can compost coffee grounds.", True),
    ("One of the choir members asked if they could play the game on the radio.", True),
    ("A listener wondered whether worms survive the winter.", True),
    ("Ines from Delft asked how long a cold heap takes.", True),
    # an answer's figure in it: the answer, said with its question
    ("Ines from Delft asked about the heap, which takes 18 months cold.", False),
    ("Several people keep 40 hives on one roof.", False),
    ("Ines asked her neighbour to move the plants out of the sun.", False),
])
def test_a_listeners_question_told_without_its_answer_is_left_out(note: str, asked: bool) -> None:
    from recap.notes.verify import asks_only

    assert asks_only(note, ["Tomas Berg"], "") is asked


@pytest.mark.parametrize(("note", "asked"), [
    ("Paul and Ines wrote about compost questions.", True),
    ("Paul and Ines are asking about a smell from their heap.", True),
    ("Paul and Ines want to know if a wormery is worth it on a balcony.", True),
    ("Customers want to know where their honey comes from.", False),
])
def test_named_listeners_asking_in_other_words_is_a_question(note: str, asked: bool) -> None:
    """Listeners named as the lines name them (inside a sentence), asking in other words: "are
    asking about", "want to know if", "wrote about"."""
    from recap.notes.verify import asks_only

    heard = ("Our next letter is from Paul and Ines, who wrote in about their heap. Customers "
             "want to know where the honey comes from.")
    assert asks_only(note, ["Tomas Berg"], heard) is asked


@pytest.mark.parametrize(("note", "meant"), [
    ("Ines Varga, Dr. Ines Varga, who studies soil at the college.",
     "Dr. Ines Varga studies soil at the college."),
    ("Tomas Berg, who runs 12 hives on the library roof.", "Tomas Berg runs 12 hives on the library roof."),
    # a main verb after the clause, an object relative, a head with a verb: left as written
    ("Tomas Berg, who runs the hives, sells 300 jars a year.",
     "Tomas Berg, who runs the hives, sells 300 jars a year."),
    ("Tomas Berg, who the beekeepers trust.", "Tomas Berg, who the beekeepers trust."),
    ("The cafe sells honey, which Tomas Berg makes.", "The cafe sells honey, which Tomas Berg makes."),
])
def test_a_name_with_only_a_relative_clause_becomes_its_sentence(note: str, meant: str) -> None:
    from recap.notes.rewrite import unrelative

    assert unrelative(note) == meant


@pytest.mark.parametrize(("note", "plain"), [
    ("Interestingly, the kiln cools for 2 days.", "The kiln cools for 2 days."),
    ("Surprisingly, glaze sales doubled.", "Glaze sales doubled."),
    ("Surprisingly, no.", "Surprisingly, no."),  # nothing left to say
    ("Sadly, the kiln cracked in 2019.", "Sadly, the kiln cracked in 2019."),  # the speaker's
    # the recording explaining why: the clause after "why" is the claim, once it is a sentence
    ("The episode discusses why the ferry stops on 4 days in March due to fog.",
     "The ferry stops on 4 days in March due to fog."),
    ("The episode explains why glazes crack.", "The episode explains why glazes crack."),
    ("The episode explains how the kiln reaches 1,200 degrees.",
     "The episode explains how the kiln reaches 1,200 degrees."),  # "how" is part of the claim
])
def test_the_note_takers_own_remark_before_a_claim_is_left_out(note: str, plain: str) -> None:
    """"Interestingly, …": the model's comment on the claim, in a post whose notes state claims."""
    from recap.notes.rewrite import unframe

    assert unframe(note) == plain


def test_a_pronoun_reporting_a_fact_is_left_out_but_an_opinion_keeps_its_speaker() -> None:
    """What the review applies to a note still opening on "She mentions that" once answers gave
    their "she" the guest's name (`test_a_note_naming_the_host_for_an_answer_is_the_guests`)."""
    from recap.notes.rewrite import unframe

    said = "She mentions that healthy hives pay back in their second season."
    assert unframe(said, pronoun=True) == "Healthy hives pay back in their second season."
    assert unframe(said) == said  # before the review: an answer's "she" gets a name first
    assert (unframe("They also noted that the roof holds 12 hives.", pronoun=True)
            == "The roof holds 12 hives.")
    for kept in ["She says that city honey tastes better.", "They suggest that beginners wait.",
                 "Hale notes that the roof holds 12 hives."]:
        assert unframe(kept, pronoun=True) == kept
    # notes in English from a transcript in another language: the review cannot give the
    # "she" a name from the lines, and leaves out the pronoun all the same
    from recap.notes.intro import Speakers

    lines = ["Gesunde Völker brauchen einen ruhigen und sonnigen Platz, sagt sie."]
    note = "She mentions that healthy hives need a calm and sunny place."
    kept = reviewed(lines, Speakers(host="Tom", guests=[("Ana Hale", "")]), [note],
                    translated=True).kept
    assert [c.text for c in kept] == ["Healthy hives need a calm and sunny place."]


def test_a_subject_copied_from_the_prompts_example_is_the_guests_organisation(
        model: Model, episode: Episode) -> None:
    """The extraction prompt's example is a glass-blowing studio; the small model wrote "The
    studio sold about 1.4 million bags of salad" in a vertical farm's episode. A note whose
    subject is one of the example's (listed in the prompt file), which the episode never says,
    gets the organisation the guest's role names; with none, it is left."""
    from recap.notes.rewrite import example_subjects, organisation, unborrow

    subjects = example_subjects((ROOT / "prompts" / "extract.md").read_text())
    assert "studio" in subjects and subjects.index("glass-blowing studio") < subjects.index("studio")
    assert organisation("co-founder and head grower at Stacklight Farms") == "Stacklight Farms"
    assert organisation("coordinator of the Repair Cafe in Ghent") == "the Repair Cafe"
    assert organisation("keeps forty beehives") == ""
    heard = frozenset({"farm", "basil", "bag"})
    assert (unborrow("The studio sold 3 bags.", subjects, heard, "the Repair Cafe")
            == "The Repair Cafe sold 3 bags.")
    assert (unborrow("The glass-blowing studio opened in 2021.", subjects, heard, "Stacklight Farms")
            == "Stacklight Farms opened in 2021.")
    assert unborrow("The studio sold 3 bags.", subjects, heard, "") == "The studio sold 3 bags."
    assert unborrow("The farm sold 3 bags.", subjects, heard, "X Farms") == "The farm sold 3 bags."
    assert unborrow("The studio-like room is big.", subjects, heard, "X") == (
        "The studio-like room is big.")
    said = heard | {"studio"}  # a studio the episode talks about is its own
    assert unborrow("The studio sold 3 bags.", subjects, said, "X") == "The studio sold 3 bags."

    model.replies["speakers"] = lambda request: ok({
        "show": "Field Notes", "host": "",
        "guests": [{"name": "Priya Natarajan", "role": "keeps beehives for Field Notes"}]})
    inject(model, "The studio counts the mites every two weeks from July onwards.",
           "count mites every two weeks")
    result = run_notes(episode, settings_for(model))
    assert "Field Notes counts the mites every 2 weeks from July onwards." in texts(result)
    assert "The studio" not in texts(result)


def test_a_yes_or_no_answers_first_words_are_not_the_note() -> None:
    """"It can, they sell a 500 gram jar for 11 euros…" (the sample's answer to "can a hive pay
    for itself?"): the answer's first words go, the claim stays; "It does, however, take…" is
    one sentence and stays whole."""
    from recap.notes.verify import tidy

    assert (tidy("It can, they sell a 500 gram jar for 11 euros.")
            == "They sell a 500 gram jar for 11 euros.")
    assert tidy("They do, the city pays 4,500 euros a year.") == "The city pays 4,500 euros a year."
    assert (tidy("It does, however, take three years to pay back.")
            == "It does, however, take three years to pay back.")
    assert tidy("It is, after all, a team of 12.") == "It is, after all, a team of 12."


def test_a_currency_written_as_sign_and_name_is_written_once() -> None:
    """"The project has cost £8 million pounds" names the currency twice; the sign stays. A
    sign and another currency's name are left as the model wrote them (which of the two was
    said is not for the tidy-up to guess)."""
    from recap.notes.verify import tidy

    assert (tidy("The project has cost £8 million pounds, 70% of it from the fund.")
            == "The project has cost £8 million, 70% of it from the fund.")
    assert tidy("A ticket costs $40 dollars.") == "A ticket costs $40."
    assert tidy("Rent is €1,200 euros a month.") == "Rent is €1,200 a month."
    assert tidy("A ticket costs $40 pounds.") == "A ticket costs $40 pounds."
    assert tidy("A ticket costs 40 pounds.") == "A ticket costs 40 pounds."


def test_a_new_voice_greeted_by_name_at_the_end_of_a_sentence_is_found() -> None:
    """A part handed to a new voice the way hosts often do it: introduced in full, then greeted
    by name at the end of a sentence ("…who studies soil at the college. Thanks for coming in,
    Ines."), or named at the end of a sentence with a question read out within two lines. A
    place after a comma ("Portland, Oregon.") or someone named only in passing is no voice."""
    from recap.notes.rewrite import voices

    known = ["Tom Reed", "Ana Ruiz"]
    greeted = ["Ana Ruiz, thank you.", "Now, your letters.",
               "Answering them is Doctor Ines Varga, who studies soil at the college.",
               "Thanks for coming in, Ines.", "Our first letter is from Paul.",
               "It smells because the heap has no air."]
    assert voices(greeted, known) == [(3, "Ines Varga")]  # her title is not her name
    asked = ["With me now is Dr. Ines Varga from the college, Ines.",
             "Our first letter is from Paul in the north.", "He asks why his heap smells?"]
    assert voices(asked, known) == [(0, "Ines Varga")]
    # no greeting and no question: a name at a sentence's end is not taken for an address
    assert voices(["The report is by Ines Varga at the college, Ines.", "It rained."],
                  known) == []
    assert voices(["The studio opened in Portland, Oregon.", "Why there?"], known) == []
    assert voices(["I work with my sister, Ines.", "Why?"], known) == []  # never given in full
    # a known speaker, or one spelt almost as a known speaker, is no new voice
    assert voices(["Ana Ruiz is my guest. Welcome back, Ana."], known) == []
    assert voices(["Marlene Voss is back. Welcome back, Marlene."],
                  ["Tom Reed", "Marlena Voss"]) == []


def test_the_opening_sets_the_speakers_call_right_where_its_cues_say_otherwise() -> None:
    """A small model reading an opening where the recogniser misheard the host's own name ("I'm
    not the mom") took the guest greeted by name for the host, the host the guest thanks for
    a guest, and the guest's brother for a guest. The cues of the opening itself set it right;
    a reply they do not contradict is left as it is."""
    from recap.notes.intro import recheck_speakers

    opening = ("Hello and welcome to the programme. I'm not the mom. My guest runs the "
               "bakery on the corner. She is Ana Ruiz, its founder. Ana, welcome. Thanks Tom, "
               "glad to be here. It started with me and my brother Leo in twenty nineteen.")
    assert recheck_speakers("Ana Ruiz", [("Tom", "baker"), ("Leo", "baker")], opening) == (
        "Tom", [("Ana Ruiz", "")])
    # the reply agrees with the opening: nothing changes
    assert recheck_speakers("Tom", [("Ana Ruiz", "founder")], opening) == (
        "Tom", [("Ana Ruiz", "founder")])
    # a host who names himself stays the host, even when greeted ("Welcome, Tom", a co-host)
    named = "I'm Tom Reed. Welcome, Tom, to your own show. My guest is Ana Ruiz. Ana, welcome."
    assert recheck_speakers("Tom Reed", [("Ana Ruiz", "")], named) == (
        "Tom Reed", [("Ana Ruiz", "")])
    # a relative who is also greeted is a guest; the only guest is never dropped
    assert recheck_speakers("", [("Leo", "")], "My brother Leo is here. Leo, welcome.") == (
        "", [("Leo", "")])
    assert recheck_speakers("", [("Leo", "")], "My brother Leo runs it.") == ("", [("Leo", "")])
    # a word after the thanks that is no name is no host
    assert recheck_speakers("Ana Ruiz", [], "Ana, welcome. Thank you, It is lovely here.") == (
        "", [("Ana Ruiz", "")])
    # the show's name taken for the host (the description named the host as someone the show
    # sends out): the host is the one who names himself
    show = ("Hello and welcome to Crust and Crumb, the podcast about bread. I'm Tom Reed. "
            "This week I visit Ana Ruiz, who runs a bakery.")
    assert recheck_speakers("Crust and Crumb", [("Tom Reed", ""), ("Ana Ruiz", "baker")],
                            show) == ("Tom Reed", [("Ana Ruiz", "baker")])
    assert recheck_speakers("Crumb Radio", [("Ana Ruiz", "baker")], "I'm Ana Ruiz.",
                            "Crumb Radio") == ("Ana Ruiz", [])
    assert recheck_speakers("", [("Tom Reed", ""), ("Ana Ruiz", "baker")], show) == (
        "Tom Reed", [("Ana Ruiz", "baker")])
    # a guest who names herself once greeted is still the guest
    assert recheck_speakers("", [("Ana Ruiz", "baker")], "Ana, welcome. Hi, I'm Ana Ruiz.") == (
        "", [("Ana Ruiz", "baker")])


def test_the_lines_between_a_goodbye_and_the_turn_to_the_next_part_are_the_hosts() -> None:
    """"Ana Ruiz, thank you." / "Thank you, Tom." / a word for the show's supporters / "Now,
    your letters…" / "…Thanks for coming in, Ines.": the later part starts after the goodbye,
    so the word for the supporters is the host's turn, neither the first guest's nor a note of
    her part. Thanks inside an answer ("thanks to the grant we…") is no goodbye."""
    from recap.notes.turns import part_start

    said = ["We want a second shop by spring.", "Ana Ruiz, thank you.", "Thank you, Tom.",
            "Corner Talk is made possible by our listeners.", "Tell a friend about us.",
            "Now, your letters, answered by Doctor Ines Varga from the college.",
            "Thanks for coming in, Ines."]
    assert part_start(_lines(*said), 6) == 3
    answer = ["We opened in spring, and thanks to the grant we hired two bakers.",
              "The oven cost a lot.", "Now, your letters, answered by Doctor Ines Varga.",
              "Thanks for coming in, Ines."]
    assert part_start(_lines(*answer), 3) == 2  # no goodbye: the turn to the letters


def test_a_speakers_label_before_a_note_is_no_part_of_it() -> None:
    """"Ana Ruiz: Turn it once a week.": the model wrote the line as a script does, with its
    guess at who said it; the note is the line. A label that is not a name, or a colon inside
    the note, stays."""
    from recap.notes.extract import parse_notes

    assert parse_notes("- Ana Ruiz: Turn it with a fork once a week.\n"
                       "- Paul and Ines: Their heap smells of eggs.\n"
                       "- Cost: 9,000 pounds.\n- The mix is 2: 1 by volume.\n"
                       "- Ruiz says: Turn it weekly.") == [
        "Turn it with a fork once a week.", "Their heap smells of eggs.", "Cost: 9,000 pounds.",
        "The mix is 2: 1 by volume.", "Ruiz says: Turn it weekly."]


def test_the_hosts_question_label_before_a_note_is_no_part_of_it() -> None:
    """"Last question: the kiln…": the host's words leading in, copied as the note's head; the
    claim after them is the note. A question after the label is left for the checks, and a
    note about a question keeps its words."""
    from recap.notes.extract import parse_notes

    assert parse_notes("- Last question: the kiln runs at 1,200 degrees.\n"
                       "- One more listener question: Do you sell online?\n"
                       "- A question about the glaze came in.") == [
        "The kiln runs at 1,200 degrees.", "Do you sell online?",
        "A question about the glaze came in."]


def test_a_note_in_the_titles_spelling_is_supported_by_whispers() -> None:
    """The model may follow the episode's title or description ("neighbourhood repair café")
    where Whisper wrote "neighborhood repair cafe": accents are folded and British spellings
    read as American ones, so the note's words are found in its lines."""
    from recap.notes.verify import cite
    from recap.notes.windows import Line
    from recap.notes.words import stem, words

    assert words("The café in Zürich") == ["the", "cafe", "in", "zurich"]
    for british, american in [("neighbourhood", "neighborhood"), ("organised", "organized"),
                              ("organisation", "organization"), ("centre", "center"),
                              ("litres", "liters"), ("behaviour", "behavior")]:
        assert stem(british) == stem(american), british
    for word, kept in [("hour", "hour"), ("four", "four"), ("flour", "flour"), ("your", "your"),
                       ("raise", "rais")]:  # short words are not made American ("raize")
        assert stem(word) == kept
    lines = [Line(0, 0.0, 5.0, "She opened the neighborhood repair cafe in 2017, organized by "
                               "volunteers, in the town center.")]
    _, support = cite("The neighbourhood repair café, organised by volunteers, opened in the "
                      "town centre in 2017.", lines)
    assert support == 1.0



def test_a_claim_of_two_words_needs_both_in_its_lines() -> None:
    """"Olvera is a company that provides honey.": the speaker's name and "company" are free
    words, so the claim is "provides honey", and half of it (one word of two) is in the line. A
    claim that short needs all of it; a longer one may still say half in other words."""
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window
    from recap.notes.words import stem

    window = Window(0, 0, (Line(0, 0.0, 6.0, "Let's talk money, can roof our honey pay for "
                                              "itself."),))
    free = frozenset({stem("olvera")})
    made_up = Candidate("Olvera is a company that provides honey.", window)
    inspect(made_up, [], free=free, language="en")
    assert made_up.support == 0.5 and "unsupported" in made_up.problems
    said = Candidate("Olvera says roof honey pays for itself.", window)
    inspect(said, [], free=free, language="en")
    assert said.problems == []
    longer = Candidate("Roof honey covers its costs.", window)  # roof, honey; cover, cost
    inspect(longer, [], free=free, language="en")
    assert longer.support == 0.5 and "unsupported" not in longer.problems


@pytest.mark.parametrize(("note", "one"), [
    ("The together part matters. Varga's team don't want to be a drop-off service. they want "
     "people to learn.",
     "Varga's team don't want to be a drop-off service; they want people to learn."),
    ("It sold well. It did better than Berg's team dreamed. they sold 340,000 copies in the first "
     "year.", "It did better than Berg's team dreamed; they sold 340,000 copies in the first year."),
    # a short sentence with a figure the others lack stays
    ("The game costs $20. But the store takes 30% and then there are taxes and refunds. So have "
     "every $20.",
     "The game costs $20; but the store takes 30% and then there are taxes and refunds."),
    # one sentence, a title, initials: as written
    ("Mrs. Varga, an 81-year-old woman, visits the hives every day.",
     "Mrs. Varga, an 81-year-old woman, visits the hives every day."),
    ("Berg has 38 cows, all M. O. N. T. B. Leard.", "Berg has 38 cows, all M. O. N. T. B. Leard."),
])
def test_a_note_of_several_sentences_becomes_one(note: str, one: str) -> None:
    """A stretch pasted and put in the third person is several sentences, the short ones saying
    nothing on their own ("The together part matters."): a bullet states one claim in one
    sentence."""
    from recap.notes.rewrite import one_sentence

    assert one_sentence(note) == one


@pytest.mark.parametrize(("note", "clean"), [
    ("I can tell you, my back remembers the wheels.", "My back remembers the wheels."),
    ("The wheels are heavy, to be honest, and the robot turns them.",
     "The wheels are heavy, and the robot turns them."),
    ("We we turn every wheel, um, once a week.", "We turn every wheel, once a week."),
    ("Honest work pays, she says.", "Honest work pays, she says."),  # a word, not the aside
    # A speaker restarting after a comma says the words once.
    ("Brass gives a little, a little smoky taste.", "Brass gives a little smoky taste."),
    ("We, we fire the kiln twice a day.", "We fire the kiln twice a day."),
    ("It is very, very dry.", "It is very dry."),
    # Two figures, a year said twice and a list are not restarts.
    ("They sold 40, 40 and 60 cups.", "They sold 40, 40 and 60 cups."),
    ("In twenty twenty, twenty twenty one sales grew.",
     "In twenty twenty, twenty twenty one sales grew."),
    ("Cups, plates, cups again.", "Cups, plates, cups again."),
    # said in passing, at the head or between commas
    ("Believe it or not, the ferry never missed a crossing.",
     "The ferry never missed a crossing."),
    ("The boiler, don't ask, was 40 years old.", "The boiler was 40 years old."),
    ("Fares, as you can imagine, went up in 2022.", "Fares went up in 2022."),
    ("You see the lighthouse from the quay.", "You see the lighthouse from the quay."),
    # a letter's writer spoken to: the claim is what follows
    ("Poor Ilse, that smell means the heap has run out of air.",
     "That smell means the heap has run out of air."),
    ("Oh, dear Ben, a fig needs less water in winter.", "A fig needs less water in winter."),
    ("Poor Harbour Lights, it closed in 2019.", "Poor Harbour Lights, it closed in 2019."),
])
def test_spoken_fillers_and_asides_are_taken_out(note: str, clean: str) -> None:
    from recap.notes.rewrite import clean_spoken

    assert clean_spoken(note) == clean


def test_a_speaker_said_to_be_another_or_to_host_the_show_is_show_talk() -> None:
    """"Varga is Tomas Berg, three things on the program tonight.": the host's "I'm Tomas
    Berg…" credited to the guest, a note that is neither true nor a claim. "Varga hosts The
    Weekly Round." is who hosts, which the intro says (and here says wrong)."""
    from recap.notes.verify import _HOSTS_SHOW, one_speaker_as_another
    from recap.notes.words import stem

    people = frozenset(stem(w) for name in ("Tomas Berg", "Ines Varga") for w in words(name))
    assert one_speaker_as_another("Varga is Tomas Berg, three things on the program tonight.",
                                  people)
    assert not one_speaker_as_another("Varga is the founder of the studio.", people)
    assert not one_speaker_as_another("Ines Varga is Ines Varga.", people)  # says nothing else
    assert not one_speaker_as_another("Glowmoth is Ines Varga's studio.", people)
    assert _HOSTS_SHOW.match("Varga hosts The Weekly Round.")
    assert _HOSTS_SHOW.match("Tomas Berg presents Rooftops.")
    assert not _HOSTS_SHOW.match("Varga hosts a repair workshop every month.")
    assert not _HOSTS_SHOW.match("The city hosts Olympic events.")


def test_the_model_reads_a_window_one_sentence_per_line() -> None:
    """The excerpt is shown one sentence per line, whatever Whisper's lines: read as one run of
    text, the small model skipped more of a window. A title's full stop ("Dr.") does not end a
    sentence, and the sentences' words are all there."""
    from recap.notes.extract import excerpt
    from recap.notes.windows import Window

    lines = (Line(0, 0.0, 3.0, "So Dr. Ilse Varga fired the kiln in twenty ten. It"),
             Line(1, 3.0, 6.0, "took three days. Why?"),
             Line(2, 6.0, 9.0, "Because the clay was wet."))
    window = Window(0, 0, lines)
    assert excerpt(window).splitlines() == ["So Dr. Ilse Varga fired the kiln in twenty ten.",
                                            "It took three days.", "Why?",
                                            "Because the clay was wet."]
    assert " ".join(excerpt(window).split()) == window.text


def test_a_speakers_name_spelled_like_a_conjunction_opens_a_whole_note() -> None:
    """A note opening on "Nor" or "Because" is the end of someone's sentence, unless the word
    is a speaker's name as Whisper heard it ("Nor Alvarez is…"): then it is a whole note."""
    from recap.notes.verify import Candidate, inspect
    from recap.notes.windows import Line, Window
    from recap.notes.words import stem

    said = "I'm Nor Alvarez, I co-founded Tidewater Looms and I run its weaving floor."
    window = Window(0, 0, (Line(0, 0.0, 9.0, said),))
    people = frozenset(stem(w) for w in ("Nor", "Alvarez"))
    named = Candidate("Nor Alvarez co-founded Tidewater Looms and runs its weaving floor.", window)
    inspect(named, ["Nor Alvarez"], people=people)
    assert "fragment" not in named.problems
    # without the name among the speakers the same opening is a conjunction
    unnamed = Candidate("Nor Alvarez co-founded Tidewater Looms and runs its weaving floor.", window)
    inspect(unnamed, ["Nor Alvarez"])
    assert "fragment" in unnamed.problems
    # and a lower-case or plain conjunction stays a fragment
    tail = Candidate("Nor does it run the weaving floor at Tidewater Looms.", window)
    inspect(tail, ["Nor Alvarez"], people=frozenset({"alvarez"}))
    assert "fragment" in tail.problems


def test_a_word_and_its_plural_or_past_share_a_stem() -> None:
    """Crude stems still meet: a noun in -e and its plural ("cave"/"caves"), a verb and its
    forms ("price"/"priced", "make"/"making", "agree"/"agreed"), a word in -ss and its plural
    ("glass"/"glasses"): a note saying "cave" is supported by a line saying "caves", and two
    notes that differ so are the same claim."""
    from recap.notes.words import stem

    for group in [("cave", "caves"), ("price", "prices", "priced"), ("make", "makes", "making"),
                  ("agree", "agreed", "agrees"), ("glass", "glasses"), ("box", "boxes"),
                  ("tree", "trees"), ("cause", "causes", "caused"), ("hire", "hired", "hiring")]:
        assert len({stem(w) for w in group}) == 1, group
    assert stem("bus") == "bus" and stem("use") == "use"  # too short to lose a letter


def test_a_name_and_its_role_without_a_verb_is_made_a_sentence() -> None:
    """"Ines Varga, co-founder of the mill." is how a host introduces a guest, not a sentence:
    it becomes "Ines Varga is co-founder of the mill.". A greeting after the name, a note with a
    verb, or a long tail is left as it is."""
    from recap.notes.rewrite import unappose

    assert unappose("Ines Varga, co-founder of the Brookfield Mill.") == \
        "Ines Varga is co-founder of the Brookfield Mill."
    assert unappose("Dr. Ines Varga, a soil scientist at Fenwick College.") == \
        "Dr. Ines Varga is a soil scientist at Fenwick College."
    for left in ["Ines Varga, thanks for coming in.", "Ines Varga, welcome back.",
                 "Ines Varga, who studies soil at the college.",
                 "Last year, the mill sold 4,000 bags.",
                 "Ines Varga, co-founder of the mill, its first baker and the one who still "
                 "opens the doors every morning at six."]:
        assert unappose(left) == left


def test_a_speakers_yes_or_clearly_between_commas_goes() -> None:
    """"yes", "clearly", "of course" set off by commas inside a note are the speaker's, not the
    claim's: they go, with the comma an opening phrase needs ("At the market, the stalls…")
    and without the one that would split subject and verb ("The kiln runs…"). A "yes" that is
    what someone answered, or an item of a list, stays."""
    from recap.notes.rewrite import clean_spoken

    assert clean_spoken("At the market, yes, clearly, the stalls sell out by half past "
                        "noon.") == "At the market, the stalls sell out by half past noon."
    assert clean_spoken("The kiln, of course, runs on wood from the valley.") == \
        "The kiln runs on wood from the valley."
    for left in ["The council voted yes, and the square was closed to cars.",
                 "The farm keeps cows, goats, and yes, two pigs."]:
        assert clean_spoken(left) == left


def test_a_short_note_goes_with_the_note_before_not_one_that_starts_on_its_line() -> None:
    """A note that starts on a short note's line and goes on past it comes after the short
    note, which is joined to the note before it: on a tie of start times the notes used to
    come first, and the short note's figure went to the wrong sentence."""
    from recap.notes.fragments import join_fragments
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    lines = tuple(Line(i, i * 5.0, i * 5.0 + 5, f"line {i}: the kiln and the glaze")
                  for i in range(6))
    window = Window(0, 0, lines)
    kiln = Candidate("The pottery fires its kiln twice a week.", window, [1])
    hours = Candidate("Each firing takes 9 hours.", window, [2])  # too short to stand alone
    glaze = Candidate("The glazes are mixed by hand from local clay.", window, [2, 3])
    kept, joined, left = join_fragments([kiln, glaze], [hours])
    assert [n.text for n in kept] == [
        "The pottery fires its kiln twice a week: each firing takes 9 hours.",
        "The glazes are mixed by hand from local clay."]
    assert len(joined) == 1 and left == []


def test_a_noun_that_shares_a_reporting_verbs_stem_is_a_claim_word() -> None:
    """Reporting verbs ("notes", "shares", "states") are free: a note may use them where its
    lines do not. A noun with the same stem is not: "a share" must be in the lines like any
    other word of the claim."""
    from recap.notes.verify import cite
    from recap.notes.windows import Line
    from recap.notes.words import stem, words

    said = [Line(0, 0.0, 5.0, "Every rider owns a bike and gets a vote.")]
    _, support = cite("Every rider owns a share.", said)
    assert support < 1.0
    _, support = cite("Every rider owns a bike.", said)
    assert support == 1.0
    speaker = frozenset(stem(w) for w in words("Ines Varga"))
    _, support = cite("Ines Varga notes that every rider owns a bike.", said, speaker)
    assert support == 1.0


def test_a_speakers_advice_in_the_imperative_is_credited_to_them() -> None:
    """"Turn it with a fork once a week.": advice told to the listener is a bullet in the second
    person; it becomes the guest's advice ("Ruiz's advice is to turn it…"), "Don't" its "not
    to", "Be" whatever follows it. A noun that is also a verb ("Store prices rose…") opens no
    advice, and with no guest named there is nobody to credit: the note stays as it is."""
    from recap.notes.intro import Speakers
    from recap.notes.rewrite import as_advice

    assert as_advice("Turn it with a fork once a week.", "Ruiz") == \
        "Ruiz's advice is to turn it with a fork once a week."
    assert as_advice("Don't water them twice as much before you leave.", "the listener") == \
        "The listener's advice is not to water them twice as much before you leave."
    assert as_advice("Be patient on busy Saturdays.", "Ruiz") == \
        "Ruiz's advice is to be patient on busy Saturdays."
    assert as_advice("Never tie a boat to the old quay.", "Ruiz") == \
        "Ruiz's advice is never to tie a boat to the old quay."
    for kept in ("Store prices rose by 3% last year.", "Turn signals are required on the quay.",
                 "Work hours are long in winter."):
        assert as_advice(kept, "Ruiz") == kept
    assert as_advice("If the nets smell, hang them in the loft.", "Ruiz") == \
        "If the nets smell, Ruiz's advice is to hang them in the loft."
    assert as_advice("Don't overfeed the gulls.", "Ruiz") == "Ruiz's advice is not to overfeed the gulls."
    for kept in ("In 2019, the team moved to the quay.", "When it rains, the riders get coats.",
                 "Never before has the quay been so busy."):
        assert as_advice(kept, "Ruiz") == kept
    assert as_advice("Turn it with a fork once a week.", "") == "Turn it with a fork once a week."

    said = ["Welcome, Ana. Any tips for a first crossing?",
            "Pack a warm coat, the deck is cold even in June.",
            "And check the timetable, in winter the last boat leaves at six."]
    notes = ["Pack a warm coat, since the deck is cold even in June.",
             "Check the timetable: in winter the last boat leaves at 6."]
    review = reviewed(said, Speakers(host="Tom Reed", guests=[("Ana Ruiz", "")]), notes)
    assert [c.text for c in review.kept] == [
        "Ruiz's advice is to pack a warm coat, since the deck is cold even in June.",
        "Ruiz's advice is to check the timetable: in winter the last boat leaves at 6."]
    unnamed = reviewed(said, Speakers(host="", guests=[]), notes)
    assert [c.text for c in unnamed.kept] == notes


def test_a_tens_number_heard_with_to_before_a_unit_is_twenty_two() -> None:
    """Whisper writes "twenty two kilograms" as "20 to kilograms", and the model copies it: the
    note says "22 kilograms", which the support check finds in "20 to kilograms". A range or a
    clock time keeps its "to"."""
    from recap.notes.intro import Speakers
    from recap.notes.rewrite import heard_two

    assert heard_two("Each net weighs about 40 to kilograms when wet.") == \
        "Each net weighs about 42 kilograms when wet."
    assert heard_two("The boat carries 30 too tons.") == "The boat carries 32 tons."
    for kept in ("Fares rose from 20 to 30 euros.", "The ferry left at 20 to 5.",
                 "They moved from 30 to Dunmore.", "About 25 to kilograms."):
        assert heard_two(kept) == kept
    said = ["Welcome, Ana. How heavy are the nets?",
            "Wet, each net weighs about forty to kilograms, so we haul them two at a time."]
    review = reviewed(said, Speakers(host="Tom Reed", guests=[("Ana Ruiz", "")]),
                      ["Each net weighs about 40 to kilograms when wet."])
    assert [c.text for c in review.kept] == ["Each net weighs about 42 kilograms when wet."]
