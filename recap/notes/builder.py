"""The notes stage's conductor: windows out to the model as chunks arrive, notes.json at the end.

    extract (a call per window; a stretch no note cites asked again) -> check each note ->
    de-duplicate -> first person turned into the third in code -> cut into sections -> title
    them (a call each) -> intro (one call)

The speakers call runs first, on the episode's opening, so every extraction call can name people
instead of writing "I" and "we". Calls run in a pool of `llm.settings.jobs` threads as soon as a
chunk is submitted, so they overlap transcription when the pipeline streams; every call goes
through the episode's reply cache, so a rerun with nothing changed makes no request.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from recap.episode import Episode, atomic_write_text
from recap.errors import ArtifactError, LLMReplyError
from recap.models import Chunk, Chunks, Info, Notes, Transcript
from recap.notes.ask import Asker
from recap.notes.assemble import EpisodeText, assemble, usage_delta
from recap.notes.extract import Gap, extract, uncovered
from recap.notes.intro import Speakers, identify_speakers, opening_text
from recap.notes.options import NotesOptions
from recap.notes.review import NameContext, WindowResult, first_look, review
from recap.notes.rewrite import example_subjects
from recap.notes.verify import Candidate, ad_lines, closing_lines, preview_lines
from recap.notes.windows import Window, chunk_lines, make_windows
from recap.progress import Reporter
from recap.text.clock import clock

if TYPE_CHECKING:
    from recap.llm import LLMClient

log = logging.getLogger("recap.notes")


class NotesBuilder:
    """Builds notes while chunks arrive: `submit` each chunk, then `finish`, and `close` always."""

    def __init__(self, episode: Episode, options: NotesOptions, llm: LLMClient,
                 reporter: Reporter, language: str | None = None):
        self.episode = episode
        self.source_language = language or "en"
        """The transcript's language as far as it is known when chunks are submitted; `finish`
        starts again in the right language if the transcript says otherwise."""
        self.options = options
        self.llm = llm
        self.reporter = reporter
        self._asked = _Asked(reporter)
        self._pool: ThreadPoolExecutor | None = None
        self._asker: Asker | None = None
        self._info: Info | None = None
        self._usage_before: dict[str, Any] = {}

    # -- public API

    def submit(self, chunk: Chunk) -> None:
        """Start the extraction calls of `chunk`'s windows now, in the background."""
        asker, pool = self._prepare()
        lines = chunk_lines(chunk)
        closing = closing_lines(lines)
        lines = [line for line in lines if line.id not in closing]
        windows = make_windows(chunk, lines, self.options.window_words, self.options.window_overlap,
                               self.options.window_sentences)
        with self._asked.lock:
            self._asked.chunks[chunk.index] = chunk
            if self._asked.speakers is None:
                opening = opening_text(" ".join(ln.text for ln in lines))
                self._asked.speakers = pool.submit(identify_speakers, asker,
                                                   self._episode_info(), opening)
        self._asked.add([(window, pool.submit(self._extract, window)) for window in windows])

    def finish(self, chunks: Chunks, transcript: Transcript) -> Notes:
        """Wait for the windows, assemble, write notes.json atomically and return the notes."""
        if not chunks.chunks:
            raise ArtifactError(f"{self.episode.chunks_path} holds no chunks; rebuild it with "
                                f"`recap chunk {self.episode.root}`")
        if (transcript.language or "en") != self.source_language:
            self._restart_in(transcript.language or "en")
        for chunk in chunks.chunks:
            if self._asked.chunks.get(chunk.index) != chunk:
                self._asked.forget(chunk.index)
                self.submit(chunk)
        pending = self._asked.pending()
        results = [_with_gaps(future.result()) for _, future in pending]
        duration = max(transcript.duration, chunks.chunks[-1].end)
        notes = self._assemble(results, chunks, transcript, duration)
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
        self._asked.cancel_all()
        if self._asker is not None:
            self._asker.language, self._asker.source_language = self.language, language

    def _speaker_info(self) -> Speakers:
        future = self._asked.speakers
        return future.result() if future is not None else Speakers()

    def _names(self, speakers: Speakers) -> NameContext:
        from recap.quality.support import known_names

        return NameContext.of(known_names(self._episode_info()), speakers)

    # -- per window

    def _extract(self, window: Window) -> WindowResult:
        """The window's notes, first looked at; its stretches that no note covers are sent to
        the pool as calls of their own (`_ask_gap`), behind the windows already waiting: asked
        here one after the other, the last windows' stretches kept one slot of the server busy
        while the others idled (see `_Asked.add_gaps`)."""
        asker, pool = self._asker, self._pool
        assert asker is not None
        speakers = self._speaker_info()
        title, described = self._episode_info().title, speakers.describe()
        result = WindowResult(window)
        try:
            result.candidates = extract(asker, window, title, described)
        except LLMReplyError as exc:
            log.warning("window %s (%s–%s): no usable notes (%s)", window.key,
                        clock(window.start), clock(window.end), exc)
            result.error = str(exc)
            return result
        ads = self._ads(window)
        result.candidates = self._first_look(result.candidates, window, speakers, ads)
        gaps = uncovered(window, result.candidates, self.options.gap_words, ads)
        if pool is None:  # the stage stopped: nothing waits for them
            return result
        try:
            result.pending = [pool.submit(self._ask_gap, gap, ads) for gap in gaps]
        except RuntimeError:  # the pool was shut meanwhile
            return result
        self._asked.add_gaps(window.chunk, result.pending)
        return result

    def _ask_gap(self, gap: Gap, ads: frozenset[int]) -> list[Candidate] | None:
        """The notes of a stretch asked again that cite its open lines (None: no reply)."""
        asker = self._asker
        assert asker is not None
        speakers = self._speaker_info()
        try:
            found = extract(asker, gap.window, self._episode_info().title, speakers.describe())
        except LLMReplyError as exc:
            log.info("window %s: the stretch %s–%s asked again gave nothing (%s)",
                     gap.window.key, clock(gap.window.start), clock(gap.window.end), exc)
            return None
        return [c for c in self._first_look(found, gap.window, speakers, ads) if gap.keeps(c)]

    def _first_look(self, found: list[Candidate], window: Window, speakers: Speakers,
                    ads: frozenset[int]) -> list[Candidate]:
        return first_look(found, window, self._names(speakers), self.language, self.translated,
                          self.options.verify, ads)

    def _ads(self, window: Window) -> frozenset[int]:
        """The sponsor's read in the window's chunk (found over the chunk: a read can start in
        the window before), and the host's preview of later parts in the opening."""
        if self.translated or not self.options.verify:
            return frozenset()
        with self._asked.lock:
            chunk = self._asked.chunks.get(window.chunk)
        lines = chunk_lines(chunk) if chunk is not None else list(window.lines)
        return ad_lines(lines, self._speaker_info().show) | preview_lines(lines)

    # -- assembly

    def _assemble(self, results: list[WindowResult], chunks: Chunks, transcript: Transcript,
                  duration: float) -> Notes:
        asker = self._asker
        assert asker is not None
        speakers = self._speaker_info()
        names = self._names(speakers)
        borrowed = example_subjects(self.options.load_prompts()["extract"].text)
        reviewed = review(results, names, speakers, language=self.language,
                          translated=self.translated, similarity=self.options.duplicate_similarity,
                          borrowed=borrowed)  # raises if none gave notes
        for result in results:
            if result.error is not None:
                self.reporter.message(f"notes: the part {clock(result.window.start)}–"
                                      f"{clock(result.window.end)} gave no usable notes: "
                                      f"{result.error}")
        episode = EpisodeText(self._episode_info(), chunks.chunks, transcript, duration)
        notes = assemble(reviewed, episode, asker, speakers, names, self.language,
                         self.options.verify, self.options.duplicate_similarity)
        notes.checks["usage"] = usage_delta(self._usage_before, self.llm.usage.to_dict())
        return notes


