"""Prompt files: loaded from `prompts/` (or a user's folder) and filled with named variables.

A prompt file is markdown with a `# system` and a `# user` section. Variables are written
`{name}`; only a bare identifier in braces counts, so JSON examples such as `{"topics": [...]}`
stay as they are. An HTML comment (`<!-- ... -->`) documents the file and is not sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from recap.errors import ConfigError

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECTION = re.compile(r"^#[ \t]+(system|user)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Prompt:
    """One prompt file: a system and a user template."""

    name: str
    """File name, e.g. `map.md`."""
    text: str
    """The whole file as read (hashed into the stage's parameters)."""
    system: str
    user: str

    @property
    def variables(self) -> frozenset[str]:
        """The variables the templates use."""
        return frozenset(_VARIABLE.findall(self.system) + _VARIABLE.findall(self.user))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, **values: object) -> tuple[str, str]:
        """Fill both templates; returns (system, user)."""
        return self._fill(self.system, values), self._fill(self.user, values)

    def _fill(self, template: str, values: Mapping[str, object]) -> str:
        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ConfigError(f"prompt {self.name} needs variable {name!r}")
            return str(values[name])

        # One pass: text put in by a variable is never scanned again.
        return _VARIABLE.sub(substitute, template).strip()


def bundled_prompts_dir() -> Path:
    """The prompts shipped with recap: `recap/_prompts` in a wheel, `prompts/` in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_prompts", package.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"recap's bundled prompts are missing (looked in {package / '_prompts'})")


def parse_prompt(name: str, text: str) -> Prompt:
    """Split a prompt file into its system and user templates."""
    body = _COMMENT.sub("", text)
    marks = list(_SECTION.finditer(body))
    sections: dict[str, str] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        sections[mark.group(1).lower()] = body[mark.end() : end].strip()
    for part in ("system", "user"):
        if not sections.get(part):
            raise ConfigError(f"prompt {name} has no '# {part}' section")
    return Prompt(name=name, text=text, system=sections["system"], user=sections["user"])


def load_prompt(name: str, directory: Path | None = None,
                variables: Iterable[str] | None = None) -> Prompt:
    """Load `name` (e.g. "map") from `directory`, or the bundled prompts when None.

    Args:
        name: prompt name without `.md`.
        directory: a user's prompts folder; None for the bundled prompts.
        variables: when given, the variables recap supplies; a template using another one is
            a ConfigError at load time rather than halfway through a run.
    """
    folder = Path(directory) if directory is not None else bundled_prompts_dir()
    if directory is not None and not folder.is_dir():
        raise ConfigError(f"prompts folder {folder} does not exist")
    path = folder / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"prompt file {path} is missing; copy it from {bundled_prompts_dir() / path.name}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read prompt file {path}: {exc}") from None
    prompt = parse_prompt(path.name, text)
    if variables is not None:
        unknown = sorted(prompt.variables - set(variables))
        if unknown:
            raise ConfigError(
                f"prompt {path.name} uses unknown variable {unknown[0]!r}; "
                f"available: {', '.join(sorted(variables))}"
            )
    return prompt


def load_prompts(directory: Path | None,
                 variables: Mapping[str, Iterable[str]]) -> dict[str, Prompt]:
    """Load every prompt named in `variables` (name -> the variables recap supplies to it)."""
    return {name: load_prompt(name, directory, names) for name, names in variables.items()}
