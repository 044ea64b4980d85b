"""End to end: an endpoint that invents figures and names; none of it may reach the post.

The episode folder holds Whisper tiny.en's real transcript of samples/city-bees.mp3. The real
`recap chunk`, `recap notes` and `recap write` commands run against a fake OpenAI-compatible
server on 127.0.0.1 whose extraction replies paraphrase each window faithfully and add invented
notes and one in the first person; that one is put in the third person, the others dropped.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recap.episode import Episode
from recap.models import Info, Notes
from tests.conftest import run_recap
from tests.fake_openai import FakeOpenAI, Reply, fake_openai
from tests.test_notes import (
    excerpt,
    extract_reply,
    heading_reply,
    intro_reply,
    kind_of,
    speakers_reply,
    titles_reply,
)

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "city-bees.mp3"

# Notes a small model adds to the window that holds the words they pretend to summarise.
INVENTED_HONEY = "Each city hive produced 95 kilograms of honey last year."
INVENTED_COURSE = "The beekeeping course takes 12 evenings."
INVENTED_NAME = "Hives in Amsterdam need no registration with the city."
FIRST_PERSON = "We never place a hive closer than two meters to the edge of the roof."
# The speakers call names her "Priya Natarajan"; the transcript says "Priya" only, so she is Priya.
REWRITTEN = "Priya's team never place a hive closer than 2 meters to the edge of the roof."


def respond(request: dict[str, Any]) -> Reply:
    kind = kind_of(request)
    if kind != "extract":
        return {"speakers": speakers_reply, "titles": titles_reply, "heading": heading_reply,
                "intro": intro_reply}[kind](request)
    reply = extract_reply(request)
    # Whisper heard the guest's surname as "pre-natter agent": name her as the transcript does.
    reply.content = (reply.content or "").replace("Natarajan", "Priya")
    shown = excerpt(request)
    for heard, invented in (("kilograms of honey", INVENTED_HONEY),
                            ("eight evenings", INVENTED_COURSE),
                            ("register each hive", INVENTED_NAME),
                            ("two meters", FIRST_PERSON)):
        if heard in shown:
            reply.content = f"{reply.content}\n- {invented}"
    return reply


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with fake_openai() as fake:
        fake.responder = respond
        yield fake


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    folder = tmp_path / "city-bees"
    folder.mkdir()
    info = Info(title="City Bees: what rooftop hives teach us about cities", duration=117.0,
                audio_file="audio.mp3", source=str(tmp_path / "city-bees.mp3"))
    (folder / "info.json").write_text(info.to_json(), encoding="utf-8")
    shutil.copy(DATA / "city-bees.transcript.json", folder / "transcript.json")
    return folder


def test_invented_figures_and_names_never_reach_the_post(server: FakeOpenAI,
                                                         episode: Path) -> None:
    llm = ["--llm-base-url", server.base_url, "--llm-model", "fake-model"]
    env = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}
    run_recap("chunk", str(episode), *llm, env=env, check=True)
    run_recap("notes", str(episode), *llm, env=env, check=True)
    run_recap("write", str(episode), env=env, check=True)

    notes = Notes.load(episode / "notes.json")
    texts = [b.text for t in notes.topics for b in t.bullets]
    assert REWRITTEN in texts and FIRST_PERSON not in texts
    assert notes.speakers == ["Priya"]  # "Jan Invented" is nowhere in the episode
    # the faithful paraphrase of the honey line stays, Whisper's "20 to kilograms" read as 22
    assert "22 kilograms" in " ".join(texts)

    stats = Episode(episode).stage_record("notes").stats
    assert stats["repaired"] == 1
    assert {INVENTED_HONEY, INVENTED_COURSE, INVENTED_NAME} <= set(stats["dropped_bullets"])

    post_rel = Episode(episode).stage_record("write").stats["post"]
    post = (episode / post_rel).read_text(encoding="utf-8")
    for invented in ("95", "12 evenings", "Amsterdam"):
        assert invented not in post, invented
    assert "8 evenings" in post and "Rotterdam" in post

    proc = run_recap("check", str(episode), "--json", "--strict", check=True)
    report = json.loads(proc.stdout)
    assert report["repaired"] == 1 and report["dropped"] >= 3
    assert report["recheck"]["unsupported"] == []
    # every statement is paraphrased, so every figure and name of the transcript reaches the notes
    assert report["coverage"]["figure_coverage"] == 1.0
    # ...but the show's name, said only in the welcome and the goodbye, which are not notes
    missing = {n for c in report["coverage"]["chunks"] for n in c["missing_names"]}
    assert missing <= {"field", "notes", "knows"}, missing
    assert report["reading_minutes"] is not None

    proc = run_recap("eval", str(episode), "--facts", str(DATA / "city-bees.facts.json"),
                     "--json", check=True)
    result = json.loads(proc.stdout)
    assert result["post"] == str(episode / post_rel)
    # every statement is noted, so the facts Whisper heard are all there
    missing = [f["id"] for f in result["facts"] if not f["found"]]
    assert result["found"] >= 10, missing


@pytest.mark.slow
@pytest.mark.llm
@pytest.mark.timeout(1800)
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (make setup-llm)")
def test_embedded_model_on_the_sample_episode(tmp_path: Path, sample_transcribed: Path) -> None:
    """The whole pipeline with the embedded 1.5B model on the sample, held to real bars.

    The sample is part of the tuning split (bench/episodes/eval_set.json): the held-out figures
    are in the README. Here the bars are the ones every post must meet: most expected facts,
    no invented figure, no note in the first person or with a question, an intro that does
    not copy the transcript, sections with titles.

    One call at a time (`--llm-jobs 1`): the embedded server then decodes every request alone,
    in the same order, so the run gives the same post each time. With calls decoded together
    (the default, 3) a reply depends on which other calls share its decoding steps (llama.cpp's
    arithmetic differs with the batch's size), and the sample's post varied from 7 to 11 facts
    of 12 between runs of the same code: a bar on one such run would pass or fail by chance.
    """
    from recap.notes.words import first_person, longest_copied_run, words

    folder = tmp_path / "city-bees"
    shutil.copytree(sample_transcribed, folder)  # fetched and transcribed once for the suite
    proc = run_recap("run", str(SAMPLE), "-o", str(tmp_path), "--llm-jobs", "1", check=True,
                     timeout=1800)
    assert "transcribe: skipped" in proc.stderr + proc.stdout
    assert Path(proc.stdout.strip().splitlines()[-1]).is_file()

    report = json.loads(run_recap("check", str(folder), "--json", check=True).stdout)
    assert report["recheck"]["unsupported"] == [], report["recheck"]["unsupported"]
    assert report["recheck"]["figures"] == report["recheck"]["figures_supported"]
    assert report["checked"] == report["verified"] + report["repaired"] + report["dropped"]
    result = json.loads(run_recap("eval", str(folder), "--facts",
                                  str(DATA / "city-bees.facts.json"), "--json",
                                  check=True).stdout)
    missed = [f["id"] for f in result["facts"] if not f["found"]]
    print(f"\nembedded model: {result['found']}/{result['total']} facts; missed {missed}")
    assert result["found"] >= 8, missed  # 8 of 12 measured (9 before stop 41's windows)
    notes = Notes.load(folder / "notes.json")
    bullets = [b.text for t in notes.topics for b in t.bullets]
    assert not [b for b in bullets if first_person(b)]
    assert not [b for b in bullets if "?" in b]
    assert len(notes.topics) >= 2 and all(t.title for t in notes.topics)
    transcript = json.loads((folder / "transcript.json").read_text())
    heard = words(" ".join(s["text"] for s in transcript["segments"]))
    assert notes.intro and longest_copied_run(notes.intro, heard) < 8
