"""Fetch stage: yt-dlp (any URL it supports) or a local file -> info.json, audio, hero.jpg."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from recap import media, youtube
from recap.cookies import Cookies
from recap.episode import Episode, atomic_move, atomic_write_text, unique_episode_dir
from recap.errors import FetchError, InputError, MediaError, OutputError, RecapError
from recap.models import Chapter, Info
from recap.sources import extras
from recap.sources.htmltext import html_to_text
from recap.youtube import YtdlpLogger, clean_ytdlp_error

log = logging.getLogger("recap.fetch")

ProgressFn = Callable[[float, float | None], None]
"""progress(done_bytes, total_bytes_or_None)."""



@dataclass
class FetchOptions:
    """How to fetch a source."""

    audio_only: bool = True
    """Download the best audio-only format when the site offers one."""
    socket_timeout: float = 30.0
    """Seconds before a stalled network read fails."""
    retries: int = 3
    """yt-dlp's retries for HTTP errors and fragments."""
    thumbnail: bool = True
    """Save the source's thumbnail as hero.jpg."""
    cookies: Cookies | None = None
    """Cookies yt-dlp sends (a cookies.txt file or a browser's): what gets past YouTube's bot
    check and age gate."""
    entry: dict[str, Any] | None = None
    """What a playlist or feed said about this entry (title, upload_date, description,
    uploader, duration, transparent); see `apply_entry_metadata`. Set by `recap batch`."""


def is_url(source: str) -> bool:
    """True when `source` looks like a URL rather than a local path."""
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def normalise_source(source: str) -> str:
    """A stable identity for one episode's source: an absolute path for files, one URL for every
    form of a link to the same YouTube video, other URLs as given."""
    source = check_source(source)
    return youtube.canonical_url(source) if is_url(source) else source


def check_source(source: str) -> str:
    """`source` checked: an absolute path for files, the URL as given (a playlist link keeps its
    `list=`), with `https://` added to a YouTube link pasted without it."""
    source = source.strip()
    if not source:
        raise InputError("empty source: give a URL or a path to an audio/video file")
    if "\x00" in source:
        raise InputError("invalid source: contains a NUL character")
    if not is_url(source) and not Path(source).exists():
        source = youtube.with_scheme(source) or source
    if is_url(source):
        parsed = urlparse(source)
        scheme = parsed.scheme.lower()
        if scheme == "file":
            return str(Path(unquote(parsed.path)).resolve())
        if scheme not in ("http", "https"):
            raise InputError(
                f"unsupported URL scheme {scheme!r} in {source!r}; give an http(s) URL or a local file"
            )
        if not parsed.netloc:
            raise InputError(f"malformed URL {source!r}: no host")
        return source
    return str(Path(source).expanduser().resolve())



def fetch(
    source: str,
    output_root: Path,
    options: FetchOptions | None = None,
    progress: ProgressFn | None = None,
    episode_dir: Path | None = None,
) -> tuple[Episode, Info]:
    """Fetch `source` into an episode folder under `output_root` and write info.json.

    Args:
        source: a URL yt-dlp supports, or a path to a local audio/video file.
        output_root: where episode folders live.
        options: fetch options.
        progress: called with bytes downloaded and the total when known.
        episode_dir: reuse this folder instead of deriving one from the title.

    Returns:
        The episode and its metadata.
    """
    options = options or FetchOptions()
    source = normalise_source(source)
    output_root = Path(output_root)
    try:
        output_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {output_root}: {exc.strerror}") from None
    if is_url(source):
        return _fetch_url(source, output_root, options, progress, episode_dir)
    return _fetch_file(source, output_root, episode_dir)


# ---------------------------------------------------------------- local files

def _fetch_file(source: str, output_root: Path, episode_dir: Path | None) -> tuple[Episode, Info]:
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give an audio or video file")
    probe = media.probe(path)
    title = probe.title or _pretty_stem(path)
    folder = episode_dir or unique_episode_dir(output_root, title, source)
    folder.mkdir(parents=True, exist_ok=True)
    audio_name = "audio" + (path.suffix.lower() or ".bin")
    target = folder / audio_name
    if not (target.exists() and target.stat().st_size == path.stat().st_size):
        tmp = folder / f".{audio_name}.tmp-copy"
        try:
            shutil.copyfile(path, tmp)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise OutputError(f"cannot copy {path} into {folder}: {exc.strerror}") from None
        atomic_move(tmp, target)
    info = Info(
        title=title,
        duration=round(probe.duration, 3),
        audio_file=audio_name,
        source=source,
        webpage_url=source,
        uploader=probe.artist,
        upload_date=_iso_date(probe.date),
        description=probe.description,
        chapters=[],
        thumbnail=None,
        extractor="local",
        id=hashlib.sha256(source.encode()).hexdigest()[:12],
    )
    episode = Episode(folder)
    atomic_write_text(episode.info_path, info.to_json())
    return episode, info


