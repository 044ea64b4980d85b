"""Notes stage: chunks -> topic-grouped bullet notes (notes.json).

Map: each chunk's segments go to the model with their ids; it answers with topics whose bullets
cite the segments they rest on, so every bullet keeps a time range inside its chunk. The bullets
are checked against the transcript (recap.faithful) and repaired or dropped.
Reduce: the model sees only topic titles and a short hint each, never all the bullets, and
answers with a grouping; the bullets are then assigned in code, so nothing is lost and a 2-hour
episode fits a 4096-token context (hierarchically when the titles alone do not fit).
Intro: one call on the metadata and section titles for summary, intro, keywords and speakers.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.episode import Episode, atomic_write_text
from recap.errors import ArtifactError, LLMReplyError
from recap.models import Bullet, Chunk, Chunks, Info, Notes, Segment, Topic, Transcript
from recap.progress import Reporter
from recap.prompts import Prompt, load_prompts

if TYPE_CHECKING:
    from recap.llm import LLMClient, LLMSettings

log = logging.getLogger("recap.notes")

# The variables recap supplies to each prompt file; a user's prompt may use any of them.
PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {
    "map": ("title", "part_start", "part_end", "chapter", "max_bullets", "segments"),
    "reduce": ("title", "duration", "min_sections", "max_sections", "topics"),
    "intro": ("title", "uploader", "duration", "description", "sections", "opening",
              "highlights"),
    "repair": ("bullet", "problem", "source"),
}

MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "topics": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "bullets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "text": {"type": "string"},
                                "segments": {"type": "array", "items": {"type": "integer"}},
                            },
                            "required": ["text"],
                        },
                    },
                },
                "required": ["title", "bullets"],
            },
        },
    },
    "required": ["topics"],
}

REDUCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "topics": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["title", "topics"],
            },
        },
    },
    "required": ["sections"],
}

INTRO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "intro": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "speakers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "intro", "keywords", "speakers"],
}

REPAIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}

_LINE = re.compile(r"^\[(\d+):(\d{2}):(\d{2})\] ?(.*)$")
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he her his i in is it its of on or our she "
    "so that the their them they this to was we were what which who will with you your".split()
)
OPENING_TOKENS = 400
"""Transcript tokens shown to the intro call: the episode's opening, where people are named."""
_TOKEN_MARGIN = 96  # the chat template's own tokens and the client's reply-shape sentence


# ---------------------------------------------------------------- options

@dataclass
class NotesOptions:
    """How to turn chunks into notes."""

    prompts_dir: Path | None
    """A folder with the user's own copies of map.md, reduce.md, intro.md, repair.md; None for
    the bundled prompts."""
    llm: LLMSettings
    """The endpoint and model."""
    temperature: float = 0.2
    """Sampling temperature for every call."""
    map_max_tokens: int = 1024
    """Reply budget of a map call (one chunk's topics and bullets)."""
    reduce_max_tokens: int = 1200
    """Reply budget of a reduce call (the grouping of topics into sections)."""
    intro_max_tokens: int = 600
    """Reply budget of the intro call (summary, intro, keywords, speakers)."""
    repair_max_tokens: int = 300
    """Reply budget of a repair call (one corrected bullet)."""
    verify: bool = True
    """Check every bullet's figures and names against its transcript (recap.faithful)."""
    max_split_depth: int = 4
    """How often a chunk whose reply hit the token limit is halved again (2**depth pieces)."""
    duplicate_similarity: float = 0.6
    """Token Jaccard similarity above which two bullets with the same figures are duplicates."""
    detail_pass: bool = True
    """After a chunk's map call, map again just the lines whose figures no bullet mentions
    (small models skip figures, and figures are what make notes worth reading)."""
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
            "map_max_tokens": self.map_max_tokens,
            "reduce_max_tokens": self.reduce_max_tokens,
            "intro_max_tokens": self.intro_max_tokens,
            "repair_max_tokens": self.repair_max_tokens,
            "verify": self.verify,
            "max_split_depth": self.max_split_depth,
            "duplicate_similarity": self.duplicate_similarity,
            "detail_pass": self.detail_pass,
        }


# ---------------------------------------------------------------- working types

@dataclass
class Line:
    """One transcript segment as shown to the model: `(S12) text`."""

    id: int
    start: float
    end: float
    text: str


