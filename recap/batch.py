"""Batch runs: list a playlist, channel, feed or file of sources, plan it, and run every episode.

    listing = expand("https://example.com/feed.xml")
    chosen = select(listing.entries, limit=10, since=date(2024, 1, 1))
    with create_executor("local", jobs=1) as executor:
        result = run_batch(listing.source, chosen.entries, Path("output"), BatchOptions(),
                           run_options, executor, reporter, llm_factory)

Each episode runs the usual stages in its own folder, as three steps that queue for three
kinds of worker slot: downloads (network), transcription (CPU/GPU, on an executor) and the
LLM stages (chunk, notes, write). So episode B downloads while A transcribes, and A's LLM calls
overlap B's transcription. One episode's failure never stops the others. Stages that are up to
date are skipped through the episode manifests, so rerunning a batch (after a failure, Ctrl-C or
a kill) redoes only what is missing. `OUTPUT_ROOT/batch.json` records the entries and outcomes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import platform
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.cookies import Cookies
from recap.episode import (
    STAGES,
    Episode,
    StageRecord,
    atomic_write_json,
    find_episode_dir,
    now_iso,
    pid_lock,
    root_lock_path,
    slugify,
)
from recap.errors import ConfigError, FetchError, InputError, RecapError
from recap.progress import Reporter
from recap.youtube import YtdlpLogger

if TYPE_CHECKING:
    from recap.executors import Executor

log = logging.getLogger("recap.batch")

BATCH_FILE = "batch.json"
# The first stage each kind of slot runs (what an entry queued for that slot waits to begin).
_FIRST_STAGE = {"download": "fetch", "transcribe": "transcribe", "llm": "chunk"}
MEDIA_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".opus", ".oga", ".wav", ".flac", ".wma",
                  ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi")

# Rough rates for the plan; they only size the work, they are not billed.
WORDS_PER_MINUTE = 150
"""Typical speaking rate in podcasts."""
TOKENS_PER_WORD = 1.33
"""English averages about 3 tokens per 4 words with OpenAI's tokenizers."""
PROMPT_TOKENS_PER_CALL = 600
"""Instructions and JSON schema sent with every map call."""
NOTES_SHARE = 0.25
"""Notes come out at about a quarter of the transcript they summarise."""
REDUCE_CALLS = 2
"""Calls after the map: merge topics, then intro and keywords."""


# ---------------------------------------------------------------- entries

@dataclass
class Entry:
    """One episode to process, as the source listed it (flat: nothing downloaded)."""

    source: str
    """URL or local path handed to the pipeline."""
    title: str = ""
    id: str = ""
    upload_date: str | None = None
    """YYYY-MM-DD, when the listing gave a date or timestamp."""
    duration: float | None = None
    """Seconds, when the listing gave it."""
    description: str = ""
    uploader: str = ""
    transparent: bool = False
    """The listing's metadata beats the media's own (a feed's enclosure is a bare file)."""
    webpage_url: str = ""
    """The episode's page as the feed names it (its `<link>`, else the enclosure URL as
    published, never where a tracking redirect ends)."""
    thumbnail: str | None = None
    episode_number: int | None = None
    transcripts: list[dict[str, Any]] = field(default_factory=list)
    """A feed's `<podcast:transcript>`s: {url, mime, language, rel}."""

    def metadata(self) -> dict[str, Any]:
        """What fetch merges into info.json (recap.fetch.apply_entry_metadata)."""
        return {"title": self.title, "upload_date": self.upload_date,
                "description": self.description, "uploader": self.uploader,
                "duration": self.duration, "transparent": self.transparent,
                "webpage_url": self.webpage_url, "thumbnail": self.thumbnail,
                "episode_number": self.episode_number, "transcripts": list(self.transcripts)}


@dataclass
class Listing:
    """What a batch SOURCE expanded into."""

    source: str
    title: str
    entries: list[Entry]


def expand(source: str, limit: int | None = None, cookies: Cookies | None = None) -> Listing:
    """List the entries of a playlist/channel/feed URL, a folder of media or a list file.

    URLs are listed with yt-dlp's flat extraction: no media is downloaded. A text file holds
    one source a line (URLs or paths; `#` comments and blank lines ignored), and each line is
    expanded in turn, so a line may itself be a feed. `limit` lets yt-dlp stop listing early.
    `cookies` go with every listing request (a members-only or age-gated playlist needs them).
    """
    from recap.fetch import check_source, is_url

    text = source.strip()
    if not text:
        raise InputError("empty source: give a playlist, channel or feed URL, or a file of sources")
    if is_url(text):
        url = check_source(text)
        title, entries = _expand_url(url, limit, cookies=cookies)
        return Listing(url, title, entries)
    path = Path(text).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        return Listing(str(path.resolve()), path.name, _expand_folder(path))
    if _is_text_file(path):
        return Listing(str(path.resolve()), path.name, _expand_list_file(path, cookies))
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return Listing(str(path.resolve()), path.stem, [_local_entry(path)])
    raise InputError(f"{path} is neither a list of sources (text, one a line) nor a media file")


