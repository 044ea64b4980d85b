"""Existing transcripts: SRT, WebVTT, Podcasting 2.0 JSON and HTML files read into segments, the
--transcript choice, and the transcribe stage using them (origin recorded, no Whisper)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from recap import captions
from recap.episode import Episode
from recap.errors import ArtifactError, ConfigError
from recap.fetch import fetch
from recap.models import Info, Transcript, TranscriptSource
from recap.pipeline import RunOptions, run_stage
from recap.transcribe import TranscribeOptions
from tests.conftest import DATA, run_recap
from tests.feed_site import srt, vtt


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- formats

def test_srt_keeps_times_and_drops_markup(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.srt", srt([(1.5, 3.0, "<i>Hello</i> there &amp; you"),
                                          (3.0, 65.25, "second\nline")]))
    segments = captions.load(path, "srt")
    assert [(s.id, s.start, s.end, s.text) for s in segments] == [
        (0, 1.5, 3.0, "Hello there & you"), (1, 3.0, 65.25, "second line")]


def test_webvtt_voices_entities_and_rolling_captions(tmp_path: Path) -> None:
    # YouTube's automatic captions repeat the previous line in each cue, with word timings.
    text = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.500 align:start position:0%
hello<00:00:00.500><c> there</c>

00:00:02.500 --> 00:00:02.510 align:start position:0%
hello there

00:00:02.510 --> 00:01:05.000 align:start position:0%
hello there
<v Bob>general &amp; kenobi</v>
"""
    segments = captions.load(_write(tmp_path, "t.vtt", text), "vtt")
    assert [(s.start, s.end, s.text) for s in segments] == [
        (0.0, 2.5, "hello there"), (2.51, 65.0, "general & kenobi")]


def test_podcast_json_segments_and_word_level_rows(tmp_path: Path) -> None:
    doc = {"version": "1.0.0", "segments": [
        {"speaker": "Ann", "startTime": 0.25, "endTime": 2.0, "body": "Welcome to the show."},
        {"speaker": "Bob", "startTime": 2.0, "endTime": 4.5, "body": "Glad to be here."}]}
    segments = captions.load(_write(tmp_path, "t.json", json.dumps(doc)), "json")
    assert [(s.start, s.end, s.text) for s in segments] == [
        (0.25, 2.0, "Welcome to the show."), (2.0, 4.5, "Glad to be here.")]
    words = {"segments": [{"startTime": i * 0.5, "endTime": i * 0.5 + 0.4, "body": w}
                          for i, w in enumerate("One sentence here. And another one.".split())]}
    merged = captions.load(_write(tmp_path, "w.json", json.dumps(words)), "json")
    assert [(s.start, s.end, s.text) for s in merged] == [
        (0.0, 1.4, "One sentence here."), (1.5, 2.9, "And another one.")]


def test_html_transcript_with_and_without_times(tmp_path: Path) -> None:
    timed = """<html><body><script>var x = "not said";</script>
<cite>Ann:</cite><time>0:00</time><p>Welcome to the show.</p>
<cite>Bob:</cite><time>1:02:03</time><p>Glad to be <b>here</b> &amp; now.</p>
</body></html>"""
    segments = captions.load(_write(tmp_path, "t.html", timed), "html", duration=4000)
    assert [(s.start, s.end, s.text) for s in segments] == [
        (0.0, 3723.0, "Welcome to the show."), (3723.0, 4000.0, "Glad to be here & now.")]
    untimed = "<p>one two three four</p><p>five six seven eight</p>"
    spread = captions.load(_write(tmp_path, "u.html", untimed), "html", duration=100)
    assert [(s.start, s.end) for s in spread] == [(0.0, 50.0), (50.0, 100.0)]


def test_unreadable_or_empty_transcripts_are_named(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="holds no transcript text"):
        captions.load(_write(tmp_path, "e.srt", "\n\n"), "srt")
    with pytest.raises(ArtifactError, match="not a readable json transcript"):
        captions.load(_write(tmp_path, "b.json", "{not json"), "json")
    with pytest.raises(ArtifactError, match="not a readable vtt"):
        captions.load(_write(tmp_path, "b.vtt", "no header\n00:01 nonsense"), "vtt")


def test_format_from_mime_type_or_extension() -> None:
    assert captions.format_for("application/x-subrip") == "srt"
    assert captions.format_for("text/vtt; charset=utf-8") == "vtt"
    assert captions.format_for("application/json") == "json"
    assert captions.format_for("text/html") == "html"
    assert captions.format_for("", "https://h/t/ep1.VTT?x=1") == "vtt"
    assert captions.format_for("application/octet-stream", "ep1.bin") is None


# ---------------------------------------------------------------- choosing

def _sources() -> list[TranscriptSource]:
    return [TranscriptSource("auto-captions", "a", "vtt", "en"),
            TranscriptSource("subtitles", "s", "vtt", "en"),
            TranscriptSource("subtitles", "s-de", "vtt", "de"),
            TranscriptSource("feed", "f-html", "html", "en"),
            TranscriptSource("feed", "f-srt", "srt", "en")]


