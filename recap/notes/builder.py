"""The notes stage's conductor: windows out to the model as chunks arrive, notes.json at the end.

    extract (a call per window) -> check each note -> de-duplicate -> first person turned into
    the third in code -> cut into sections -> title them (one call) -> intro (one call)

The speakers call runs first, on the episode's opening, so every extraction call can name people
instead of writing "I" and "we". Calls run in a pool of `llm.settings.jobs` threads as soon as a
chunk is submitted, so they overlap transcription when the pipeline streams; every call goes
through the episode's reply cache, so a rerun with nothing changed makes no request.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recap.episode import Episode, atomic_write_text
from recap.errors import ArtifactError, LLMReplyError
from recap.models import Bullet, Chunk, Chunks, Info, Notes, Segment, Topic, Transcript
from recap.notes.ask import Asker
from recap.notes.dedupe import remove_duplicates
from recap.notes.extract import extract
from recap.notes.intro import Speakers, identify_speakers, opening_text, write_intro
from recap.notes.options import NotesOptions
from recap.notes.rewrite import clean_spoken, third_person
from recap.notes.sections import section_count, split_sections, title_sections
from recap.notes.verify import FIXABLE, Candidate, inspect, split_note, tidy
from recap.notes.windows import Window, chunk_lines, make_windows
from recap.notes.words import stem, words
from recap.progress import Reporter
from recap.text.clock import clock

if TYPE_CHECKING:
    from recap.llm import LLMClient

log = logging.getLogger("recap.notes")


@dataclass
class WindowResult:
    """What extraction made of one window."""

    window: Window
    candidates: list[Candidate] = field(default_factory=list)
    error: str | None = None


class NotesBuilder:
    """Builds notes while chunks arrive: `submit` each chunk, then `finish`, and `close` always."""

    def __init__(self, episode: Episode, options: NotesOptions, llm: LLMClient,
                 reporter: Reporter, total: int | None = None, language: str | None = None):
        self.episode = episode
        self.source_language = language or "en"
        """The transcript's language as far as it is known when chunks are submitted; `finish`
        starts again in the right language if the transcript says otherwise."""
        self.options = options
        self.llm = llm
        self.reporter = reporter
        self.total = total
        """The number of chunks, when known before they arrive."""
        self._lock = threading.Lock()
        """Guards `_submitted`, `_windows` and `_done`, which pool threads and the caller share."""
        self._pool: ThreadPoolExecutor | None = None
        self._submitted: dict[int, Chunk] = {}
        self._windows: list[tuple[Window, Future[WindowResult]]] = []
        self._speakers: Future[Speakers] | None = None
        self._done = 0
        self._asker: Asker | None = None
        self._info: Info | None = None
        self._usage_before: dict[str, Any] = {}

    # -- public API

    def submit(self, chunk: Chunk) -> None:
        """Start the extraction calls of `chunk`'s windows now, in the background."""
        asker, pool = self._prepare()
        lines = chunk_lines(chunk)
        windows = make_windows(chunk, lines, self.options.window_words, self.options.window_overlap)
        futures: list[Future[WindowResult]] = []
        with self._lock:
            self._submitted[chunk.index] = chunk
            if self._speakers is None:
                opening = opening_text(" ".join(ln.text for ln in lines))
                self._speakers = pool.submit(identify_speakers, asker, self._episode_info(),
                                             opening)
            for window in windows:
                futures.append(pool.submit(self._extract, window))
                self._windows.append((window, futures[-1]))
        for future in futures:  # outside the lock: a finished future calls back at once
            future.add_done_callback(self._on_window_done)

    def finish(self, chunks: Chunks, transcript: Transcript) -> Notes:
        """Wait for the windows, assemble, write notes.json atomically and return the notes."""
        if not chunks.chunks:
            raise ArtifactError(f"{self.episode.chunks_path} holds no chunks; rebuild it with "
                                f"`recap chunk {self.episode.root}`")
        if (transcript.language or "en") != self.source_language:
            self._restart_in(transcript.language or "en")
        for chunk in chunks.chunks:
            if self._submitted.get(chunk.index) != chunk:
                self._forget(chunk.index)
                self.submit(chunk)
        with self._lock:
            pending = sorted(self._windows, key=lambda item: item[0].key)
        self.reporter.stage_started("notes", len(pending))
        self.reporter.advance("notes", self._done, len(pending))
        results = [future.result() for _, future in pending]
        segments = {s.id: s for s in transcript.segments}
        duration = max(transcript.duration, chunks.chunks[-1].end)
        notes = self._assemble(results, chunks, transcript, segments, duration)
        atomic_write_text(self.episode.notes_path, notes.to_json())
        return notes

    def close(self) -> None:
        """Cancel the calls not yet started and shut the pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- set-up (lazy: nothing happens in the constructor)

    def _prepare(self) -> tuple[Asker, ThreadPoolExecutor]:
        if self._asker is None:
            from recap.llm import ReplyCache

            self.options.load_prompts()
            self._episode_info()
            self._asker = Asker(self.llm, self.options, ReplyCache(self.episode.llm_cache_dir),
                                language=self.language, source_language=self.source_language)
            self._usage_before = self.llm.usage.to_dict()
        if self._pool is None:
            jobs = max(1, self.llm.settings.jobs)
            self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="recap-notes")
            self.reporter.stage_started("notes", None)
        return self._asker, self._pool

    def _episode_info(self) -> Info:
        if self._info is None:
            self._info = Info.load(self.episode.info_path, "recap fetch SOURCE")
        return self._info

    @property
    def language(self) -> str:
        """The language the notes are written in: the one asked for, else the episode's."""
        return self.options.language or self.source_language

    @property
    def translated(self) -> bool:
        return self.language != self.source_language

    def _restart_in(self, language: str) -> None:
        """The transcript turned out to be in another language than was assumed while it
        streamed: every window is asked again (the replies made so far are for nothing)."""
        log.info("the transcript is in %s, not %s: notes start again", language,
                 self.source_language)
        self.source_language = language
        with self._lock:
            for _, future in self._windows:
                future.cancel()
            self._windows, self._submitted, self._done = [], {}, 0
            if self._speakers is not None:
                self._speakers.cancel()
            self._speakers = None
        if self._asker is not None:
            self._asker.language, self._asker.source_language = self.language, language

    def _forget(self, chunk_index: int) -> None:
        """Drop the windows of a chunk submitted in another form (it changed since)."""
        with self._lock:
            self._windows = [(w, f) for w, f in self._windows if w.chunk != chunk_index]

    def _on_window_done(self, future: Future[WindowResult]) -> None:
        if future.cancelled():
            return
        with self._lock:
            self._done += 1
            done, total = self._done, len(self._windows)
        self.reporter.advance("notes", done, total)

    def _speaker_info(self) -> Speakers:
        return self._speakers.result() if self._speakers is not None else Speakers()

    def _names(self, speakers: Speakers) -> list[str]:
        from recap.quality.support import known_names

        return [*known_names(self._episode_info()), *speakers.names()]

    # -- per window

    def _extract(self, window: Window) -> WindowResult:
        asker = self._asker
        assert asker is not None
        speakers = self._speaker_info()
        result = WindowResult(window)
        try:
            result.candidates = extract(asker, window, self._episode_info().title,
                                        speakers.describe())
        except LLMReplyError as exc:
            log.warning("window %s (%s–%s): no usable notes (%s)", window.key,
                        clock(window.start), clock(window.end), exc)
            result.error = str(exc)
            return result
        names, free = self._names(speakers), _name_stems(speakers)
        result.candidates = [Candidate(part, window) for candidate in result.candidates
                             for part in split_note(candidate.text)]
        for candidate in result.candidates:
            if self.language == "en":  # English fillers ("um" is a German word)
                candidate.text = tidy(clean_spoken(candidate.text))
            else:
                candidate.text = candidate.text.strip()
            if self.options.verify:
                inspect(candidate, names, free, self.language, self.translated)
            else:
                candidate.segment_ids = [ln.id for ln in window.lines]
        return result

    # -- assembly

    def _assemble(self, results: list[WindowResult], chunks: Chunks, transcript: Transcript,
                  segments: dict[int, Segment], duration: float) -> Notes:
        failed = [r for r in results if r.error is not None]
        if results and len(failed) == len(results):
            raise LLMReplyError(f"the LLM gave no usable notes for any of the {len(results)} "
                                f"parts of the transcript ({failed[0].error})")
        for result in failed:
            self.reporter.message(f"notes: the part {clock(result.window.start)}–"
                                  f"{clock(result.window.end)} gave no usable notes: "
                                  f"{result.error}")
        asker = self._asker
        assert asker is not None
        speakers = self._speaker_info()
        names, free = self._names(speakers), _name_stems(speakers)
        candidates = sorted((c for r in results for c in r.candidates), key=lambda c: c.start)
        written = list(candidates)
        stats = _Stats(len(results), len(failed), len(candidates))

        pending, broken = [], []
        for candidate in candidates:
            problems = set(candidate.problems)
            if not problems:
                pending.append(candidate)
            elif problems <= FIXABLE:
                broken.append(candidate)
            else:
                stats.drop(candidate, "dropped")
        pending, removed = remove_duplicates(pending + broken, self.options.duplicate_similarity)
        stats.duplicates += removed
        fixable = [c for c in pending if c.problems]
        person = speakers.guests[0][0].split()[-1] if speakers.guests else ""
        for candidate in fixable:
            before = candidate.text
            if self.language == "en":  # the rewrite knows English pronouns only
                candidate.text = tidy(third_person(before, person))
            inspect(candidate, names, free, self.language, self.translated)
            if candidate.problems:
                candidate.text = before
                stats.drop(candidate, "not fixed")
            else:
                stats.repaired.append({"before": before, "after": candidate.text})
        if fixable:
            pending = [c for c in pending if not c.problems]
            pending, removed = remove_duplicates(pending, self.options.duplicate_similarity)
            stats.duplicates += removed
        kept = sorted(pending, key=lambda c: c.start)
        if not kept:
            raise LLMReplyError("the LLM returned no usable notes for this episode")

        sections = split_sections(kept, section_count(len(kept)))
        speaker_words = frozenset(w for n in speakers.names() for w in words(n))
        titles, title_stats = title_sections(asker, self._episode_info().title, sections,
                                             speaker_words)
        topics = [Topic(title, [self._bullet(c, segments, duration) for c in section])
                  for title, section in zip(titles, sections, strict=True)]
        highlights = _highlights(sections)
        fields, intro_checks = write_intro(
            asker, self._episode_info(), speakers, titles, highlights, transcript.text,
            clock(duration), names)
        notes = Notes(topics=topics, language=self.language, **fields)
        notes.checks = {
            **stats.report(written, names),
            **title_stats,
            **intro_checks,
            "sections": len(topics),
            "bullets": sum(len(t.bullets) for t in topics),
            "reduce": "fallback" if title_stats["title_fallbacks"] else "llm",
            "reduce_fallbacks": title_stats["title_fallbacks"],
            "calls": dict(asker.calls),
            "failed_calls": dict(asker.failed),
        }
        if self.options.verify:
            from recap.quality.coverage import coverage

            notes.checks["coverage"] = coverage(notes, chunks.chunks)
        notes.checks["usage"] = usage_delta(self._usage_before, self.llm.usage.to_dict())
        return notes

    def _bullet(self, candidate: Candidate, segments: dict[int, Segment],
                duration: float) -> Bullet:
        cited = [segments[i] for i in candidate.segment_ids if i in segments]
        start = min((s.start for s in cited), default=candidate.start)
        end = max((s.end for s in cited), default=candidate.end)
        start = round(min(max(start, 0.0), duration), 2)
        return Bullet(candidate.text, start, round(min(max(end, start), duration), 2),
                      list(candidate.segment_ids))


