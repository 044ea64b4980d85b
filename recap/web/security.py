"""The studio's guard: Host, access token, Origin and CSRF checks; paths kept inside the root.

A local web server is an attack surface: any page the user visits can send requests to
127.0.0.1. So, on every request:
- the Host header must name this server (a DNS-rebinding page carries its own name);
- off loopback, the access token printed at start-up is required (a cookie once given);
- a state-changing request (POST, PUT, DELETE...) that carries an Origin (every browser request)
  must come from this server's own origin and carry the page's CSRF token; one without Origin
  (a script: curl, Python) is accepted, since a browser cannot send one.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_COOKIE = "recap_studio_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
     b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def is_loopback(host: str) -> bool:
    return host.strip("[]") in LOOPBACK_HOSTS


class Guard:
    """ASGI middleware applying the rules above to every HTTP request."""

    def __init__(self, app: ASGIApp, *, bind_host: str, csrf_token: str,
                 access_token: str | None) -> None:
        self.app = app
        self.bind_host = bind_host
        self.csrf_token = csrf_token
        self.access_token = access_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self._host_allowed(host):
            await _plain(send, 400, "unexpected Host header (open the studio by the address it "
                                    "printed at start-up)")
            return
        if self.access_token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [None])[0]
            if given and _same(given, self.access_token) and scope["method"] in _SAFE_METHODS:
                rest = {k: v for k, v in query.items() if k != "token"}
                location = scope["path"] + (f"?{urlencode(rest, doseq=True)}" if rest else "")
                await _redirect_with_cookie(send, location, self.access_token)
                return
            if not self._token_ok(headers):
                await _plain(send, 401, "this studio needs its access token (printed when "
                                        "`recap studio` started): open the address with ?token=")
                return
        if scope["method"] not in _SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None:
                own = f"{scope.get('scheme', 'http')}://{host}"
                if origin.rstrip("/") != own:
                    await _plain(send, 403, "cross-site request refused")
                    return
                if not _same(headers.get(CSRF_HEADER, ""), self.csrf_token):
                    await _plain(send, 403, "missing or wrong CSRF token; reload the page")
                    return
            elif not is_loopback(self.bind_host) and self.access_token is None:
                await _plain(send, 403, "requests need an Origin off loopback")
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _host_allowed(self, host: str) -> bool:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
        if is_loopback(self.bind_host):
            return name in LOOPBACK_HOSTS
        return True  # off loopback the access token guards every request

    def _token_ok(self, headers: dict[str, str]) -> bool:
        assert self.access_token is not None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and _same(auth[7:].strip(), self.access_token):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE and _same(value, self.access_token):
                return True
        return False


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8") + b"\n"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, location: str, token: str) -> None:
    cookie = f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")),
                            (b"set-cookie", cookie.encode("latin-1")),
                            (b"content-length", b"0"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})


# ---------------------------------------------------------------- paths

def episode_folder(root: Path, slug: str) -> Path | None:
    """The episode folder `slug` directly under `root`, or None: no traversal, no symlinks."""
    if not _SLUG.match(slug) or ".." in slug:
        return None
    folder = root / slug
    if folder.is_symlink() or not folder.is_dir():
        return None
    if folder.resolve().parent != root.resolve():
        return None
    if not (folder / "info.json").is_file() and not (folder / "manifest.json").is_file():
        return None
    return folder


def file_inside(folder: Path, path: Path) -> Path | None:
    """`path` when it is a regular file inside `folder` reached without symlinks, else None."""
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return None
    current = folder
    for part in relative.parts:
        if part in ("..", ""):
            return None
        current = current / part
        if current.is_symlink():
            return None
    if not current.is_file() or not current.resolve().is_relative_to(folder.resolve()):
        return None
    return current
