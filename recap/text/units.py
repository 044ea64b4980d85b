"""What follows an amount: a scale ('3.5 million', '330k', '$2m') and a unit ('%', 'per cent',
'kg', '-kilogram', 'euros', '€')."""

from __future__ import annotations

from decimal import Decimal

from recap.text.tokens import Cursor
from recap.text.vocabulary import (
    CAPITAL_LETTER_UNITS,
    CURRENCY_SYMBOLS,
    GLUED_ONLY,
    SCALE_SUFFIXES,
    SCALES,
    UNIT_ALIASES,
)


def scale_after_digits(cur: Cursor, j: int, value: Decimal,
                       currency: str) -> tuple[Decimal, str, Decimal | None, int]:
    """A scale right after digits at token `j`.

    Returns the scaled value, the unit so far (the currency, or "m" for a bare glued "m" that
    may be metres), the value of the other reading of that "m" (a million), and the index after.
    """
    nxt = cur.tok(j)
    if nxt is None or nxt.kind != "word":
        return value, currency, None, j
    low = nxt.low
    if nxt.glued and low in SCALE_SUFFIXES and not (low == "b" and not currency and nxt.text == "b"):
        return value * SCALE_SUFFIXES[low], currency, None, j + 1
    if nxt.glued and low == "m":
        if currency or nxt.text == "M":
            return value * 10**6, currency, None, j + 1
        return value, "m", value * 10**6, j + 1
    if low in SCALES:
        return value * SCALES[low], currency, None, j + 1
    if low in ("bn", "mn"):
        return value * SCALE_SUFFIXES[low], currency, None, j + 1
    return value, currency, None, j


def unit_after(cur: Cursor, j: int, unit: str) -> tuple[str, int]:
    """The unit at token `j` when the amount has none yet (or only a bare "m"); a currency
    already read may be named again ("$3.5 million dollars") and is then skipped."""
    found, end = unit_at(cur, j)
    if not unit or unit == "m":
        return (found, end) if found else (unit, j)
    return unit, (end if found == unit else j)


def unit_at(cur: Cursor, j: int) -> tuple[str, int]:
    """A unit at token `j`: '%', 'per cent', 'kg', '-kilogram', 'euros', '€'."""
    tok = cur.tok(j)
    if tok is None:
        return "", j
    if tok.kind == "sym" and tok.text in ("-", "–") and tok.glued:
        nxt = cur.tok(j + 1)
        if nxt is not None and nxt.kind == "word" and nxt.glued:
            unit, end = unit_at(cur, j + 1)
            if unit:
                return unit, end
        return "", j
    if tok.kind == "sym" and tok.text in ("%", "×", "°", *CURRENCY_SYMBOLS):
        return UNIT_ALIASES[tok.text], j + 1
    if tok.kind != "word":
        return "", j
    low = tok.low
    if low == "per" and cur.low(j + 1) == "cent":
        return "%", j + 2
    if len(low) == 1 and tok.text.isupper() and tok.text not in CAPITAL_LETTER_UNITS:
        return "", j + 1 if tok.glued else j  # "5G", "4K": not grams or kelvin
    if low in UNIT_ALIASES:
        if low in GLUED_ONLY and not tok.glued:
            return "", j
        return UNIT_ALIASES[low], j + 1
    if tok.glued:
        # "5G", "4K": an unknown suffix; the number is still a figure, the suffix its text.
        return "", j + 1
    return "", j