def read_source_lines(path: Path) -> list[str]:
    """The sources in a list file: stripped lines, without blanks and `#` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the list of sources {path}: {exc}") from None
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _expand_list_file(path: Path, cookies: Cookies | None = None) -> list[Entry]:
    from recap.fetch import check_source, is_url

    entries: list[Entry] = []
    for line in read_source_lines(path):
        if is_url(line):
            try:
                entries.extend(_expand_url(check_source(line), None, cookies=cookies)[1])
            except RecapError as exc:
                # Listed anyway: its fetch fails and the summary says why.
                log.info("cannot list %s: %s", line, exc)
                entries.append(Entry(source=line, title=line))
            continue
        local = Path(line).expanduser()
        if not local.is_absolute():
            local = path.parent / local
        entries.append(_local_entry(local))
    return entries


def _expand_folder(folder: Path) -> list[Entry]:
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
    if not files:
        raise InputError(f"{folder} holds no audio or video files")
    return [_local_entry(p) for p in files]


def _local_entry(path: Path) -> Entry:
    resolved = path.resolve()
    duration = None
    title = path.stem
    if resolved.is_file():
        from recap import media

        with contextlib.suppress(RecapError):
            probe = media.probe(resolved)
            duration = probe.duration or None
            title = probe.title or title
    return Entry(source=str(resolved), title=title, id=resolved.name, duration=duration)


def _is_text_file(path: Path) -> bool:
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multibyte character cut at the block's end
    return True




def _expand_url(url: str, limit: int | None, depth: int = 0,
                cookies: Cookies | None = None) -> tuple[str, list[Entry]]:
    import yt_dlp

    from recap.sources import feeds
    from recap.youtube import clean_ytdlp_error

    if not feeds.is_site_url(url):
        feed = feeds.read_feed(url, cookies=cookies)
        if feed is not None:
            listed = [_entry_from_feed(feed, episode) for episode in feed.episodes]
            listed = [e for e in listed if e.source]
            return feed.title or url, listed[:limit] if limit else listed

    opts: dict[str, Any] = {
        "extract_flat": "in_playlist",
        "skip_download": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": YtdlpLogger(log),
        "enable_file_urls": False,
        "socket_timeout": 30,
        **(cookies.ydl_options() if cookies else {}),
    }
    if limit:
        opts["playlistend"] = limit
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            raw = ydl.sanitize_info(ydl.extract_info(url, download=False))
    except yt_dlp.utils.YoutubeDLError as exc:
        raise FetchError(clean_ytdlp_error(str(exc), url, cookies is not None)) from None
    if not raw:
        raise FetchError(f"nothing to list at {url}")
    if raw.get("_type") != "playlist" and raw.get("entries") is None:
        return str(raw.get("title") or url), [_entry_from(raw, url)]
    entries: list[Entry] = []
    for item in raw.get("entries") or []:
        if not item:
            continue
        nested = item.get("entries") is not None or item.get("_type") == "playlist"
        if nested or (depth < 1 and str(item.get("ie_key") or "").endswith("Tab")):
            # A channel lists its tabs (videos, shorts...) as playlists: list those too.
            if item.get("entries") is not None:
                entries.extend(_entry_from(e, url) for e in item["entries"] if e)
            elif item.get("url"):
                entries.extend(_expand_url(str(item["url"]), limit, depth + 1, cookies)[1])
            continue
        entry = _entry_from(item, url)
        if entry.source:
            entries.append(entry)
    return str(raw.get("title") or url), entries


def _entry_from_feed(feed: Any, episode: Any) -> Entry:
    """An entry for one episode of a feed read by `recap.sources.feeds`."""
    from dataclasses import asdict as as_dict

    return Entry(
        source=episode.enclosure or episode.link,
        title=episode.title,
        id=episode.guid,
        upload_date=episode.published,
        duration=episode.duration,
        description=episode.description,
        uploader=episode.author or feed.author or feed.title,
        transparent=True,
        webpage_url=episode.link or episode.enclosure,
        thumbnail=episode.image,
        episode_number=episode.episode_number,
        transcripts=[as_dict(t) for t in episode.transcripts],
    )


def _entry_from(item: dict[str, Any], fallback: str) -> Entry:
    from yt_dlp.utils import unsmuggle_url

    from recap.fetch import is_url

    raw_url = str(item.get("url") or item.get("webpage_url") or item.get("original_url") or "")
    if raw_url and not is_url(raw_url):
        raw_url = str(item.get("webpage_url") or "")  # a bare id: use the page when given
    url, smuggled = unsmuggle_url(raw_url, {}) if raw_url else (fallback, {})
    if item.get("_type") not in ("url", "url_transparent") and item.get("webpage_url"):
        url = str(item["webpage_url"])  # a resolved single video: its page is the identity
    duration = item.get("duration")
    return Entry(
        source=str(url),
        title=str(item.get("title") or ""),
        id=str((smuggled or {}).get("force_videoid") or item.get("id") or url),
        upload_date=_entry_date(item),
        duration=float(duration) if isinstance(duration, int | float) and duration > 0 else None,
        description=str(item.get("description") or ""),
        uploader=str(item.get("uploader") or item.get("channel") or ""),
        transparent=item.get("_type") == "url_transparent",
    )


def _entry_date(item: dict[str, Any]) -> str | None:
    upload = str(item.get("upload_date") or item.get("release_date") or "")
    if len(upload) == 8 and upload.isdigit():
        return f"{upload[:4]}-{upload[4:6]}-{upload[6:]}"
    for key in ("timestamp", "release_timestamp"):
        value = item.get(key)
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(float(value), dt.UTC).date().isoformat()
    return None


# ---------------------------------------------------------------- selection

@dataclass
class Selection:
    """The entries a batch will process, and what the selection left out or could not tell."""

    entries: list[Entry]
    notes: list[str] = field(default_factory=list)


def parse_since(text: str | None) -> dt.date | None:
    """`--since` as a date (YYYY-MM-DD or YYYYMMDD)."""
    if not text:
        return None
    value = text.strip()
    if len(value) == 8 and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since must be a date like 2024-05-01 (got {text!r})") from None


def select(entries: Sequence[Entry], limit: int | None = None, since: dt.date | None = None,
           match: str | None = None) -> Selection:
    """Drop duplicates, then keep entries matching `match` (title, case-insensitive) dated on or
    after `since` (undated ones are kept), then the first `limit` of them in listing order."""
    from recap.fetch import is_url

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1 (got {limit})")
    notes: list[str] = []
    seen: set[str] = set()
    unique: list[Entry] = []
    for entry in entries:
        key = entry.source if is_url(entry.source) else str(Path(entry.source).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    if len(unique) < len(entries):
        notes.append(f"{_count(len(entries) - len(unique), 'duplicate entry')} dropped")
    chosen = unique
    if match:
        needle = match.casefold()
        chosen = [e for e in chosen if needle in (e.title or e.source).casefold()]
        notes.append(f"{len(chosen)} of {len(unique)} entries match {match!r}")
    if since is not None:
        undated = [e for e in chosen if not e.upload_date]
        before = len(chosen)
        chosen = [e for e in chosen
                  if not e.upload_date or dt.date.fromisoformat(e.upload_date) >= since]
        if before - len(chosen):
            notes.append(f"{_count(before - len(chosen), 'entry')} dated before "
                         f"{since.isoformat()} skipped")
        if undated:
            notes.append(f"{_count(len(undated), 'entry')} without a date kept")
    if limit is not None and len(chosen) > limit:
        notes.append(f"first {limit} of {len(chosen)} entries kept (--limit)")
        chosen = chosen[:limit]
    return Selection(list(chosen), notes)


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


# ---------------------------------------------------------------- options

@dataclass
class BatchOptions:
    """How a batch schedules its episodes."""

    download_jobs: int = 2
    """Episodes downloading at once."""
    llm_jobs: int = 2
    """LLM calls at once across the batch (and episodes in their chunk/notes/write step)."""
    lookahead: int | None = None
    """Episodes fetched but not yet transcribed, at most (None: downloads + transcription slots),
    so early episodes finish first and a long feed does not download everything up front."""

    def __post_init__(self) -> None:
        for name in ("download_jobs", "llm_jobs"):
            value = getattr(self, name)
            if value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1 (got {value})")

    def params(self) -> dict[str, Any]:
        return {"download_jobs": self.download_jobs, "llm_jobs": self.llm_jobs}


# ---------------------------------------------------------------- plan (dry run)

@dataclass
class PlanItem:
    entry: Entry
    folder: str | None
    """The existing episode folder's name, when it was fetched before."""
    todo: str
    """'new', 'done', or 'from <stage>' (the first stage not up to date)."""
    duration: float | None


