"""YouTube as it is: one identity per video whatever the link's form, and what to do when
YouTube refuses a download (bot check, age gate, private, members-only, upcoming, geo-blocked).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlparse

WATCH_URL = "https://www.youtube.com/watch?v={}"
_ID = re.compile(r"[0-9A-Za-z_-]{11}")
_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
          "youtube-nocookie.com", "www.youtube-nocookie.com")
_SHORT_HOSTS = ("youtu.be", "www.youtu.be")
_PATH_PREFIXES = ("shorts", "live", "embed", "v", "e")
# A link pasted without its scheme ("youtu.be/ID", "www.youtube.com/watch?v=ID").
_SCHEMELESS = re.compile(r"^(?:(?:www|m|music)\.)?(?:youtube\.com|youtu\.be)/", re.IGNORECASE)


def video_id(url: str) -> str | None:
    """The 11-character id of a single YouTube video that `url` links to, else None.

    Knows watch pages (with any extra parameters: `si`, `t`, `list`, `index`, `pp`), youtu.be
    short links, shorts, live, embed and the mobile and music hosts. A playlist or channel link
    has no video id.
    """
    parsed = urlparse(url.strip())
    if parsed.scheme.lower() not in ("http", "https"):
        return None
    host = (parsed.hostname or "").lower()
    parts = [p for p in parsed.path.split("/") if p]
    candidate = ""
    if host in _SHORT_HOSTS:
        candidate = parts[0] if parts else ""
    elif host in _HOSTS:
        if parts == ["watch"]:
            candidate = (parse_qs(parsed.query).get("v") or [""])[0]
        elif len(parts) >= 2 and parts[0] in _PATH_PREFIXES:
            candidate = parts[1]
    return candidate if candidate and _ID.fullmatch(candidate) else None


def canonical_url(url: str) -> str:
    """`https://www.youtube.com/watch?v=ID` for any link to one YouTube video; other URLs as
    given. Every form of a link to the same video then finds the same episode folder."""
    found = video_id(url)
    return WATCH_URL.format(found) if found else url


def with_scheme(text: str) -> str | None:
    """`https://` + `text` when `text` is a YouTube link pasted without its scheme, else None."""
    return f"https://{text}" if _SCHEMELESS.match(text) else None


# ---------------------------------------------------------------- refusals and what to do

COOKIES_HINT = "--cookies-from-browser firefox (or chrome, ...) or --cookies cookies.txt"

# (words in yt-dlp's message, lower case, what it means and what to do). First match wins, so
# the specific ("Video unavailable. The uploader has not made this video available in your
# country") comes before the general ("Video unavailable").
_ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("cookies database", "failed to load cookies", "could not copy chrome cookie database",
      "failed to decrypt", "keyring"),
     "cannot read the browser's cookies ({detail}); is that browser installed and signed in "
     "for this user? Or export a cookies.txt file and pass --cookies FILE"),
    (("confirm you're not a bot", "confirm you are not a bot", "captcha"),
     "YouTube asks to sign in to confirm this is not a bot; pass the cookies of a browser "
     f"signed in to YouTube: {COOKIES_HINT}"),
    (("confirm your age", "age-restricted", "age restricted", "inappropriate for some users"),
     "the video is age-restricted; pass the cookies of a browser signed in to an adult "
     f"YouTube account: {COOKIES_HINT}"),
    (("join this channel", "members-only", "members only", "available to this channel's members"),
     "the video is for the channel's members only; pass the cookies of a browser signed in "
     f"to a member's account: {COOKIES_HINT}"),
    (("private video",),
     "the video is private; only accounts its owner invited can watch it: if yours is one, "
     f"pass its cookies: {COOKIES_HINT}"),
    (("this live event will begin", "premieres in", "premiere will begin", "will begin in",
      "live event has not started", "is_upcoming"),
     "the video is a live event or premiere that has not started yet ({detail}); run recap "
     "again once it has ended and its recording is up"),
    (("live stream recording is not available", "this live event has ended"),
     "the live stream has ended and YouTube offers no recording of it (yet); try again later"),
    (("not made this video available in your country", "not available in your country",
      "geo restriction", "not available from your location", "blocked it in your country"),
     "the uploader has not made the video available in this country{countries}; recap cannot "
     "change that (a VPN or proxy in an allowed country is the usual way round)"),
    (("content isn't available, try again later", "http error 429", "too many requests",
      "rate-limited", "rate limited"),
     "YouTube is rate-limiting requests from here; wait up to an hour, or pass the cookies of "
     f"a signed-in browser: {COOKIES_HINT}"),
    (("account associated with this video has been terminated",),
     "the video is gone: the YouTube account that uploaded it has been terminated"),
    (("removed by the uploader", "has been removed", "no longer available", "video unavailable",
      "this video is unavailable", "video has been deleted"),
     "the video is unavailable (removed, or the link is wrong); nothing to fetch"),
    (("sign in", "login required", "requires authentication", "use --cookies"),
     f"the site asks to sign in; pass the cookies of a browser signed in to it: {COOKIES_HINT}"),
)


def advice(message: str, cookies_given: bool = False) -> str | None:
    """What a yt-dlp error means and what to do, in one line; None when it is not one we know.

    Args:
        message: yt-dlp's error text, as in its DownloadError (prefixes and hints included).
        cookies_given: cookies went with the request, so "pass cookies" would not help.
    """
    text = message.replace("\u2019", "'").replace("\u2018", "'")
    low = text.lower()
    for words, line in _ADVICE:
        if any(word in low for word in words):
            if cookies_given and COOKIES_HINT in line:
                line = (line.split("; ", 1)[0] + "; the cookies given did not get past it: export "
                        "fresh ones from a browser signed in to the right account (they expire, "
                        "and YouTube rotates them)")
            return line.format(detail=_detail(text), countries=_countries(text))
    return None


def _detail(text: str) -> str:
    """The refusal itself, without yt-dlp's prefixes, its hints and its long path lists."""
    text = re.sub(r"^(?:ERROR:\s*)?(?:\[[\w:]+\]\s*)?(?:[\w-]{6,}:\s*)?", "", text.strip())
    text = text.splitlines()[0] if text else ""
    text = re.split(r"\.\s+(?:Use --|See\s|Also see\s)| in '", text, maxsplit=1)[0]
    return text.strip().rstrip(".")


