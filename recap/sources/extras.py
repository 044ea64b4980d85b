"""What a source carries besides its media, saved at fetch time: transcripts, a feed's image.

    saved = save_transcripts(ydl_opts, raw, entry, tmp)   # -> tmp/transcripts/*
    save_thumbnail(ydl_opts, entry["thumbnail"], tmp)      # -> tmp/hero.<ext>
    install(tmp, episode_folder)                           # tmp/transcripts -> folder/transcripts

Three kinds, each recorded with its origin: a podcast feed's `<podcast:transcript>` (`feed`, from
the batch entry), the uploader's subtitles on YouTube and other yt-dlp sites (`subtitles`), and
the site's automatic captions (`auto-captions`). Which one the transcript comes from is decided
later, by the transcribe stage's `--transcript` option (recap.captions.choose). A transcript that
cannot be downloaded is logged and skipped: the episode is still transcribed with Whisper.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from recap.captions import FORMATS, format_for
from recap.models import TranscriptSource

log = logging.getLogger("recap.sources.extras")

FOLDER = "transcripts"
"""Where they go inside the episode folder."""
MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024
MAX_IMAGE_BYTES = 16 * 1024 * 1024


def save_transcripts(ydl_opts: dict[str, Any], raw: dict[str, Any],
                     entry: dict[str, Any] | None, tmp: Path) -> list[TranscriptSource]:
    """Download the feed's transcript and the site's subtitles/captions into `tmp/transcripts`.

    Args:
        ydl_opts: the yt-dlp options the media was fetched with (same network settings).
        raw: its info dict (`subtitles`, `automatic_captions`, `language`).
        entry: the batch entry's metadata (`transcripts` from a feed), or None.
        tmp: the fetch's temporary folder.

    Returns:
        What was saved, with file names relative to the episode folder.
    """
    saved: list[TranscriptSource] = []
    wanted: list[tuple[str, str, str, str | None]] = []  # origin, url, format, language
    feed = _best_feed_transcript((entry or {}).get("transcripts") or [])
    if feed is not None:
        wanted.append(("feed", *feed))
    language = _episode_language(raw)
    for origin, key in (("subtitles", "subtitles"), ("auto-captions", "automatic_captions")):
        found = _best_track(raw.get(key) or {}, language, automatic=origin == "auto-captions")
        if found is not None:
            wanted.append((origin, *found))
    for origin, url, fmt, lang in wanted:
        name = f"{FOLDER}/{origin}.{lang or 'und'}.{fmt}"
        try:
            data = _download(ydl_opts, url, MAX_TRANSCRIPT_BYTES)
        except Exception as exc:  # noqa: BLE001 - any failure here only means Whisper runs
            log.warning("could not download the %s transcript %s (%s); Whisper will transcribe",
                        origin, url, _short(exc))
            continue
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        saved.append(TranscriptSource(origin, name, fmt, lang, url))
    return saved


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def save_thumbnail(ydl_opts: dict[str, Any], url: str | None, tmp: Path) -> Path | None:
    """Download a feed's episode image (`itunes:image`) as `tmp/hero.<ext>`; None on failure."""
    if not url:
        return None
    suffix = Path(url.split("?", 1)[0]).suffix.lower()
    known = (".jpg", ".jpeg", ".png", ".webp", ".gif")
    target = tmp / f"hero{suffix if suffix in known else '.img'}"
    try:
        target.write_bytes(_download(ydl_opts, url, MAX_IMAGE_BYTES))
    except Exception as exc:  # noqa: BLE001 - a post without its image is still a post
        log.warning("could not download the episode image %s (%s)", url, _short(exc))
        return None
    return target


def install(tmp: Path, folder: Path) -> None:
    """Replace the episode folder's saved transcripts with the ones just fetched."""
    import shutil

    current = folder / FOLDER
    if current.is_dir():
        shutil.rmtree(current)
    fetched = tmp / FOLDER
    if fetched.is_dir():
        fetched.rename(current)


def _download(ydl_opts: dict[str, Any], url: str, limit: int) -> bytes:
    import yt_dlp

    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")  # never a local file named by a feed or page

    opts = {k: v for k, v in ydl_opts.items() if k not in ("progress_hooks", "outtmpl")}
    with yt_dlp.YoutubeDL(opts) as ydl, ydl.urlopen(url) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // (1024 * 1024)} MB")
    if not data.strip():
        raise ValueError("empty")
    return bytes(data)


def _best_feed_transcript(items: list[dict[str, Any]]) -> tuple[str, str, str | None] | None:
    """(url, format, language) of the feed's most useful transcript: timed formats first."""
    readable = []
    for item in items:
        url = str(item.get("url") or "")
        fmt = format_for(str(item.get("mime") or ""), url)
        if url and fmt:
            readable.append((FORMATS.index(fmt), url, fmt, item.get("language") or None))
    if not readable:
        return None
    _, url, fmt, language = min(readable, key=lambda r: r[0])
    return url, fmt, language


def _episode_language(raw: dict[str, Any]) -> str | None:
    language = raw.get("language")
    return str(language) if language else None


def _best_track(tracks: dict[str, list[dict[str, Any]]], language: str | None,
                automatic: bool) -> tuple[str, str, str | None] | None:
    """(url, format, language) of the subtitles in the episode's language (its own language
    when yt-dlp knows it; else the only one offered, else English), in a format we read."""
    if not tracks:
        return None
    languages = list(tracks)
    if language:
        base = language.split("-")[0].lower()
        order = [f"{language}-orig", language, f"{base}-orig", base]
        order += [code for code in languages if code.lower().split("-")[0] == base]
    elif len(languages) == 1 and not automatic:
        order = languages
    else:
        order = ["en-orig", "en", *[c for c in languages if c.lower().startswith("en")]]
    for code in order:
        for fmt in FORMATS[:2]:  # srt, vtt: timed formats yt-dlp sites serve
            for track in tracks.get(code) or []:
                ext = str(track.get("ext") or "")
                url = str(track.get("url") or "")
                if url and (ext == fmt or format_for(None, url) == fmt and not ext):
                    return url, fmt, code.removesuffix("-orig")
    return None
