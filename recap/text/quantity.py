"""A figure's readings: `Quantity` (a value and a canonical unit) and `Figure` (found in text).

Two texts are compared figure by figure: `Figure.matches` is true when any reading of one equals
any reading of the other, so that "twenty two kilograms", "22 kg" and "22,000 g" agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from recap.text.vocabulary import BASE_UNITS


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
        if self.unit in BASE_UNITS:
            unit, factor = BASE_UNITS[self.unit]
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
