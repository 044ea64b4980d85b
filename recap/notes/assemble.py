"""From the reviewed notes to `Notes`: sections, their titles, the intro, bullets with times,
names spelled as the episode's details spell them, and the checks the manifest keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recap.errors import LLMReplyError
from recap.models import Bullet, Chunk, Info, Notes, Segment, Topic, Transcript
from recap.notes.ask import Asker
from recap.notes.intro import Speakers, show_name, write_intro
from recap.notes.review import NameContext, Review
from recap.notes.sections import section_count, split_sections, title_sections
from recap.notes.spelling import respell_notes
from recap.notes.verify import Candidate
from recap.notes.words import words
from recap.text.clock import clock


@dataclass(frozen=True)
class EpisodeText:
    """What the assembly reads of the episode."""

    info: Info
    chunks: list[Chunk]
    transcript: Transcript
    duration: float


def assemble(reviewed: Review, episode: EpisodeText, asker: Asker, speakers: Speakers,
             names: NameContext, language: str, verify: bool,
             similarity: float = 0.6) -> Notes:
    """Cut the kept notes into sections, title them, write the intro; fill `Notes.checks`.
    `similarity`: the de-duplication's threshold, for notes that say the same thing once their
    names are spelled alike (`_without_repeats`)."""
    if not reviewed.kept:
        raise LLMReplyError("the LLM returned no usable notes for this episode")
    sections = split_sections(reviewed.kept, section_count(len(reviewed.kept)), reviewed.breaks)
    speaker_words = frozenset(w for n in speakers.names() for w in words(n))
    titles, title_stats = title_sections(asker, episode.info.title, sections, speaker_words,
                                         show=show_name(speakers, episode.info))
    segments = {s.id: s for s in episode.transcript.segments}
    topics = [Topic(title, [_bullet(c, segments, episode.duration) for c in section])
              for title, section in zip(titles, sections, strict=True)]
    fields, intro_checks = write_intro(
        asker, episode.info, speakers, titles, _highlights(sections), episode.transcript.text,
        clock(episode.duration), names.names, notes=[c.text for s in sections for c in s],
        parts=_parts(sections, reviewed), voices=reviewed.voices)
    notes = Notes(topics=topics, language=language, **fields)
    # names as the episode's details write them, where Whisper heard them otherwise
    respelled = respell_notes(notes, episode.info, episode.transcript.text)
    repeats = _without_repeats(notes, sections, similarity) if respelled else 0
    notes.checks = {
        **reviewed.stats.report(reviewed.written, names.names),
        **title_stats,
        **intro_checks,
        "sections": len(topics),
        "bullets": sum(len(t.bullets) for t in topics),
        "reduce": "fallback" if title_stats["title_fallbacks"] else "llm",
        "reduce_fallbacks": title_stats["title_fallbacks"],
        "calls": dict(asker.calls),
        "failed_calls": dict(asker.failed),
        "names_respelled": respelled,
        "repeats_after_respelling": repeats,
    }
    if verify:
        from recap.quality.coverage import coverage

        notes.checks["coverage"] = coverage(notes, episode.chunks)
    return notes


def _without_repeats(notes: Notes, sections: list[list[Candidate]], similarity: float) -> int:
    """Drop the bullets that say what another says once the names are spelled as the details
    spell them: the de-duplication ran on the notes as heard, where "Morrow is the chair of
    the Quayside Rowing Club." and "Ines Morrow chairs the Kwayside Rowing Club…" differ. The
    richer of two stays where it is; a section left empty goes. The number dropped."""
    from recap.notes.dedupe import remove_duplicates

    pairs = [(c, b) for section, topic in zip(sections, notes.topics, strict=True)
             for c, b in zip(section, topic.bullets, strict=True)]
    for candidate, bullet in pairs:
        candidate.text = bullet.text
    kept, removed = remove_duplicates([c for c, _ in pairs], similarity)
    if removed:
        stay = {id(c) for c in kept}
        for section, topic in zip(sections, notes.topics, strict=True):
            topic.bullets = [b for c, b in zip(section, topic.bullets, strict=True)
                             if id(c) in stay]
        notes.topics = [t for t in notes.topics if t.bullets]
    return removed


def _bullet(candidate: Candidate, segments: dict[int, Segment], duration: float) -> Bullet:
    cited = [segments[i] for i in candidate.segment_ids if i in segments]
    start = min((s.start for s in cited), default=candidate.start)
    end = max((s.end for s in cited), default=candidate.end)
    start = round(min(max(start, 0.0), duration), 2)
    return Bullet(candidate.text, start, round(min(max(end, start), duration), 2),
                  list(candidate.segment_ids))


def _parts(sections: list[list[Candidate]], reviewed: Review) -> list[int]:
    """Which part of the episode each section is in: 0 for the first, k for the part that
    starts at `reviewed.breaks[k - 1]` (no section runs across a break)."""
    return [sum(1 for b in reviewed.breaks if min(c.start for c in section) >= b - 0.5)
            if section else 0 for section in sections]


def _highlights(sections: list[list[Candidate]], limit: int = 10) -> list[str]:
    """A few notes from every section, those with figures or names first."""
    per = max(1, limit // max(1, len(sections)))
    out: list[str] = []
    for section in sections:
        ranked = sorted(section, key=lambda c: -sum(ch.isdigit() or ch.isupper()
                                                      for ch in c.text[1:]))
        out.extend(c.text for c in ranked[:per])
    return out[:limit]


def usage_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What this episode's calls used: numbers subtracted, the rest as now."""
    delta: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, dict):
            delta[key] = usage_delta(old if isinstance(old, dict) else {}, value)
        elif isinstance(value, int | float) and not isinstance(value, bool) and isinstance(
                old, int | float):
            delta[key] = round(value - old, 6) if isinstance(value, float) else value - old
        else:
            delta[key] = value
    return delta
