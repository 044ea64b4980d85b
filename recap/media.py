"""ffmpeg: locate it, probe media, and decode audio as a stream of 16 kHz mono samples."""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recap.errors import MediaError

log = logging.getLogger("recap.media")

SAMPLE_RATE = 16_000


@functools.cache
def ffmpeg_exe() -> str:
    """The system ffmpeg when present, else the static one inside imageio-ffmpeg."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        raise MediaError("ffmpeg not found: install ffmpeg or `pip install imageio-ffmpeg`") from None


@dataclass
class Probe:
    duration: float
    has_audio: bool
    title: str = ""
    artist: str = ""
    date: str = ""
    description: str = ""
    """The file's description (or synopsis) tag: a podcast MP3's show notes. The comment tag is
    not read: it as often says how the file was made ("Synthetic two-voice episode (piper…)",
    an encoder's name), which the speakers call then took for people."""


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


def probe(path: Path) -> Probe:
    """Read duration and tags with `ffmpeg -i` (no ffprobe needed)."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path} does not exist")
    if path.is_dir():
        raise MediaError(f"{path} is a directory, not an audio or video file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path} is empty (0 bytes)")
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, errors="replace", timeout=60,
    )
    err = proc.stderr
    has_audio = bool(re.search(r"Stream #\S+.*: Audio:", err))
    if "Invalid data found" in err or not has_audio:
        raise MediaError(f"{path} {_what_it_is_instead(err)}")
    match = _DURATION.search(err)
    duration = 0.0
    if match:
        h, m, s = match.groups()
        duration = int(h) * 3600 + int(m) * 60 + float(s)
    lower = _tags(err)
    # the show notes; not the comment tag, which as often says how the file was made
    description = lower.get("description") or lower.get("synopsis") or ""
    return Probe(duration, has_audio, lower.get("title", ""), lower.get("artist", ""),
                 lower.get("date", ""), description)


_TAG = re.compile(r"^\s{4}(\w+)\s*:\s(.*)$")
_TAG_GOES_ON = re.compile(r"^\s{5,}:\s(.*)$")


def _tags(ffmpeg_output: str) -> dict[str, str]:
    """The container's tags as `ffmpeg -i` prints them (keys in lower case); a value of several
    lines (a comment, a description) is printed as lines of their own after it, and joined."""
    tags: dict[str, str] = {}
    key = ""
    for line in ffmpeg_output.splitlines():
        if match := _TAG.match(line):
            key = match.group(1).lower()
            tags.setdefault(key, match.group(2).strip())
        elif key and (more := _TAG_GOES_ON.match(line)):
            tags[key] = f"{tags[key]}\n{more.group(1).strip()}".strip()
        else:
            key = ""
    return tags


_IMAGE_CODECS = ("png", "mjpeg", "jpeg", "gif", "bmp", "webp", "tiff", "jpegls", "qoi")


def _what_it_is_instead(ffmpeg_output: str) -> str:
    """Why a file that ffmpeg opened has no audio: an image, a silent video, or not media."""
    video = re.search(r"Stream #\S+.*: Video: (\w+)", ffmpeg_output)
    container = re.search(r"^Input #0, ([\w,]+), from", ffmpeg_output, flags=re.M)
    if video and "Invalid data found" not in ffmpeg_output:
        kind = container.group(1) if container else ""
        if video.group(1) in _IMAGE_CODECS or kind.endswith("_pipe") or kind == "image2":
            return f"is an image ({video.group(1)}), not audio or video"
        return "is a video without an audio stream: there is nothing to transcribe"
    return "is not an audio or video file ffmpeg can read"


def decode_stream(path: Path, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Yield float32 mono 16 kHz blocks of about `block_seconds`, decoding as we go.

    Memory stays bounded by the block size whatever the file's length.
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path),
           "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    block_bytes = int(block_seconds * SAMPLE_RATE) * 2
    total = 0
    try:
        while True:
            data = proc.stdout.read(block_bytes)
            if not data:
                break
            if len(data) % 2:
                data = data[:-1]
            total += len(data)
            yield np.frombuffer(data, dtype=np.int16).astype(np.float32) / 32768.0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stderr = proc.stderr.read().decode(errors="replace").strip()
        proc.stdout.close()
        proc.stderr.close()
    if total == 0:
        first = stderr.splitlines()[0] if stderr else "no audio decoded"
        raise MediaError(f"cannot decode audio from {path}: {first}")
    if stderr:
        log.warning("%s has damaged parts that could not be decoded (%s); the transcript may "
                    "have gaps", Path(path).name, _ffmpeg_message(stderr.splitlines()[0]))


def _ffmpeg_message(line: str) -> str:
    """An ffmpeg error line without its `[decoder @ 0x...]` prefixes."""
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", line).strip() or line.strip()