def _with_gaps(result: WindowResult) -> WindowResult:
    """The window's notes with those of its stretches asked again, in the window's order."""
    for future in result.pending:
        found = future.result()
        if found is not None:
            result.gaps += 1
            result.candidates += found
    result.pending = []
    return result


class _Asked:
    """The chunks and windows asked so far and the replies to come. The caller and the pool
    threads (through the done callbacks) share it: `lock` guards every field."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter
        self.lock = threading.Lock()
        self.chunks: dict[int, Chunk] = {}
        self.windows: list[tuple[Window, Future[WindowResult]]] = []
        self.gaps: list[tuple[int, Future[Any]]] = []
        """The stretches asked again, each a call of its own (counted in the progress), with
        their chunk's index."""
        self.speakers: Future[Speakers] | None = None
        self.done = 0

    def add(self, started: list[tuple[Window, Future[WindowResult]]]) -> None:
        with self.lock:
            self.windows.extend(started)
        for _, future in started:  # outside the lock: a finished future calls back at once
            future.add_done_callback(self._on_done)

    def add_gaps(self, chunk_index: int, started: list[Future[Any]]) -> None:
        with self.lock:
            self.gaps.extend((chunk_index, future) for future in started)
        for future in started:
            future.add_done_callback(self._on_done)

    def pending(self) -> list[tuple[Window, Future[WindowResult]]]:
        """Every window in transcript order; the progress bar set to what is done."""
        with self.lock:
            pending, done = sorted(self.windows, key=lambda item: item[0].key), self.done
            total = len(self.windows) + len(self.gaps)
        self.reporter.stage_started("notes", total)
        self.reporter.advance("notes", done, total)
        return pending

    def forget(self, chunk_index: int) -> None:
        """Drop the windows of a chunk submitted in another form (it changed since)."""
        with self.lock:
            for future in [*(f for w, f in self.windows if w.chunk == chunk_index),
                           *(f for c, f in self.gaps if c == chunk_index)]:
                future.cancel()
            self.windows = [(w, f) for w, f in self.windows if w.chunk != chunk_index]
            self.gaps = [(c, f) for c, f in self.gaps if c != chunk_index]

    def cancel_all(self) -> None:
        with self.lock:
            for future in [*(f for _, f in self.windows), *(f for _, f in self.gaps)]:
                future.cancel()
            if self.speakers is not None:
                self.speakers.cancel()
            self.windows, self.gaps, self.chunks, self.done = [], [], {}, 0
            self.speakers = None

    def _on_done(self, future: Future[Any]) -> None:
        if future.cancelled():
            return
        with self.lock:
            self.done += 1
            done, total = self.done, len(self.windows) + len(self.gaps)
        self.reporter.advance("notes", done, total)
