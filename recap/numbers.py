"""Figures in text: find numbers, percentages, money, years and quantities, spoken or written.

Transcripts and notes write the same figure in different ways ("twenty two kilograms",
"22 kg", "20 to kilograms" when Whisper mishears it). `extract_figures` reads each figure as one
or more `Quantity` readings (a Decimal value and a canonical unit), so that two texts can be
compared figure by figure: `Figure.matches` is true when any reading of one equals any reading
of the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ---------------------------------------------------------------- vocabulary

_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_DECADE_WORDS = {
    "tens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
    "seventies": 70, "eighties": 80, "nineties": 90,
}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
    "thousandth": 1000, "millionth": 10**6, "billionth": 10**9,
}
_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
# Glued to digits: "330k", "1.2bn". A bare "m" is handled apart (million or metres).
_SCALE_SUFFIXES = {"k": 10**3, "mn": 10**6, "mio": 10**6, "bn": 10**9, "b": 10**9, "tn": 10**12}
_MULTIPLIER_WORDS = {"twice": 2, "thrice": 3}

# alias -> canonical unit. Words are matched lowercased.
_UNIT_ALIASES: dict[str, str] = {}


def _aliases(canonical: str, *names: str) -> None:
    for name in names:
        _UNIT_ALIASES[name] = canonical


_aliases("%", "%", "percent", "pct", "percentage")
_aliases("EUR", "€", "eur", "euro", "euros")
_aliases("USD", "$", "usd", "dollar", "dollars", "bucks")
# "pounds" is money or weight; one unit for both keeps "£5" = "five pounds" = "5 lb".
_aliases("pound", "£", "gbp", "pound", "pounds", "quid", "lb", "lbs")
_aliases("JPY", "¥", "yen", "jpy")
_aliases("cent", "cent", "cents")
_aliases("kg", "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme",
         "kilogrammes")
_aliases("g", "g", "gram", "grams", "gramme", "grammes")
_aliases("mg", "mg", "milligram", "milligrams")
_aliases("t", "t", "tonne", "tonnes", "ton", "tons")
_aliases("m", "m", "meter", "meters", "metre", "metres")
_aliases("km", "km", "kilometer", "kilometers", "kilometre", "kilometres")
_aliases("cm", "cm", "centimeter", "centimeters", "centimetre", "centimetres")
_aliases("mm", "mm", "millimeter", "millimeters", "millimetre", "millimetres")
_aliases("mile", "mile", "miles", "mi")
_aliases("ft", "ft", "foot", "feet")
_aliases("inch", "inch", "inches")
_aliases("l", "l", "litre", "litres", "liter", "liters")
_aliases("ml", "ml", "millilitre", "millilitres", "milliliter", "milliliters")
_aliases("second", "seconds", "sec", "secs")
_aliases("min", "min", "mins", "minute", "minutes")
_aliases("h", "h", "hr", "hrs", "hour", "hours")
_aliases("day", "day", "days")
_aliases("week", "week", "weeks")
_aliases("month", "month", "months")
_aliases("year", "year", "years", "yr", "yrs")
_aliases("decades", "decade", "decades")
_aliases("x", "x", "×", "times", "fold")
_aliases("deg", "°", "degree", "degrees")
_aliases("GB", "gb", "gigabyte", "gigabytes")
_aliases("GW", "gw", "gigawatt", "gigawatts")
_aliases("MW", "mw", "megawatt", "megawatts")
_aliases("kWh", "kwh")

# Aliases that are only a unit when glued to the digits ("5x", "2h"), never as a separate word.
_GLUED_ONLY = {"x", "t", "h", "mi", "l", "sec", "secs", "min", "mins", "yr", "yrs", "pct"}
_CURRENCY_SYMBOLS = {"$", "€", "£", "¥"}
# Metric units compared in a base unit, so that "500 g" = "0.5 kg".
_BASE_UNITS = {
    "kg": ("g", Decimal(1000)), "mg": ("g", Decimal("0.001")), "t": ("g", Decimal(10**6)),
    "km": ("m", Decimal(1000)), "cm": ("m", Decimal("0.01")), "mm": ("m", Decimal("0.001")),
    "ml": ("l", Decimal("0.001")),
}
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}
_SENTENCE_END = {".", "!", "?", ":", ";", "•", "*", "#", "…"}
_RANGE_SYMBOLS = {"-", "–", "—", "~"}


# ---------------------------------------------------------------- values

@dataclass(frozen=True)
class Quantity:
    """One reading of a figure: a value and a canonical unit ("" for a bare number).

    Units: "%", currencies ("EUR", "USD", "pound", "JPY", "cent"), measures ("kg", "m", "h",
    ...), "x" (times), "s" (a decade: 1990 + "s" is the 1990s) and "ordinal" ("2nd").
    """

    value: Decimal
    unit: str = ""

    def base(self) -> tuple[Decimal, str]:
        """The value in the unit it is compared in (grams, metres, litres)."""
        if self.unit in _BASE_UNITS:
            unit, factor = _BASE_UNITS[self.unit]
            return self.value * factor, unit
        return self.value, self.unit

    def matches(self, other: Quantity) -> bool:
        """Same value; the units must agree when both name one."""
        if not self.unit or not other.unit:
            return self.value == other.value
        return self.base() == other.base()

    def tokens(self) -> list[str]:
        """Canonical words for this reading ("22", "kg"), for comparing phrases."""
        number = format_decimal(self.value)
        if self.unit == "ordinal":
            return [ordinal(number)]
        if self.unit == "s":
            return [f"{number}s"]
        return [number, self.unit.lower()] if self.unit else [number]

    def __str__(self) -> str:
        number = format_decimal(self.value)
        if self.unit in ("%", "s"):
            return f"{number}{self.unit}"
        if self.unit == "ordinal":
            return ordinal(number)
        return f"{number} {self.unit}" if self.unit else number


def format_decimal(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 330000, 3.5."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def ordinal(number: str) -> str:
    """'2' -> '2nd', '11' -> '11th'."""
    if number.endswith(("11", "12", "13")):
        return f"{number}th"
    return number + {"1": "st", "2": "nd", "3": "rd"}.get(number[-1:], "th")


@dataclass(frozen=True)
class Figure:
    """A figure found in text, with its possible readings (the likeliest first).

    `soft` marks words that are figures only sometimes ("one" as a pronoun, "first", a bare
    "half"): the faithfulness check does not require them in the source, but they still support
    other figures.
    """

    text: str
    start: int
    end: int
    readings: tuple[Quantity, ...]
    soft: bool = False

    @property
    def value(self) -> Decimal:
        return self.readings[0].value

    @property
    def unit(self) -> str:
        return self.readings[0].unit

    @property
    def key(self) -> tuple[Decimal, str]:
        """Identity of the likeliest reading, for counting distinct figures."""
        return self.readings[0].base()

    def matches(self, other: Figure) -> bool:
        """True when some reading of this figure equals some reading of `other`."""
        return any(a.matches(b) for a in self.readings for b in other.readings)

    def __str__(self) -> str:
        return self.text


def find_match(figure: Figure, pool: Iterable[Figure]) -> Figure | None:
    """The first figure in `pool` that matches `figure`, if any."""
    return next((other for other in pool if figure.matches(other)), None)


# ---------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d)|\d+(?:\.\d+)?)
  | (?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)
  | (?P<sym>[%$€£¥×~–—°\-/:'’&])
  | (?P<punct>\S)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | word | sym | punct
    text: str
    start: int
    end: int
    glued: bool  # no space between this token and the one before

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    previous_end = -1
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "punct"
        tokens.append(_Tok(kind, match.group(), match.start(), match.end(),
                           match.start() == previous_end))
        previous_end = match.end()
    return tokens


# ---------------------------------------------------------------- parser

@dataclass
class _Amount:
    value: Decimal
    end: int  # index after the last token used
    spelled: bool
    ordinal: bool = False
    decade: bool = False
    half_alone: bool = False
    parts: tuple[Decimal, ...] = ()  # a spoken year's halves ("twenty", "fifteen")
    scaled: bool = False


class _Parser:
    def __init__(self, text: str, heard: bool):
        self.text = text
        self.heard = heard
        self.toks = _tokenize(text)

    # token helpers
    def tok(self, i: int) -> _Tok | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def low(self, i: int) -> str:
        tok = self.tok(i)
        return tok.low if tok is not None else ""

    def is_word(self, i: int, *words: str) -> bool:
        tok = self.tok(i)
        return tok is not None and tok.kind == "word" and (not words or tok.low in words)

    def number_word(self, i: int) -> bool:
        low = self.low(i)
        return self.is_word(i) and (low in _UNITS_WORDS or low in _TENS_WORDS)

    def starts_amount(self, i: int) -> bool:
        tok = self.tok(i)
        if tok is None:
            return False
        if tok.kind == "num":
            return True
        return self.number_word(i) or (tok.low in ("a", "an", "half")
                                       and self.low(i + 1) in (*_SCALE_WORDS, "hundred", "dozen"))

    def sentence_start(self, i: int) -> bool:
        previous = self.tok(i - 1)
        return previous is None or previous.text in _SENTENCE_END or (
            previous.text in ("-", "–") and i == 1)

    # figures
    def figures(self) -> list[Figure]:
        found: list[Figure] = []
        i = 0
        while i < len(self.toks):
            parsed = self.figure_at(i)
            if parsed is None:
                i += 1
                continue
            figures, i = parsed
            found.extend(figures)
        return found

    def figure_at(self, i: int) -> tuple[list[Figure], int] | None:
        tok = self.toks[i]
        currency = ""
        first = i
        if tok.kind == "sym" and tok.text in _CURRENCY_SYMBOLS and self.starts_amount(i + 1):
            currency = _UNIT_ALIASES[tok.text]
            i += 1
            tok = self.toks[i]
        if tok.kind == "num" and self.in_identifier(i):
            return [], self.skip_identifier(i)
        if tok.kind == "word" and tok.low.endswith("fold") and tok.low[:-4] in _UNITS_WORDS:
            value = Decimal(_UNITS_WORDS[tok.low[:-4]])  # "tenfold"
            return [self.figure(first, i + 1, [Quantity(value, "x")])], i + 1
        if tok.kind == "word" and tok.low in _MULTIPLIER_WORDS:
            return [self.figure(first, i + 1, [Quantity(Decimal(_MULTIPLIER_WORDS[tok.low]), "x")])
                    ], i + 1
        if tok.kind == "word" and tok.low in _DECADE_WORDS and self.low(i - 1) == "the":
            return [self.decade_figure(first, i + 1, _DECADE_WORDS[tok.low])], i + 1
        if (tok.kind == "sym" and tok.text in ("'", "’") and self.tok(i + 1) is not None
                and self.toks[i + 1].kind == "num" and self.toks[i + 1].glued
                and self.low(i + 2) == "s" and self.toks[i + 2].glued):
            return [self.decade_figure(first, i + 3, int(self.toks[i + 1].text))], i + 3
        amount = self.amount(i)
        if amount is None:
            return None
        return self.finish(first, amount, currency)

    def finish(self, first: int, amount: _Amount, currency: str) -> tuple[list[Figure], int]:
        """Read scale, unit and a range's second end after an amount."""
        j = amount.end
        readings = [amount.value]
        unit = currency
        soft = False
        alternatives: list[Quantity] = []
        if amount.decade:
            return [self.decade_figure(first, j, int(amount.value))], j
        if amount.ordinal:
            return [self.figure(first, j, [Quantity(amount.value, "ordinal")],
                                soft=self.soft_ordinal(first, j, amount))], j
        if amount.half_alone:
            return [self.figure(first, j, [Quantity(Decimal("0.5")), Quantity(Decimal(50), "%")],
                                soft=True)], j
        # scale after digits: "3.5 million", "330k", "$2m"
        if not amount.spelled and not amount.scaled:
            nxt = self.tok(j)
            if nxt is not None and nxt.kind == "word":
                low = nxt.low
                if nxt.glued and low in _SCALE_SUFFIXES and not (low == "b" and not currency
                                                                 and nxt.text == "b"):
                    readings = [amount.value * _SCALE_SUFFIXES[low]]
                    j += 1
                elif nxt.glued and low == "m":
                    if currency or nxt.text == "M":
                        readings = [amount.value * 10**6]
                    else:
                        unit = "m"
                        alternatives.append(Quantity(amount.value * 10**6))
                    j += 1
                elif low in _SCALE_WORDS:
                    readings = [amount.value * _SCALE_WORDS[low]]
                    j += 1
                elif low in ("bn", "mn"):
                    readings = [amount.value * _SCALE_SUFFIXES[low]]
                    j += 1
            # "1990s", "90s"
            if (self.low(j) == "s" and self.toks[j].glued and amount.value % 10 == 0
                    and not currency):
                return [self.decade_figure(first, j + 1, int(amount.value))], j + 1
            if self.low(j) in _ORDINAL_SUFFIXES and self.toks[j].glued:
                return [self.figure(first, j + 1, [Quantity(amount.value, "ordinal")])], j + 1
        # Whisper writes "twenty two" as "20 to": read both.
        if (self.heard and amount.value in _TENS_VALUES and self.low(j) in ("to", "too")
                and not self.starts_amount(j + 1)):
            readings.append(amount.value + 2)
            j += 1
        if not unit or unit == "m":
            found_unit, j2 = self.unit_at(j)
            if found_unit:
                unit, j = found_unit, j2
        elif unit:  # "$3.5 million dollars" names the currency twice
            found_unit, j2 = self.unit_at(j)
            if found_unit == unit:
                j = j2
        quantities = [Quantity(value, unit) for value in readings] + alternatives
        if amount.parts and self.heard:
            quantities += [Quantity(part) for part in amount.parts]
        if amount.spelled and amount.value == 1 and not unit and not amount.scaled:
            soft = True  # "one" is as often a pronoun as a count
        figure = self.figure(first, j, quantities, soft=soft)
        return self.range_end(figure, j, unit, currency)

    def range_end(self, figure: Figure, j: int, unit: str,
                  currency: str) -> tuple[list[Figure], int]:
        """'20-30', '20~30', 'twenty to thirty': both ends are figures; a unit on one is on both."""
        sep = self.tok(j)
        if sep is None:
            return [figure], j
        between = self.low(self.index_of(figure) - 1) == "between"
        is_range = (sep.kind == "sym" and sep.text in _RANGE_SYMBOLS) or sep.low in ("to",) or (
            sep.low == "and" and between)
        if not is_range:
            return [figure], j
        k = j + 1
        second_currency = ""
        nxt = self.tok(k)
        if nxt is not None and nxt.kind == "sym" and nxt.text in _CURRENCY_SYMBOLS:
            second_currency = _UNIT_ALIASES[nxt.text]
            k += 1
        if not self.starts_amount(k) or (self.tok(k) is not None and self.toks[k].kind == "num"
                                         and self.in_identifier(k)):
            return [figure], j
        amount = self.amount(k)
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

    def index_of(self, figure: Figure) -> int:
        for index, tok in enumerate(self.toks):
            if tok.start == figure.start:
                return index
        return 0

    def unit_at(self, j: int) -> tuple[str, int]:
        """A unit right after an amount: '%', 'per cent', 'kg', '-kilogram', 'euros', '€'."""
        tok = self.tok(j)
        if tok is None:
            return "", j
        if tok.kind == "sym" and tok.text in ("-", "–") and tok.glued:
            nxt = self.tok(j + 1)
            if nxt is not None and nxt.kind == "word" and nxt.glued:
                unit, end = self.unit_at(j + 1)
                if unit:
                    return unit, end
            return "", j
        if tok.kind == "sym" and tok.text in ("%", "×", "°", *_CURRENCY_SYMBOLS):
            return _UNIT_ALIASES[tok.text], j + 1
        if tok.kind != "word":
            return "", j
        low = tok.low
        if low == "per" and self.low(j + 1) == "cent":
            return "%", j + 2
        if len(low) == 1 and tok.text.isupper() and tok.text != "L":
            return "", j + 1 if tok.glued else j  # "5G", "4K": not grams or kelvin
        if low in _UNIT_ALIASES:
            if low in _GLUED_ONLY and not tok.glued:
                return "", j
            if low == "second" and not tok.glued:
                return "", j
            return _UNIT_ALIASES[low], j + 1
        if tok.glued:
            # "5G", "4K": an unknown suffix; the number is still a figure, the suffix its text.
            return "", j + 1
        return "", j

    def figure(self, first: int, end: int, readings: list[Quantity],
               soft: bool = False) -> Figure:
        start = self.toks[first].start
        stop = self.toks[end - 1].end
        unique: list[Quantity] = []
        for reading in readings:
            if reading not in unique:
                unique.append(reading)
        return Figure(self.text[start:stop], start, stop, tuple(unique), soft)

    def decade_figure(self, first: int, end: int, value: int) -> Figure:
        if value >= 100:
            readings = [Quantity(Decimal(value), "s")]
        elif value < 30:
            readings = [Quantity(Decimal(2000 + value), "s"), Quantity(Decimal(1900 + value), "s")]
        else:
            readings = [Quantity(Decimal(1900 + value), "s")]
        return self.figure(first, end, readings)

    def soft_ordinal(self, first: int, end: int, amount: _Amount) -> bool:
        """'first' and discourse ordinals ('Second, ...') are not claims."""
        if not amount.spelled:
            return False
        if amount.value == 1:
            return True
        nxt = self.tok(end)
        return self.sentence_start(first) or nxt is None or nxt.kind == "punct"

    def in_identifier(self, i: int) -> bool:
        """Digits glued to letters before them: 'MP3', 'COVID-19', 'H200'."""
        tok = self.toks[i]
        if not tok.glued:
            return False
        previous = self.tok(i - 1)
        if previous is None:
            return False
        if previous.kind == "word":
            return True
        before = self.tok(i - 2)
        return (previous.text == "-" and before is not None and before.kind == "word"
                and previous.glued and before.low not in _UNITS_WORDS
                and before.low not in _TENS_WORDS)

    def skip_identifier(self, i: int) -> int:
        i += 1
        while i < len(self.toks) and self.toks[i].glued and self.toks[i].kind in ("num", "word"):
            i += 1
        return i

    # amounts
    def amount(self, i: int) -> _Amount | None:
        tok = self.toks[i]
        if tok.kind == "num":
            try:
                value = Decimal(tok.text.replace(",", ""))
            except InvalidOperation:
                return None
            return _Amount(value, i + 1, spelled=False)
        if tok.kind != "word":
            return None
        year = self.spoken_year(i)
        if year is not None:
            return year
        return self.spelled(i)

    def spoken_year(self, i: int) -> _Amount | None:
        """'twenty fifteen' = 2015, 'nineteen eighty-four' = 1984, 'nineteen nineties' = 1990s."""
        first = self.low(i)
        head = _UNITS_WORDS.get(first) or _TENS_WORDS.get(first)
        if head is None or not 11 <= head <= 20:
            return None
        j = i + 1
        if self.tok(j) is not None and self.toks[j].text == "-" and self.toks[j].glued:
            j += 1
        if not self.is_word(j):
            return None
        second = self.low(j)
        if second in _DECADE_WORDS and second != "tens":
            value = Decimal(head * 100 + _DECADE_WORDS[second])
            return _Amount(value, j + 1, spelled=True, decade=True)
        if second == "oh" and self.low(j + 1) in _UNITS_WORDS and 0 < _UNITS_WORDS[
                self.low(j + 1)] < 10:
            tail, end = _UNITS_WORDS[self.low(j + 1)], j + 2
        elif second in _UNITS_WORDS and _UNITS_WORDS[second] >= 10:
            tail, end = _UNITS_WORDS[second], j + 1
        elif second in _TENS_WORDS:
            tail, end = _TENS_WORDS[second], j + 1
            k = end + 1 if (self.tok(end) is not None and self.toks[end].text == "-"
                            and self.toks[end].glued) else end
            if self.low(k) in _UNITS_WORDS and 0 < _UNITS_WORDS[self.low(k)] < 10:
                tail, end = tail + _UNITS_WORDS[self.low(k)], k + 1
        else:
            return None
        after = self.low(end)
        if after in ("hundred", "point", *_SCALE_WORDS):
            return None
        return _Amount(Decimal(head * 100 + tail), end, spelled=True,
                       parts=(Decimal(head), Decimal(tail)))

    def spelled(self, i: int) -> _Amount | None:
        """Number words: 'three hundred and thirty thousand', 'two point five', 'a dozen'."""
        total = Decimal(0)
        current = Decimal(0)
        last = ""  # unit | teen | tens | hundred | scale | half | dozen
        scaled = False
        k = i
        n = len(self.toks)
        while k < n:
            tok = self.toks[k]
            if tok.kind == "sym" and tok.text == "-" and tok.glued and last in ("tens",) and (
                    self.tok(k + 1) is not None and self.toks[k + 1].glued):
                k += 1
                continue
            if tok.kind != "word":
                break
            w = tok.low
            if w in ("a", "an") and not last and self.low(k + 1) in (
                    "hundred", "dozen", *_SCALE_WORDS):
                current, last = Decimal(1), "unit"
            elif w == "half" and not last:
                if self.low(k + 1) in ("a", "an") and self.low(k + 2) in ("dozen", *_SCALE_WORDS):
                    current, last = Decimal("0.5"), "half"
                    k += 2
                    continue
                if self.low(k + 1) in ("a", "an") and self.low(k + 2) in _UNIT_ALIASES:
                    return _Amount(Decimal("0.5"), k + 2, spelled=True)  # "half a kilo"
                return _Amount(Decimal("0.5"), k + 1, spelled=True, half_alone=True)
            elif w in _UNITS_WORDS:
                v = _UNITS_WORDS[w]
                if last in ("", "hundred", "scale") or (last == "tens" and 0 < v < 10):
                    current += v
                    last = "unit" if v < 10 else "teen"
                else:
                    break
            elif w in _TENS_WORDS:
                if last in ("", "hundred", "scale"):
                    current += _TENS_WORDS[w]
                    last = "tens"
                else:
                    break
            elif w in _ORDINAL_WORDS and w not in _SCALE_WORDS:
                v = _ORDINAL_WORDS[w]
                if last in ("", "hundred", "scale") or (last == "tens" and v < 10):
                    if w == "second" and self.low(k - 1) in ("a", "per", "every", "each", "one"):
                        break
                    if w.endswith("th") and v >= 100:
                        current = (current or Decimal(1)) * v
                    else:
                        current += v
                    return _Amount(total + current, k + 1, spelled=True, ordinal=True)
                break
            elif w == "hundred":
                if last in ("unit", "teen", "tens") and 0 < current < 100:
                    current *= 100
                    last = "hundred"
                    scaled = True
                else:
                    break
            elif w in _SCALE_WORDS:
                if last in ("", "scale"):
                    break
                total += current * _SCALE_WORDS[w]
                current = Decimal(0)
                last = "scale"
                scaled = True
            elif w == "dozen" and last in ("unit", "teen", "tens", "half"):
                current *= 12
                last = "dozen"
                scaled = True
            elif w == "and" and last in ("hundred", "scale") and self.number_word(k + 1):
                k += 1
                continue
            elif (w == "and" and last in ("unit", "teen", "tens") and self.low(k + 1) in ("a", "an")
                  and self.low(k + 2) == "half"):
                current += Decimal("0.5")
                last = "half"
                k += 3
                continue
            elif w == "point" and last in ("", "unit", "teen", "tens", "hundred", "scale") and (
                    self.number_word(k + 1)):
                digits, k = self.decimal_digits(k + 1)
                if digits:
                    current += Decimal("0." + digits)
                    last = "point"
                break
            else:
                break
            k += 1
        if not last or k == i:
            return None
        amount = _Amount(total + current, k, spelled=True, scaled=scaled)
        # "two point five million"
        if last == "point" and self.low(k) in _SCALE_WORDS:
            amount = _Amount(amount.value * _SCALE_WORDS[self.low(k)], k + 1, spelled=True,
                             scaled=True)
        return amount

    def decimal_digits(self, k: int) -> tuple[str, int]:
        digits = ""
        while self.is_word(k) and self.low(k) in _UNITS_WORDS and _UNITS_WORDS[self.low(k)] < 10:
            digits += str(_UNITS_WORDS[self.low(k)])
            k += 1
        if not digits and self.is_word(k):
            low = self.low(k)
            value = _UNITS_WORDS.get(low) or _TENS_WORDS.get(low)
            if value is not None:
                k += 1
                if low in _TENS_WORDS and self.low(k) in _UNITS_WORDS and _UNITS_WORDS[
                        self.low(k)] < 10:
                    value += _UNITS_WORDS[self.low(k)]
                    k += 1
                digits = str(value)
        return digits, k


_TENS_VALUES = {Decimal(v) for v in range(20, 100, 10)}


def extract_figures(text: str, heard: bool = False) -> list[Figure]:
    """Every figure in `text`, in order.

    Args:
        text: Plain or markdown text.
        heard: The text is a speech transcript: also read likely mishearings ("20 to kilograms"
            may be 22 kg) and the halves of a spoken year ("twenty fifteen" also supports 20 and
            15). Use it for the source side of a comparison only.
    """
    return _Parser(text, heard).figures()


def is_number_word(word: str) -> bool:
    """True for words that spell a number: 'twenty', 'second', 'million'."""
    low = word.lower()
    return any(low in table for table in (_UNITS_WORDS, _TENS_WORDS, _ORDINAL_WORDS,
                                          _SCALE_WORDS, _DECADE_WORDS, _MULTIPLIER_WORDS))


def is_unit_word(word: str) -> bool:
    """True for unit names and symbols: 'kg', 'euros', 'percent'."""
    return word.lower() in _UNIT_ALIASES


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
