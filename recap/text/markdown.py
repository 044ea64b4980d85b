"""Markdown as recap reads it: a post without its front matter, text without its link targets."""

from __future__ import annotations

import re

_FENCES = ("---", "+++")
_LINK_RE = re.compile(r"\]\([^)]*\)|https?://\S+|www\.\S+|`[^`]*://[^`]*`")


def mask_links(text: str) -> str:
    """Blank out URLs and link targets (keeping offsets) so their words are not read."""
    return _LINK_RE.sub(lambda m: " " * len(m.group()), text)


def strip_front_matter(text: str) -> str:
    """The body of a post: YAML (`---`) front matter parsed off by python-frontmatter; TOML
    (`+++`, which it reads only when a TOML library is installed) or front matter it cannot
    parse (a hand edit that broke the YAML) cut at the closing fence."""
    import frontmatter

    if text.startswith("---\n"):
        try:
            return str(frontmatter.loads(text).content)
        except Exception:  # noqa: BLE001 - any parse error: fall back to the fences
            pass
    for fence in _FENCES:
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence + "\n", len(fence))
            if end != -1:
                return text[end + len(fence) + 2:]
    return text
