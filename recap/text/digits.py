"""Figures said in words written in digits, as a post writes them: "fifty-three degrees" ->
"53 degrees", "three hundred and twenty thousand euros" -> "320,000 euros", "nine million" ->
"9 million", "twenty fifteen" -> "2015".

Whisper writes many spoken figures as words and a small model copies them into its notes, where
a reader looks for digits (and `write` marks only digits as figures). Small counts stay words as
in edited prose ("three people"), unless a unit follows ("3 percent", "2 kilos"; but "one day"
and "one evening" are the storyteller's) or they are one end of a range whose other end is
written in digits ("eight to 12" -> "8 to 12"). Ordinals, a bare "half" and amounts opened by an
article ("a dozen", "a hundred") are left as said, unless the amount goes on ("a hundred and
twelve" -> "112"). English number words only.
"""

from __future__ import annotations

from dataclasses import dataclass

from recap.text.quantity import format_decimal
from recap.text.spoken import Amount, read_amount
from recap.text.tokens import Cursor
from recap.text.vocabulary import SCALES, UNIT_ALIASES

_RANGE_WORDS = frozenset({"to", "or", "and", "-", "–"})
_YEAR_BEFORE = frozenset({"in", "since", "by", "until", "till", "from", "of", "before", "after",
                          "around", "year", "summer", "winter", "spring", "autumn", "fall"})
# "One day she left", "one evening in May": a single day or part of one, said as a word, is the
# storyteller's "one", not a count.
_ONE_OF_A_DAY = frozenset({"day", "morning", "evening", "night"})
_BIG_SCALES = {name: value for name, value in SCALES.items() if value >= 10**6}


@dataclass
class _Spoken:
    first: int
    """Index of the amount's first token."""
    amount: Amount
    digits: str
    wanted: bool


def in_digits(text: str) -> str:
    """`text` with its spelled-out figures written in digits; everything else as it was."""
    cur = Cursor(text)
    found: list[_Spoken] = []
    i = 0
    while i < len(cur.toks):
        led = _article_led(cur, text, i)
        if led is not None:
            found.append(led)
            i = led.amount.end
            continue
        if cur.number_word(i):
            amount = read_amount(cur, i)
            if amount is not None and amount.end > i and not (amount.ordinal or amount.half_alone):
                found.append(_Spoken(i, amount, _written(cur, i, amount),
                                     _wanted(cur, amount)))
                i = amount.end
                continue
        i += 1
    _join_ranges(cur, found)
    out, last = [], 0
    for spoken in found:
        if not spoken.wanted:
            continue
        start, end = cur.toks[spoken.first].start, cur.toks[spoken.amount.end - 1].end
        out += [text[last:start], spoken.digits]
        last = end
    out.append(text[last:])
    return "".join(out)


def _article_led(cur: Cursor, text: str, i: int) -> _Spoken | None:
    """An amount opened by an article that goes on past its scale word ("a hundred and twelve",
    "a thousand five hundred") read whole, the article as "one": left in words, its tail alone
    was written in digits ("a hundred and 12", "a hundred and 20,000 euros"), a figure nobody
    said. "a hundred" alone stays as said (None)."""
    if cur.low(i) not in ("a", "an") or not (cur.low(i + 1) in SCALES
                                             or cur.low(i + 1) == "hundred"):
        return None
    tok = cur.toks[i]
    said = Cursor(text[:tok.start] + "one" + text[tok.end:])  # the same tokens, "a" as "one"
    amount = read_amount(said, i)
    if amount is None or amount.end <= i + 2 or amount.ordinal:
        return None
    return _Spoken(i, amount, _written(said, i, amount), True)


def _wanted(cur: Cursor, amount: Amount) -> bool:
    """A figure worth digits: 10 or more, a fraction, a year, or a count with its unit."""
    if amount.value >= 10 or amount.value != amount.value.to_integral_value() or amount.parts:
        return True
    after = cur.low(amount.end)
    if amount.value == 1 and after in _ONE_OF_A_DAY:
        return False
    return after in UNIT_ALIASES or after == "%" or (
        f"{after} {cur.low(amount.end + 1)}" in UNIT_ALIASES)


def _join_ranges(cur: Cursor, found: list[_Spoken]) -> None:
    """'eight to twelve months': both ends in digits when one of them is."""
    for left, right in zip(found, found[1:], strict=False):
        if right.first == left.amount.end + 1 and cur.low(left.amount.end) in _RANGE_WORDS:
            if left.wanted or right.wanted:
                left.wanted = right.wanted = True


def _written(cur: Cursor, first: int, amount: Amount) -> str:
    value = amount.value
    if amount.decade:
        return f"{int(value)}s"
    if amount.parts:  # a spoken year: "twenty fifteen"
        return str(int(value))
    if value != value.to_integral_value():
        return format_decimal(value)
    number = int(value)
    last_word = cur.low(amount.end - 1)
    if last_word in _BIG_SCALES and number >= _BIG_SCALES[last_word]:
        return f"{format_decimal(value / _BIG_SCALES[last_word])} {last_word}"  # "9 million"
    if 1900 <= number < 2100 and cur.low(first - 1) in _YEAR_BEFORE:
        return str(number)  # "in two thousand nineteen"
    return f"{number:,}"

