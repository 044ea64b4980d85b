"""recap.text.names: the one vocabulary of proper names and stop-words, on crafted sentences."""

from __future__ import annotations

import pytest

from recap.text.names import (
    FUNCTION_WORDS,
    LEANING_OPENER,
    MONTHS,
    NOT_NAMES,
    POINTING_OPENER,
    SENTENCE_OPENERS,
    STOPWORDS,
    WEEKDAYS,
    capitalised_runs,
    fold,
    group_names,
    is_generic_speaker,
    keyword_is_name,
    looks_like_name,
    name_spans,
    name_supported,
    name_vocabulary,
    proper_names,
)


def test_the_word_lists_share_one_core() -> None:
    assert FUNCTION_WORDS <= NOT_NAMES and FUNCTION_WORDS <= STOPWORDS
    assert MONTHS | WEEKDAYS <= NOT_NAMES
    assert {"January", "Monday", "I", "Let's", "Thanks"} <= SENTENCE_OPENERS
    assert all(word[:1].isupper() for word in SENTENCE_OPENERS)
    # Each list keeps what its use needs: titles are not names, filler carries no content.
    assert {"mr", "dr", "hello"} <= NOT_NAMES - STOPWORDS
    assert {"um", "yeah", "basically"} <= STOPWORDS - NOT_NAMES


def test_proper_names_skip_sentence_openers_and_take_names_after_them() -> None:
    text = ("Today we met Priya Natarajan in Zürich. Priya Natarajan keeps 40 hives. "
            "However, the NASA team and the AI people came in March.")
    assert proper_names(text) == ["Priya", "Natarajan", "Zürich", "Priya", "Natarajan", "NASA"]


def test_names_in_links_are_not_read_but_bold_ones_are() -> None:
    text = "**Berlin** has bees, see [the report](https://example.org/Hamburg) on www.Munich.de"
    assert proper_names(text) == ["Berlin"]


def test_possessives_units_and_number_words_are_not_names() -> None:
    assert proper_names("the hives of Tesla's founder weigh twenty Kilograms") == ["Tesla"]
    assert not looks_like_name("Yesterday") and not looks_like_name("TV")
    assert looks_like_name("iPhone") and looks_like_name("NASA")
    spans = name_spans("we asked Greta")
    assert [(s.word, s.start, s.end) for s in spans] == [("Greta", 9, 14)]


def test_a_name_is_supported_by_folded_plural_and_hyphenated_forms() -> None:
    vocabulary = name_vocabulary(["Zurich beekeepers met Anna Schmidt-Weber, Varroa mites"])
    assert fold("Zürich's") == "zurich"
    assert name_supported("Zürich", vocabulary)
    assert name_supported("Varroas", vocabulary) and name_supported("Mite", vocabulary)
    assert name_supported("Weber-Schmidt", vocabulary)
    assert not name_supported("Geneva", vocabulary)


def test_a_people_s_word_is_supported_by_its_country_s_name() -> None:
    vocabulary = name_vocabulary(["Most of it goes to Japan, Belgium and Canada."])
    for word in ("Japanese", "Belgian", "Canadian"):
        assert name_supported(word, vocabulary), word
    for word in ("French", "Danish", "Jap", "Belg"):  # not said, or no demonym's ending
        assert not name_supported(word, vocabulary), word


def test_adjacent_names_are_reported_as_one() -> None:
    text = "we met Jan de Vries and Ludwig van Beethoven's friend"
    assert group_names(text, name_spans(text)) == ["Jan de Vries", "Ludwig van Beethoven"]


@pytest.mark.parametrize(("speaker", "generic"), [
    ("Speaker 1", True), ("SPK_0", True), ("co-host", True), ("Audience", True),
    ("Priya Natarajan", False), ("Hostess Twinkie", False),
])
def test_generic_speaker_labels_are_not_names(speaker: str, generic: bool) -> None:
    assert is_generic_speaker(speaker) is generic


def test_keywords_read_as_names_by_their_capitals() -> None:
    body = "we tried varroa treatments and met people from Field Notes and Honey"
    assert keyword_is_name("OpenAI", body)
    assert keyword_is_name("Field Notes", body)
    assert keyword_is_name("Honey", body)  # capitalised mid-sentence
    assert not keyword_is_name("Varroa", body)  # capitalised only as a keyword
    assert not keyword_is_name("AI", body)  # too short
    assert not keyword_is_name("honey bees", body)


def test_capitalised_runs_drop_leading_openers() -> None:
    text = ("Thanks Priya Natarajan for coming. On Monday Morning the Jean-Luc Picard fan club "
            "and Dr. J. Smith met. After That There")
    assert capitalised_runs(text) == ["Priya Natarajan", "Jean-Luc Picard"]


@pytest.mark.parametrize(("sentence", "leans"), [
    ("They cross the fjord 12 times a day.", True),
    ("It took them four years to build.", True),  # "it" is the thing built
    ("It is heated slowly to 53 degrees.", True),
    ("Its hull is made of oak.", True),
    ("She bought the second boat.", True),
    ("It's March, and the quay is still frozen.", False),  # the time: no noun
    ("It was dark by four when the ferry came in.", False),
    ("It takes about 3 hours for the tide to turn.", False),  # the subject comes after
    ("It is said that the quay is 300 years old.", False),
    ("It seems the ferry will run all winter.", False),
    ("It's Maren's first time on the night crossing.", False),  # an occasion
])
def test_an_it_that_stands_for_no_noun_leans_on_nothing(sentence: str, leans: bool) -> None:
    """A bullet opening on a pronoun leans on the bullet before (it is shown under it, or counted
    as dangling); an "it" that stands for the time, the weather, a subject said later or an
    occasion does not."""
    assert bool(LEANING_OPENER.match(sentence)) is leans
    assert bool(POINTING_OPENER.match(sentence)) is (leans and not sentence.startswith("She"))
