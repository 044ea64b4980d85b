"""The number normaliser: spoken and written figures read to the same value and unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recap.numbers import Quantity, canonical_words, extract_figures, format_decimal


def readings(text: str, heard: bool = False) -> list[list[str]]:
    return [[str(q) for q in f.readings] for f in extract_figures(text, heard=heard)]


def first(text: str) -> str:
    figures = extract_figures(text)
    assert figures, f"no figure in {text!r}"
    return str(figures[0].readings[0])


def same(a: str, b: str) -> bool:
    fa, fb = extract_figures(a), extract_figures(b)
    assert len(fa) == 1 and len(fb) == 1, (fa, fb)
    return fa[0].matches(fb[0])


EQUAL = [
    # multipliers
    ("five times", "5x"), ("5x", "5 times"), ("twice", "2x"), ("a tenfold rise", "10-fold"),
    # large numbers, commas and suffixes
    ("three hundred and thirty thousand", "330,000"), ("330,000", "330k"),
    ("330 thousand", "330K"), ("1.2bn", "1.2 billion"), ("one point two billion", "1,200,000,000"),
    ("two and a half million", "2.5 million"), ("half a million", "500,000"),
    ("a dozen", "12"), ("two dozen", "24"), ("a hundred", "100"),
    ("two thousand and fifteen", "2015"), ("1,000,000", "a million"),
    # years said as pairs
    ("twenty thirty", "2030"), ("twenty fifteen", "2015"), ("nineteen eighty-four", "1984"),
    ("nineteen oh five", "1905"), ("twenty twenty-two", "2022"),
    # quantities
    ("twenty two kilograms", "22 kg"), ("22kg", "22 kilos"), ("two meters", "2 m"),
    ("2 metres", "2m"), ("five hundred grams", "0.5 kg"), ("500 g", "half a kilo"),
    ("every two weeks", "2 weeks"), ("a 5-year plan", "five years"),
    # percentages
    ("forty percent", "40%"), ("40%", "40 per cent"), ("forty per cent", "40 %"),
    ("a 40-percent drop", "40%"), ("a 5-dollar jar", "$5"),
    ("half", "50%"),
    # money
    ("eleven euros", "€11"), ("€11", "11 euros"), ("11€", "eleven euro"),
    ("$3.5 million", "3.5 million dollars"), ("$3.5m", "3,500,000 USD"),
    ("£5", "five pounds"), ("three hundred and fifty euros", "€350"),
    # decimals
    ("three point five", "3.5"), ("point five", "0.5"), ("two point seven five", "2.75"),
    # ordinals
    ("the second season", "2nd season"), ("twenty-first", "21st"),
    # decades
    ("the nineties", "1990s"), ("1990s", "'90s"), ("the 90s", "nineteen nineties"),
    ("the twenties", "2020s"), ("the twenties", "1920s"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_spoken_and_written_forms_compare_equal(a: str, b: str) -> None:
    assert same(a, b), (a, readings(a), b, readings(b))


DIFFERENT = [
    ("22 kg", "22 euros"), ("40%", "40 EUR"), ("2015", "2016"), ("330,000", "33,000"),
    ("3.5 million", "3.5 billion"), ("the nineties", "the eighties"), ("5x", "6 times"),
    ("twenty two", "twenty"), ("2 m", "2 km"), ("1990s", "2090s"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_figures_do_not_match(a: str, b: str) -> None:
    assert not same(a, b), (readings(a), readings(b))


def test_a_unit_on_one_side_only_still_matches() -> None:
    # "we have 40" in the transcript supports "40 hives" and a percentage said without its unit.
    assert same("40", "40%")
    assert same("22", "22 kg")


@pytest.mark.parametrize(("text", "expected"), [
    ("20-30", [["20"], ["30"]]),
    ("20~30", [["20"], ["30"]]),
    ("20–30 Starships", [["20"], ["30"]]),
    ("twenty to thirty", [["20"], ["30"]]),
    ("between 20 and 30 percent", [["20%"], ["30%"]]),
    ("20-30%", [["20%"], ["30%"]]),
    ("$20-30", [["20 USD"], ["30 USD"]]),
    ("2015-2020", [["2015"], ["2020"]]),
])
def test_ranges_give_both_ends_with_a_shared_unit(text: str, expected: list[list[str]]) -> None:
    assert readings(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("330,000, and more", "330000"),
    ("1,234.5 kg", "1234.5 kg"),
    ("in 2015.", "2015"),
    ("3.5 million", "3500000"),
    ("1.5bn", "1500000000"),
    ("330k", "330000"),
    ("$2M", "2000000 USD"),
    ("10 million", "10000000"),
    ("two million three hundred thousand", "2300000"),
    ("nineteen hundred", "1900"),
])
def test_large_numbers(text: str, expected: str) -> None:
    assert first(text) == expected


def test_a_bare_m_is_metres_or_million() -> None:
    (figure,) = extract_figures("2m from the edge")
    assert [str(q) for q in figure.readings] == ["2 m", "2000000"]
    assert figure.matches(extract_figures("two meters")[0])
    assert figure.matches(extract_figures("two million")[0])
    assert first("$2m") == "2000000 USD"


def test_identifiers_are_not_figures() -> None:
    assert extract_figures("COVID-19 cases, MP3 files and H200 chips") == []


def test_unknown_suffixes_keep_the_number() -> None:
    assert readings("a 5G network and 3D printing") == [["5"], ["3"]]


def test_clock_times_give_hours_and_minutes() -> None:
    assert readings("at 10:30") == [["10"], ["30"]]


def test_pronoun_one_first_and_bare_half_are_soft() -> None:
    soft = {f.text: f.soft for f in extract_figures(
        "the one thing: first, half the bees; Second, we keep one hive and 1 queen")}
    assert soft == {"one": True, "first": True, "half": True, "Second": True, "1": False}


def test_ordinals_that_make_claims_are_not_soft() -> None:
    (figure,) = extract_figures("it pays back in its second season")
    assert not figure.soft and str(figure.readings[0]) == "2nd"


def test_second_as_a_unit_of_time_is_not_an_ordinal() -> None:
    assert extract_figures("wait a second") == []
    assert readings("thirty seconds") == [["30 second"]]


def test_whisper_mishearing_of_twenty_two_is_read_both_ways_in_transcripts() -> None:
    assert readings("about 20 to kilograms of honey", heard=True) == [["20 kg", "22 kg"]]
    heard = extract_figures("about 20 to kilograms of honey", heard=True)[0]
    assert heard.matches(extract_figures("22 kg")[0])
    # not in a bullet: there "20 to" is a preposition
    assert readings("from 20 to the roof") == [["20"]]


def test_spoken_years_in_transcripts_also_support_their_halves() -> None:
    assert readings("in twenty fifteen", heard=True) == [["2015", "20", "15"]]
    assert readings("in twenty fifteen") == [["2015"]]


def test_not_a_spoken_year() -> None:
    assert readings("twenty two hives") == [["22"]]
    assert readings("ten thirty") == [["10"], ["30"]]


def test_quantity_display_and_format() -> None:
    assert str(Quantity(Decimal("40"), "%")) == "40%"
    assert str(Quantity(Decimal("1990"), "s")) == "1990s"
    assert str(Quantity(Decimal("22"), "kg")) == "22 kg"
    assert str(Quantity(Decimal("3"), "ordinal")) == "3rd"
    assert format_decimal(Decimal("3.50")) == "3.5"
    assert format_decimal(Decimal("3.5E+6")) == "3500000"


def test_canonical_words_compare_phrasings() -> None:
    assert canonical_words("Twenty-two kilograms of honey") == canonical_words("22 kg of honey")
    assert canonical_words("a 500 gram jar for eleven euros") == canonical_words(
        "a 500g jar for €11")
    assert canonical_words("Priya's hives") == ["priya", "hive"]
