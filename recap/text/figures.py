"""Figures in text: find numbers, percentages, money, years and quantities, spoken or written.

Transcripts and notes write the same figure in different ways ("twenty two kilograms",
"22 kg", "20 to kilograms" when Whisper mishears it). `extract_figures` reads each figure as one
or more `Quantity` readings (a Decimal value and a canonical unit), so that two texts can be
compared figure by figure (`recap.text.quantity.Figure.matches`).

The reading is split by concern: `tokens` cuts the text, `spoken` reads an amount (digits or
words), `units` the scale and unit after it, and this module the figure around them: currency
before, decades and ordinals, ranges ("20-30 kg"), and the likely mishearings of a transcript.
"""

from __future__ import annotations

import re
from decimal import Decimal

from recap.text.quantity import Figure, Quantity
from recap.text.spoken import Amount, read_amount
from recap.text.tokens import Cursor
from recap.text.units import scale_after_digits, unit_after
from recap.text.vocabulary import (
    CURRENCY_SYMBOLS,
    DECADES,
    MULTIPLIERS,
    ONES,
    ORDINAL_SUFFIXES,
    RANGE_SYMBOLS,
    TENS_VALUES,
    UNIT_ALIASES,
)

Found = tuple[list[Figure], int]  # the figures read and the token index after them


def extract_figures(text: str, heard: bool = False) -> list[Figure]:
    """Every figure in `text`, in order.

    Args:
        text: Plain or markdown text.
        heard: The text is a speech transcript: also read likely mishearings ("20 to kilograms"
            may be 22 kg) and the halves of a spoken year ("twenty fifteen" also supports 20 and
            15). Use it for the source side of a comparison only.
    """
    return _Reader(Cursor(text), heard).figures()


class _Reader:
    """Walks the tokens and reads a figure wherever an amount starts."""

    def __init__(self, cur: Cursor, heard: bool):
        self.cur = cur
        self.heard = heard

    def figures(self) -> list[Figure]:
        found: list[Figure] = []
        i = 0
        while i < len(self.cur.toks):
            parsed = self.figure_at(i)
            if parsed is None:
                i += 1
                continue
            figures, i = parsed
            found.extend(figures)
        return found

    def figure_at(self, i: int) -> Found | None:
        cur = self.cur
        tok = cur.toks[i]
        currency = ""
        first = i
        if tok.kind == "sym" and tok.text in CURRENCY_SYMBOLS and cur.starts_amount(i + 1):
            currency = UNIT_ALIASES[tok.text]
            i += 1
            tok = cur.toks[i]
        if tok.kind == "num" and cur.in_identifier(i):
            return [], cur.skip_identifier(i)
        worded = _word_figure(cur, first, i)
        if worded is not None:
            return worded
        amount = read_amount(cur, i)
        if amount is None:
            return None
        return self.finish(first, amount, currency)

    def finish(self, first: int, amount: Amount, currency: str) -> Found:
        """Read scale, unit and a range's second end after an amount."""
        cur = self.cur
        j = amount.end
        if amount.decade:
            return [_decade_figure(cur, first, j, int(amount.value))], j
        if amount.ordinal:
            return [_figure(cur, first, j, [Quantity(amount.value, "ordinal")],
                            soft=_soft_ordinal(cur, first, j, amount))], j
        if amount.half_alone:
            return [_figure(cur, first, j, [Quantity(Decimal("0.5")), Quantity(Decimal(50), "%")],
                            soft=True)], j
        readings = [amount.value]
        unit = currency
        alternatives: list[Quantity] = []
        if not amount.spelled and not amount.scaled:
            value, unit, million, j = scale_after_digits(cur, j, amount.value, currency)
            readings = [value]
            if million is not None:
                alternatives.append(Quantity(million))
            suffixed = _digit_suffix(cur, first, j, amount.value, currency)
            if suffixed is not None:
                return suffixed
        # Whisper writes "twenty two" as "20 to": read both.
        if (self.heard and amount.value in TENS_VALUES and cur.low(j) in ("to", "too")
                and not cur.starts_amount(j + 1)):
            readings.append(amount.value + 2)
            j += 1
        unit, j = unit_after(cur, j, unit)
        quantities = [Quantity(value, unit) for value in readings] + alternatives
        if amount.parts and self.heard:
            quantities += [Quantity(part) for part in amount.parts]
        # "one" is as often a pronoun as a count
        soft = amount.spelled and amount.value == 1 and not unit and not amount.scaled
        figure = _figure(cur, first, j, quantities, soft=soft)
        return self.range_end(figure, first, j, unit, currency)

    def range_end(self, figure: Figure, first: int, j: int, unit: str, currency: str) -> Found:
        """'20-30', '20~30', 'twenty to thirty': both ends are figures; a unit on one is on both."""
        cur = self.cur
        sep = cur.tok(j)
        if sep is None:
            return [figure], j
        between = cur.low(first - 1) == "between"
        is_range = (sep.kind == "sym" and sep.text in RANGE_SYMBOLS) or sep.low in ("to",) or (
            sep.low == "and" and between)
        if not is_range:
            return [figure], j
        k = j + 1
        second_currency = ""
        nxt = cur.tok(k)
        if nxt is not None and nxt.kind == "sym" and nxt.text in CURRENCY_SYMBOLS:
            second_currency = UNIT_ALIASES[nxt.text]
            k += 1
        if not cur.starts_amount(k) or (cur.tok(k) is not None and cur.toks[k].kind == "num"
                                        and cur.in_identifier(k)):
            return [figure], j
        amount = read_amount(cur, k)
        if amount is None or amount.ordinal or amount.decade or amount.half_alone:
            return [figure], j
        second, end = self.finish(k, amount, second_currency or currency)
        if not second:
            return [figure], j
        second_unit = second[0].unit
        if second_unit and not unit:
            figure = Figure(figure.text, figure.start, figure.end,
                            tuple(Quantity(q.value, second_unit) if not q.unit else q
                                  for q in figure.readings), figure.soft)
        return [figure, *second], end