@dataclass
class Plan:
    """What a batch would do, with rough sizes; printed by `recap batch --dry-run`."""

    source: str
    items: list[PlanItem]
    notes: list[str]
    total_seconds: float
    """Audio known to the listing (or from earlier fetches)."""
    unknown_durations: int
    """Entries whose length is not known before download."""
    transcribe_seconds_todo: float
    """Audio still to transcribe."""
    speed: float | None
    """Transcription speed measured on this machine (audio seconds per second)."""
    llm_model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    """None when the model's price is unknown (or it runs locally)."""
    notes_seconds: float | None = None
    """Estimated notes time with the embedded model (None for a remote endpoint)."""
    notes_x_audio: float | None = None
    """Notes seconds per audio second the estimate uses."""
    notes_measured: bool = False
    """Whether that ratio was measured on this machine (else a documented default)."""

    @property
    def transcribe_wall_seconds(self) -> float | None:
        if not self.speed:
            return None
        return self.transcribe_seconds_todo / self.speed


def entry_state(entry: Entry, output_root: Path, run_options: Any) -> tuple[str | None, str, Any]:
    """(folder name, todo, Episode or None) for an entry, from its folder's manifest."""
    from recap import pipeline
    from recap.fetch import normalise_source

    try:
        found = find_episode_dir(Path(output_root), normalise_source(entry.source))
    except RecapError:
        return None, "new", None
    if found is None:
        return None, "new", None
    episode = Episode(found)
    last = STAGES.index(run_options.stop_after)
    params = pipeline.stage_params(episode, run_options)
    fetch_params = {"source": normalise_source(entry.source),
                    "audio_only": run_options.fetch.audio_only}
    for stage in STAGES[: last + 1]:
        state = pipeline.stage_state(episode, stage,
                                     fetch_params if stage == "fetch" else params[stage])
        if state not in ("done", "edited") or run_options.force:
            return found.name, f"from {stage}", episode
    return found.name, "done", episode


