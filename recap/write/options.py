"""The write stage's options and result: formats, template choice, reading speed, draft flag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from recap.errors import ConfigError, unknown_choice

FORMATS = ("hugo", "jekyll", "markdown")
DEFAULT_CATEGORIES = ("Podcast Recap",)
JEKYLL_PERMALINK = "/:slugified_categories/:year/:month/:day/:title:output_ext"
"""Jekyll's default (`date`) permalink with slugified categories: /podcast-recap/2024/05/14/slug.html."""


@dataclass
class WriteOptions:
    """How to write the post."""

    format: str = "hugo"
    """hugo (page bundle post/index.md), jekyll (post/_posts/DATE-slug.md) or markdown."""
    template: Path | None = None
    """A Jinja2 template replacing the built-in one for the format."""
    words_per_minute: int = 200
    """Reading speed behind the reading time and the saving figure."""
    force: bool = False
    """Overwrite a post that was edited by hand since recap wrote it."""
    draft: bool = True
    """Mark the post a draft (Hugo `draft`, Jekyll `published: false`)."""
    categories: list[str] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    """Front-matter categories."""

    def template_text(self) -> str:
        """The template source in use (the user's file or the built-in one)."""
        if self.format not in FORMATS:
            raise unknown_choice("format", self.format, FORMATS)
        if self.template is None:
            return builtin_template(self.format).read_text(encoding="utf-8")
        try:
            return Path(self.template).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"cannot read template {self.template}: {reason}") from None

    def params(self) -> dict[str, Any]:
        """What the post depends on besides its inputs; a new template makes it stale."""
        return {
            "format": self.format,
            "words_per_minute": self.words_per_minute,
            "draft": self.draft,
            "categories": list(self.categories),
            "template_sha256": hashlib.sha256(self.template_text().encode("utf-8")).hexdigest(),
        }


@dataclass
class WriteResult:
    path: Path
    """The file written: the post, or the new version beside a hand-edited one."""
    stats: dict[str, Any]



def builtin_template(fmt: str) -> Any:
    """The built-in template of `fmt` (recap/templates/<fmt>.md.j2) as a package resource."""
    return resources.files("recap") / "templates" / f"{fmt}.md.j2"