@dataclass
class Draft:
    """A topic from one map call (or a merged group of them during a hierarchical reduce)."""

    title: str
    bullets: list[Bullet]

    @property
    def start(self) -> float:
        return min((b.start for b in self.bullets), default=0.0)

    def hint(self, words: int = 14) -> str:
        """The first bullet's opening words: enough for the reduce call to see the subject."""
        first = self.bullets[0].text.split() if self.bullets else []
        return " ".join(first[:words]) + (" …" if len(first) > words else "")


@dataclass
class ChunkResult:
    """What the map step made of one chunk."""

    chunk: Chunk
    drafts: list[Draft] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


# ---------------------------------------------------------------- the builder

class NotesBuilder:
    """Builds notes while chunks arrive: `submit` each chunk, then `finish`, and `close` always.

    Map calls run in a pool of `llm.settings.jobs` threads as soon as a chunk is submitted, so
    they overlap transcription; every call goes through the episode's reply cache, so a rerun
    with nothing changed makes no request and a changed chunk re-asks only that chunk.
    """

    def __init__(self, episode: Episode, options: NotesOptions, llm: LLMClient,
                 reporter: Reporter, total: int | None = None):
        self.episode = episode
        self.total = total
        """The number of chunks, when known before they arrive (for progress)."""
        self.options = options
        self.llm = llm
        self.reporter = reporter
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[int, tuple[Chunk, Future[ChunkResult]]] = {}
        self._done = 0
        self._started = False
        self._info_cache: Info | None = None
        self._cache: Any = None
        self._usage_before: dict[str, Any] | None = None
        self._splits = 0
        self._detail_calls = 0

    # -- public API

    def submit(self, chunk: Chunk) -> None:
        """Start the map call for `chunk` now, in the background."""
        self._prepare()
        pool = self._ensure_pool()
        future = pool.submit(self._map_chunk, chunk)
        future.add_done_callback(self._on_map_done)
        with self._lock:
            self._futures[chunk.index] = (chunk, future)

    def finish(self, chunks: Chunks, transcript: Transcript) -> Notes:
        """Wait for the maps, reduce, write notes.json atomically and return the notes."""
        if not chunks.chunks:
            raise ArtifactError(
                f"{self.episode.chunks_path} holds no chunks; rebuild it with "
                f"`recap chunk {self.episode.root}`"
            )
        total = self.total = len(chunks.chunks)
        self.reporter.stage_started("notes", total)
        self.reporter.advance("notes", self._done, total)
        for chunk in chunks.chunks:
            submitted = self._futures.get(chunk.index)
            if submitted is None or submitted[0] != chunk:
                self.submit(chunk)
        results = [self._futures[c.index][1].result() for c in chunks.chunks]
        self.reporter.advance("notes", total, total)
        duration = max(transcript.duration, chunks.chunks[-1].end)
        segments = {s.id: s for s in transcript.segments}
        notes = self._assemble(results, segments, duration, chunks)
        atomic_write_text(self.episode.notes_path, notes.to_json())
        return notes

    def close(self) -> None:
        """Cancel the map calls not yet started and shut the pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- set-up (lazy: nothing happens in the constructor)

    def _prepare(self) -> None:
        if self._started:
            return
        from recap.llm import ReplyCache

        self.options.load_prompts()
        self._info()
        self._cache = ReplyCache(self.episode.llm_cache_dir)
        self._usage_before = self.llm.usage.to_dict()
        self._started = True

    def _ensure_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            jobs = max(1, int(getattr(self.llm.settings, "jobs", 1) or 1))
            self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="recap-notes")
            self.reporter.stage_started("notes", self.total)
        return self._pool

    def _info(self) -> Info:
        if self._info_cache is None:
            self._info_cache = Info.load(self.episode.info_path, "recap fetch SOURCE")
        return self._info_cache

    def _on_map_done(self, future: Future[ChunkResult]) -> None:
        if future.cancelled():
            return
        with self._lock:
            self._done += 1
            done = self._done
        self.reporter.advance("notes", done, self.total)

    def _tokens(self, *texts: str) -> int:
        from recap.tokens import counter_for

        counter = counter_for(self.llm.settings.model_name())
        return sum(counter.count(t) for t in texts)

    def _fits(self, system: str, user: str, schema: dict[str, Any], max_tokens: int) -> bool:
        """Whether prompt, schema (the client sends it along) and reply fit the context."""
        window = self.llm.settings.context_window()
        shape = json.dumps(schema, separators=(",", ":"))
        return self._tokens(system, user, shape) + max_tokens + _TOKEN_MARGIN <= window

    def _ask(self, prompt: str, values: dict[str, object], schema: dict[str, Any],
             max_tokens: int) -> dict[str, Any]:
        system, user = self.options.load_prompts()[prompt].render(**values)
        return self.llm.complete_json(system=system, user=user, schema=schema,
                                      max_tokens=max_tokens,
                                      temperature=self.options.temperature, cache=self._cache)

    # -- map

    def _map_chunk(self, chunk: Chunk) -> ChunkResult:
        lines = chunk_lines(chunk)
        result = ChunkResult(chunk)
        try:
            result.drafts = self._map_lines(chunk, lines, 0)
        except LLMReplyError as exc:
            log.warning("chunk %d: no usable notes (%s)", chunk.index, exc)
            result.error = str(exc)
            return result
        if self.options.detail_pass:
            result.drafts += self._details(chunk, lines, result.drafts)
        if self.options.verify and result.drafts:
            result.drafts, result.stats = self._verify(lines, result.drafts)
        return result

    def _map_lines(self, chunk: Chunk, lines: list[Line], depth: int,
                   max_bullets: int | None = None) -> list[Draft]:
        from recap.llm import LLMTruncated

        values: dict[str, object] = {
            "title": self._info().title,
            "part_start": clock(lines[0].start),
            "part_end": clock(lines[-1].end),
            "chapter": chunk.chapter or "none",
            "max_bullets": max_bullets or bullet_budget(lines),
            # Ids, not times: "(S12) " is no longer than the "[0:01:23] " the chunk was counted with.
            "segments": "\n".join(f"(S{ln.id}) {ln.text}" for ln in lines),
        }
        can_split = len(lines) > 1 and depth < self.options.max_split_depth
        system, user = self.options.load_prompts()["map"].render(**values)
        if can_split and not self._fits(system, user, MAP_SCHEMA, self.options.map_max_tokens):
            return self._split(chunk, lines, depth, "prompt exceeds the context")
        try:
            reply = self._ask("map", values, MAP_SCHEMA, self.options.map_max_tokens)
        except LLMTruncated:
            if not can_split:
                raise
            return self._split(chunk, lines, depth, "reply hit the token limit")
        return drafts_from_reply(reply, lines)

    def _details(self, chunk: Chunk, lines: list[Line], drafts: list[Draft]) -> list[Draft]:
        """Map again the lines whose figures no bullet mentions; [] when there are few."""
        from recap.numbers import extract_figures, find_match

        noted = [f for d in drafts for b in d.bullets for f in extract_figures(b.text)]
        missed = [ln for ln in lines
                  if any(not f.soft and find_match(f, noted) is None
                         for f in extract_figures(ln.text, heard=True))]
        if len(missed) < 2:
            return []
        log.info("chunk %d: %d lines with figures no bullet mentions; asking for them",
                 chunk.index, len(missed))
        try:
            extra = self._map_lines(chunk, missed, self.options.max_split_depth,
                                    max_bullets=min(12, len(missed)))
        except LLMReplyError as exc:
            log.info("chunk %d: detail pass failed (%s)", chunk.index, exc)
            return []
        with self._lock:
            self._detail_calls += 1
        return extra

    def _split(self, chunk: Chunk, lines: list[Line], depth: int, why: str) -> list[Draft]:
        log.info("chunk %d: %s; mapping %d segments in two halves", chunk.index, why, len(lines))
        with self._lock:
            self._splits += 1
        half = len(lines) // 2
        return (self._map_lines(chunk, lines[:half], depth + 1)
                + self._map_lines(chunk, lines[half:], depth + 1))

    # -- faithfulness

    def _verify(self, lines: list[Line], drafts: list[Draft]) -> tuple[list[Draft], dict]:
        """Check each bullet against the segments it cites (as `recap check` does later)."""
        from recap.faithful import known_names, merge_checks, verify_bullets

        names = known_names(self._info())
        repair = self._repairer(lines)
        kept: list[Draft] = []
        parts: list[dict[str, Any]] = []
        for draft in drafts:
            bullets: list[Bullet] = []
            for bullet in draft.bullets:
                reground(bullet, lines, names)
                cited = {*bullet.segment_ids}
                source = " ".join(ln.text for ln in lines if ln.id in cited)
                ok, stats = verify_bullets([bullet], source, names, repair)
                parts.append(stats)
                bullets.extend(ok)
            if bullets:  # kept bullets stay under their topic
                kept.append(Draft(draft.title, bullets))
        return kept, merge_checks(*parts)

    def _repairer(self, lines: list[Line]) -> Callable[[Bullet, object], Bullet | None]:
        position = {ln.id: i for i, ln in enumerate(lines)}

        def repair(bullet: Bullet, problem: object) -> Bullet | None:
            cited = [position[i] for i in bullet.segment_ids if i in position] or [0]
            lo, hi = max(0, min(cited) - 1), min(len(lines), max(cited) + 2)
            values = {
                "bullet": bullet.text,
                "problem": getattr(problem, "message", None) or str(problem),
                "source": "\n".join(ln.text for ln in lines[lo:hi]),
            }
            try:
                reply = self._ask("repair", values, REPAIR_SCHEMA, self.options.repair_max_tokens)
            except LLMReplyError as exc:
                log.info("repair failed: %s", exc)
                return None
            text = clean_text(reply.get("text"))
            if not text:
                return None
            return Bullet(text, bullet.start, bullet.end, list(bullet.segment_ids))

        return repair

    # -- reduce and assembly

    def _assemble(self, results: list[ChunkResult], segments: dict[int, Segment],
                  duration: float, chunks: Chunks) -> Notes:
        failed = [r for r in results if r.error is not None]
        if len(failed) == len(results):
            raise LLMReplyError(
                f"the LLM gave no usable notes for any of the {len(results)} chunks "
                f"({failed[0].error})"
            )
        for result in failed:
            self.reporter.message(
                f"notes: chunk {result.chunk.index + 1} ({clock(result.chunk.start)}–"
                f"{clock(result.chunk.end)}) gave no usable notes: {result.error}"
            )
        drafts: list[Draft] = []
        checks: dict[str, Any] = {}
        if self.options.verify:
            from recap.faithful import merge_checks

            checks.update(merge_checks(*(r.stats for r in results)))
        for result in results:
            for draft in result.drafts:
                for bullet in draft.bullets:
                    place_bullet(bullet, result.chunk, segments, duration)
                drafts.append(draft)
        drafts.sort(key=lambda d: d.start)
        if not drafts:
            raise LLMReplyError("the LLM returned no notes for this episode")

        # The intro rests on the map topics, not the sections, so it runs beside the reduce:
        # one LLM round less after the last chunk.
        intro_job = self._ensure_pool().submit(self._intro, drafts, duration, segments)
        low = section_range(duration, 10**6)[0]
        if len(drafts) < low and sum(len(d.bullets) for d in drafts) >= 2 * low:
            # Too few map topics for the sections a post needs: let the reduce group bullets.
            drafts = [Draft(d.title, [b]) for d in drafts for b in d.bullets]
        reducer = Reducer(self, duration)
        sections = reducer.sections(drafts)
        topics = [Topic(title, sorted((b for d in group for b in d.bullets), key=lambda b: b.start))
                  for title, group in sections]
        removed = remove_duplicates(topics, self.options.duplicate_similarity)
        topics = sorted((t for t in topics if t.bullets), key=lambda t: t.start)

        notes = Notes(topics=topics)
        fields, intro_checks = intro_job.result()
        for name, value in fields.items():
            setattr(notes, name, value)
        checks.update(intro_checks)
        checks.update(
            chunks=len(results),
            failed_chunks=[r.chunk.index for r in failed],
            map_topics=len(drafts),
            topics=len(topics),
            bullets=sum(len(t.bullets) for t in topics),
            duplicates_removed=removed,
            splits=self._splits,
            detail_calls=self._detail_calls,
            reduce=reducer.mode,
            reduce_calls=reducer.calls,
        )
        if self.options.verify:
            from recap.faithful import coverage

            checks["coverage"] = coverage(notes, chunks.chunks)
        checks["usage"] = usage_delta(self._usage_before or {}, self.llm.usage.to_dict())
        notes.checks = checks
        return notes

    def _intro(self, drafts: list[Draft], duration: float,
               segments: dict[int, Segment]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Summary, intro, keywords and speakers (Notes fields), and the checks made on them."""
        info = self._info()
        ordered = [segments[i] for i in sorted(segments)]
        transcript_text = " ".join(s.text.strip() for s in ordered)
        highlights = [b.text for d in drafts for b in d.bullets[:1]][:10]
        titles = unique_strings([d.title for d in drafts], 15)
        values: dict[str, object] = {
            "title": info.title,
            "uploader": info.uploader or "unknown",
            "duration": clock(duration),
            "sections": "\n".join(f"- {t}" for t in titles),
            "highlights": "\n".join(f"- {h}" for h in highlights) or "none",
            "description": "",
            "opening": "",
        }
        system, user = self.options.load_prompts()["intro"].render(**values)
        shape = json.dumps(INTRO_SCHEMA, separators=(",", ":"))
        room = (self.llm.settings.context_window() - self.options.intro_max_tokens
                - self._tokens(system, user, shape) - _TOKEN_MARGIN)
        # The opening of the episode is where hosts name themselves and their guests: its first
        # few hundred words, not the episode (the model would copy it into the intro).
        opening_room = max(0, min(room * 2 // 3, OPENING_TOKENS))
        values["opening"] = fit_words(transcript_text, opening_room, self._tokens) or "none"
        room -= self._tokens(str(values["opening"]))
        values["description"] = fit_words(info.description.strip(), room, self._tokens) or "none"
        try:
            reply = self._ask("intro", values, INTRO_SCHEMA, self.options.intro_max_tokens)
        except LLMReplyError as exc:
            log.warning("intro call failed: %s", exc)
            return {}, {"intro_failed": str(exc)}
        from recap.faithful import known_names

        names = known_names(info)
        summary, dropped_summary = grounded_sentences(clean_text(reply.get("summary")),
                                                      transcript_text, names)
        intro, dropped_intro = grounded_sentences(clean_text(reply.get("intro")),
                                                  transcript_text, names)
        heard = normalise_for_search(" ".join([transcript_text, *names]))
        speakers = unique_strings(reply.get("speakers"), 20)
        kept_speakers = [n for n in speakers if normalise_for_search(n) in heard]
        summary, intro = first_sentences(summary, 2), first_sentences(intro, 4)
        fields = {"summary": summary, "intro": intro, "speakers": kept_speakers,
                  "keywords": unique_strings(reply.get("keywords"), 12)}
        return fields, {"intro_sentences_dropped": dropped_summary + dropped_intro,
                        "speakers_dropped": len(speakers) - len(kept_speakers)}


def first_sentences(text: str, limit: int) -> str:
    """At most `limit` sentences of `text` (the prompt asks for that many; small models run on)."""
    return " ".join(sentences(text)[:limit])


def grounded_sentences(text: str, source: str, names: list[str]) -> tuple[str, int]:
    """Keep the sentences whose names and figures the transcript or metadata support."""
    from recap.faithful import check_bullet

    parts = sentences(text)
    kept = [s for s in parts if check_bullet(s, source, names) is None]
    return " ".join(kept), len(parts) - len(kept)


def sentences(text: str) -> list[str]:
    """The sentences of `text`, split after . ! or ?."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def normalise_for_search(text: str) -> str:
    """Lowercase words separated by single spaces, for 'does this name occur' tests."""
    return " " + " ".join(re.findall(r"[\w']+", text.lower())) + " "


# ---------------------------------------------------------------- reduce

class Reducer:
    """Groups topic drafts into sections: by the model when it can, by time when it cannot."""

    def __init__(self, builder: NotesBuilder, duration: float):
        self.builder = builder
        self.duration = duration
        self.mode = "llm"
        self.calls = 0

    def sections(self, drafts: list[Draft]) -> list[tuple[str, list[Draft]]]:
        """(title, drafts) per section, every draft in exactly one section."""
        low, high = section_range(self.duration, len(drafts))
        if len(drafts) == 1:
            self.mode = "single"
            return [(drafts[0].title, drafts)]
        return self._group(drafts, low, high, depth=0)

    def _group(self, drafts: list[Draft], low: int, high: int,
               depth: int) -> list[tuple[str, list[Draft]]]:
        if self._fits(drafts, high) or depth >= 3:
            grouped = self._ask(drafts, low, high) if self._fits(drafts, high) else None
            if grouped is None:
                self.mode = "fallback"
                return group_by_time(drafts, low, high)
            return grouped
        # Too many topics for one call: group consecutive batches first, then group the groups.
        self.mode = "hierarchical"
        merged: list[Draft] = []
        for batch in self._batches(drafts):
            batch_high = max(2, math.ceil(len(batch) / 3))
            for title, group in self._group(batch, 1, batch_high, depth + 1):
                merged.append(Draft(title, [b for d in group for b in d.bullets]))
        if len(merged) >= len(drafts):
            self.mode = "fallback"
            return group_by_time(drafts, low, high)
        return self._group(merged, low, high, depth + 1)

    def _values(self, drafts: list[Draft], low: int, high: int) -> dict[str, object]:
        info = self.builder._info()
        listing = "\n".join(
            f"T{i} [{clock(d.start)}] {d.title}: {d.hint()}" for i, d in enumerate(drafts, 1)
        )
        return {"title": info.title, "duration": clock(self.duration), "min_sections": low,
                "max_sections": high, "topics": listing}

    def _fits(self, drafts: list[Draft], high: int) -> bool:
        prompt = self.builder.options.load_prompts()["reduce"]
        system, user = prompt.render(**self._values(drafts, 1, high))
        return self.builder._fits(system, user, REDUCE_SCHEMA,
                                  self.builder.options.reduce_max_tokens)

    def _batches(self, drafts: list[Draft]) -> list[list[Draft]]:
        batches: list[list[Draft]] = [[]]
        for draft in drafts:
            if batches[-1] and not self._fits([*batches[-1], draft], 2):
                batches.append([])
            batches[-1].append(draft)
        return batches

    def _ask(self, drafts: list[Draft], low: int,
             high: int) -> list[tuple[str, list[Draft]]] | None:
        self.calls += 1
        try:
            reply = self.builder._ask("reduce", self._values(drafts, low, high),
                                      reduce_schema(low, high),
                                      self.builder.options.reduce_max_tokens)
        except LLMReplyError as exc:
            log.warning("reduce call failed (%s); grouping topics by time", exc)
            return None
        grouped = sections_from_reply(reply, drafts, low, high)
        if grouped is None:
            log.warning("reduce reply unusable; grouping topics by time")
        return grouped


def reduce_schema(low: int, high: int) -> dict[str, Any]:
    """The reduce reply's schema with the fewest sections asked for, so that llama.cpp's grammar
    and the validation (which re-asks once) hold the model to it; extra sections are merged in
    code (`sections_from_reply`), so `high` is only asked for in the prompt."""
    schema = json.loads(json.dumps(REDUCE_SCHEMA))
    schema["properties"]["sections"]["minItems"] = low
    return schema


def section_range(duration: float, topics: int) -> tuple[int, int]:
    """How many sections to ask for: 3–4 under 10 minutes, 3–6 under 30, else 3–8."""
    if duration < 600:
        low, high = 3, 4
    elif duration < 1800:
        low, high = 3, 6
    else:
        low, high = 3, 8
    high = max(1, min(high, topics))
    return min(low, high), high


def sections_from_reply(reply: dict[str, Any], drafts: list[Draft], low: int,
                        high: int) -> list[tuple[str, list[Draft]]] | None:
    """The model's grouping made whole: unknown ids ignored, repeats dropped, missing topics
    joined to the section of their nearest neighbour; None when it is unusable."""
    count = len(drafts)
    owner: dict[int, int] = {}
    titles: list[str] = []
    for section in reply.get("sections") or []:
        if not isinstance(section, dict):
            continue
        ids = [i for i in _ints(section.get("topics")) if 1 <= i <= count and i not in owner]
        if not ids:
            continue
        for i in ids:
            owner[i] = len(titles)
        titles.append(clean_title(section.get("title")) or drafts[ids[0] - 1].title)
    if not titles or len(owner) * 2 < count or (len(titles) < low and count >= low):
        return None
    for i in range(1, count + 1):
        if i not in owner:
            near = sorted((j for j in owner), key=lambda j: (abs(j - i), j > i))
            owner[i] = owner[near[0]]
    groups: list[tuple[str, list[Draft]]] = [
        (title, [drafts[i - 1] for i in sorted(owner) if owner[i] == k])
        for k, title in enumerate(titles)
    ]
    groups.sort(key=lambda g: min(d.start for d in g[1]))
    while len(groups) > high:
        sizes = [sum(len(d.bullets) for d in g[1]) for g in groups]
        k = min(range(len(groups) - 1), key=lambda j: sizes[j] + sizes[j + 1])
        keep = groups[k][0] if sizes[k] >= sizes[k + 1] else groups[k + 1][0]
        groups[k : k + 2] = [(keep, groups[k][1] + groups[k + 1][1])]
    return groups


def group_by_time(drafts: list[Draft], low: int, high: int) -> list[tuple[str, list[Draft]]]:
    """Deterministic grouping: consecutive topics by time, balanced by bullet count."""
    ordered = sorted(drafts, key=lambda d: d.start)
    count = max(low, min(high, math.ceil(len(ordered) / 3)))
    count = max(1, min(count, len(ordered)))
    total = sum(len(d.bullets) for d in ordered)
    groups: list[list[Draft]] = [[]]
    filled = 0
    for i, draft in enumerate(ordered):
        left = len(ordered) - i
        must_open = count - len(groups) >= left  # each remaining group needs a draft
        target = total * len(groups) / count
        if groups[-1] and len(groups) < count and (filled >= target or must_open):
            groups.append([])
        groups[-1].append(draft)
        filled += len(draft.bullets)
    return [(max(g, key=lambda d: len(d.bullets)).title, g) for g in groups]


# ---------------------------------------------------------------- helpers

def chunk_lines(chunk: Chunk) -> list[Line]:
    """The chunk's segments, recovered from its text (`[h:mm:ss] text` per segment)."""
    texts: list[tuple[float, str]] = []
    for raw in chunk.text.splitlines():
        match = _LINE.match(raw)
        if match:
            h, m, s, text = match.groups()
            texts.append((int(h) * 3600 + int(m) * 60 + int(s), text.strip()))
        elif texts:
            texts[-1] = (texts[-1][0], f"{texts[-1][1]} {raw.strip()}".strip())
        elif raw.strip():
            texts.append((chunk.start, raw.strip()))
    ids = chunk.segment_ids or [0]
    if not texts:
        texts = [(chunk.start, "")]
    if len(texts) > len(ids):  # extra lines: a segment's own text held a timestamp
        texts[len(ids) - 1 :] = [(texts[len(ids) - 1][0],
                                  " ".join(t for _, t in texts[len(ids) - 1 :]))]
    starts = [min(max(t, chunk.start), chunk.end) for t, _ in texts]
    starts[0] = chunk.start
    lines = []
    for i, (segment_id, (_, text)) in enumerate(zip(ids, texts, strict=False)):
        end = starts[i + 1] if i + 1 < len(texts) else chunk.end
        lines.append(Line(segment_id, starts[i], max(end, starts[i]), text))
    return lines


def bullet_budget(lines: list[Line]) -> int:
    """About one bullet per 40 words of transcript, 2 to 12."""
    words = sum(len(ln.text.split()) for ln in lines)
    return max(2, min(12, round(words / 40)))


def drafts_from_reply(reply: dict[str, Any], lines: list[Line]) -> list[Draft]:
    """Topics from a map reply; each bullet's segments checked against the chunk."""
    known = {ln.id for ln in lines}
    drafts: list[Draft] = []
    for topic in reply.get("topics") or []:
        if not isinstance(topic, dict):
            continue
        bullets: list[Bullet] = []
        for item in topic.get("bullets") or []:
            if not isinstance(item, dict):
                continue
            text = clean_text(item.get("text"))
            if not text:
                continue
            ids = sorted({i for i in _ints(item.get("segments")) if i in known})
            if not ids:
                ids = lexical_match(text, lines)
            cited = [ln for ln in lines if ln.id in ids]
            bullets.append(Bullet(text, min(ln.start for ln in cited),
                                  max(ln.end for ln in cited), ids))
        if bullets:
            drafts.append(Draft(clean_title(topic.get("title")) or "Notes", bullets))
    return drafts


def reground(bullet: Bullet, lines: list[Line], names: list[str]) -> None:
    """Add to a bullet's segments the chunk lines that hold the figures and names its cited lines
    lack (small models cite the neighbouring line); a bullet nothing in the chunk supports is
    left for the faithfulness check to repair or drop."""
    from recap.faithful import check_bullet
    from recap.numbers import extract_figures, find_match

    cited = {*bullet.segment_ids}
    problem = check_bullet(bullet.text, " ".join(ln.text for ln in lines if ln.id in cited), names)
    if problem is None:
        return
    if check_bullet(bullet.text, " ".join(ln.text for ln in lines), names) is not None:
        return
    wanted = [f for term in problem.unsupported_figures for f in extract_figures(term)]
    words = [n.lower() for n in problem.unsupported_names]
    extra = {ln.id for ln in lines
             if any(find_match(f, extract_figures(ln.text, heard=True)) for f in wanted)
             or any(w in ln.text.lower() for w in words)}
    bullet.segment_ids = sorted(cited | extra)


def lexical_match(text: str, lines: list[Line]) -> list[int]:
    """The segments sharing most words with `text` (all of them when none shares any)."""
    words = content_words(text)
    scores = [len(words & content_words(ln.text)) for ln in lines]
    best = max(scores, default=0)
    if best == 0:
        return sorted({ln.id for ln in lines})
    ranked = sorted(range(len(lines)), key=lambda i: -scores[i])
    chosen = [i for i in ranked[:3] if scores[i] >= max(1, 0.75 * best)]
    return sorted({lines[i].id for i in chosen})


def place_bullet(bullet: Bullet, chunk: Chunk, segments: dict[int, Segment],
                 duration: float) -> None:
    """Exact times from the transcript's segments, inside the chunk and the episode."""
    cited = [segments[i] for i in bullet.segment_ids if i in segments]
    lo, hi = max(0.0, chunk.start), min(duration, chunk.end)
    if cited:
        start = min(s.start for s in cited)
        end = max(s.end for s in cited)
    else:
        start, end = bullet.start, bullet.end
    bullet.start = round(min(max(start, lo), hi), 2)
    bullet.end = round(min(max(end, bullet.start), hi), 2)


def remove_duplicates(topics: list[Topic], threshold: float) -> int:
    """Drop near-duplicate bullets (same figures, similar words), keeping the earliest."""
    seen: list[tuple[frozenset[str], frozenset[str]]] = []
    removed = 0
    everything = sorted(((b.start, ti, bi) for ti, t in enumerate(topics)
                         for bi, b in enumerate(t.bullets)))
    drop: set[tuple[int, int]] = set()
    for _, ti, bi in everything:
        words = frozenset(content_words(topics[ti].bullets[bi].text))
        figures = frozenset(w for w in words if any(c.isdigit() for c in w))
        if any(figures == f and jaccard(words, w) >= threshold for w, f in seen):
            drop.add((ti, bi))
            removed += 1
            continue
        seen.append((words, figures))
    for ti, topic in enumerate(topics):
        topic.bullets = [b for bi, b in enumerate(topic.bullets) if (ti, bi) not in drop]
    return removed


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def content_words(text: str) -> set[str]:
    """Lower-case words without the commonest function words."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


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


def fit_words(text: str, budget: int, count: Callable[[str], int]) -> str:
    """`text` cut at a word boundary to fit `budget` tokens (metadata only, never transcript)."""
    if budget <= 0:
        return ""
    if count(text) <= budget:
        return text
    words = text.split()
    low, high = 0, len(words)
    while low < high:
        mid = (low + high + 1) // 2
        if count(" ".join(words[:mid]) + " …") <= budget:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low]) + " …" if low else ""


def clean_text(value: object) -> str:
    """A bullet or sentence from the model: one line, no list marker."""
    text = " ".join(str(value or "").split())
    return re.sub(r"^(?:[-*•]\s*|\d+[.)]\s+)", "", text).strip()


def clean_title(value: object) -> str:
    return clean_text(value).strip("#*: ").strip()


def unique_strings(values: object, limit: int) -> list[str]:
    out: dict[str, str] = {}
    for value in values if isinstance(values, list) else []:
        text = clean_text(value).strip(".,;")
        if text and text.lower() not in out:
            out[text.lower()] = text
    return list(out.values())[:limit]


def _ints(values: object) -> list[int]:
    """Integers from a list that may hold ints or strings like "S12"."""
    out = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out.append(value)
        elif isinstance(value, str):
            match = re.fullmatch(r"\s*[ST]?(\d+)\s*", value, re.IGNORECASE)
            if match:
                out.append(int(match.group(1)))
    return out


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ---------------------------------------------------------------- entry points

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
    builder = NotesBuilder(episode, options, llm, reporter, total=len(chunks.chunks))
    try:
        for chunk in chunks.chunks:
            builder.submit(chunk)
        return builder.finish(chunks, transcript)
    finally:
        builder.close()


def explain(episode: Episode) -> str:
    """Per bullet: its time range, its segment ids and the transcript text it rests on."""
    notes_ = Notes.load(episode.notes_path, f"recap notes {episode.root}")
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {episode.root}")
    segments = {s.id: s for s in transcript.segments}
    out: list[str] = []
    for topic in notes_.topics:
        out.append(f"## {topic.title}")
        for bullet in topic.bullets:
            ids = ", ".join(f"S{i}" for i in bullet.segment_ids) or "no segments"
            out.append(f"- {bullet.text}")
            out.append(f"  {clock(bullet.start)}–{clock(bullet.end)} · {ids}")
            for i in bullet.segment_ids:
                segment = segments.get(i)
                if segment is None:
                    out.append(f"    > (S{i}) not in transcript.json")
                else:
                    out.append(f"    > (S{i}) [{clock(segment.start)}] {segment.text.strip()}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
