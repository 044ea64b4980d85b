"""Amounts as written or said: digits, number words ('three hundred and thirty thousand',
'two point five', 'half a dozen') and spoken years ('twenty fifteen', 'nineteen nineties')."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from recap.text.tokens import Cursor, Token
from recap.text.vocabulary import DECADES, ONES, ORDINALS, SCALES, TENS, UNIT_ALIASES


@dataclass
class Amount:
    """A number read at a token index, before its scale, unit or range is looked at."""

    value: Decimal
    end: int  # index after the last token used
    spelled: bool
    ordinal: bool = False
    decade: bool = False
    half_alone: bool = False
    parts: tuple[Decimal, ...] = ()  # a spoken year's halves ("twenty", "fifteen")
    scaled: bool = False


def read_amount(cur: Cursor, i: int) -> Amount | None:
    """The amount that starts at token `i`: digits, a spoken year or number words."""
    tok = cur.toks[i]
    if tok.kind == "num":
        try:
            value = Decimal(tok.text.replace(",", ""))
        except InvalidOperation:
            return None
        return Amount(value, i + 1, spelled=False)
    if tok.kind != "word":
        return None
    year = spoken_year(cur, i)
    if year is not None:
        return year
    return _Spelled(cur, i).read()


def spoken_year(cur: Cursor, i: int) -> Amount | None:
    """'twenty fifteen' = 2015, 'nineteen eighty-four' = 1984, 'nineteen nineties' = 1990s."""
    first = cur.low(i)
    head = ONES.get(first) or TENS.get(first)
    if head is None or not 11 <= head <= 20:
        return None
    j = i + 2 if cur.is_glued(i + 1, "-") else i + 1
    if not cur.is_word(j):
        return None
    second = cur.low(j)
    if second in DECADES and second != "tens":
        return Amount(Decimal(head * 100 + DECADES[second]), j + 1, spelled=True, decade=True)
    if second == "oh" and _digit(cur.low(j + 1)):
        tail, end = ONES[cur.low(j + 1)], j + 2
    elif second in ONES and ONES[second] >= 10:
        tail, end = ONES[second], j + 1
    elif second in TENS:
        tail, end = TENS[second], j + 1
        k = end + 1 if cur.is_glued(end, "-") else end
        if _digit(cur.low(k)):
            tail, end = tail + ONES[cur.low(k)], k + 1
    else:
        return None
    if cur.low(end) in ("hundred", "point", *SCALES):
        return None
    return Amount(Decimal(head * 100 + tail), end, spelled=True,
                  parts=(Decimal(head), Decimal(tail)))


def _digit(word: str) -> bool:
    """'one' to 'nine'."""
    return word in ONES and 0 < ONES[word] < 10


def decimal_digits(cur: Cursor, k: int) -> tuple[str, int]:
    """The digits said after 'point' ('five', 'seven five', 'twenty five') and the index after."""
    digits = ""
    while cur.is_word(k) and cur.low(k) in ONES and ONES[cur.low(k)] < 10:
        digits += str(ONES[cur.low(k)])
        k += 1
    if not digits and cur.is_word(k):
        low = cur.low(k)
        value = ONES.get(low) or TENS.get(low)
        if value is not None:
            k += 1
            if low in TENS and cur.low(k) in ONES and ONES[cur.low(k)] < 10:
                value += ONES[cur.low(k)]
                k += 1
            digits = str(value)
    return digits, k


class _Spelled:
    """Number words read one at a time, each step allowed by the kind of word before it.

    `last` is that kind: unit | teen | tens | hundred | scale | half | dozen | point. A step
    returns True to go on (having moved `k`), False to stop, or an Amount that ends the read.
    """

    def __init__(self, cur: Cursor, i: int):
        self.cur = cur
        self.first = i
        self.k = i
        self.total = Decimal(0)
        self.current = Decimal(0)
        self.last = ""
        self.scaled = False

    def read(self) -> Amount | None:
        cur = self.cur
        while self.k < len(cur.toks):
            outcome = self.step(cur.toks[self.k])
            if isinstance(outcome, Amount):
                return outcome
            if not outcome:
                break
        if not self.last or self.k == self.first:
            return None
        amount = Amount(self.total + self.current, self.k, spelled=True, scaled=self.scaled)
        scale = cur.low(self.k)
        if self.last == "point" and scale in SCALES:  # "two point five million"
            amount = Amount(amount.value * SCALES[scale], self.k + 1, spelled=True, scaled=True)
        return amount

    def step(self, tok: Token) -> bool | Amount:
        if tok.kind == "sym" and tok.text == "-" and tok.glued and self.last == "tens" and (
                self.cur.tok(self.k + 1) is not None and self.cur.toks[self.k + 1].glued):
            return self.advance(1)  # "twenty-two"
        if tok.kind != "word":
            return False
        w = tok.low
        if w in ("a", "an"):
            return self.article()
        if w == "half":
            return self.half()
        if w in ONES or w in TENS:
            return self.count(w)
        if w in ORDINALS:
            return self.ordinal(w)
        if w in ("hundred", "dozen") or w in SCALES:
            return self.multiply(w)
        if w == "and":
            return self.conjunction()
        if w == "point":
            return self.point()
        return False

    def advance(self, steps: int) -> bool:
        self.k += steps
        return True

    def article(self) -> bool:
        """'a hundred', 'a dozen', 'a million'."""
        if self.last or self.cur.low(self.k + 1) not in ("hundred", "dozen", *SCALES):
            return False
        self.current, self.last = Decimal(1), "unit"
        return self.advance(1)

    def half(self) -> bool | Amount:
        """'half a million', 'half a kilo', or a bare 'half'."""
        if self.last:
            return False
        k, low = self.k, self.cur.low
        if low(k + 1) in ("a", "an") and low(k + 2) in ("dozen", *SCALES):
            self.current, self.last = Decimal("0.5"), "half"
            return self.advance(2)
        if low(k + 1) in ("a", "an") and low(k + 2) in UNIT_ALIASES:
            return Amount(Decimal("0.5"), k + 2, spelled=True)  # "half a kilo"
        return Amount(Decimal("0.5"), k + 1, spelled=True, half_alone=True)

    def count(self, word: str) -> bool:
        """'two', 'fifteen', 'twenty'; a digit may follow a tens word ('twenty two')."""
        tens = word in TENS
        value = TENS[word] if tens else ONES[word]
        after_tens = not tens and self.last == "tens" and 0 < value < 10
        if not (self.last in ("", "hundred", "scale") or after_tens):
            return False
        self.current += value
        self.last = "tens" if tens else "unit" if value < 10 else "teen"
        return self.advance(1)

    def ordinal(self, word: str) -> bool | Amount:
        """'twenty-first', 'the second', 'two hundredth'; not 'a second' or 'every second'."""
        value = ORDINALS[word]
        if not (self.last in ("", "hundred", "scale") or (self.last == "tens" and value < 10)):
            return False
        if word == "second" and self.cur.low(self.k - 1) in ("a", "per", "every", "each", "one"):
            return False
        if word.endswith("th") and value >= 100:
            self.current = (self.current or Decimal(1)) * value
        else:
            self.current += value
        return Amount(self.total + self.current, self.k + 1, spelled=True, ordinal=True)

    def multiply(self, word: str) -> bool:
        """'hundred', 'dozen' and the scales ('thousand', 'million', ...)."""
        if word == "hundred":
            if self.last not in ("unit", "teen", "tens") or not 0 < self.current < 100:
                return False
            self.current *= 100
            self.last = "hundred"
        elif word == "dozen":
            if self.last not in ("unit", "teen", "tens", "half"):
                return False
            self.current *= 12
            self.last = "dozen"
        else:
            if self.last in ("", "scale"):
                return False
            self.total += self.current * SCALES[word]
            self.current = Decimal(0)
            self.last = "scale"
        self.scaled = True
        return self.advance(1)

    def conjunction(self) -> bool:
        """'three hundred and thirty', 'two and a half'."""
        low = self.cur.low
        if self.last in ("hundred", "scale") and self.cur.number_word(self.k + 1):
            return self.advance(1)
        if (self.last in ("unit", "teen", "tens") and low(self.k + 1) in ("a", "an")
                and low(self.k + 2) == "half"):
            self.current += Decimal("0.5")
            self.last = "half"
            return self.advance(3)
        return False

    def point(self) -> bool:
        """'two point five': the digits after it end the amount (a scale may still follow).
        Whisper sometimes writes a comma after 'point' ('one point, four million'): the figure
        goes on across it when a scale or a unit follows the digits, and not after 'at' ('at one
        point, two of them left')."""
        if self.last not in ("", "unit", "teen", "tens", "hundred", "scale"):
            return False
        after = self.k + 1
        if (self.cur.is_glued(after, ",") and self.cur.number_word(after + 1)
                and self.cur.low(self.first - 1) != "at"):
            _, end = decimal_digits(self.cur, after + 1)
            follows = self.cur.low(end)
            if follows in SCALES or follows in UNIT_ALIASES or follows in ("percent", "%"):
                after += 1
        if not self.cur.number_word(after):
            return False
        digits, self.k = decimal_digits(self.cur, after)
        if digits:
            self.current += Decimal("0." + digits)
            self.last = "point"
        return False
