"""Real HTTP servers on 127.0.0.1 for tests: static media, HTML pages with <audio>, RSS feeds.

    with serve_directory(tmp_path) as base:          # base URL, no trailing slash
        write_feed(tmp_path / "feed.xml", base, [FeedItem("One", "one.mp3"), ...])
        ... f"{base}/feed.xml" ...

`StaticServer` is the same server with the log of requested paths (`server.requests`), for
tests that assert what was (not) downloaded. Files that do not exist answer 404; Range
requests answer 206 with the asked bytes (yt-dlp resumes and probes with them).
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import mimetypes
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

mimetypes.add_type("audio/mpeg", ".mp3")
mimetypes.add_type("audio/wav", ".wav")
mimetypes.add_type("audio/flac", ".flac")
mimetypes.add_type("application/rss+xml", ".rss")


class _Handler(SimpleHTTPRequestHandler):
    """Static files with Range support and no logging to stderr."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: tests read `StaticServer.requests` instead."""

    def send_head(self) -> Any:
        self.server.record(self.command, self.path, self.headers.get("Range"))
        path = Path(self.translate_path(self.path))
        if path.is_dir() or not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        size = path.stat().st_size
        start, end = 0, size - 1
        partial = False
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.groups()
            if first:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            else:  # suffix range: the last N bytes
                start = max(size - int(last), 0)
            if start >= size or start > end:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            partial = True
        fh = open(path, "rb")  # noqa: SIM115 - closed by copyfile's caller
        fh.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if partial else HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        self._remaining = end - start + 1
        return fh

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            super().copyfile(source, outputfile)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while remaining > 0:
                block = source.read(min(remaining, 64 * 1024))
                if not block:
                    break
                outputfile.write(block)
                remaining -= len(block)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), self._make_handler())

    def _make_handler(self) -> Any:
        root = str(self.root)

        class Handler(_Handler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=root, **kwargs)

        return Handler

    def record(self, method: str, path: str, range_header: str | None) -> None:
        with self._lock:
            self.requests.append((method, path, range_header))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-transfer are normal in tests; stay quiet."""


class StaticServer:
    """Serve `root` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StaticServer:
        self._server = _Server(self.root)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        assert self._server is not None, "use StaticServer as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        """(method, path, Range header) of every request so far."""
        assert self._server is not None
        with self._server._lock:
            return list(self._server.requests)

    def fetched(self, name: str) -> int:
        """How many GET requests asked for `/name`."""
        target = "/" + quote(name.lstrip("/"))
        return sum(1 for method, path, _ in self.requests
                   if method == "GET" and path.split("?", 1)[0] == target)


@contextlib.contextmanager
def serve_directory(root: Path | str) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 and yield its base URL (no trailing slash)."""
    with StaticServer(root) as server:
        yield server.url


# ---------------------------------------------------------------- content helpers

@dataclass
class FeedItem:
    """One podcast episode in an RSS feed."""

    title: str
    file: str
    """Path of the enclosure relative to the server root (it may not exist: a broken link)."""
    pub_date: str | None = None
    """YYYY-MM-DD, written as an RFC 2822 pubDate."""
    duration: float | None = None
    """Seconds, written as itunes:duration."""
    description: str = ""
    mime: str = "audio/mpeg"


def write_feed(path: Path, base_url: str, items: Sequence[FeedItem],
               title: str = "Test podcast") -> str:
    """Write an RSS 2.0 podcast feed with enclosures; returns its URL under `base_url`."""
    root_dir = Path(path).parent
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">',
        "<channel>",
        f"<title>{html.escape(title)}</title>",
        f"<link>{html.escape(base_url)}/</link>",
        "<description>A feed served on 127.0.0.1 for tests.</description>",
    ]
    for n, item in enumerate(items, 1):
        url = f"{base_url}/{quote(item.file)}"
        local = root_dir / item.file
        length = local.stat().st_size if local.is_file() else 0
        parts += [
            "<item>",
            f"<title>{html.escape(item.title)}</title>",
            f"<guid isPermaLink=\"false\">episode-{n}</guid>",
            f"<description>{html.escape(item.description)}</description>",
            f'<enclosure url="{html.escape(url)}" length="{length}" '
            f'type="{html.escape(item.mime)}"/>',
        ]
        if item.pub_date:
            parts.append(f"<pubDate>{rfc2822(item.pub_date)}</pubDate>")
        if item.duration is not None:
            parts.append(f"<itunes:duration>{int(round(item.duration))}</itunes:duration>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>", ""]
    Path(path).write_text("\n".join(parts), encoding="utf-8")
    return f"{base_url}/{quote(Path(path).relative_to(root_dir).as_posix())}"


def write_audio_page(path: Path, base_url: str, audio_file: str, title: str = "An episode") -> str:
    """Write an HTML page with an <audio> tag for `audio_file`; returns the page's URL."""
    src = f"{base_url}/{quote(audio_file)}"
    Path(path).write_text(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>\n"
        f'<audio controls src="{html.escape(src)}"></audio>\n</body></html>\n',
        encoding="utf-8",
    )
    return f"{base_url}/{quote(Path(path).name)}"


def rfc2822(day: str) -> str:
    """'2024-05-01' -> 'Wed, 01 May 2024 12:00:00 +0000'."""
    import datetime as dt

    moment = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


def cut_clip(source: Path, target: Path, start: float, seconds: float) -> Path:
    """Cut `seconds` of `source` from `start` into `target` with ffmpeg (re-encoded, without the
    source's tags, so a clip's title is its file name)."""
    import subprocess

    from recap.media import ffmpeg_exe

    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-ss", str(start), "-t", str(seconds),
         "-i", str(source), "-map_metadata", "-1", str(target)],
        check=True, capture_output=True, timeout=60,
    )
    return target


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


__all__ = ["FeedItem", "StaticServer", "cut_clip", "free_port", "rfc2822", "serve_directory",
           "write_audio_page", "write_feed"]