class _Stats:
    """What the checks did, in the shape `recap check` reads (see recap.quality)."""

    def __init__(self, windows: int, failed: int, candidates: int):
        self.windows, self.failed, self.candidates = windows, failed, candidates
        self.duplicates = 0
        self.dropped: list[dict[str, Any]] = []
        self.repaired: list[dict[str, str]] = []

    def drop(self, candidate: Candidate, outcome: str) -> None:
        self.dropped.append({"text": candidate.text, "problem": ", ".join(candidate.problems),
                             "outcome": outcome})

    def report(self, written: list[Candidate], names: list[str]) -> dict[str, Any]:
        from recap.quality.support import count_support

        figures = figures_found = names_checked = names_found = 0
        for candidate in written:
            a, b, c, d = count_support(candidate.text, candidate.window.text, names)
            figures, figures_found = figures + a, figures_found + b
            names_checked, names_found = names_checked + c, names_found + d
        reasons: dict[str, int] = {}
        for item in self.dropped:
            for problem in str(item["problem"]).split(", "):
                if problem:
                    reasons[problem] = reasons.get(problem, 0) + 1
        return {
            "windows": self.windows, "failed_windows": self.failed,
            "checked": self.candidates,
            "verified": self.candidates - len(self.dropped) - len(self.repaired),
            "repaired": len(self.repaired), "dropped": len(self.dropped),
            "duplicates_removed": self.duplicates,
            "figures_checked": figures, "figures_verified": figures_found,
            "names_checked": names_checked, "names_verified": names_found,
            "drop_reasons": reasons,
            "dropped_bullets": [d["text"] for d in self.dropped],
            "repaired_bullets": self.repaired,
            "problems": self.dropped,
        }


def _name_stems(speakers: Speakers) -> frozenset[str]:
    return frozenset(stem(w) for name in speakers.names() for w in words(name))


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
