"""Notes and post in the episode's language (issue 16): the model is told which language to write
in, recap's own sentences follow it, the checks that know only English pronouns or words stand
aside, and `--post-language` translates. Against the fake endpoint of tests/test_notes.py; the
real German run (Whisper base, the embedded model) is in tests/test_languages.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from recap.episode import Episode
from recap.errors import ConfigError
from recap.languages import normalise
from recap.models import Notes, Topic, Transcript
from recap.progress import Reporter
from recap.write import WriteOptions, write
from tests.conftest import run_recap
from tests.fake_openai import Reply, ok, text
from tests.test_notes import (
    Model,
    excerpt,
    model,
    run_notes,
    settings_for,
    user_text,
    write_episode,
)

__all__ = ["model"]  # the fixture, imported for the tests below

GERMAN_TURNS = [
    "Hallo und willkommen bei Feldnotizen. Heute spreche ich mit Priya Natarajan, die vierzig "
    "Bienenstöcke auf Dächern in Rotterdam hält.",
    "Danke für die Einladung. Ich habe 2015 mit zwei Stöcken auf dem Dach einer Bibliothek "
    "angefangen.",
    "Ist die Stadt ein guter Ort für Bienen?",
    "Ja. Unsere Stöcke in der Stadt haben letztes Jahr etwa 22 Kilogramm Honig pro Stock "
    "geliefert, auf dem Land waren es 15 Kilogramm.",
    "Was ist die größte Gefahr?",
    "Die Varroamilbe. Wir haben im letzten Winter 6 von 40 Stöcken verloren.",
    "Und was kostet ein Glas Honig?",
    "Ein Glas mit 500 Gramm kostet bei uns 11 Euro, und ein neuer Stock kostet etwa 350 Euro.",
    "Und im Sommer?",
    "Im Juli blühen die Linden in der ganzen Stadt, dann ernten die Imker den meisten Honig.",
]


def german_episode(root: Path) -> Episode:
    episode = write_episode(root, GERMAN_TURNS)
    transcript = Transcript.load(episode.transcript_path)
    transcript.language = "de"
    episode.transcript_path.write_text(transcript.to_json())
    return episode


def system_text(request: dict[str, Any]) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "system")


def german_notes(request: dict[str, Any]) -> Reply:
    """Notes as a model writes them in German: the statements, first person turned to names."""
    sentences = re.split(r"(?<=[.!?])\s+", excerpt(request))
    kept = [s.replace("Ich habe", "Natarajan hat").replace("Unsere Stöcke", "Ihre Stöcke")
            .replace("Wir haben", "Das Team hat").replace("bei uns", "bei ihr")
            for s in sentences if len(s.split()) >= 4 and not s.endswith("?")]
    return text("\n".join(f"- {s}" for s in kept) or "- Nichts.")


def use_german(model: Model) -> None:
    model.replies.update(
        extract=german_notes,
        titles=lambda r: ok({"titles": [f"Bienen in der Stadt, Teil {n}"
                                        for n in re.findall(r"^Section (\d+):$", user_text(r),
                                                            re.MULTILINE)]}),
        heading=lambda r: text("Bienen auf dem Dach"),
        intro=lambda r: ok({"summary": "Priya Natarajan erzählt von ihren Bienen auf Dächern.",
                            "intro": "In dieser Folge erzählt Priya Natarajan, was Bienen auf "
                                     "den Dächern einer großen Stadt zum Leben brauchen.",
                            "keywords": ["Bienen", "Honig"]}))


def test_a_german_episode_gets_german_notes_and_post(model: Model, tmp_path: Path) -> None:
    episode = german_episode(tmp_path / "bienen")
    use_german(model)
    result = run_notes(episode, settings_for(model))
    assert result.language == "de"
    requests = model.server.completions
    assert requests and all("Write everything in German (Deutsch)" in system_text(r)
                            for r in requests)
    bullets = [b.text for t in result.topics for b in t.bullets]
    assert any("22 Kilogramm" in b for b in bullets) and any("11 Euro" in b for b in bullets)
    # German pronouns are caught (the fake model left the host's "ich"); no English rewrite can
    # fix them, so the note is dropped.
    assert not any(" ich " in f" {b} " for b in bullets)
    assert any(p["text"].startswith("Heute spreche ich") and p["problem"] == "first_person"
               for p in result.checks["problems"]), result.checks["problems"]
    # "um" is a German word, not a filler: the notes keep the model's words.
    assert all(not b.startswith(("So, ", "Well, ")) for b in bullets)

    post = write(episode, WriteOptions(format="markdown"), Reporter()).path.read_text()
    assert "Hier sind meine Notizen zu dieser Folge" in post and "Lesezeit" in post
    headings = re.findall(r"^## (.*)$", post, re.MULTILINE)
    assert headings and all(h.startswith("Bienen ") for h in headings), headings
    # the heading prompt's examples are English: a section asked alone in German is asked with
    # the titles prompt
    assert model.count("heading") == 0 and model.count("titles") >= 2
    assert "In dieser Folge erzählt **Priya Natarajan**" in post
    assert "**Ein Glas**" not in post  # a capitalised German noun is not a name
    assert "Here are my notes" not in post and "minutes" not in post


def test_an_english_episode_gets_the_prompts_as_written(model: Model, tmp_path: Path) -> None:
    episode = write_episode(tmp_path / "bees")
    result = run_notes(episode, settings_for(model))
    assert result.language == "en"
    assert not any("Write everything in" in system_text(r) or "translating" in system_text(r)
                   for r in model.server.completions)


def test_post_language_translates_and_still_checks_figures(model: Model, tmp_path: Path) -> None:
    episode = german_episode(tmp_path / "bienen")

    def english_notes(request: dict[str, Any]) -> Reply:
        window = excerpt(request)
        notes = []
        if "22 Kilogramm" in window:
            notes.append("City hives gave about 22 kilograms of honey each last year.")
            notes.append("Farm hives gave 95 kilograms each.")  # a figure nobody said
        if "Varroamilbe" in window:
            notes.append("The team lost 6 of its 40 hives to varroa mites last winter.")
        return text("\n".join(f"- {n}" for n in notes) or "- Nothing of note.")

    model.replies["extract"] = english_notes
    result = run_notes(episode, settings_for(model), language="en")
    assert result.language == "en"
    assert all("The episode is in German (Deutsch); write everything in English" in
               system_text(r) for r in model.server.completions)
    bullets = [b.text for t in result.topics for b in t.bullets]
    # Not one word of these notes is in the German lines, yet they are kept: support cannot be
    # measured across languages. The figure nobody said is still dropped.
    assert "City hives gave about 22 kilograms of honey each last year." in bullets
    assert any(b.startswith("The team lost 6 of its 40 hives") for b in bullets)
    assert not any("95" in b for b in bullets)
    assert result.checks["drop_reasons"].get("figures", 0) >= 1
    # Nor is an English intro's support looked for in German lines: it is kept as written.
    assert result.intro == ("This episode of Field Notes visits Priya Natarajan and her rooftop "
                            "hives. It covers honey, mites, wind, money and rules."), result.intro


def test_written_fallback_intro_and_untitled_sections_follow_the_language(tmp_path: Path) -> None:
    episode = german_episode(tmp_path / "bienen")
    transcript = Transcript.load(episode.transcript_path)
    from recap.models import Bullet

    bullets = [Bullet(s.text, s.start, s.end, [s.id]) for s in transcript.segments[:3]]
    notes = Notes(topics=[Topic("", bullets)], language="de")
    episode.notes_path.write_text(notes.to_json())
    post = write(episode, WriteOptions(format="markdown"), Reporter()).path.read_text()
    assert "ist eine Folge von 1 Minuten" in post or "ist eine Folge von" in post
    assert "## Teil 1" in post
    assert "Hier sind meine Notizen zu dieser Folge - 1 Minute Lesezeit." in post


def test_language_codes_are_normalised_or_refused() -> None:
    assert normalise("de-DE") == "de" and normalise("PT_br") == "pt" and normalise(None) is None
    with pytest.raises(ConfigError, match="--post-language must be a language code"):
        normalise("German!")


def test_a_bad_post_language_is_one_line(tmp_path: Path) -> None:
    episode = german_episode(tmp_path / "bienen")
    proc = run_recap("notes", str(episode.root), "--post-language", "Deutsch!!")
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "--post-language" in proc.stderr
    assert "Traceback" not in proc.stderr