def _countries(text: str) -> str:
    found = re.search(r"This video is available in ([^.\n]+)", text)
    return f" (it is available in {found.group(1).strip()})" if found else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")

def clean_ytdlp_error(message: str, url: str, cookies_given: bool = False) -> str:
    """One readable line from a yt-dlp error: what a refusal means and what to do when it is
    one we know (see `recap.youtube.advice`), else yt-dlp's first line."""
    text = _ANSI.sub("", message).strip()
    said = advice(text, cookies_given)
    if said:
        return f"cannot fetch {url}: {said}"
    text = re.sub(r"^ERROR:\s*", "", text)
    text = re.sub(r"^\[[\w:]+\]\s*(\S+:\s*)?", "", text)
    text = text.split(" (caused by", 1)[0]
    text = text.splitlines()[0] if text else "download failed"
    text = re.sub(r";\s*please report this issue.*$", "", text, flags=re.I)
    low = text.lower()
    if "unsupported url" in low:
        return f"no media found at {url} (unsupported URL or a page without audio/video)"
    if "http error 404" in low:
        return f"{url} was not found (HTTP 404)"
    if "file:// urls are disabled" in low:
        return f"{url} points at a local file (file://); recap never follows those from a page"
    return f"cannot fetch {url}: {text}"


class YtdlpLogger:
    """yt-dlp's messages into one of recap's loggers (debug level), never onto the terminal;
    its error lines are also kept in `errors` for the one-line message recap gives."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.errors: list[str] = []

    def debug(self, msg: str) -> None:
        self.log.debug(msg)

    info = debug

    def warning(self, msg: str) -> None:
        self.log.debug("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        self.errors.append(msg)
        self.log.debug("yt-dlp: %s", msg)