def _pretty_stem(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip() or path.stem


# ---------------------------------------------------------------- URLs



def ydl_options(tmp: Path, options: FetchOptions, progress: ProgressFn | None) -> dict[str, Any]:
    """yt-dlp options. Nothing here comes from untrusted input (no exec hooks, no file URLs)."""

    def hook(status: dict[str, Any]) -> None:
        if progress and status.get("status") in ("downloading", "finished"):
            total = status.get("total_bytes") or status.get("total_bytes_estimate")
            progress(float(status.get("downloaded_bytes") or 0), float(total) if total else None)

    cookies = options.cookies.ydl_options() if options.cookies else {}
    return {
        **cookies,
        "format": "bestaudio/best" if options.audio_only else "best",
        "outtmpl": {"default": str(tmp / "audio.%(ext)s"), "thumbnail": str(tmp / "hero.%(ext)s")},
        "noplaylist": True,
        # A feed or playlist is listed, never downloaded: `recap run FEED` says to use batch.
        "extract_flat": "in_playlist",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": YtdlpLogger(log),
        "progress_hooks": [hook],
        "writethumbnail": options.thumbnail,
        "socket_timeout": options.socket_timeout,
        "retries": options.retries,
        "overwrites": True,
        "restrictfilenames": True,
        "enable_file_urls": False,
        "ffmpeg_location": media.ffmpeg_exe(),
        "color": {"stderr": "no_color", "stdout": "no_color"},
    }


def _fetch_url(
    url: str,
    output_root: Path,
    options: FetchOptions,
    progress: ProgressFn | None,
    episode_dir: Path | None,
) -> tuple[Episode, Info]:
    import yt_dlp

    try:
        tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=output_root))
    except OSError as exc:
        raise OutputError(f"cannot write in {output_root}: {exc.strerror}") from None
    try:
        opts = ydl_options(tmp, options, progress)
        try:
            with yt_dlp.YoutubeDL(opts) as ydl:
                raw = ydl.extract_info(url, download=True)
                raw = ydl.sanitize_info(raw)
        except yt_dlp.utils.YoutubeDLError as exc:  # DownloadError included
            if "unsupported url" in str(exc).lower():
                _refuse_a_feed(url, options.cookies)  # an Atom feed, which yt-dlp does not read
            raise FetchError(clean_ytdlp_error(str(exc), url, options.cookies is not None)) from None
        if not raw:
            raise FetchError(f"no media found at {url}")
        if raw.get("_type") == "playlist" or raw.get("entries") is not None:
            count = len(list(raw.get("entries") or []))
            raise InputError(f"{url} is a playlist or feed of {count} entries; use `recap batch`")
        downloads = [p for p in tmp.glob("audio.*") if not p.name.endswith((".part", ".ytdl"))]
        if not downloads:
            raise FetchError(f"no media found at {url}")
        audio = downloads[0]
        if audio.stat().st_size == 0:
            raise FetchError(f"the media at {url} is empty (0 bytes)")
        try:
            probed = media.probe(audio)
        except MediaError:  # its message would name our temporary file
            raise FetchError(f"what {url} serves is not a feed, a page with media, or audio "
                             "or video ffmpeg can read") from None
        info = normalise_info(raw, url, "audio" + audio.suffix.lower())
        if not info.duration:
            info.duration = round(probed.duration, 3)
        info = apply_entry_metadata(info, options.entry)
        info.transcripts = extras.save_transcripts(opts, raw, options.entry, tmp)
        if not list(tmp.glob("hero.*")):
            extras.save_thumbnail(opts, (options.entry or {}).get("thumbnail"), tmp)
        folder = episode_dir or unique_episode_dir(output_root, info.title, url)
        folder.mkdir(parents=True, exist_ok=True)
        episode = Episode(folder)
        extras.install(tmp, folder)
        hero = _thumbnail_to_jpeg(tmp)
        if hero is not None:
            atomic_move(hero, episode.hero_path)
        else:
            info.thumbnail = info.thumbnail if episode.hero_path.exists() else None
        for stale in folder.glob("audio.*"):
            if stale.name != info.audio_file:
                stale.unlink()
        atomic_move(audio, folder / info.audio_file)
        atomic_write_text(episode.info_path, info.to_json())
        return episode, info
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def apply_entry_metadata(info: Info, entry: dict[str, Any] | None) -> Info:
    """Merge what a playlist or feed said about an entry into the fetched `info`.

    A feed's enclosure is a bare media file whose only title is its file name, so for
    `url_transparent` entries (`transparent: True`) the feed's fields win, as in yt-dlp;
    otherwise they only fill the fields the page left empty.
    """
    if not entry:
        return info
    override = bool(entry.get("transparent"))
    for name in ("title", "description", "upload_date", "uploader", "webpage_url", "thumbnail"):
        value = entry.get(name)
        if value and (override or not getattr(info, name)):
            setattr(info, name, str(value))
    if not info.duration and entry.get("duration"):
        info.duration = float(entry["duration"])
    if entry.get("episode_number") is not None:
        info.episode_number = int(entry["episode_number"])
    info.description = html_to_text(info.description)  # a feed's HTML never reaches the post
    return info


