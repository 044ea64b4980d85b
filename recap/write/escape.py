"""Untrusted text as inert markdown: escaping, names in **bold**, figures in `backticks`, safe links."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from recap.text.marking import mark_figures

# Code spans are kept verbatim only without braces: Hugo shortcodes and Jekyll Liquid run even
# inside them, so `{{<` or `{%` from untrusted text must go through the escaping below.
_PROTECTED = re.compile(r"`[^`\n{}]+`|\*\*[^*\n]+?\*\*|https?://[^\s<>\"'`\[\](){}]+")


def escape_text(text: str) -> str:
    """Untrusted text as inert markdown: one line, no raw HTML, no links or images."""
    return _escape_plain(" ".join(str(text).split()))


def _escape_plain(text: str) -> str:
    return re.sub(r"^([#>+=|-])", r"\\\1", _escape_inner(text))


def emphasise(text: str, names: Iterable[str] = ()) -> str:
    """Escape untrusted text, put known names in **bold** and figures in `backticks`.

    Spans already in backticks or bold and URLs are left as they are (no double marking).
    """
    text = " ".join(str(text).split())
    name_re = _names_pattern(names)
    out: list[str] = []
    pos = 0
    for match in _PROTECTED.finditer(text):
        out.append(_mark_plain(text[pos : match.start()], name_re))
        span = match.group(0)
        if span.startswith("**"):
            out.append("**" + _escape_inner(span[2:-2]) + "**")
        elif span.startswith("`"):
            out.append(span)  # a code span shows its text literally: nothing to escape
        else:
            out.append(span)  # a URL: escaping would break it, and it cannot hold `<`
        pos = match.end()
    out.append(_mark_plain(text[pos:], name_re))
    marked = "".join(out)
    return re.sub(r"^([#>+=|-])", r"\\\1", marked)


def _mark_plain(text: str, name_re: re.Pattern[str] | None) -> str:
    pieces: list[str] = []
    pos = 0
    matches = list(name_re.finditer(text)) if name_re else []
    for match in matches:
        pieces.append(_mark_figures(text[pos : match.start()]))
        pieces.append("**" + _escape_inner(match.group(0)) + "**")
        pos = match.end()
    pieces.append(_mark_figures(text[pos:]))
    return "".join(pieces)


def _mark_figures(text: str) -> str:
    return mark_figures(text, _escape_inner)


def _escape_inner(text: str) -> str:
    """No raw HTML (`<`, `&`), no links or images (`[`), no code spans, shortcodes or Liquid."""
    text = html.escape(text, quote=False)
    text = re.sub(r"([\\`\[\]])", r"\\\1", text)
    # Hugo shortcodes ({{<, {{%) and Liquid ({{, {%) run before markdown; entities defeat both.
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not unique:
        return None
    alternatives = "|".join(re.escape(n) for n in unique)
    # A plural or possessive "s" may follow: **GB300**s, **Tesla**'s.
    return re.compile(rf"(?<![\w*])(?:{alternatives})(?!(?!s\b)[\w*])")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable as a markdown link destination, else None."""
    if not url:
        return None
    url = str(url).strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def seek_url(url: str, seconds: float) -> str:
    """`url` opened at `seconds` (`&t=123s`, or `?t=123s` when the URL has no query)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
    query.append(("t", f"{int(max(0.0, seconds))}s"))
    return urlunsplit(parts._replace(query=urlencode(query, safe=":/")))
