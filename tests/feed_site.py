"""Fixtures shaped like real podcast hosts: media in every common container made with ffmpeg from
real speech, a server with tracking-redirect chains, and feeds as hosts write them (iTunes and
Podcasting 2.0 namespaces, CDATA and HTML, relative URLs, duplicate guids, Atom).

    make_media(DATA / "jfk.wav", folder, "mp4")          # H.264 + AAC, real speech
    with RedirectingServer(root, {"/track/a.mp4": (302, "/cdn/a.mp4")}) as server: ...
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

from recap.media import ffmpeg_exe
from tests.servers import StaticServer, _Handler, _Server

# ffmpeg arguments per container: (extension, codec arguments, needs a video stream)
MEDIA = {
    "mp4": (".mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"], True),
    "webm": (".webm", ["-c:v", "libvpx-vp9", "-b:v", "50k", "-deadline", "realtime",
                       "-cpu-used", "8", "-c:a", "libopus"], True),
    "m4a": (".m4a", ["-c:a", "aac", "-b:a", "64k"], False),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "32k"], False),
    "ogg": (".ogg", ["-c:a", "libvorbis", "-q:a", "3"], False),
    "flac": (".flac", ["-c:a", "flac"], False),
    "wav": (".wav", ["-c:a", "pcm_s16le"], False),
}


def make_media(speech: Path, folder: Path, kind: str, name: str | None = None) -> Path:
    """`speech` re-encoded as `kind` (see MEDIA); videos get a small moving picture."""
    suffix, codec, video = MEDIA[kind]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name or 'speech'}{suffix}"
    inputs = ["-i", str(speech)]
    maps: list[str] = []
    if video:
        from recap.media import probe

        seconds = probe(speech).duration
        inputs = ["-f", "lavfi", "-i", f"testsrc=size=160x90:rate=10:duration={seconds}", *inputs]
        maps = ["-map", "0:v", "-map", "1:a", "-t", str(seconds)]
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *inputs, *maps,
                    "-map_metadata", "-1", *codec, str(target)],
                   check=True, capture_output=True, timeout=120)
    return target


def make_silent_video(target: Path, seconds: float = 2.0) -> Path:
    """An H.264 mp4 with no audio stream at all."""
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size=160x90:rate=10:duration={seconds}", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(target)], check=True, capture_output=True,
                   timeout=60)
    return target


def make_image(target: Path) -> Path:
    """A real PNG image (rename it to pretend it is audio)."""
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=orange:s=64x36", "-frames:v", "1", "-f", "image2", "-c:v", "png",
                    str(target)], check=True, capture_output=True, timeout=60)
    return target


class _RedirectServer(_Server):
    def __init__(self, root: Path, redirects: dict[str, tuple[int, str]]) -> None:
        self.redirects = redirects
        super().__init__(root)

    def _make_handler(self) -> Any:
        root = str(self.root)
        redirects = self.redirects

        class Handler(_Handler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=root, **kwargs)

            def send_head(self) -> Any:
                target = redirects.get(self.path.split("?", 1)[0])
                if target is None:
                    return super().send_head()
                self.server.record(self.command, self.path, self.headers.get("Range"))
                status, location = target
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None

        return Handler


class RedirectingServer(StaticServer):
    """`StaticServer` whose paths in `redirects` answer `(status, Location)` instead, as a
    podcast host's tracking prefixes do (a chain: each Location may redirect again)."""

    def __init__(self, root: Path | str, redirects: dict[str, tuple[int, str]] | None = None):
        super().__init__(root)
        self.redirects: dict[str, tuple[int, str]] = dict(redirects or {})

    def __enter__(self) -> RedirectingServer:
        self._server = _RedirectServer(self.root, self.redirects)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self


def vtt(cues: list[tuple[float, float, str]]) -> str:
    """A WebVTT file."""
    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    body = "".join(f"{stamp(a)} --> {stamp(b)}\n{text}\n\n" for a, b, text in cues)
    return "WEBVTT\n\n" + body


def srt(cues: list[tuple[float, float, str]]) -> str:
    """A SubRip file."""
    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{n}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n"
                   for n, (a, b, text) in enumerate(cues, 1))


JFK_CUES = [
    (0.0, 3.2, "And so, my fellow Americans,"),
    (3.2, 7.6, "ask not what your country can do for you,"),
    (7.6, 11.0, "ask what you can do for your country."),
]
"""What JFK says in tests/data/jfk.wav, as a publisher's transcript would time it."""
