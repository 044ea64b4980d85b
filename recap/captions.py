"""Transcripts that already exist: a feed's `<podcast:transcript>`, a site's subtitles or captions.

The fetch stage saves what the source offers under `transcripts/` in the episode folder and lists
it in info.json (`Info.transcripts`); the transcribe stage picks one with `choose` and reads it
with `load` instead of running Whisper. Subtitle formats are parsed with maintained libraries:
`srt` for SubRip, `webvtt-py` for WebVTT; the Podcasting 2.0 JSON format with `json`, and HTML
transcripts with the standard library's HTML parser.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from recap.errors import ArtifactError, ConfigError
from recap.models import Segment, TranscriptSource

MODES = ("auto", "whisper", "captions")
"""--transcript: `auto` uses a feed's transcript or the uploader's subtitles when there is one,
`captions` also accepts a site's automatic captions, `whisper` always transcribes locally."""

ORIGINS = ("whisper", "feed", "subtitles", "auto-captions")
"""Where a transcript came from (transcript.json `origin`)."""

FORMATS = ("srt", "vtt", "json", "html", "txt")
"""Formats `load` reads, best first when a source offers several."""

_MIME_FORMATS = {
    "application/x-subrip": "srt", "application/srt": "srt", "text/srt": "srt",
    "text/x-srt": "srt", "application/x-srt": "srt",
    "text/vtt": "vtt", "text/webvtt": "vtt",
    "application/json": "json", "text/json": "json",
    "text/html": "html", "application/xhtml+xml": "html",
    "text/plain": "txt",
}


def check_mode(mode: str) -> str:
    """`mode` when it is a valid --transcript value; a ConfigError naming the choices otherwise."""
    if mode not in MODES:
        raise ConfigError(f"unknown transcript source {mode!r}; expected one of: {', '.join(MODES)}")
    return mode


def format_for(mime: str | None, url_or_name: str = "") -> str | None:
    """The transcript format of a MIME type (`text/vtt`) or, failing that, a file extension."""
    if mime:
        found = _MIME_FORMATS.get(mime.split(";", 1)[0].strip().lower())
        if found:
            return found
    suffix = Path(url_or_name.split("?", 1)[0]).suffix.lower().lstrip(".")
    suffix = {"webvtt": "vtt", "htm": "html", "text": "txt"}.get(suffix, suffix)
    return suffix if suffix in FORMATS else None


def choose(available: Sequence[TranscriptSource], mode: str,
           language: str | None = None) -> TranscriptSource | None:
    """The existing transcript `mode` allows, best first: the feed's, then the uploader's
    subtitles, then (only for `captions`) automatic captions; in `language` when given."""
    check_mode(mode)
    if mode == "whisper":
        return None
    allowed = ["feed", "subtitles"] + (["auto-captions"] if mode == "captions" else [])
    for origin in allowed:
        candidates = [t for t in available if t.origin == origin]
        if language:
            matching = [t for t in candidates if _same_language(t.language, language)]
            candidates = matching or [t for t in candidates if not t.language]
        if candidates:
            return min(candidates, key=lambda t: FORMATS.index(t.format)
                       if t.format in FORMATS else len(FORMATS))
    return None


def _same_language(a: str | None, b: str) -> bool:
    return bool(a) and a.lower().split("-")[0] == b.lower().split("-")[0]  # type: ignore[union-attr]


