"""The faithfulness checker on crafted bullets, coverage, and fact scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recap.errors import InputError, LLMReplyError
from recap.models import Bullet, Chunk, Notes, Topic, Transcript
from recap.quality.coverage import coverage
from recap.quality.facts import Fact, load_facts, score_facts
from recap.quality.support import (
    BulletProblem,
    bullet_source,
    check_bullet,
    merge_checks,
    verify_bullets,
)
from recap.text.names import proper_names

DATA = Path(__file__).resolve().parent / "data"
# Whisper tiny.en's transcript of samples/city-bees.mp3: it writes "2015", "40", and mishears
# "twenty two kilograms" as "20 to kilograms" and "varroa mite" as "So am I".
TRANSCRIPT = Transcript.load(DATA / "city-bees.transcript.json")
METADATA = ["City Bees: what rooftop hives teach us about cities", "Field Notes"]

HONEY = ("Surprisingly, yes, city gardens, parks and street trees flower at different times, so "
         "there is food from March to October, our city hives produced about 20 to kilograms of "
         "honey each last year, well hives on nearby farm land average 15 kilograms.")
MITES = ("So am I, without question, we lost six of our 40 hives over the last winter, and five "
         "of those six had by my accounts in September, now we count mites every two weeks from "
         "July onwards.")
MONEY = ("It can, we sell a 500 gram jar for 11 euros, a new hive with equipment costs about 350 "
         "euros, so healthy hive pays back in its second season.")


# ---------------------------------------------------------------- check_bullet

@pytest.mark.parametrize("bullet", [
    "City hives produced about 22 kg of honey each last year, farmland hives 15 kg.",
    "City hives made twenty-two kilograms of honey each, versus fifteen on farmland.",
    "Honey from city hives: **22 kg** a hive; farmland: `15 kg`.",
    "There is food for bees from March to October.",
])
def test_supported_bullets_pass(bullet: str) -> None:
    assert check_bullet(bullet, HONEY, METADATA) is None


@pytest.mark.parametrize("bullet", [
    "A 500 g jar sells for €11.",
    "A new hive costs about €350 and pays back in its second season.",
    "A jar of 0.5 kg costs eleven euros.",
    "Start with one hive? A new hive costs 350 euros.",
])
def test_money_bullets_pass(bullet: str) -> None:
    assert check_bullet(bullet, MONEY) is None


@pytest.mark.parametrize(("bullet", "figures"), [
    ("City hives produced about 25 kg of honey each.", ["25 kg"]),
    ("City hives produced 22 kg of honey, 40% more than farmland.", ["40%"]),
    ("A 500 g jar sells for €12.", ["€12"]),
    ("A new hive pays back in its third season.", ["third"]),
    ("They started in 2016.", ["2016"]),
])
def test_invented_figures_are_reported(bullet: str, figures: list[str]) -> None:
    source = HONEY if "hives produced" in bullet else MONEY
    problem = check_bullet(bullet, source)
    assert problem is not None
    assert problem.unsupported_figures == figures
    assert problem.unsupported_names == []


def test_a_figure_in_the_wrong_unit_is_reported() -> None:
    problem = check_bullet("A jar sells for 11 dollars.", MONEY)
    assert problem is not None and problem.unsupported_figures == ["11 dollars"]


def test_evenings_and_nights_are_units_of_their_own() -> None:
    """A course "of eight evenings" is not "8 hours": parts of a day are counted like days."""
    source = "The course takes eight evenings, and the hives need two nights to settle."
    assert check_bullet("The course takes 8 evenings.", source) is None
    assert check_bullet("The hives need 2 nights to settle.", source) is None
    problem = check_bullet("The course takes 8 hours.", source)
    assert problem is not None and problem.unsupported_figures == ["8 hours"]


def test_a_merged_bullet_with_a_figure_from_another_chunk_is_reported() -> None:
    # 22 kg is in this chunk; "6 of 40 hives" comes from the next one.
    bullet = "City hives gave 22 kg of honey each, but 6 of the 40 hives died in winter."
    problem = check_bullet(bullet, HONEY)
    assert problem is not None
    assert problem.unsupported_figures == ["6", "40"]
    assert check_bullet(bullet, HONEY + " " + MITES) is None


def test_a_figure_is_not_found_inside_a_longer_number_or_word() -> None:
    """A bare number the model made of a vague amount ("a couple of lamps") is not supported by
    a longer one that starts with its digits, nor a number word by a word that holds it."""
    source = "The lamp burned for 250 hours, and someone at the quay kept the log."
    problem = check_bullet("The keeper changed 2 lamps.", source)
    assert problem is not None and problem.unsupported_figures == ["2"]
    problem = check_bullet("The keeper kept 25 logs.", source)
    assert problem is not None and problem.unsupported_figures == ["25"]
    # said as written, a form the figure reader does not parse is still found
    assert check_bullet("The lamp burned for 250 hours.", source) is None
    assert check_bullet("The harbour used A4 charts.", "They printed A4 charts for the harbour.") is None


def test_invented_names_are_reported() -> None:
    problem = check_bullet("Hives in Utrecht and on Amsterdam's roofs lost six of 40 hives.", MITES)
    assert problem is not None
    assert problem.unsupported_names == ["Utrecht", "Amsterdam"]
    assert problem.unsupported_figures == []


def test_a_full_name_is_reported_as_one_name() -> None:
    problem = check_bullet("The guest, Jan de Vries, keeps 40 hives.", MITES)
    assert problem is not None and problem.unsupported_names == ["Jan de Vries"]


def test_names_may_come_from_the_metadata_and_possessives_are_allowed() -> None:
    source = "Today I am talking with Priya, who keeps 40 beehives across Rotterdam."
    assert check_bullet("Priya keeps 40 hives across Rotterdam.", source) is None
    assert check_bullet("Rotterdam's 40 hives belong to Priya.", source) is None
    bullet = "The Field Notes guest keeps 40 hives."
    assert check_bullet(bullet, source) is not None
    assert check_bullet(bullet, source, METADATA) is None


def test_capitalised_sentence_openers_are_not_names() -> None:
    source = "we lost six hives and we count mites every two weeks"
    bullet = "Beekeepers lost six hives. Counting mites happens every two weeks. Wind: strap hives."
    assert proper_names(bullet) == []
    assert check_bullet(bullet, source) is None


def test_a_name_at_a_sentence_start_is_checked_when_a_name_follows() -> None:
    assert proper_names("Priya Natarajan keeps 40 hives.") == ["Priya", "Natarajan"]
    problem = check_bullet("Priya Natarajan keeps 40 hives.", "Priya keeps 40 hives")
    assert problem is not None and problem.unsupported_names == ["Natarajan"]


def test_bold_names_are_checked_even_at_a_sentence_start() -> None:
    assert proper_names("**Varroa** mites are the biggest threat.") == ["Varroa"]
    # Whisper heard "varroa mite" as "So am I": the bullet is not supported by this transcript.
    problem = check_bullet("**Varroa** mites killed 6 of 40 hives.", MITES)
    assert problem is not None and problem.unsupported_names == ["Varroa"]


def test_months_acronyms_and_units_are_not_names() -> None:
    assert proper_names("Food lasts from March to October; the EU and AI; 22 KG jars.") == []


def test_link_targets_are_not_read() -> None:
    bullet = "Listen to [the episode](https://example.com/ep/2019/Amsterdam) for 40 hives."
    assert check_bullet(bullet, "we keep 40 hives") is None


def test_one_as_a_pronoun_and_first_are_not_checked() -> None:
    assert check_bullet("The one thing to do first: count mites.", MITES) is None


def test_problem_description() -> None:
    problem = BulletProblem(["25 kg"], ["Utrecht"])
    assert problem.describe() == ("figures not in the transcript: 25 kg; names not in the "
                                  "transcript or the episode details: Utrecht")
    assert str(problem) == problem.message == problem.describe()
    assert not BulletProblem()


# ---------------------------------------------------------------- verify_bullets

def bullet(text: str, ids: list[int] | None = None) -> Bullet:
    return Bullet(text, 27.0, 43.0, ids if ids is not None else [6])


def test_verify_keeps_supported_and_repairs_or_drops_the_rest() -> None:
    good = bullet("City hives produced about 22 kg of honey each.")
    fixable = bullet("Farmland hives averaged 18 kg.")
    hopeless = bullet("Hives in Utrecht produced 30 kg.")
    unrepairable = bullet("Honey prices rose 40%.")
    calls: list[tuple[str, str]] = []

    def repair(b: Bullet, problem: BulletProblem) -> Bullet | None:
        calls.append((b.text, problem.describe()))
        if b is fixable:
            return Bullet("Farmland hives averaged 15 kg.", 0.0, 0.0, [])
        if b is hopeless:
            return Bullet("Hives in Utrecht produced 22 kg.", b.start, b.end, b.segment_ids)
        return None

    kept, stats = verify_bullets([good, fixable, hopeless, unrepairable], HONEY, METADATA, repair)

    assert [b.text for b in kept] == ["City hives produced about 22 kg of honey each.",
                                      "Farmland hives averaged 15 kg."]
    # the repaired bullet keeps the grounding of the bullet it replaces
    assert (kept[1].start, kept[1].end, kept[1].segment_ids) == (27.0, 43.0, [6])
    assert [c[0] for c in calls] == [fixable.text, hopeless.text, unrepairable.text]
    assert calls[0][1] == "figures not in the transcript: 18 kg"
    assert stats["checked"] == 4
    assert stats["verified"] == 1
    assert stats["repaired"] == 1
    assert stats["dropped"] == 2
    assert stats["figures_checked"] == 4
    assert stats["figures_verified"] == 1
    assert stats["names_checked"] == 1 and stats["names_verified"] == 0
    assert stats["dropped_bullets"] == [hopeless.text, unrepairable.text]
    assert stats["repaired_bullets"] == [{"before": fixable.text,
                                          "after": "Farmland hives averaged 15 kg."}]
    assert [p["outcome"] for p in stats["problems"]] == ["repaired", "dropped", "dropped"]
    json.dumps(stats)  # goes into manifest.json


def test_verify_without_repair_drops_failing_bullets() -> None:
    kept, stats = verify_bullets([bullet("Hives made 99 kg.")], HONEY, [], None)
    assert kept == [] and stats["dropped"] == 1 and stats["repaired"] == 0


def test_a_failed_repair_call_drops_the_bullet() -> None:
    def repair(b: Bullet, problem: BulletProblem) -> Bullet | None:
        raise LLMReplyError("the LLM replied with something unusable")

    kept, stats = verify_bullets([bullet("Hives made 99 kg.")], HONEY, [], repair)
    assert kept == [] and stats["dropped"] == 1


def test_an_empty_repair_drops_the_bullet() -> None:
    kept, stats = verify_bullets([bullet("Hives made 99 kg.")], HONEY, [],
                                 lambda b, p: Bullet("  ", b.start, b.end, b.segment_ids))
    assert kept == [] and stats["dropped"] == 1


def test_merge_checks_adds_counts_and_lists() -> None:
    _, a = verify_bullets([bullet("Hives made 22 kg.")], HONEY, [], None)
    _, b = verify_bullets([bullet("Hives made 99 kg.")], HONEY, [], None)
    total = merge_checks(a, b)
    assert total["checked"] == 2 and total["verified"] == 1 and total["dropped"] == 1
    assert total["figures_checked"] == 2 and total["figures_verified"] == 1
    assert total["dropped_bullets"] == ["Hives made 99 kg."]


# ---------------------------------------------------------------- grounding and coverage

def test_bullet_source_uses_segment_ids_then_time() -> None:
    assert "20 to kilograms" in bullet_source(Bullet("x", 0, 0, [6]), TRANSCRIPT)
    by_time = bullet_source(Bullet("x", 75.0, 76.0, []), TRANSCRIPT)
    assert "11 euros" in by_time


def test_the_real_transcript_supports_the_sample_facts() -> None:
    source = TRANSCRIPT.text
    for text in [
        "Priya keeps 40 beehives on rooftops across Rotterdam.",
        "She started in 2015 with two hives on a library roof.",
        "City hives produced about 22 kg of honey each, farmland hives 15 kg.",
        "They lost 6 of their 40 hives last winter.",
        "Hives are never placed closer than two metres to the roof edge.",
        "A 500 g jar sells for €11; a new hive costs about €350.",
        "The beekeeping course takes eight evenings.",
    ]:
        assert check_bullet(text, source, ["city bees"]) is None, text


def chunks_of(transcript: Transcript, size: int) -> list[Chunk]:
    chunks = []
    segments = transcript.segments
    for index, start in enumerate(range(0, len(segments), size)):
        part = segments[start:start + size]
        chunks.append(Chunk(index, part[0].start, part[-1].end, [s.id for s in part],
                            " ".join(s.text.strip() for s in part), 0))
    return chunks


def test_coverage_counts_source_figures_in_the_notes() -> None:
    chunks = chunks_of(TRANSCRIPT, 9)
    notes = Notes(topics=[Topic("Bees in the city", [
        Bullet("Priya keeps 40 hives across Rotterdam, since 2015.", 0.0, 20.0, [0, 1, 3]),
        Bullet("City hives gave 22 kg of honey each, farmland 15 kg.", 27.0, 43.0, [6]),
    ])])
    report = coverage(notes, chunks)
    first, second, third = report["chunks"]
    assert [c["bullets"] for c in report["chunks"]] == [2, 0, 0]
    # chunk 0: 40, 2015, two (hives), six, five, "20 to kilograms" (22 kg), 15 kilograms
    assert (first["figures"], first["figures_in_notes"]) == (7, 4)
    assert first["missing_figures"] == ["two", "six", "five"]
    assert "rotterdam" not in first["missing_names"]
    # chunk 1 (mites, wind, money) never reaches these notes; chunk 2 names Rotterdam
    assert (second["figures_in_notes"], second["names_in_notes"]) == (0, 0)
    assert "11 euros" in second["missing_figures"]
    assert report["uncovered_chunks"] == [1]
    assert (report["figures"], report["figures_in_notes"]) == (14, 4)
    assert report["figure_coverage"] == round(4 / 14, 3)
    assert sum(c["word_share"] for c in report["chunks"]) == pytest.approx(1, abs=0.01)
    assert [c["bullet_share"] for c in report["chunks"]] == [1.0, 0.0, 0.0]
    json.dumps(report)


def test_coverage_of_notes_that_say_everything() -> None:
    chunks = chunks_of(TRANSCRIPT, 100)
    notes = Notes(topics=[Topic("All", [Bullet(TRANSCRIPT.text, 0.0, 117.0, [])])])
    report = coverage(notes, chunks)
    assert report["figure_coverage"] == 1.0 and report["name_coverage"] == 1.0
    assert report["uncovered_chunks"] == []


def test_time_marks_in_chunk_texts_are_not_figures_or_names() -> None:
    text = "[0:00:00] Hello, and welcome.\n[0:00:04] We keep 40 hives.\n[1:02:03.5] Thank you."
    chunk = Chunk(0, 0.0, 10.0, [0, 1, 2], text, 0)
    notes = Notes(topics=[Topic("t", [Bullet("We keep 40 hives.", 4.0, 8.0, [1])])])
    report = coverage(notes, [chunk])
    assert (report["figures"], report["names"]) == (1, 0)
    assert report["chunks"][0]["words"] == 9
    assert check_bullet("It started at 0:04 with 40 hives.", text) is not None


# ---------------------------------------------------------------- facts

def test_fact_scoring_normalises_numbers_case_and_punctuation() -> None:
    facts = [Fact("honey", ["22 kilograms ... 15 kilograms"]), Fact("jar", ["500 g ... €11"]),
             Fact("season", ["second season"]), Fact("course", ["8 evenings"]),
             Fact("missing", ["Amsterdam"])]
    post = ("---\ntitle: Amsterdam notes\n---\n\n## Honey\n\n"
            "- City hives: Twenty-two kg of honey, farmland **15 kg**.\n"
            "- A 500-gram jar sells for eleven euros; pays back in the 2nd season.\n\n"
            "The course takes eight evenings.\n")
    result = score_facts(post, facts)
    assert [f["found"] for f in result["facts"]] == [True, True, True, True, False]
    assert result["found"] == 4 and result["total"] == 5 and result["score"] == 0.8


def test_fact_parts_must_occur_in_the_same_bullet() -> None:
    facts = [Fact("lost", ["6 of ... 40"])]
    assert score_facts("- lost 6 of the 40 hives\n", facts)["found"] == 1
    assert score_facts("- lost 6 of them\n- we keep 40 hives\n", facts)["found"] == 0


def test_the_sample_facts_file_scores_the_reference_script() -> None:
    facts = load_facts(DATA / "city-bees.facts.json")
    assert 10 <= len(facts) <= 14
    reference = (Path(__file__).resolve().parent.parent / "samples" /
                 "city-bees.reference.txt").read_text(encoding="utf-8")
    assert score_facts(reference, facts)["score"] == 1.0
    assert score_facts("A podcast about bees.", facts)["score"] == 0.0


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not valid JSON"),
    ("{}", "non-empty JSON list"),
    ("[]", "non-empty JSON list"),
    ('[["ok"], 5]', "fact 2 must be a list of phrasings"),
    ('[{"id": "x", "any": []}]', "fact 1 must be a list"),
])
def test_bad_facts_files_are_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "facts.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_facts(path)
    with pytest.raises(InputError, match="does not exist"):
        load_facts(tmp_path / "nope.json")


def test_facts_accept_lists_objects_and_strings(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps([["a", "b"], {"id": "c", "any": ["d"]}, {"any": "e"}]),
                    encoding="utf-8")
    assert [(f.id, f.phrasings) for f in load_facts(path)] == [
        ("a", ["a", "b"]), ("c", ["d"]), ("fact 3", ["e"])]