def _word_figure(cur: Cursor, first: int, i: int) -> Found | None:
    """Figures said in one word or written as a decade: 'tenfold', 'twice', 'the nineties', ''90s'."""
    tok = cur.toks[i]
    if tok.kind == "word" and tok.low.endswith("fold") and tok.low[:-4] in ONES:
        value = Decimal(ONES[tok.low[:-4]])  # "tenfold"
        return [_figure(cur, first, i + 1, [Quantity(value, "x")])], i + 1
    if tok.kind == "word" and tok.low in MULTIPLIERS:
        return [_figure(cur, first, i + 1, [Quantity(Decimal(MULTIPLIERS[tok.low]), "x")])], i + 1
    if tok.kind == "word" and tok.low in DECADES and cur.low(i - 1) == "the":
        return [_decade_figure(cur, first, i + 1, DECADES[tok.low])], i + 1
    if (tok.kind == "sym" and tok.text in ("'", "’") and cur.tok(i + 1) is not None
            and cur.toks[i + 1].text.isdigit() and cur.toks[i + 1].glued
            and cur.low(i + 2) == "s" and cur.toks[i + 2].glued):
        return [_decade_figure(cur, first, i + 3, int(cur.toks[i + 1].text))], i + 3
    return None


def _digit_suffix(cur: Cursor, first: int, j: int, value: Decimal, currency: str) -> Found | None:
    """Letters glued to digits that make them a decade ('1990s', '90s') or an ordinal ('2nd')."""
    if cur.low(j) == "s" and cur.toks[j].glued and value % 10 == 0 and not currency:
        return [_decade_figure(cur, first, j + 1, int(value))], j + 1
    if cur.low(j) in ORDINAL_SUFFIXES and cur.toks[j].glued:
        return [_figure(cur, first, j + 1, [Quantity(value, "ordinal")])], j + 1
    return None


def _figure(cur: Cursor, first: int, end: int, readings: list[Quantity],
            soft: bool = False) -> Figure:
    """The figure over tokens `first` to `end` (exclusive), each distinct reading once."""
    start = cur.toks[first].start
    stop = cur.toks[end - 1].end
    unique: list[Quantity] = []
    for reading in readings:
        if reading not in unique:
            unique.append(reading)
    return Figure(cur.text[start:stop], start, stop, tuple(unique), soft)


def _decade_figure(cur: Cursor, first: int, end: int, value: int) -> Figure:
    """'1990s'; a two-digit decade is read in this century or the last ('20s': 2020s, 1920s)."""
    if value >= 100:
        readings = [Quantity(Decimal(value), "s")]
    elif value < 30:
        readings = [Quantity(Decimal(2000 + value), "s"), Quantity(Decimal(1900 + value), "s")]
    else:
        readings = [Quantity(Decimal(1900 + value), "s")]
    return _figure(cur, first, end, readings)


def _soft_ordinal(cur: Cursor, first: int, end: int, amount: Amount) -> bool:
    """'first' and discourse ordinals ('Second, ...') are not claims."""
    if not amount.spelled:
        return False
    if amount.value == 1:
        return True
    nxt = cur.tok(end)
    return cur.sentence_start(first) or nxt is None or nxt.kind == "punct"


def canonical_words(text: str) -> list[str]:
    """Words of `text` with every figure replaced by its canonical form ("22 kg", "11 eur").

    Case, punctuation and markdown are dropped, so that two phrasings of the same fact compare
    equal word for word.
    """
    words: list[str] = []
    position = 0
    for figure in extract_figures(text):
        words.extend(_plain_words(text[position:figure.start]))
        words.extend(figure.readings[0].tokens())
        position = figure.end
    words.extend(_plain_words(text[position:]))
    return words


_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _plain_words(text: str) -> list[str]:
    words = []
    for word in _WORD_RE.findall(text.lower()):
        word = re.sub(r"['’]s$", "", word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]  # crude plural: "hives" = "hive"
        words.append(word)
    return words