def estimate_llm_tokens(seconds: float, chunk_budget: int) -> tuple[int, int]:
    """(prompt, completion) tokens to summarise `seconds` of speech: map calls + reduce."""
    transcript = seconds / 60 * WORDS_PER_MINUTE * TOKENS_PER_WORD
    if transcript <= 0:
        return 0, 0
    calls = max(1, math.ceil(transcript / max(chunk_budget, 1)))
    notes = transcript * NOTES_SHARE
    prompt = transcript + calls * PROMPT_TOKENS_PER_CALL + REDUCE_CALLS * (
        notes + PROMPT_TOKENS_PER_CALL)
    completion = notes + notes / 2
    return int(prompt), int(completion)


def make_plan(source: str, selection: Selection, output_root: Path, run_options: Any,
              speed: float | None) -> Plan:
    """Size the work: durations, transcription time at `speed`, LLM tokens and cost."""
    from recap.models import Info

    items: list[PlanItem] = []
    total = todo_transcribe = 0.0
    todo_llm: list[float] = []
    unknown = 0
    last = STAGES.index(run_options.stop_after)
    for entry in selection.entries:
        folder, todo, episode = entry_state(entry, output_root, run_options)
        duration = entry.duration
        if episode is not None:
            with contextlib.suppress(RecapError):
                duration = Info.load(episode.info_path).duration or duration
        items.append(PlanItem(entry, folder, todo, duration))
        if duration is None:
            unknown += 1
            continue
        total += duration
        first = STAGES.index(todo.split()[-1]) if todo.startswith("from") else (
            0 if todo == "new" else len(STAGES))
        published = bool(entry.transcripts) and run_options.transcribe.transcript != "whisper"
        if first <= STAGES.index("transcribe") <= last and not published:
            todo_transcribe += duration  # a feed's own transcript needs no Whisper time
        if first <= STAGES.index("notes") <= last:
            todo_llm.append(duration)
    prompt = completion = 0
    model = None
    cost = None
    if todo_llm and run_options.chunk is not None:
        per_item = [estimate_llm_tokens(seconds, run_options.chunk.budget)
                    for seconds in todo_llm]
        prompt = sum(p for p, _ in per_item)
        completion = sum(c for _, c in per_item)
        model, cost = _llm_cost(run_options.llm, prompt, completion)
    plan = Plan(source, items, list(selection.notes), total, unknown, todo_transcribe, speed,
                model, prompt, completion, cost)
    settings = run_options.llm
    if todo_llm and settings is not None and getattr(settings, "embedded", False):
        from recap.llm.embedded import cpu_threads
        from recap.speeds import DEFAULT_NOTES_X_AUDIO, notes_speed

        threads = settings.threads or cpu_threads()
        measured = notes_speed(settings.model_name(), threads)
        plan.notes_x_audio = measured or DEFAULT_NOTES_X_AUDIO
        plan.notes_measured = measured is not None
        plan.notes_seconds = sum(todo_llm) * plan.notes_x_audio
    return plan


