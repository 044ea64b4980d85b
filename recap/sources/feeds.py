"""Podcast feeds as hosts publish them: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces,
and Atom.

yt-dlp lists an RSS feed too, but keeps an enclosure's relative URL as it is, leaves HTML in
descriptions, has no uploader and no `<podcast:transcript>`, and cannot read Atom; so for a URL
no site-specific yt-dlp extractor claims, `recap batch` reads the feed here:

    feed = read_feed("https://example.com/feed.xml")   # None when the URL is not a feed
    for episode in feed.episodes: ...

Every URL in the result is absolute (resolved against the feed's address) and otherwise as the
feed publishes it: an enclosure behind a tracking redirect keeps the tracking address, which is
the episode's identity; the download follows the redirects.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import html.entities
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlparse

from recap.cookies import Cookies
from recap.errors import FetchError
from recap.sources.htmltext import html_to_text
from recap.youtube import YtdlpLogger

log = logging.getLogger("recap.sources.feeds")

MAX_FEED_BYTES = 32 * 1024 * 1024
"""A feed larger than this is refused (the largest real feeds are a few MB)."""

ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class FeedTranscript:
    """A `<podcast:transcript>` of an episode."""

    url: str
    mime: str = ""
    language: str | None = None
    rel: str = ""
    """`captions` for caption-style files (the namespace's only defined value)."""


@dataclass
class FeedEpisode:
    """One item (RSS) or entry (Atom) of a feed."""

    title: str
    guid: str
    link: str = ""
    """The episode's page (`<link>`), when the feed gives one."""
    enclosure: str = ""
    """The media URL as the feed publishes it (made absolute)."""
    mime: str = ""
    length: int | None = None
    """The enclosure's declared size in bytes (often missing or wrong; never relied on)."""
    published: str | None = None
    """YYYY-MM-DD (UTC)."""
    duration: float | None = None
    description: str = ""
    """Plain text (HTML converted)."""
    image: str | None = None
    episode_number: int | None = None
    author: str = ""
    transcripts: list[FeedTranscript] = field(default_factory=list)


@dataclass
class Feed:
    url: str
    kind: str
    """rss or atom."""
    title: str
    author: str = ""
    """`itunes:author` (RSS) or the feed's author (Atom), else empty."""
    image: str | None = None
    language: str | None = None
    episodes: list[FeedEpisode] = field(default_factory=list)


# ---------------------------------------------------------------- reading

def is_site_url(url: str) -> bool:
    """True when a yt-dlp extractor other than the generic one claims `url` (YouTube, Vimeo...)."""
    return _site_extractor(url) is not None


def _site_extractor(url: str) -> str | None:
    for extractor in _extractors():
        if extractor.ie_key() != "Generic" and extractor.suitable(url):
            return str(extractor.ie_key())
    return None


@functools.cache
def _extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(gen_extractor_classes())


def read_feed(url: str, socket_timeout: float = 30.0, cookies: Cookies | None = None) -> Feed | None:
    """Download `url` and parse it as a feed; None when what it serves is not RSS or Atom
    (only its first bytes are read then: a media file is not downloaded).

    Raises:
        FetchError: the URL cannot be downloaded.
    """
    data = download(url, socket_timeout, sniff=_may_be_xml, cookies=cookies)
    if data is None:
        return None
    try:
        return parse_feed(data, url)
    except ValueError as exc:
        log.debug("%s is not a feed: %s", url, exc)
        return None


def download(url: str, socket_timeout: float = 30.0, limit: int = MAX_FEED_BYTES,
             sniff: Callable[[bytes], bool] | None = None,
             cookies: Cookies | None = None) -> bytes | None:
    """The body at `url` through yt-dlp's network stack (redirects, proxies, `cookies`), at most
    `limit` bytes; None when `sniff` rejects its first 4 KB."""
    import yt_dlp

    from recap.youtube import clean_ytdlp_error

    opts = {"quiet": True, "no_warnings": True, "socket_timeout": socket_timeout,
            "enable_file_urls": False, "logger": YtdlpLogger(log),
            **(cookies.ydl_options() if cookies else {})}
    try:
        with yt_dlp.YoutubeDL(opts) as ydl, ydl.urlopen(url) as response:
            data = response.read(4096)
            if sniff is not None and not sniff(data):
                return None
            data += response.read(limit + 1 - len(data))
    except yt_dlp.utils.YoutubeDLError as exc:
        raise FetchError(clean_ytdlp_error(str(exc), url, cookies is not None)) from None
    except OSError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from None
    if len(data) > limit:
        raise FetchError(f"{url} is larger than {limit // (1024 * 1024)} MB")
    return bytes(data)




def _may_be_xml(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and not head.startswith((b"<!doctype html", b"<html"))


# ---------------------------------------------------------------- parsing

def parse_feed(data: bytes | str, url: str) -> Feed:
    """Parse RSS 2.0 or Atom; raises ValueError when `data` is neither."""
    root = _parse_xml(data)
    tag = _local(root.tag)
    if tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise ValueError("an <rss> without a <channel>")
        return _parse_rss(channel, url)
    if tag == "feed" and _ns(root.tag) == ATOM:
        return _parse_atom(root, url)
    raise ValueError(f"the document is <{tag}>, not <rss> or an Atom <feed>")


_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")


def _parse_xml(data: bytes | str) -> ET.Element:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!ENTITY" in raw[:65536]:
        raise ValueError("a feed declaring its own XML entities is refused")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as first:
        # Hosts put HTML entities (&nbsp; &eacute;) in XML outside CDATA; XML knows only five.
        text = raw.decode("utf-8", errors="replace")
        fixed = _NAMED_ENTITY.sub(_numeric_entity, text)
        if fixed == text:
            raise ValueError(f"not well-formed XML ({first})") from None
        try:
            return ET.fromstring(fixed.encode("utf-8"))
        except ET.ParseError as exc:
            raise ValueError(f"not well-formed XML ({exc})") from None


def _numeric_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
        return match.group(0)
    return f"&#{html.entities.name2codepoint[name]};"


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_itunes(tag: str) -> bool:
    return "itunes.com" in _ns(tag).lower()


def _is_podcast_ns(tag: str) -> bool:
    namespace = _ns(tag).lower()
    return "podcastindex" in namespace or "podcast-namespace" in namespace


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _child(parent: ET.Element, local: str, test: object = None) -> ET.Element | None:
    """The first child named `local` (any namespace unless `test` checks the tag)."""
    for child in parent:
        if not isinstance(child.tag, str) or _local(child.tag) != local:
            continue
        if test is None and _ns(child.tag) == "":
            return child
        if callable(test) and test(child.tag):
            return child
    return None


def _itunes(parent: ET.Element, local: str) -> ET.Element | None:
    return _child(parent, local, _is_itunes)


def _absolute(base: str, value: str | None) -> str:
    """`value` resolved against the feed's URL; empty unless http(s): a remote feed never
    points recap at a local file (file://) or another scheme."""
    value = (value or "").strip()
    if not value:
        return ""
    url = urljoin(base, value)
    if urlparse(url).scheme.lower() not in ("http", "https"):
        log.info("ignoring a non-http(s) URL in the feed: %s", value[:200])
        return ""
    return url


def _parse_rss(channel: ET.Element, url: str) -> Feed:
    base = url
    title = _text(_child(channel, "title"))
    author = _text(_itunes(channel, "author")) or _text(_child(channel, "author"))
    image = _image(channel, base)
    language = _text(_child(channel, "language")) or None
    feed = Feed(url, "rss", html_to_text(title), html_to_text(author), image, language)
    for item in channel:
        if not isinstance(item.tag, str) or item.tag != "item":
            continue
        feed.episodes.append(_rss_item(item, base, feed))
    _unique_guids(feed.episodes)
    return feed


def _image(parent: ET.Element, base: str) -> str | None:
    itunes_image = _itunes(parent, "image")
    if itunes_image is not None and itunes_image.get("href"):
        return _absolute(base, itunes_image.get("href"))
    rss_image = _child(parent, "image")
    if rss_image is not None:
        return _absolute(base, _text(_child(rss_image, "url"))) or None
    return None


def _rss_item(item: ET.Element, base: str, feed: Feed) -> FeedEpisode:
    enclosure = _child(item, "enclosure")
    enclosure_url = _absolute(base, enclosure.get("url")) if enclosure is not None else ""
    description = (_text(_child(item, "description")) or _text(_itunes(item, "summary"))
                   or _text(_child(item, "encoded", lambda t: "purl.org/rss/1.0/modules/content"
                                   in _ns(t))))
    guid = _text(_child(item, "guid"))
    link = _absolute(base, _text(_child(item, "link")))
    return FeedEpisode(
        title=html_to_text(_text(_child(item, "title")) or _text(_itunes(item, "title"))),
        guid=guid or enclosure_url or link,
        link=link,
        enclosure=enclosure_url,
        mime=(enclosure.get("type") or "") if enclosure is not None else "",
        length=_int(enclosure.get("length")) if enclosure is not None else None,
        published=_rss_date(_text(_child(item, "pubDate"))),
        duration=parse_duration(_text(_itunes(item, "duration"))),
        description=html_to_text(description),
        image=_image(item, base) or feed.image,
        episode_number=_int(_text(_itunes(item, "episode"))),
        author=html_to_text(_text(_itunes(item, "author")) or _text(_child(item, "author"))),
        transcripts=_transcripts(item, base, feed.language),
    )


def _transcripts(item: ET.Element, base: str, language: str | None) -> list[FeedTranscript]:
    found = []
    for child in item:
        if isinstance(child.tag, str) and _local(child.tag) == "transcript" \
                and _is_podcast_ns(child.tag):
            url = _absolute(base, child.get("url"))
            if url:
                found.append(FeedTranscript(url, child.get("type") or "",
                                            child.get("language") or language,
                                            child.get("rel") or ""))
    return found


def _parse_atom(root: ET.Element, url: str) -> Feed:
    def atom(parent: ET.Element, local: str) -> ET.Element | None:
        return _child(parent, local, lambda t: _ns(t) == ATOM)

    def atom_author(parent: ET.Element) -> str:
        author = atom(parent, "author")
        return _text(atom(author, "name")) if author is not None else ""

    base = url
    title = _text(atom(root, "title"))
    image = _absolute(base, _text(atom(root, "logo")) or _text(atom(root, "icon"))) or None
    language = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    feed = Feed(url, "atom", html_to_text(title), html_to_text(atom_author(root)), image, language)
    for entry in root:
        if not isinstance(entry.tag, str) or entry.tag != f"{{{ATOM}}}entry":
            continue
        link = enclosure = mime = ""
        length = None
        for element in entry:
            if element.tag != f"{{{ATOM}}}link":
                continue
            rel = element.get("rel") or "alternate"
            if rel == "alternate" and not link:
                link = _absolute(base, element.get("href"))
            elif rel == "enclosure" and not enclosure:
                enclosure = _absolute(base, element.get("href"))
                mime, length = element.get("type") or "", _int(element.get("length"))
        description = _text(atom(entry, "summary")) or _text(atom(entry, "content"))
        feed.episodes.append(FeedEpisode(
            title=html_to_text(_text(atom(entry, "title"))),
            guid=_text(atom(entry, "id")) or enclosure or link,
            link=link, enclosure=enclosure, mime=mime, length=length,
            published=_iso_date(_text(atom(entry, "published")) or _text(atom(entry, "updated"))),
            duration=parse_duration(_text(_itunes(entry, "duration"))),
            description=html_to_text(description),
            image=_image(entry, base) or feed.image,
            episode_number=_int(_text(_itunes(entry, "episode"))),
            author=html_to_text(atom_author(entry)),
            transcripts=_transcripts(entry, base, language),
        ))
    _unique_guids(feed.episodes)
    return feed


def _unique_guids(episodes: list[FeedEpisode]) -> None:
    """Hosts re-use guids (a re-upload, a copied item); each episode still needs its own id."""
    seen: dict[str, int] = {}
    for episode in episodes:
        count = seen.get(episode.guid, 0)
        seen[episode.guid] = count + 1
        if count:
            episode.guid = f"{episode.guid}#{count + 1}"


# ---------------------------------------------------------------- values

def parse_duration(text: str | None) -> float | None:
    """`itunes:duration` in seconds: "1:02:03", "62:03", "3723", "3723.5"; None when unreadable."""
    value = (text or "").strip()
    if not value:
        return None
    parts = value.split(":")
    if len(parts) > 3:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if any(n < 0 for n in numbers):
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds or None


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _rss_date(text: str) -> str | None:
    if not text:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return _iso_date(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()


def _iso_date(text: str) -> str | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()
