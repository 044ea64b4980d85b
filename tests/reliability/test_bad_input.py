"""Bad input through the real CLI: one `recap: error:` line, exit 1, no traceback, nothing
half-written; audio without speech costs no LLM call."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from recap.media import ffmpeg_exe
from tests.conftest import DATA, SAMPLE
from tests.fake_openai import fake_openai
from tests.reliability.helpers import (
    assert_error,
    assert_nothing_half_written,
    copy_episode,
    fake_model,
    llm_args,
    recap,
    stage_status,
)
from tests.servers import StaticServer, cut_clip, free_port, write_audio_page


def ffmpeg(target: Path, *args: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args, str(target)],
                   check=True, capture_output=True, timeout=60)
    return target


# ---------------------------------------------------------------- damaged audio

def truncated(folder: Path) -> Path:
    """The first quarter of the sample's bytes: its header still says 117 s."""
    data = SAMPLE.read_bytes()
    path = folder / "truncated.mp3"
    path.write_bytes(data[: len(data) // 4])
    return path


def corrupt(folder: Path) -> Path:
    """A 30 s clip with garbage bytes over a tenth of its middle (15-18 s; the same bytes on
    every run)."""
    clip = cut_clip(SAMPLE, folder / "clip.mp3", 0, 30)
    data = bytearray(clip.read_bytes())
    start, size = len(data) // 2, len(data) // 10
    data[start : start + size] = random.Random(14).randbytes(size)
    path = folder / "corrupt.mp3"
    path.write_bytes(bytes(data))
    return path


def _transcribed(tmp_path: Path, source: Path) -> tuple[str, list[dict]]:
    out = tmp_path / "out"
    proc = recap("run", str(source), "-o", str(out), "--stop-after", "transcribe")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert_nothing_half_written(out)
    return proc.stderr, json.loads((folder / "transcript.json").read_text())["segments"]


def test_truncated_audio_is_transcribed_to_where_its_bytes_end(tmp_path: Path) -> None:
    stderr, segments = _transcribed(tmp_path, truncated(tmp_path))
    found = re.search(r"only (\d+) s of the (\d+) s that audio.mp3 declares could be "
                      r"decoded; the file may be truncated", stderr)
    assert found, stderr
    decoded, declared = map(int, found.groups())
    assert abs(declared - 117) <= 1 and 25 <= decoded <= 33  # a quarter of the bytes
    # Transcribed up to where the bytes end, and not past it.
    assert decoded - 10 < segments[-1]["end"] <= decoded + 1, segments[-1]


def test_corrupt_audio_is_transcribed_on_both_sides_of_the_damage(tmp_path: Path) -> None:
    stderr, segments = _transcribed(tmp_path, corrupt(tmp_path))
    assert "audio.mp3 has damaged parts that could not be decoded (Header missing)" in stderr, stderr
    assert "the transcript may have gaps" in stderr
    assert segments[0]["start"] < 5  # before the damage
    assert any(s["start"] > 18 for s in segments), segments  # decoding went on after it
    assert segments[-1]["end"] <= 30.5


def test_a_file_cut_to_its_first_bytes_fails_clearly(tmp_path: Path) -> None:
    source = tmp_path / "stub.mp3"
    source.write_bytes(SAMPLE.read_bytes()[:400])
    out = tmp_path / "out"
    assert_error(recap("run", str(source), "-o", str(out)), "stub.mp3",
                 "not an audio or video file")
    assert not out.exists() or not list(out.rglob("*.json"))


# ---------------------------------------------------------------- no speech

@pytest.mark.parametrize("make", [
    lambda d: ffmpeg(d / "silence.mp3", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                     "-t", "20"),
    lambda d: ffmpeg(d / "tones.mp3", "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
                     "-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:a=0.1",
                     "-filter_complex", "amix=inputs=2"),
    lambda d: ffmpeg(d / "blip.wav", "-i", str(DATA / "jfk.wav"), "-t", "0.3"),
], ids=["silence", "music-like-tones", "0.3-seconds"])
def test_audio_without_speech_says_so_and_makes_no_llm_call(
        tmp_path: Path, make: Callable[[Path], Path]) -> None:
    source = make(tmp_path)
    out = tmp_path / "out"
    with fake_openai() as server:
        fake_model(server)
        proc = recap("run", str(source), "-o", str(out), *llm_args(server))
        assert server.completions == []
    assert_error(proc, "no speech found", "nothing to summarise")
    folder = out / source.stem
    assert stage_status(folder, "fetch") == "done"  # kept: the next run does not download again
    assert stage_status(folder, "transcribe") == "failed"
    assert not (folder / "transcript.json").exists() and not (folder / "notes.json").exists()
    assert_nothing_half_written(out)


def test_a_language_the_model_does_not_cover_warns_and_continues(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--language", "fr",
                 "--stop-after", "transcribe")
    assert proc.returncode == 0, proc.stderr
    assert "only knows English" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads((out / "jfk" / "transcript.json").read_text())["segments"]


# ---------------------------------------------------------------- URLs and feeds

@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "page.html").write_text("<html><head><title>Nothing</title></head>"
                                    "<body><p>No media on this page.</p></body></html>")
    (root / "feed.xml").write_text("this is <not> an RSS feed {\n")
    shutil.copy(DATA / "jfk.wav", root / "jfk.wav")
    write_audio_page(root / "broken.html", "http://127.0.0.1:9", "gone.mp3")
    with StaticServer(root) as server:
        yield server


@pytest.mark.parametrize(("path", "needles"), [
    ("missing.mp3", ("was not found", "HTTP 404")),
    ("page.html", ("no media found",)),
    ("feed.xml", ("not a feed, a page with media, or audio or video",)),
], ids=["404", "page-without-media", "not-media"])
def test_bad_urls_are_one_line(site: StaticServer, tmp_path: Path, path: str,
                               needles: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    url = f"{site.url}/{path}"
    assert_error(recap("run", url, "-o", str(out)), url, *needles)
    assert_nothing_half_written(out)
    assert not list(out.rglob("info.json"))


@pytest.mark.parametrize(("source", "reason"), [
    # No "://": a local path (a file may be named so), relative to the working directory.
    ("mailto:someone@example.com", "{cwd}/mailto:someone@example.com does not exist"),
    ("http:///no-host.mp3", "malformed URL 'http:///no-host.mp3': no host"),
    ("https://exa mple.com/\x7f", "Host 'exa mple.com' contains invalid character ' '"),
], ids=["mailto", "no-host", "space-in-host"])
def test_malformed_urls_are_one_line(tmp_path: Path, source: str, reason: str) -> None:
    out = tmp_path / "out"
    proc = recap("fetch", source, "-o", str(out))
    assert reason.format(cwd=Path.cwd()) in assert_error(proc)
    assert not out.exists() or not list(out.rglob("info.json"))


def test_batch_of_a_feed_that_is_not_xml(site: StaticServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = recap("batch", f"{site.url}/feed.xml", "-o", str(out))
    line = assert_error(proc, "failed")
    assert "batch.json" in line
    summary = json.loads((out / "batch.json").read_text())
    assert "not a feed" in json.dumps(summary)
    assert ".fetch-" not in proc.stderr + proc.stdout  # no temporary path in the reason
    assert_nothing_half_written(out)


# ---------------------------------------------------------------- episode folders

def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(("artifact", "damage", "command", "rebuild"), [
    ("info.json", _cut, "transcribe", "recap fetch"),
    ("audio.wav", Path.unlink, "transcribe", "recap fetch"),
    ("transcript.json", Path.unlink, "chunk", "recap transcribe"),
    ("transcript.json", _cut, "notes", "recap transcribe"),
    ("chunks.json", _cut, "notes", "recap chunk"),
    ("chunks.json", Path.unlink, "notes", "recap chunk"),
    ("notes.json", _cut, "write", "recap notes"),
    ("notes.json", Path.unlink, "write", "recap notes"),
], ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", "").strip("_"))
def test_missing_or_corrupt_artifact_names_the_file_and_the_command(
        jfk_episode: Path, tmp_path: Path, artifact: str, damage: Callable[[Path], None],
        command: str, rebuild: str) -> None:
    episode = copy_episode(jfk_episode, tmp_path / "out")
    (episode / "notes.json").write_text(json.dumps({"topics": [{"title": "Ask not", "bullets": [
        {"text": "Ask what you can do.", "start": 0.0, "end": 10.0, "segment_ids": [0]}]}]}))
    damage(episode / artifact)
    kept = {p.name: p.read_bytes() for p in episode.iterdir() if p.is_file()
            and p.name not in ("manifest.json", ".recap.lock")}
    llm = (["--llm-base-url", f"http://127.0.0.1:{free_port()}/v1", "--llm-model", "fake"]
           if command in ("chunk", "notes") else [])
    proc = recap(command, str(episode), *llm)
    line = assert_error(proc, artifact, rebuild)
    assert "missing" in line or "corrupt" in line
    assert {p.name: p.read_bytes() for p in episode.iterdir() if p.is_file()
            and p.name not in ("manifest.json", ".recap.lock")} == kept
    assert not [p.name for p in episode.rglob("*") if ".tmp-" in p.name]


def test_a_rerun_repairs_a_corrupt_info_json_in_place(jfk_episode: Path, tmp_path: Path) -> None:
    root = tmp_path / "out"
    episode = copy_episode(jfk_episode, root)
    _cut(episode / "info.json")
    proc = recap("run", str(DATA / "jfk.wav"), "-o", str(root), "--stop-after", "chunk",
                 "--llm-base-url", f"http://127.0.0.1:{free_port()}/v1", "--llm-model", "fake")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in root.iterdir()] == ["jfk"]  # no second folder beside it
    assert json.loads((episode / "info.json").read_text())["title"] == "jfk"


# ---------------------------------------------------------------- option values

JFK = str(DATA / "jfk.wav")


@pytest.mark.parametrize(("args", "needles"), [
    (["run", JFK, "--llm-jobs", "-1"], ("--llm-jobs must be at least 1",)),
    (["run", JFK, "--llm-jobs", "0"], ("--llm-jobs must be at least 1",)),
    (["run", JFK, "--format", "docx"], ("unknown format 'docx'", "hugo, jekyll, markdown")),
    (["run", JFK, "--embedded-model", "gpt-9"],
     ("unknown embedded model 'gpt-9'", "qwen2.5-coder-1.5b, smollm2-135m")),
    (["run", JFK, "--llm-structured", "xml"],
     ("unknown structured output mode 'xml'", "auto, json_schema, json_object, prompt")),
    (["run", JFK, "--compute-type", "int3"], ("unknown compute type 'int3'", "int8")),
    (["run", JFK, "--device", "tpu"], ("unknown device 'tpu'", "cpu, cuda, auto")),
    (["run", JFK, "--llm-timeout", "0"], ("llm_timeout must be more than 0",)),
    (["run", JFK, "--wpm", "0"], ("--wpm must be a positive number",)),
    (["run", JFK, "--stop-after", "publish"], ("unknown stage 'publish'", "fetch, transcribe")),
    (["batch", JFK, "--transcribe-jobs", "-2"], ("--transcribe-jobs must be at least 1",)),
    (["batch", JFK, "--executor", "mars"], ("unknown executor 'mars'", "local, dask")),
], ids=lambda v: " ".join(v[2:]) if isinstance(v, list) else None)
def test_invalid_option_values_name_the_valid_choices_before_any_work(
        tmp_path: Path, args: list[str], needles: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_error(recap(*args, "-o", str(out)), *needles)
    assert not out.exists() or not any(out.iterdir())  # nothing fetched


def test_unknown_whisper_model_names_the_valid_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = recap("run", JFK, "-o", str(out), "--whisper-model", "huge-v9", "--stop-after",
                 "transcribe")
    assert_error(proc, "unknown whisper model 'huge-v9'", "tiny.en", "large-v3")
    assert not (out / "jfk" / "transcript.json").exists()


@pytest.mark.parametrize("args", [["run", JFK, "--llm-jobs", "many"], ["run", JFK, "--nope"],
                                  ["summarise", JFK]], ids=["not-a-number", "unknown-option",
                                                            "unknown-command"])
def test_a_command_line_that_does_not_parse_is_one_line(tmp_path: Path, args: list[str]) -> None:
    assert_error(recap(*args), "see --help", code=2)