def _llm_cost(settings: Any, prompt: int, completion: int) -> tuple[str | None, float | None]:
    if settings is None:
        return None, None
    try:
        model = str(settings.model_name())
    except (AttributeError, RecapError):
        return None, None
    if getattr(settings, "embedded", False):
        return model, None
    try:
        from recap.llm.pricing import estimate_cost
    except ImportError:
        return model, None
    return model, estimate_cost(model, prompt, completion)


# ---------------------------------------------------------------- measured speed

def speed_clip() -> Path:
    """The bundled speech clip the speed is measured on (11 s, public domain)."""
    return Path(__file__).resolve().parent / "data" / "speed-clip.mp3"


def measure_speed(options: Any, cache_dir: Path | None = None, clip: Path | None = None,
                  ) -> float:
    """Transcription speed on this machine (audio seconds per wall second), measured once.

    The measurement runs the real model on a bundled clip and is cached per machine and
    transcription options in `cache_dir/speed.json`.
    """
    from recap import media
    from recap.episode import fingerprint_text
    from recap.transcribe import iter_segments, load_model

    clip = clip or speed_clip()
    from recap.speeds import default_cache_dir

    cache = (cache_dir or default_cache_dir()) / "speed.json"
    key = fingerprint_text(json.dumps(options.params(), sort_keys=True), options.device,
                           str(options.cpu_threads), platform.node(), platform.machine(),
                           str(os.cpu_count()))
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    hit = known.get(key)
    if isinstance(hit, dict) and isinstance(hit.get("speed"), int | float) and hit["speed"] > 0:
        return float(hit["speed"])
    load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    seconds = media.probe(clip).duration
    started = time.perf_counter()
    for _ in iter_segments(clip, options, seconds):
        pass
    elapsed = max(time.perf_counter() - started, 1e-3)
    speed = round(seconds / elapsed, 2)
    known[key] = {"speed": speed, "model": options.model, "measured_at": now_iso(),
                  "clip_seconds": round(seconds, 2)}
    with contextlib.suppress(RecapError):  # an unwritable cache only costs a re-measure
        atomic_write_json(cache, known)
    return speed


# ---------------------------------------------------------------- records and progress

@dataclass
class EntryRecord:
    """One entry's line in batch.json."""

    id: str
    title: str
    url: str
    folder: str | None = None
    status: str = "pending"
    """pending | running | done | skipped (all up to date) | failed | interrupted."""
    stage: str | None = None
    """The stage running now, or the one that failed or was interrupted (or was next)."""
    error: str | None = None
    """Why it failed; for an interrupted entry, where it stopped ("interrupted during
    transcribe": the manifest records that stage as interrupted; "interrupted before transcribe
    began": it was waiting for a slot, and the manifest has no record of it)."""
    stages: dict[str, str] = field(default_factory=dict)
    """stage -> done | skipped | edited | failed."""
    timings: dict[str, float] = field(default_factory=dict)
    """stage -> seconds it ran in this batch run."""
    index: int = 0


@dataclass
class BatchResult:
    source: str
    records: list[EntryRecord]
    path: Path
    """batch.json."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failed(self) -> list[EntryRecord]:
        return [r for r in self.records if r.status == "failed"]


class BatchReporter:
    """Progress callbacks for a batch (no-op base; the CLI draws a live table)."""

    def batch_started(self, records: Sequence[EntryRecord]) -> None:
        """Every entry is known, all pending."""

    def entry_changed(self, record: EntryRecord) -> None:
        """An entry's status or stage changed."""

    def entry_progress(self, record: EntryRecord, stage: str, done: float,
                       total: float | None) -> None:
        """A stage of an entry made progress."""

    def message(self, text: str) -> None:
        """A notice for the user."""

    def batch_finished(self, result: BatchResult) -> None:
        """Every entry ended (done, skipped or failed)."""


class _EntryReporter(Reporter):
    """Turns one episode's stage callbacks into batch callbacks (and a batch.json update)."""

    def __init__(self, record: EntryRecord, batch: BatchReporter, lock: threading.Lock,
                 changed: Callable[[], None]) -> None:
        self.record = record
        self.batch = batch
        self._lock = lock
        self._changed = changed
        self._started: dict[str, float] = {}

    def stage_started(self, stage: str, total: float | None = None, detail: str = "") -> None:
        with self._lock:
            self._started.setdefault(stage, time.monotonic())
            self.record.stage = stage
        self.batch.entry_changed(self.record)
        self._changed()

    def advance(self, stage: str, done: float, total: float | None = None) -> None:
        self.batch.entry_progress(self.record, stage, done, total)

    def stage_finished(self, stage: str, status: str, detail: str = "") -> None:
        with self._lock:
            began = self._started.pop(stage, None)
            if began is not None:
                self.record.timings[stage] = round(time.monotonic() - began, 3)
            self.record.stages[stage] = status
        self.batch.entry_changed(self.record)
        self._changed()

    def message(self, text: str) -> None:
        self.batch.message(f"{self.record.title or self.record.url}: {text}")


