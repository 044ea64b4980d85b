"""Notes stage: chunks -> topic-grouped bullet notes (notes.json).

The package is split by concern:

    windows.py   a chunk's segments in small overlapping windows
    extract.py   one plain-text extraction call per window
    verify.py    claim-level checks on each note; citations found in code
    dedupe.py    near-duplicates removed
    rewrite.py   spoken first person turned into the third, fillers removed (in code)
    sections.py  cut where the subject changes; a heading call per section
    intro.py     who speaks (first call) and the post's opening (last call)
    ask.py       the one way these talk to the model (prompt files, reply cache)
    builder.py   the conductor; options.py the stage's options; explain.py `--explain`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recap.episode import Episode
from recap.errors import ArtifactError
from recap.models import Chunks, Info, Notes, Transcript
from recap.notes.builder import NotesBuilder
from recap.notes.explain import explain
from recap.notes.options import PROMPT_VARIABLES, NotesOptions
from recap.notes.sections import section_count
from recap.progress import Reporter

if TYPE_CHECKING:
    from recap.llm import LLMClient

__all__ = ["PROMPT_VARIABLES", "NotesBuilder", "NotesOptions", "explain", "notes",
           "section_count"]


def notes(episode: Episode, options: NotesOptions, llm: LLMClient,
          reporter: Reporter | None = None) -> Notes:
    """Build notes.json from chunks.json, transcript.json and info.json.

    Args:
        episode: the episode folder.
        options: prompts, budgets and checks.
        llm: an open LLM client.
        reporter: progress callbacks.

    Returns:
        The notes, also written to notes.json.
    """
    reporter = reporter or Reporter()
    chunks = Chunks.load(episode.chunks_path, f"recap chunk {episode.root}")
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {episode.root}")
    Info.load(episode.info_path, "recap fetch SOURCE")
    if not chunks.chunks:
        raise ArtifactError(
            f"{episode.chunks_path} holds no chunks; rebuild it with `recap chunk {episode.root}`"
        )
    builder = NotesBuilder(episode, options, llm, reporter, language=transcript.language)
    try:
        for chunk in chunks.chunks:
            builder.submit(chunk)
        return builder.finish(chunks, transcript)
    finally:
        builder.close()
