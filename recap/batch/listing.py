"""Listing a batch: what a playlist, channel, feed, folder or list file holds, and the
user's selection of it."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recap.cookies import Cookies
from recap.errors import ConfigError, FetchError, InputError, RecapError
from recap.youtube import YtdlpLogger

if TYPE_CHECKING:
    pass


log = logging.getLogger("recap.batch")


MEDIA_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".opus", ".oga", ".wav", ".flac", ".wma",
                  ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi")


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
    remarks: list[str] = field(default_factory=list)


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
    remarks: list[str] = []
    seen: set[str] = set()
    unique: list[Entry] = []
    for entry in entries:
        key = entry.source if is_url(entry.source) else str(Path(entry.source).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    if len(unique) < len(entries):
        remarks.append(f"{_count(len(entries) - len(unique), 'duplicate entry')} dropped")
    chosen = unique
    if match:
        needle = match.casefold()
        chosen = [e for e in chosen if needle in (e.title or e.source).casefold()]
        remarks.append(f"{len(chosen)} of {len(unique)} entries match {match!r}")
    if since is not None:
        undated = [e for e in chosen if not e.upload_date]
        before = len(chosen)
        chosen = [e for e in chosen
                  if not e.upload_date or dt.date.fromisoformat(e.upload_date) >= since]
        if before - len(chosen):
            remarks.append(f"{_count(before - len(chosen), 'entry')} dated before "
                         f"{since.isoformat()} skipped")
        if undated:
            remarks.append(f"{_count(len(undated), 'entry')} without a date kept")
    if limit is not None and len(chosen) > limit:
        remarks.append(f"first {limit} of {len(chosen)} entries kept (--limit)")
        chosen = chosen[:limit]
    return Selection(list(chosen), remarks)


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
