"""Media as people have it: every common container made by ffmpeg from real speech goes through
fetch and transcribe; files that hold no audio get one clear line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from recap import pipeline
from recap.models import Transcript
from tests.conftest import DATA, run_recap
from tests.feed_site import MEDIA, make_image, make_media, make_silent_video


@pytest.fixture(scope="module")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    return {kind: make_media(DATA / "jfk.wav", folder, kind) for kind in MEDIA}


@pytest.mark.parametrize("kind", list(MEDIA))
def test_each_format_is_fetched_and_transcribed(kind: str, media_files: dict[str, Path],
                                                tmp_path: Path) -> None:
    """mp4 (H.264 + AAC), webm (VP9 + Opus), m4a, opus, ogg, flac and wav."""
    source = media_files[kind]
    result = pipeline.run(str(source), tmp_path / "out",
                          pipeline.RunOptions(stop_after="transcribe"))
    assert result.stages == {"fetch": "done", "transcribe": "done"}
    audio = result.episode.audio_path()
    assert audio.suffix == source.suffix and audio.read_bytes() == source.read_bytes()
    transcript = Transcript.load(result.episode.transcript_path)
    assert transcript.origin == "whisper"
    text = transcript.text.lower()
    assert "ask not what your country can do for you" in text, text
    assert 10.5 < transcript.duration < 12.5


@pytest.mark.parametrize("name, make, message", [
    ("silent-video.mp4", make_silent_video,
     "is a video without an audio stream: there is nothing to transcribe"),
    ("empty.mp3", lambda path: path.write_bytes(b"") and path, "is empty (0 bytes)"),
    ("cover.mp3", make_image, "is an image (png), not audio or video"),
])
def test_files_without_audio_are_one_clear_line(name: str, make, message: str,
                                                tmp_path: Path) -> None:
    path = tmp_path / name
    make(path)
    out = tmp_path / "out"
    proc = run_recap("run", str(path), "-o", str(out))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"recap: error: {path} {message}"]
    assert not out.exists() or not any(out.iterdir()), "nothing may be left behind"
