"""Text cut into the tokens the figure reader walks: numbers, words, symbols, punctuation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from recap.text.vocabulary import ONES, SCALES, SENTENCE_END, TENS

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
class Token:
    kind: str  # num | word | sym | punct
    text: str
    start: int
    end: int
    glued: bool  # no space between this token and the one before

    @property
    def low(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, each marked glued when nothing separates it from the one before."""
    tokens: list[Token] = []
    previous_end = -1
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "punct"
        tokens.append(Token(kind, match.group(), match.start(), match.end(),
                            match.start() == previous_end))
        previous_end = match.end()
    return tokens


class Cursor:
    """The tokens of one text, looked at by index; out of range reads as nothing."""

    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)

    def tok(self, i: int) -> Token | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def low(self, i: int) -> str:
        tok = self.tok(i)
        return tok.low if tok is not None else ""

    def is_word(self, i: int) -> bool:
        tok = self.tok(i)
        return tok is not None and tok.kind == "word"

    def is_glued(self, i: int, text: str) -> bool:
        """Token `i` is `text` with no space before it."""
        tok = self.tok(i)
        return tok is not None and tok.text == text and tok.glued

    def number_word(self, i: int) -> bool:
        low = self.low(i)
        return self.is_word(i) and (low in ONES or low in TENS)

    def starts_amount(self, i: int) -> bool:
        tok = self.tok(i)
        if tok is None:
            return False
        if tok.kind == "num":
            return True
        return self.number_word(i) or (tok.low in ("a", "an", "half")
                                       and self.low(i + 1) in (*SCALES, "hundred", "dozen"))

    def sentence_start(self, i: int) -> bool:
        previous = self.tok(i - 1)
        return previous is None or previous.text in SENTENCE_END or (
            previous.text in ("-", "–") and i == 1)

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
                and previous.glued and before.low not in ONES and before.low not in TENS)

    def skip_identifier(self, i: int) -> int:
        i += 1
        while i < len(self.toks) and self.toks[i].glued and self.toks[i].kind in ("num", "word"):
            i += 1
        return i
