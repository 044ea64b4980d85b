"""Figures marked for a reader: the spans write puts in `backticks` ("`22 kg`", "`$1.5 billion`",
"`20~30 hours`", "`2026`"), found with the unit table the figure reader uses.

A figure is marked when it carries a unit, a currency or a scale, or when it is a year or a
large number on its own; a small bare number ("40 charts") is left as prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from recap.text.vocabulary import (
    CAPITAL_LETTER_UNITS,
    CURRENCY_SYMBOLS,
    GLUED_ONLY,
    RANGE_SYMBOLS,
    SCALE_SUFFIXES,
    SCALES,
    UNIT_ALIASES,
)

# Symbols that belong to the number after them when one follows ("3 $10 bills", "5 × 3").
_LEADING_SYMBOLS = {*CURRENCY_SYMBOLS, "×"}


def _alternatives(words: list[str]) -> str:
    """A regex alternation of `words`, longest first, each ending where a word would end."""
    patterns = []
    for word in sorted(words, key=lambda w: (-len(w), w)):
        if len(word) == 1 and word.isalpha():
            capital = word.upper() in CAPITAL_LETTER_UNITS
            pattern = f"[{word}{word.upper()}]" if capital else word
        else:
            pattern = re.escape(word).replace(r"\ ", r"\s?")
            if any(c.isalpha() for c in word):
                pattern = f"(?i:{pattern})"
        if word[-1].isalnum():
            pattern += r"(?!\w)"
        elif word in _LEADING_SYMBOLS:
            pattern += r"(?!\s?\d)"
        patterns.append(pattern)
    return "(?:" + "|".join(patterns) + ")"


def _symbols(symbols: set[str]) -> str:
    return "[" + "".join(re.escape(s) for s in sorted(symbols)) + "]"


_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCALE = rf"(?:{'|'.join(['hundred', *SCALES])})(?:th|s)?\b"
# A unit after the digits: most may follow a space, a few only glued ("5x", "2h", "12V").
_UNIT = (rf"(?:\s?{_alternatives([a for a in UNIT_ALIASES if a not in GLUED_ONLY])}"
         rf"|{_alternatives(sorted(GLUED_ONLY))})")
# Scale suffixes glued to the digits ("330k", "1.2bn", "5M"), or spaced ("1.2 bn"). A "b" is a
# billion only after a currency: "7B" is as often a name's part ("Mistral-7B").
_SUFFIX = rf"(?:(?i:{'|'.join(sorted(set(SCALE_SUFFIXES) - {'b'}))})|M|\s(?i:bn|mn))(?!\w)"
_CURRENCY_SUFFIX = rf"(?:(?i:{'|'.join(sorted(SCALE_SUFFIXES))}|m)|\s(?i:bn|mn))(?!\w)"
_CURRENCY = _symbols(CURRENCY_SYMBOLS)
_RANGE = rf"(?:\s?{_symbols(RANGE_SYMBOLS)}\s?|\s?to\s)"

_FIGURE = re.compile(
    rf"(?<![\w.,{''.join(sorted(CURRENCY_SYMBOLS))}])(?:"
    rf"{_CURRENCY}\s?{_NUM}(?:\s?{_SCALE}|{_CURRENCY_SUFFIX})?"
    rf"|{_NUM}{_RANGE}{_NUM}(?:\s?{_SCALE})?(?:{_UNIT}|{_SUFFIX})"
    rf"|{_NUM}(?:\s?{_SCALE})?(?:{_UNIT}|{_SUFFIX})"
    rf"|{_NUM}\s{_SCALE}"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w|,\d)"
    r"|\d{5,}(?!\w|,\d)"
    r"|(?:1[5-9]\d\d|20\d\d)s?(?!\w|,\d)"
    r")"
)


def mark_figures(text: str, escape: Callable[[str], str]) -> str:
    """`text` with each figure in backticks, and the text between figures passed to `escape`."""
    pieces: list[str] = []
    pos = 0
    for match in _FIGURE.finditer(text):
        pieces.append(escape(text[pos : match.start()]))
        pieces.append("`" + match.group(0) + "`")
        pos = match.end()
    pieces.append(escape(text[pos:]))
    return "".join(pieces)
