"""The notes stage's options: prompts, budgets and checks, with a docstring per field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.prompts import Prompt, load_prompts

if TYPE_CHECKING:
    from recap.llm import LLMSettings

# The variables recap supplies to each prompt file; a user's prompt may use any of them.
PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {
    "speakers": ("title", "uploader", "description", "opening"),
    "extract": ("title", "speakers", "excerpt"),
    "titles": ("title", "sections", "count"),
    "heading": ("notes",),
    "intro": ("title", "uploader", "duration", "description", "speakers", "sections",
              "highlights"),
}


@dataclass
class NotesOptions:
    """How to turn chunks into notes."""

    prompts_dir: Path | None
    """A folder with the user's own copies of the prompt files; None for the bundled prompts."""
    llm: LLMSettings
    """The endpoint and model."""
    temperature: float = 0.1
    """Sampling temperature for every call."""
    window_words: int = 150
    """Transcript words per extraction call: a small model notes far more of a short window."""
    window_overlap: int = 1
    """Segments a window repeats from the one before where it had to start mid-sentence."""
    window_sentences: bool = True
    """Windows end where a sentence ends, so the next starts on a sentence of its own and
    repeats nothing (`windows.make_windows`)."""
    extract_max_tokens: int = 400
    """Reply budget of one extraction call (the notes of one window)."""
    speakers_max_tokens: int = 160
    """Reply budget of the speakers call."""
    titles_max_tokens: int = 200
    """Reply budget of the section-titles call."""
    intro_max_tokens: int = 500
    """Reply budget of the intro call (summary, intro, keywords)."""
    verify: bool = True
    """Check every note against its transcript lines and drop or rewrite what fails."""
    gap_words: int = 40
    """A stretch of a window this many words long that no usable note cites is asked again on
    its own (a small model often notes only part of a window); 0 never asks again."""
    duplicate_similarity: float = 0.6
    """Content-word overlap above which two notes say the same thing."""
    max_split_depth: int = 3
    """How often a window whose reply hit the token limit is halved again."""
    language: str | None = None
    """The language to write the notes in (ISO 639-1, `--post-language`); None writes them in
    the episode's own language, as its transcript records it."""
    prompts: dict[str, Prompt] = field(default_factory=dict, repr=False)
    """The loaded prompt files, by name (filled by `create` or on first use)."""

    @classmethod
    def create(cls, prompts_dir: Path | None, llm: LLMSettings) -> NotesOptions:
        """Options with the prompts loaded now, so a bad prompts folder fails before any work."""
        options = cls(prompts_dir=prompts_dir, llm=llm)
        options.load_prompts()
        return options

    def load_prompts(self) -> dict[str, Prompt]:
        """The prompt files, read once."""
        if not self.prompts:
            self.prompts = load_prompts(self.prompts_dir, PROMPT_VARIABLES)
        return self.prompts

    def params(self) -> dict[str, Any]:
        """Everything the notes depend on; a changed prompt or model marks them stale."""
        prompts = self.load_prompts()
        return {
            **self.llm.params(),
            "prompts": {name: prompt.sha256 for name, prompt in sorted(prompts.items())},
            "temperature": self.temperature,
            "window_words": self.window_words,
            "window_overlap": self.window_overlap,
            "window_sentences": self.window_sentences,
            "extract_max_tokens": self.extract_max_tokens,
            "speakers_max_tokens": self.speakers_max_tokens,
            "titles_max_tokens": self.titles_max_tokens,
            "intro_max_tokens": self.intro_max_tokens,
            "verify": self.verify,
            "gap_words": self.gap_words,
            "duplicate_similarity": self.duplicate_similarity,
            "max_split_depth": self.max_split_depth,
            # Only when chosen: notes made before the option existed stay up to date.
            **({"post_language": self.language} if self.language else {}),
        }