def load(path: Path, fmt: str, duration: float = 0.0) -> list[Segment]:
    """Read an existing transcript file into segments (times in seconds, text plain).

    Raises:
        ArtifactError: the file is missing, unreadable, or holds no text in its format.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise ArtifactError(f"cannot read the transcript {path}: {exc.strerror}") from None
    parsers = {"srt": parse_srt, "vtt": parse_vtt, "json": parse_json, "html": parse_html,
               "txt": parse_text}
    if fmt not in parsers:
        raise ArtifactError(f"{path}: unknown transcript format {fmt!r}; expected one of: "
                            + ", ".join(FORMATS))
    try:
        segments = parsers[fmt](text, duration)
    except (ValueError, KeyError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArtifactError(f"{path} is not a readable {fmt} transcript ({first[:120]})") from None
    if not segments:
        raise ArtifactError(f"{path} holds no transcript text")
    return segments


def _segments(items: Sequence[tuple[float, float, str]]) -> list[Segment]:
    out: list[Segment] = []
    for start, end, text in items:
        clean = " ".join(text.split())
        if clean:
            out.append(Segment(len(out), round(float(start), 3),
                               round(max(float(end), float(start)), 3), clean))
    return out


_TAGS = re.compile(r"<[^>]*>")


def _plain(cue_text: str) -> str:
    """Cue text without markup (`<i>`, `<v Bob>`, `<00:00:01.000>`) and with entities decoded."""
    return html.unescape(_TAGS.sub("", cue_text))


def parse_srt(text: str, duration: float = 0.0) -> list[Segment]:
    """SubRip, with the `srt` library."""
    import srt

    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise ValueError(str(exc)) from None
    return _segments([(s.start.total_seconds(), s.end.total_seconds(), _plain(s.content))
                      for s in subtitles])


def parse_vtt(text: str, duration: float = 0.0) -> list[Segment]:
    """WebVTT, with `webvtt-py`. Rolling captions (each cue repeating the line before it, as
    YouTube's automatic captions do) are reduced to the new words of each cue."""
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_string(text).captions
    except MalformedFileError as exc:
        raise ValueError(str(exc)) from None
    items: list[tuple[float, float, str]] = []
    previous: list[str] = []
    for caption in captions:
        lines = [line for line in (" ".join(_plain(x).split()) for x in caption.lines) if line]
        while lines and previous and lines[0] in previous:
            lines.pop(0)  # a line carried over from the cue before
        if lines:
            items.append((_vtt_seconds(caption.start_time), _vtt_seconds(caption.end_time),
                          " ".join(lines)))
            previous = lines
    return _segments(items)


def _vtt_seconds(stamp: object) -> float:
    return (getattr(stamp, "hours", 0) * 3600 + getattr(stamp, "minutes", 0) * 60
            + getattr(stamp, "seconds", 0) + getattr(stamp, "milliseconds", 0) / 1000)


def parse_json(text: str, duration: float = 0.0) -> list[Segment]:
    """The Podcasting 2.0 JSON transcript: `{"segments": [{"startTime", "endTime", "body"}]}`."""
    data = json.loads(text)
    rows = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError("no 'segments' list")
    items = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        start = float(row.get("startTime", row.get("start")) or 0.0)
        end = float(row.get("endTime", row.get("end")) or start)
        items.append((start, end, str(row.get("body", row.get("text", "")))))
    return _segments(_merge_words(items))


def _merge_words(items: list[tuple[float, float, str]], max_seconds: float = 12.0
                 ) -> list[tuple[float, float, str]]:
    """Word-level JSON (one word a row, as some hosts publish) grouped into sentences."""
    if not items or sum(len(t.split()) for _, _, t in items) > 2.5 * len(items):
        return items
    merged: list[tuple[float, float, str]] = []
    start, end = items[0][0], items[0][1]
    words: list[str] = []
    for s, e, t in items:
        if words and (e - start > max_seconds or words[-1].endswith((".", "?", "!"))):
            merged.append((start, end, " ".join(words)))
            start, words = s, []
        words.append(t.strip())
        end = e
    if words:
        merged.append((start, end, " ".join(words)))
    return merged


def parse_html(text: str, duration: float = 0.0) -> list[Segment]:
    """An HTML transcript: paragraphs, each after an optional `<time>` (or a `0:01:02` stamp) and
    a `<cite>` speaker. Without times, paragraphs share the episode's length by their words."""
    parser = _HTMLTranscript()
    parser.feed(text)
    parser.close()
    return _timed(parser.paragraphs, duration)


def parse_text(text: str, duration: float = 0.0) -> list[Segment]:
    """Plain text: one paragraph a segment, timed by its share of the words."""
    paragraphs: list[tuple[float | None, str]] = [
        (None, p) for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) == 1:
        paragraphs = [(None, line) for line in text.splitlines() if line.strip()]
    return _timed(paragraphs, duration)


_CLOCK = re.compile(r"^\s*\[?((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d+)?)\]?\s*")


def _clock_seconds(value: str) -> float | None:
    match = _CLOCK.match(value)
    if not match:
        return None
    seconds = 0.0
    for part in match.group(1).replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _timed(paragraphs: list[tuple[float | None, str]], duration: float) -> list[Segment]:
    """Segments from (start or None, text); missing starts are spread by word count."""
    rows = []
    for start, body in paragraphs:
        if start is None:
            stamp = _clock_seconds(body)
            if stamp is not None:
                start, body = stamp, _CLOCK.sub("", body, count=1)
        if body.strip():
            rows.append((start, body))
    if not rows:
        return []
    total_words = sum(len(b.split()) for _, b in rows) or 1
    known_end = max(duration, max((s for s, _ in rows if s is not None), default=0.0))
    items: list[tuple[float, float, str]] = []
    position = 0.0
    for n, (start, body) in enumerate(rows):
        share = known_end * len(body.split()) / total_words if known_end else 0.0
        begin = start if start is not None else position
        following = next((s for s, _ in rows[n + 1:] if s is not None), None)
        end = following if following is not None and start is not None else begin + share
        if known_end:
            end = min(max(end, begin), known_end)
        items.append((begin, end, body))
        position = end
    return _segments(items)


class _HTMLTranscript(HTMLParser):
    """Collects (time, paragraph) pairs from an HTML transcript, skipping scripts and styles."""

    _BLOCKS = {"p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4", "dd", "dt", "section"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[float | None, str]] = []
        self._text = io.StringIO()
        self._time: float | None = None
        self._in_time = False
        self._time_text = ""
        self._skip = 0
        self._in_cite = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "time":
            self._in_time, self._time_text = True, ""
            stamp = _clock_seconds(dict(attrs).get("datetime") or "")
            if stamp is not None:
                self._time = stamp
        elif tag == "cite":
            self._in_cite = True
        elif tag in self._BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "time":
            self._in_time = False
            stamp = _clock_seconds(self._time_text)
            if stamp is not None:
                self._time = stamp
        elif tag == "cite":
            self._in_cite = False
        elif tag in self._BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip or self._in_cite:
            return  # the speaker's name is not part of what was said
        if self._in_time:
            self._time_text += data
            return
        self._text.write(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join(self._text.getvalue().split())
        self._text = io.StringIO()
        if text:
            self.paragraphs.append((self._time, text))
            self._time = None
