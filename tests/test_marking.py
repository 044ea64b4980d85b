"""Figures in backticks: write's emphasis marks a figure when the unit table (the one the figure
reader uses) names its unit, with the reader's rules for letters that are units only glued."""

from __future__ import annotations

import pytest

from recap.text.figures import extract_figures
from recap.text.marking import mark_figures
from recap.write import emphasise


@pytest.mark.parametrize(("text", "expected"), [
    # units, currencies and percentages
    ("11 euros", "`11 euros`"), ("500 gram", "`500 gram`"), ("3 km", "`3 km`"), ("40%", "`40%`"),
    ("40 per cent", "`40 per cent`"), ("a 5 percentage points rise", "a `5 percentage points` rise"),
    ("10 quid", "`10 quid`"), ("5 bucks", "`5 bucks`"), ("22 kilos", "`22 kilos`"), ("11€", "`11€`"),
    ("12 ft", "`12 ft`"), ("60 mph", "`60 mph`"), ("50 km/h", "`50 km/h`"), ("20°C", "`20°C`"),
    ("5 volts", "`5 volts`"), ("3 GHz", "`3 GHz`"), ("3 TB", "`3 TB`"), ("2 kW", "`2 kW`"),
    ("5 min", "`5 min`"), ("3 yrs", "`3 yrs`"), ("30 seconds", "`30 seconds`"),
    # a word that only starts like a unit is no unit
    ("14 tugs", "14 tugs"), ("12 hives", "12 hives"), ("40 charts", "40 charts"),
    # single letters are units only glued to the digits
    ("5x cheaper", "`5x` cheaper"), ("5 x cheaper", "5 x cheaper"), ("2h", "`2h`"), ("2 h", "2 h"),
    ("5t", "`5t`"), ("14 t", "14 t"), ("5L", "`5L`"), ("100W", "`100W`"), ("100 W", "100 W"),
    ("12V", "`12V`"), ("a 5G network", "a 5G network"), ("5mi", "`5mi`"), ("5 mi", "5 mi"),
    # scales: words, glued suffixes, and a currency's own
    ("330k", "`330k`"), ("1.2bn", "`1.2bn`"), ("1.2 bn", "`1.2 bn`"), ("5M", "`5M`"),
    ("1.5 K", "1.5 K"), ("$3.5m", "`$3.5m`"), ("£2m", "`£2m`"), ("$5b", "`$5b`"),
    ("Mistral-7B", "Mistral-7B"), ("3.5 million dollars", "`3.5 million dollars`"),
    # a currency sign before digits belongs to them
    ("3 $10 bills", "3 `$10` bills"), ("4 × 3 min", "4 × `3 min`"), ("5× faster", "`5×` faster"),
    # ranges share the unit
    ("20~30 hours", "`20~30 hours`"), ("10-20 kg", "`10-20 kg`"), ("20 to 30%", "`20 to 30%`"),
])
def test_write_backticks_figures_with_the_one_unit_table(text: str, expected: str) -> None:
    assert emphasise(text, []) == expected


@pytest.mark.parametrize("text", ["11 euros", "500 gram", "3 km", "40%", "5 min", "100W", "50 km/h"])
def test_what_write_marks_the_reader_reads_with_a_unit(text: str) -> None:
    (figure,) = extract_figures(text)
    assert figure.unit


def test_mark_figures_escapes_only_the_text_between() -> None:
    assert mark_figures("<b> 22 kg & 2015", str.upper) == "<B> `22 kg` & `2015`"
