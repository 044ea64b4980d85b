"""HTML from feeds and pages -> plain text (paragraphs kept, scripts and styles dropped)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->", re.S)
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


def looks_like_html(text: str) -> bool:
    """True when `text` holds markup or entities (so `a < b` in plain text stays as it is)."""
    return bool(_TAG.search(text) or _ENTITY.search(text))


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment: block elements become paragraphs (blank lines between),
    `<br>` a line break, list items lines starting with "- "; scripts, styles and comments
    vanish; entities are decoded. Text without markup is returned with whitespace tidied."""
    if not looks_like_html(text):
        return _tidy(text)
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    return _tidy(parser.text())


def _tidy(text: str) -> str:
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\xa0", " ")):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


class _TextParser(HTMLParser):
    _BLOCKS = {"p", "div", "section", "article", "blockquote", "pre", "table", "tr", "ul", "ol",
               "dl", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "figure", "hr"}
    _SKIP = {"script", "style", "template", "noscript", "head", "iframe", "object"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "li":
            self._parts.append("\n- ")
        elif tag in self._BLOCKS:
            self._parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._parts.append("\n")
        elif tag in self._BLOCKS:
            self._parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data.replace("\n", " "))

    def text(self) -> str:
        return "".join(self._parts)  # entities were decoded as they were read