def _refuse_a_feed(url: str, cookies: Cookies | None) -> None:
    """InputError when `url` is a feed (yt-dlp does not read Atom); nothing is downloaded."""
    from recap.sources.feeds import read_feed

    try:
        feed = read_feed(url, cookies=cookies)
    except RecapError:
        return
    if feed is not None:
        raise InputError(f"{url} is a {feed.kind.upper()} feed of {len(feed.episodes)} entries; "
                         "use `recap batch`")


def _thumbnail_to_jpeg(tmp: Path) -> Path | None:
    thumbs = [p for p in tmp.glob("hero.*") if p.suffix.lower() not in (".part", ".ytdl")]
    if not thumbs:
        return None
    thumb = thumbs[0]
    if thumb.suffix.lower() in (".jpg", ".jpeg"):
        return thumb
    out = tmp / "hero-converted.jpg"
    proc = subprocess.run(
        [media.ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(thumb), str(out)],
        capture_output=True, timeout=60,
    )
    if proc.returncode != 0 or not out.exists():
        log.warning("thumbnail could not be converted to JPEG; skipping hero.jpg")
        return None
    return out


def normalise_info(raw: dict[str, Any], url: str, audio_file: str) -> Info:
    """Map yt-dlp's info dict onto recap's Info."""
    duration = float(raw.get("duration") or 0.0)
    chapters = []
    listed = [ch for ch in raw.get("chapters") or [] if isinstance(ch, dict)]
    for n, ch in enumerate(listed):
        following = listed[n + 1].get("start_time") if n + 1 < len(listed) else None
        try:
            chapters.append(Chapter(str(ch.get("title") or ""), float(ch["start_time"]),
                                    float(ch.get("end_time") or following or duration)))
        except (KeyError, TypeError, ValueError):
            continue
    upload = raw.get("upload_date")
    date = _iso_date(upload) if upload else None
    if not date and raw.get("timestamp"):
        import datetime as dt

        date = dt.datetime.fromtimestamp(float(raw["timestamp"]), dt.UTC).date().isoformat()
    return Info(
        title=str(raw.get("title") or raw.get("id") or "episode"),
        duration=duration,
        audio_file=audio_file,
        source=url,
        webpage_url=str(raw.get("webpage_url") or url),
        uploader=str(raw.get("uploader") or raw.get("channel") or ""),
        upload_date=date,
        description=str(raw.get("description") or ""),
        chapters=chapters,
        thumbnail=raw.get("thumbnail") or _best_thumbnail(raw.get("thumbnails")),
        extractor=str(raw.get("extractor_key") or raw.get("extractor") or ""),
        id=str(raw.get("id") or ""),
    )


def _best_thumbnail(thumbnails: Any) -> str | None:
    """The URL of the most preferred (then largest) thumbnail in yt-dlp's list, as yt-dlp picks."""
    usable = [t for t in thumbnails or [] if isinstance(t, dict) and t.get("url")]
    if not usable:
        return None
    best = max(usable, key=lambda t: (t.get("preference") or 0, t.get("width") or 0))
    return str(best["url"])


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) >= 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    if len(digits) == 4:
        return f"{digits}-01-01"
    return None
