"""A post's markdown without its front matter, read with python-frontmatter."""

from __future__ import annotations

_FENCES = ("---", "+++")


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