def test_choice_order_feed_then_subtitles_then_captions_only_when_asked() -> None:
    available = _sources()
    assert captions.choose(available, "auto").file == "f-srt"  # the feed's, timed format first
    assert captions.choose(available, "whisper") is None
    no_feed = [t for t in available if t.origin != "feed"]
    assert captions.choose(no_feed, "auto").file == "s"
    assert captions.choose(no_feed, "auto", language="de").file == "s-de"
    only_auto = [t for t in available if t.origin == "auto-captions"]
    assert captions.choose(only_auto, "auto") is None  # automatic captions only when asked
    assert captions.choose(only_auto, "captions").file == "a"
    assert captions.choose(only_auto, "captions", language="fr") is None
    with pytest.raises(ConfigError, match="expected one of: auto, whisper, captions"):
        captions.choose(available, "youtube")


# ---------------------------------------------------------------- the transcribe stage

def _silence(target: Path, seconds: float) -> Path:
    from recap.media import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=8000:cl=mono", "-t", str(seconds), "-c:a", "libmp3lame", "-b:a",
                    "8k", str(target)], check=True, capture_output=True, timeout=120)
    return target


def _with_transcript(episode: Episode, origin: str, name: str, text: str,
                     fmt: str) -> None:
    """Put a transcript where fetch saves one and list it in info.json, as fetch does."""
    path = episode.root / "transcripts" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    info = Info.load(episode.info_path)
    info.transcripts.append(TranscriptSource(origin, f"transcripts/{name}", fmt, "en"))
    episode.info_path.write_text(info.to_json(), encoding="utf-8")


def test_ten_minute_episode_with_a_feed_transcript_transcribes_in_under_two_seconds(
        tmp_path: Path) -> None:
    episode, _ = fetch(str(_silence(tmp_path / "episode.mp3", 600)), tmp_path / "out")
    cues = [(n * 3.0, n * 3.0 + 3.0, f"Sentence number {n} of the published transcript.")
            for n in range(200)]
    _with_transcript(episode, "feed", "feed.en.srt", srt(cues), "srt")
    started = time.perf_counter()
    with episode.lock():
        run_stage(episode, "transcribe", RunOptions(transcribe=TranscribeOptions()))
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"the transcribe stage took {elapsed:.2f} s"
    transcript = Transcript.load(episode.transcript_path)
    assert transcript.origin == "feed" and transcript.source == "transcripts/feed.en.srt"
    assert len(transcript.segments) == 200 and transcript.segments[-1].end == 600.0
    assert transcript.duration == pytest.approx(600, abs=1)
    record = episode.stage_record("transcribe")
    assert record is not None and record.stats["origin"] == "feed"
    assert record.wall_seconds < 2.0
    assert (episode.root / "transcript.srt").read_text().count("-->") == 200


def test_transcript_option_through_the_cli(tmp_path: Path) -> None:
    """`recap transcribe DIR`: the uploader's subtitles by default; --transcript whisper and
    RECAP_TRANSCRIPT=whisper run Whisper; a wrong value names the choices."""
    episode, _ = fetch(str(DATA / "jfk.wav"), tmp_path / "out")
    _with_transcript(episode, "subtitles", "subtitles.en.vtt",
                     vtt([(0.0, 11.0, "Published words, not Whisper's.")]), "vtt")
    first = run_recap("transcribe", str(episode.root))
    assert first.returncode == 0, first.stderr
    transcript = Transcript.load(episode.transcript_path)
    assert transcript.origin == "subtitles"
    assert transcript.text == "Published words, not Whisper's."

    forced = run_recap("transcribe", str(episode.root), "--transcript", "whisper")
    assert forced.returncode == 0, forced.stderr
    transcript = Transcript.load(episode.transcript_path)
    assert transcript.origin == "whisper" and "country" in transcript.text.lower()
    record = episode.stage_record("transcribe")
    assert record is not None and record.params["transcript"] == "whisper"
    assert record.stats["origin"] == "whisper"
    # The environment gives the same setting: up to date, nothing to redo.
    again = run_recap("transcribe", str(episode.root), env={"RECAP_TRANSCRIPT": "whisper"})
    assert again.returncode == 0 and "up to date" in again.stdout + again.stderr

    wrong = run_recap("transcribe", str(episode.root), "--transcript", "youtube")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().splitlines() == [
        "recap: error: unknown transcript source 'youtube'; expected one of: auto, whisper, "
        "captions"]


def test_an_unreadable_published_transcript_falls_back_to_whisper(tmp_path: Path,
                                                                 caplog) -> None:
    episode, _ = fetch(str(DATA / "jfk.wav"), tmp_path / "out")
    _with_transcript(episode, "feed", "feed.en.json", "{broken", "json")
    with episode.lock():
        run_stage(episode, "transcribe", RunOptions())
    transcript = Transcript.load(episode.transcript_path)
    assert transcript.origin == "whisper" and "country" in transcript.text.lower()
    assert "transcribing with Whisper instead" in caplog.text
