"""The number normaliser: spoken and written figures read to the same value and unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recap.text.figures import canonical_words, extract_figures
from recap.text.quantity import Quantity, format_decimal


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


# Pinned before the parser was split into recap/text/ (issue 13): every branch of the reader.
PINNED = [
    # scale words and suffixes after digits
    ("5 bn", [["5000000000"]]), ("5 mn people", [["5000000"]]), ("5tn", [["5000000000000"]]),
    ("2mio", [["2000000"]]), ("1.5k", [["1500"]]), ("5B", [["5000000000"]]), ("5b", [["5"]]),
    ("1.5 K", [["1.5"]]), ("5 tn", [["5"]]), ("3 hundred", [["3"]]),
    # currency: before, after, named twice, with a scale, in a range
    ("$3.5 million dollars", [["3500000 USD"]]), ("$3.5 million euros", [["3500000 USD"]]),
    ("€5bn", [["5000000000 EUR"]]), ("£2m", [["2000000 pound"]]), ("$5b", [["5000000000 USD"]]),
    ("¥500", [["500 JPY"]]), ("500 yen", [["500 JPY"]]), ("10 quid", [["10 pound"]]),
    ("5 bucks", [["5 USD"]]), ("$20-$30", [["20 USD"], ["30 USD"]]), ("$90s", [["90 USD"]]),
    # units glued, spaced, after a hyphen, and letters that are no unit
    ("5kg", [["5 kg"]]), ("5-kg bag", [["5 kg"]]), ("a 5-foo thing", [["5"]]), ("2h", [["2 h"]]),
    ("2 h", [["2"]]), ("5t", [["5 t"]]), ("5 t", [["5"]]), ("5l", [["5 l"]]), ("5L", [["5 l"]]),
    ("5 L", [["5"]]), ("5x more", [["5 x"]]), ("5 x more", [["5"]]), ("5mi", [["5 mile"]]),
    ("12 ft", [["12 ft"]]), ("7 gb", [["7 GB"]]), ("100 gw", [["100 GW"]]), ("2 kWh", [["2 kWh"]]),
    ("30°", [["30 deg"]]), ("30 °", [["30 deg"]]), ("20°C", [["20 deg"]]), ("5×", [["5 x"]]),
    ("5 ×", [["5 x"]]), ("5 G", [["5"]]), ("50 km/h", [["50 km"]]), ("14 tugs", [["14"]]),
    ("14 t", [["14"]]), ("2 per cent", [["2%"]]), ("40pct", [["40%"]]), ("3sec", [["3 second"]]),
    ("10min", [["10 min"]]), ("3yrs", [["3 year"]]), ("30 seconds", [["30 second"]]),
    ("one hour", [["1 h"]]), ("half an hour", [["0.5 h"]]), ("one and a half hours", [["1.5 h"]]),
    # ranges
    ("10-20 kg", [["10 kg"], ["20 kg"]]), ("between ten and twenty", [["10"], ["20"]]),
    ("20 to 30", [["20"], ["30"]]), ("5 - 6", [["5"], ["6"]]), ("5 — 6", [["5"], ["6"]]),
    ("20 to the first", [["20"], ["1st"]]), ("20-COVID", [["20"]]), ("5 & 6", [["5"], ["6"]]),
    # spelled numbers
    ("twenty- five", [["20"], ["5"]]), ("twenty two three", [["22"], ["3"]]),
    ("five thousand million", [["5000"]]), ("a thousand thousand", [["1000"]]),
    ("point twenty five", [["0.25"]]), ("two point seventy five", [["2.75"]]),
    ("two and a half", [["2.5"]]), ("half a dozen", [["6"]]), ("a hundred and five", [["105"]]),
    ("one hundred and", [["100"]]), ("twenty one hundred", [["2100"]]),
    ("eleven hundred", [["1100"]]), ("nineteen hundred and five", [["1905"]]),
    ("five-fold", [["5 x"]]), ("a half", [["0.5", "50%"]]),
    # spoken years and decades
    ("nineteen tens", [["19"]]), ("nineteen twenties", [["1920s"]]),
    ("twenty twenty thousand", [["20"], ["20000"]]), ("twenty fifteen point", [["20"], ["15"]]),
    ("'90s", [["1990s"]]), ("’90s", [["1990s"]]), ("the 20s", [["2020s", "1920s"]]),
    ("2020s", [["2020s"]]),
    # ordinals
    ("two hundredth", [["2"], ["100th"]]), ("three thousandth", [["3"], ["1000th"]]),
    ("the 11th, 12th and 13th", [["11th"], ["12th"], ["13th"]]), ("102nd", [["102nd"]]),
    ("third place", [["3rd"]]), ("every second", []), ("a second", []), ("1 second", [["1"], ["2nd"]]),
    # identifiers and separators
    ("MP3s and H200x chips", []), ("covid-nineteen", [["19"]]), ("Year-3", []),
    ("twenty-3", [["20"], ["3"]]), ("5 1/2", [["5"], ["1"], ["2"]]),
]


@pytest.mark.parametrize(("text", "expected"), PINNED)
def test_pinned_readings(text: str, expected: list[list[str]]) -> None:
    assert readings(text) == expected


def test_pinned_heard_readings() -> None:
    assert readings("twenty too", heard=True) == [["20", "22"]]
    assert readings("20 too many", heard=True) == [["20", "22"]]
    assert readings("20 to the first", heard=True) == [["20", "22"], ["1st"]]
    assert readings("twenty oh five", heard=True) == [["2005", "20", "5"]]


def test_figure_helpers() -> None:
    from recap.text.quantity import find_match, ordinal
    from recap.text.vocabulary import is_number_word, is_unit_word

    (figure,) = extract_figures("a 500 g jar")
    assert (figure.value, figure.unit, figure.key, str(figure)) == (
        Decimal(500), "g", (Decimal(500), "g"), "500 g")
    assert find_match(figure, extract_figures("0.5 kg, 3 m")) is not None
    assert find_match(figure, extract_figures("500 m")) is None
    assert [ordinal(n) for n in ("1", "2", "3", "4", "11", "12", "13", "21", "111")] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "111th"]
    assert [is_number_word(w) for w in ("Twenty", "second", "million", "tens", "twice", "hives")] == [
        True, True, True, True, True, False]
    assert [is_unit_word(w) for w in ("kg", "Euros", "%", "hives")] == [True, True, True, False]
    assert canonical_words("The 2nd of the 1990s, 5x more at €11") == [
        "the", "2nd", "of", "the", "1990s", "5", "x", "more", "at", "11", "eur"]


# One unit table for the reader and write's figure marker (issue 13): the units write marked
# that the reader did not know, and abbreviations that are units spaced as well as glued.
@pytest.mark.parametrize(("text", "expected"), [
    ("5 volts", [["5 V"]]), ("100 watts", [["100 W"]]), ("100W", [["100 W"]]), ("12V", [["12 V"]]),
    ("100 W", [["100"]]), ("2 kW", [["2 kW"]]), ("5 MWh", [["5 MWh"]]), ("3 GHz", [["3 GHz"]]),
    ("5 Hz", [["5 Hz"]]), ("3 TB", [["3 TB"]]), ("60 mph", [["60 mph"]]), ("5 ounces", [["5 oz"]]),
    ("2 centuries", [["2 century"]]), ("5 ms", [["5 ms"]]), ("10 yuan", [["10 CNY"]]),
    ("10 min", [["10 min"]]), ("10 mins", [["10 min"]]), ("3 yrs", [["3 year"]]),
    ("40 pct", [["40%"]]), ("3 sec", [["3 second"]]), ("5 mi", [["5"]]),
])
def test_units_shared_with_the_figure_marker(text: str, expected: list[list[str]]) -> None:
    assert readings(text) == expected


def test_volts_and_kilograms_differ() -> None:
    assert not same("5 volts", "5 kg")
    assert same("100W", "100 watts")


def test_an_apostrophe_before_a_decimal_is_no_decade() -> None:
    # "'90s" is a decade; "'3.5s" and "'1,000s" used to raise ValueError (int("3.5")).
    assert readings("the '3.5s and '1,000s") == [["3.5"], ["1000s"]]


@pytest.mark.parametrize(("said", "written"), [
    ("The ferry takes about ninety minutes.", "The ferry takes about 90 minutes."),
    ("The roof cost four hundred and sixty thousand dollars.", "The roof cost 460,000 dollars."),
    ("The town has about seven million visitors.", "The town has about 7 million visitors."),
    ("Fares rose two point five percent.", "Fares rose 2.5 percent."),
    ("The mill opened in nineteen eighty-eight.", "The mill opened in 1988."),
    ("It closed in two thousand nine and reopened in twenty twelve.",
     "It closed in 2009 and reopened in 2012."),
    ("They sold three thousand six hundred bikes.", "They sold 3,600 bikes."),
    ("Repairs take six to fifteen days.", "Repairs take 6 to 15 days."),
    ("It was built in the eighteen nineties.", "It was built in the 1890s."),
    ("Only two kilos arrive.", "Only 2 kilos arrive."),
    # Small counts stay words, as do ordinals, "half" and amounts opened by an article.
    ("Three volunteers run it; one of them is paid.", "Three volunteers run it; one of them is paid."),
    ("The second bridge took half the budget and a dozen workers.",
     "The second bridge took half the budget and a dozen workers."),
    ("Already in digits: 1,200 seats and 40%.", "Already in digits: 1,200 seats and 40%."),
    ("A hundred kites flew.", "A hundred kites flew."),
    # An amount opened by an article that goes on is one figure, never its tail alone in digits
    # ("a thousand and 40 ships", a figure nobody said).
    ("They built a thousand and forty ships.", "They built 1,040 ships."),
    ("About a hundred and twelve kites flew.", "About 112 kites flew."),
    ("It raised a hundred and twenty thousand euros.", "It raised 120,000 euros."),
    # Whisper's comma after "point" inside a figure with its scale or unit; not "at one point".
    ("They sold about one point, four million bags.", "They sold about 1.4 million bags."),
    ("It weighs one point, two kilograms.", "It weighs 1.2 kilograms."),
    ("At one point, two of them left.", "At one point, two of them left."),
    ("That is one point, two people agree on.", "That is one point, two people agree on."),
    # A storyteller's "one day" or "one evening" is no count; two of them are.
    ("One day she left, and one evening in May she came back.",
     "One day she left, and one evening in May she came back."),
    ("The course takes eight evenings and two nights away.",
     "The course takes 8 evenings and 2 nights away."),
])
def test_figures_said_in_words_are_written_in_digits(said: str, written: str) -> None:
    from recap.text.digits import in_digits

    assert in_digits(said) == written