class _GatedLLM:
    """One shared LLM client whose calls wait for one of `slots` batch-wide permits."""

    def __init__(self, client: Any, slots: int) -> None:
        self._client = client
        self._gate = threading.BoundedSemaphore(slots)

    def complete_json(self, *args: Any, **kwargs: Any) -> Any:
        with self._gate:
            return self._client.complete_json(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _SharedLLM:
    """Opens the LLM client on first need (the embedded server starts only if notes run)."""

    def __init__(self, factory: Callable[[], Any] | None, slots: int) -> None:
        self._factory = factory
        self._slots = slots
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None and self._factory is not None:
                self._client = _GatedLLM(self._stack.enter_context(self._factory()), self._slots)
            return self._client

    def factory(self) -> Any:
        return contextlib.nullcontext(self.get())

    def close(self) -> None:
        self._stack.close()


# ---------------------------------------------------------------- the scheduler

class _Lane:
    """A queue of steps served by a fixed number of daemon threads (one kind of resource)."""

    def __init__(self, name: str, workers: int) -> None:
        self.name = name
        self.workers = workers
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.workers):
            # Daemon threads: an interrupted batch exits without waiting for a download;
            # atomic writes mean whatever they were writing is either complete or absent.
            thread = threading.Thread(target=self._serve, name=f"recap-{self.name}-{n}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def put(self, step: Callable[[], None]) -> None:
        self._queue.put(step)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    def _serve(self) -> None:
        while True:
            step = self._queue.get()
            if step is None:
                return
            step()


class _Batch:
    """Runs the entries of one batch; see `run_batch`."""

    def __init__(self, source: str, entries: Sequence[Entry], output_root: Path,
                 options: BatchOptions, run_options: Any, executor: Executor,
                 reporter: BatchReporter, llm_factory: Callable[[], Any] | None) -> None:
        self.source = source
        self.entries = list(entries)
        self.root = Path(output_root)
        self.options = options
        self.run_options = run_options
        self.executor = executor
        self.reporter = reporter
        self.llm = _SharedLLM(llm_factory, options.llm_jobs)
        self.records = [EntryRecord(id=e.id or e.source, title=e.title, url=e.source, index=n)
                        for n, e in enumerate(self.entries, 1)]
        self.path = self.root / BATCH_FILE
        self.started_at = now_iso()
        self._lock = threading.Lock()
        self._record_lock = threading.Lock()
        self._slug_locks: dict[str, threading.Lock] = {}
        self._holding: set[int] = set()
        self._active = 0
        self._idle = threading.Condition()
        self._remaining = len(self.entries)
        self._next_stage: dict[int, str] = {}
        """Entry index -> the first stage of the step it is queued for."""
        self._all_done = threading.Event()
        self._stopping = threading.Event()
        slots = self.transcribe_slots = max(1, executor.slots)
        window = options.lookahead or options.download_jobs + slots
        self._window = threading.BoundedSemaphore(window)
        self.lanes = {
            "download": _Lane("download", options.download_jobs),
            "transcribe": _Lane("transcribe", slots),
            "llm": _Lane("llm", options.llm_jobs),
        }
        last = STAGES.index(run_options.stop_after)
        self.steps: list[tuple[str, Callable[[EntryRecord, Entry, Any], Any]]] = [
            ("download", self._fetch_step)]
        if last >= STAGES.index("transcribe"):
            self.steps.append(("transcribe", self._transcribe_step))
        if last >= STAGES.index("chunk"):
            self.steps.append(("llm", self._finish_step))

    # ---------------------------------------------------------- running

    def run(self) -> BatchResult:
        """Run the batch; one batch at a time per output folder (a second gets a LockError)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with pid_lock(root_lock_path(self.root, "batch"),
                      lambda pid: f"another recap batch (pid {pid}) is running in {self.root}; "
                                  "wait for it to finish, or give this one another -o folder"):
            return self._run()

    def _run(self) -> BatchResult:
        self._save()
        self.reporter.batch_started(self.records)
        if not self.entries:
            return self._finish()
        for lane in self.lanes.values():
            lane.start()
        try:
            for record, entry in zip(self.records, self.entries, strict=True):
                self._queue_step(record, entry, 0, None)
            while not self._all_done.wait(0.2):
                pass
        except BaseException:
            self._interrupt()
            raise
        finally:
            for lane in self.lanes.values():
                lane.stop()
            self.llm.close()
        return self._finish()

    def _queue_step(self, record: EntryRecord, entry: Entry, index: int, carry: Any) -> None:
        if index >= len(self.steps):
            self._entry_finished(record, None)
            return
        lane, step = self.steps[index]
        with self._record_lock:
            self._next_stage[record.index] = _FIRST_STAGE[lane]
            if index:
                record.stage = None  # queued for the next kind of slot
        self.lanes[lane].put(lambda: self._run_step(record, entry, index, step, carry))

    def _run_step(self, record: EntryRecord, entry: Entry, index: int,
                  step: Callable[[EntryRecord, Entry, Any], Any], carry: Any) -> None:
        if index == 0:
            # The lookahead permit is held from the start of the download to the end of
            # transcription (or of the episode, when it ends sooner).
            self._window.acquire()
            with self._lock:
                self._holding.add(record.index)
        if self._stopping.is_set():
            return
        with self._record_lock:
            record.status = "running"
        try:
            with self._step_running():
                carry = step(record, entry, carry)
        except KeyboardInterrupt:
            return  # raised in a worker thread only once the batch is stopping
        except RecapError as exc:
            self._release_window(record)
            self._entry_finished(record, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - one episode's bug must not stop the batch
            from recap.redact import redact

            log.debug("unexpected error on %s", entry.source, exc_info=True)
            self._release_window(record)
            self._entry_finished(record, redact(f"unexpected error: {type(exc).__name__}: {exc}"))
            return
        next_lane = self.steps[index + 1][0] if index + 1 < len(self.steps) else None
        if next_lane != "transcribe":
            self._release_window(record)
        self._queue_step(record, entry, index + 1, carry)

    @contextlib.contextmanager
    def _step_running(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _release_window(self, record: EntryRecord) -> None:
        with self._lock:
            if record.index not in self._holding:
                return
            self._holding.discard(record.index)
        self._window.release()

    def _entry_finished(self, record: EntryRecord, error: str | None) -> None:
        if self._stopping.is_set():
            return  # the interrupt handler records what was running
        with self._record_lock:
            if error is not None:
                record.status, record.error = "failed", error
            else:
                record.error = None
                ran = any(s in ("done",) for s in record.stages.values())
                record.status = "done" if ran else "skipped"
                record.stage = None
        self.reporter.entry_changed(record)
        self._save()
        with self._lock:
            self._remaining -= 1
            if self._remaining == 0:
                self._all_done.set()

    def _interrupt(self, grace: float = 5.0) -> None:
        self._stopping.set()
        with contextlib.suppress(Exception):
            self.executor.cancel()
        # Let steps that can stop quickly (a cancelled transcription) record "interrupted" in
        # their manifests; a step stuck in a download is abandoned (atomic writes keep it safe).
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=grace)
        with self._record_lock:
            for record in self.records:
                if record.status != "running":
                    continue
                record.status = "interrupted"
                if record.stage is not None and record.stage not in record.stages:
                    record.error = f"interrupted during {record.stage}"
                    self._manifest_agrees(record, record.stage)
                else:  # between stages: waiting for a download, transcription or LLM slot
                    record.stage = self._next_stage.get(record.index, record.stage)
                    record.error = f"interrupted before {record.stage} began"
        with contextlib.suppress(RecapError):
            self._save()

    def _manifest_agrees(self, record: EntryRecord, stage: str) -> None:
        """A step still stopping after the grace period has not recorded its stage yet: record it
        as interrupted for it, so the manifest says what batch.json says (the step, if it ever
        records its own outcome, writes the same or a finished stage)."""
        if not record.folder:
            return
        episode = Episode(self.root / record.folder)
        with contextlib.suppress(RecapError, OSError, ValueError):
            if episode.root.is_dir() and episode.stage_record(stage) is None:
                episode.update_stage(stage, StageRecord(status="interrupted", error="interrupted",
                                                        started_at=now_iso()))

    def _stage_changed(self) -> None:
        """Keep batch.json current while the batch runs (which stage each entry is in)."""
        if self._stopping.is_set():
            return  # the interrupt handler writes the last word
        with contextlib.suppress(RecapError):  # a progress note; the final save reports errors
            self._save()

    def _finish(self) -> BatchResult:
        self._save(finished=True)
        result = BatchResult(self.source, list(self.records), self.path)
        self.reporter.batch_finished(result)
        return result

    def _save(self, finished: bool = False) -> None:
        with self._record_lock:
            entries = []
            for record in self.records:
                data = asdict(record)
                data.pop("index", None)
                entries.append(data)
        counts: dict[str, int] = {}
        for data in entries:
            counts[data["status"]] = counts.get(data["status"], 0) + 1
        document = {
            "source": self.source,
            "started_at": self.started_at,
            "finished_at": now_iso() if finished else None,
            "options": self._options_record(),
            "counts": counts,
            "entries": entries,
        }
        with self._lock:
            atomic_write_json(self.path, document)

    def _options_record(self) -> dict[str, Any]:
        run = self.run_options
        return {
            **self.options.params(),
            "transcribe_jobs": self.transcribe_slots,
            "executor": self.executor.name,
            "stop_after": run.stop_after,
            "force": run.force,
            "transcribe": run.transcribe.params(),
        }

    def _reporter_for(self, record: EntryRecord) -> _EntryReporter:
        return _EntryReporter(record, self.reporter, self._record_lock, self._stage_changed)

    # ---------------------------------------------------------- the steps

    def _fetch_step(self, record: EntryRecord, entry: Entry, _carry: Any) -> Episode:
        from recap import pipeline

        options = replace(self.run_options, stop_after="fetch",
                          fetch=replace(self.run_options.fetch, entry=entry.metadata()))
        # Two new entries with the same title would race for the same folder name.
        with self._slug_lock(entry.title or entry.source):
            result = pipeline.run(entry.source, self.root, options, self._reporter_for(record))
        with self._record_lock:
            record.folder = result.episode.root.name
        return result.episode

    @contextlib.contextmanager
    def _slug_lock(self, title: str) -> Iterator[None]:
        with self._lock:
            lock = self._slug_locks.setdefault(slugify(title), threading.Lock())
        with lock:
            yield

    def _transcribe_step(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        from recap import pipeline
        from recap.executors import TranscriptionJob
        from recap.models import Info
        from recap.transcribe import existing_transcript, save_transcript

        reporter = self._reporter_for(record)
        options = self.run_options
        params = options.transcribe.params()
        with episode.lock():
            state = pipeline.stage_state(episode, "transcribe", params)
            if state in ("done", "edited") and not options.force:
                reporter.stage_finished("transcribe", "skipped" if state == "done" else "edited")
                return episode
            info = Info.load(episode.info_path, "recap fetch SOURCE")
            audio = episode.audio_path()
            job = TranscriptionJob(label=episode.slug, options=options.transcribe,
                                   audio_path=audio, suffix=audio.suffix, duration=info.duration)
            with pipeline.recording(episode, "transcribe", params, reporter) as stats:
                # A transcript the source already has is read here; no worker slot is needed.
                transcript = existing_transcript(episode, options.transcribe)
                try:
                    if transcript is None:
                        transcript = self.executor.transcribe(job)
                except RecapError:
                    if self._stopping.is_set():  # the executor was cancelled by Ctrl-C
                        raise KeyboardInterrupt from None
                    raise
                if self._stopping.is_set():
                    raise KeyboardInterrupt  # never write after the batch was interrupted
                save_transcript(episode, transcript)
                stats.update(segments=len(transcript.segments), language=transcript.language,
                             origin=transcript.origin,
                             executor=self.executor.name if transcript.origin == "whisper"
                             else None,
                             summary=f"{len(transcript.segments)} segments")
        return episode

    def _finish_step(self, record: EntryRecord, entry: Entry, episode: Episode) -> Episode:
        from recap import pipeline

        reporter = self._reporter_for(record)
        last = STAGES.index(self.run_options.stop_after)
        with episode.lock():
            for stage in STAGES[STAGES.index("chunk"): last + 1]:
                if self._stopping.is_set():
                    break
                pipeline.run_stage(episode, stage, self.run_options, reporter,
                                   llm_factory=self.llm.factory)
        return episode


def run_batch(source: str, entries: Sequence[Entry], output_root: Path, options: BatchOptions,
              run_options: Any, executor: Executor, reporter: BatchReporter | None = None,
              llm_factory: Callable[[], Any] | None = None) -> BatchResult:
    """Run every entry through the pipeline; failures are recorded, never raised.

    Args:
        source: what the batch was listed from (recorded in batch.json).
        entries: the episodes, in order (from `expand` and `select`).
        output_root: folder holding the episode folders and batch.json.
        options: concurrency limits.
        run_options: per-stage options (`recap.pipeline.RunOptions`), the same for every entry.
        executor: where transcription runs (`recap.executors.create_executor`), entered.
        reporter: progress callbacks.
        llm_factory: returns a context manager yielding an LLM client; opened once, on the
            first episode that needs it, and shared (its calls limited to `options.llm_jobs`).

    Returns:
        Each entry's outcome; `BatchResult.failed` lists the failures.

    Raises:
        KeyboardInterrupt: after recording the interrupted entries in batch.json.
    """
    batch = _Batch(source, entries, output_root, options, run_options, executor,
                   reporter or BatchReporter(), llm_factory)
    return batch.run()
