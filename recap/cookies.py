"""Cookies for yt-dlp: a Netscape cookies.txt file, or those of a browser on this machine.

YouTube often answers a cookieless request with a bot check or an age gate; the cookies of a
signed-in browser get past both. Both settings are checked before anything is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.errors import ConfigError, unknown_choice

# yt-dlp's own syntax: BROWSER[+KEYRING][:PROFILE][::CONTAINER].
_BROWSER_SPEC = re.compile(r"""(?x)
    (?P<name>[^+:]+)
    (?:\s*\+\s*(?P<keyring>[^:]+))?
    (?:\s*:\s*(?!:)(?P<profile>.+?))?
    (?:\s*::\s*(?P<container>.+))?
""")
_HTTPONLY = "#HttpOnly_"
_FIELDS = 7  # domain, subdomains, path, secure, expires, name, value
_LINES_CHECKED = 10_000


@dataclass(frozen=True)
class Cookies:
    """Where yt-dlp takes its cookies from (either or both)."""

    file: Path | None = None
    """A Netscape-format cookies.txt file."""
    browser: tuple[str, str | None, str | None, str | None] | None = None
    """(browser, profile, keyring, container), as yt-dlp's `cookiesfrombrowser`."""

    def ydl_options(self) -> dict[str, Any]:
        """The yt-dlp options that pass these cookies."""
        options: dict[str, Any] = {}
        if self.file is not None:
            options["cookiefile"] = str(self.file)
        if self.browser is not None:
            options["cookiesfrombrowser"] = self.browser
        return options


def resolve(file: str | Path | None, browser: str | None) -> Cookies | None:
    """Check the cookie settings and build them; None when neither is given.

    Raises:
        ConfigError: the file is missing or not a Netscape cookie file, or the browser is not
            one yt-dlp can read.
    """
    if not file and not browser:
        return None
    return Cookies(file=check_cookie_file(Path(str(file))) if file else None,
                   browser=parse_browser(str(browser)) if browser else None)


def check_cookie_file(path: Path) -> Path:
    """`path`, absolute, once it is known to be a readable Netscape cookie file with cookies."""
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise ConfigError(f"cookies file {path} does not exist")
    if not path.is_file():
        raise ConfigError(f"cookies file {path} is not a file")
    try:
        with open(path, encoding="utf-8", errors="strict") as fh:
            lines = [line for _, line in zip(range(_LINES_CHECKED), fh, strict=False)]
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a Netscape cookie file (it is not text); export "
                          "cookies.txt with a browser extension or `yt-dlp --cookies-from-browser "
                          "BROWSER --cookies FILE`") from None
    except OSError as exc:
        raise ConfigError(f"cannot read cookies file {path}: {exc.strerror}") from None
    cookies = 0
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if line.startswith(_HTTPONLY):
            line = line[len(_HTTPONLY):]
        elif line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != _FIELDS or not re.fullmatch(r"(?:[0-9]+(?:\.[0-9]+)?)?", fields[4]):
            what = ("is JSON, not a Netscape cookie file" if line.lstrip()[:1] in ("{", "[")
                    else f"is not a Netscape cookie file (line {number} is not 7 tab-separated "
                    "fields)")
            raise ConfigError(f"cookies file {path} {what}; export cookies.txt in the Netscape "
                              "format (e.g. `yt-dlp --cookies-from-browser BROWSER --cookies "
                              "FILE`)")
        cookies += 1
    if not cookies:
        raise ConfigError(f"cookies file {path} holds no cookies")
    return path.resolve()


def supported_browsers() -> list[str]:
    """The browsers yt-dlp can read cookies from."""
    from yt_dlp.cookies import SUPPORTED_BROWSERS

    return sorted(SUPPORTED_BROWSERS)


def parse_browser(spec: str) -> tuple[str, str | None, str | None, str | None]:
    """yt-dlp's `cookiesfrombrowser` tuple from BROWSER[+KEYRING][:PROFILE][::CONTAINER]."""
    from yt_dlp.cookies import SUPPORTED_KEYRINGS

    found = _BROWSER_SPEC.fullmatch(spec.strip())
    if found is None:
        raise ConfigError(f"invalid --cookies-from-browser {spec!r}; expected "
                          "BROWSER[+KEYRING][:PROFILE][::CONTAINER], e.g. firefox")
    name, keyring, profile, container = found.group("name", "keyring", "profile", "container")
    name = name.strip().lower()
    browsers = supported_browsers()
    if name not in browsers:
        raise unknown_choice("browser for cookies", name, browsers)
    if keyring is not None:
        keyring = keyring.strip().upper()
        if keyring not in SUPPORTED_KEYRINGS:
            raise unknown_choice("keyring for cookies", keyring, sorted(SUPPORTED_KEYRINGS))
    return name, profile, keyring, container
