"""The real `recap` command end to end: foundation stages, skips, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, run_recap


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("recap: error: ")]
    # Stage progress lines may come first; the error is one line, and the last.
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle.lower() in errors[0].lower(), errors[0]


def test_help_is_instant() -> None:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c",
                           "import sys, recap.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                           "('faster_whisper', 'yt_dlp', 'openai', 'dask', 'ctranslate2', 'torch')))"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    assert run_recap("--help").returncode == 0
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: d / "missing.mp3", "does not exist"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "notes.mp3", b"this is not audio at all\n" * 50), "not an audio"),
        (lambda d: _write(d / "empty.mp3", b""), "empty"),
    ],
    ids=["missing", "directory", "not-media", "zero-bytes"],
)
def test_bad_local_input(tmp_path: Path, make, needle: str) -> None:
    src = tmp_path / "in"
    src.mkdir()
    path = make(src)
    proc = run_recap("run", str(path), "-o", str(tmp_path / "out"))
    assert_one_line_error(proc, needle)
    out = tmp_path / "out"
    assert not out.exists() or not any(out.rglob("*.json"))


@pytest.mark.parametrize(
    ("url", "needle"),
    [("ftp://example.com/a.mp3", "unsupported url scheme"), ("https://", "malformed url"),
     ("javascript:alert(1)//x", "does not exist")],
)
def test_bad_urls(tmp_path: Path, url: str, needle: str) -> None:
    assert_one_line_error(run_recap("fetch", url, "-o", str(tmp_path)), needle)


def test_stage_commands_need_an_episode_folder(tmp_path: Path) -> None:
    assert_one_line_error(run_recap("transcribe", str(tmp_path / "nope")), "does not exist")
    assert_one_line_error(run_recap("transcribe", str(tmp_path)), "not an episode folder")


def test_unknown_choices_name_the_valid_ones(tmp_path: Path) -> None:
    proc = run_recap("run", str(DATA / "jfk.wav"), "-o", str(tmp_path), "--stop-after", "bake")
    assert_one_line_error(proc, "unknown stage 'bake'", "fetch, transcribe")
    # --device is read before any work: by `run`, and by `transcribe` on a fetched episode.
    out = tmp_path / "device"
    proc = run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--device", "tpu")
    assert_one_line_error(proc, "unknown device 'tpu'; expected one of: cpu, cuda, auto")
    assert not out.exists()
    fetched = run_recap("fetch", str(DATA / "jfk.wav"), "-o", str(out), check=True)
    folder = Path(fetched.stdout.strip().splitlines()[-1])
    proc = run_recap("transcribe", str(folder), "--device", "tpu")
    assert_one_line_error(proc, "unknown device 'tpu'; expected one of: cpu, cuda, auto")
    assert not (folder / "transcript.json").exists()
    assert "transcribe" not in json.loads((folder / "manifest.json").read_text())["stages"]


def test_fetch_transcribe_and_skip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--stop-after", "chunk",
                     check=True)
    folder = out / "jfk"
    assert Path(proc.stdout.strip().splitlines()[-1]) == folder
    info = json.loads((folder / "info.json").read_text())
    assert info["title"] == "jfk" and 10 < info["duration"] < 12
    for key in ("uploader", "upload_date", "webpage_url", "description", "chapters",
                "thumbnail", "extractor"):
        assert key in info
    transcript = json.loads((folder / "transcript.json").read_text())
    assert set(transcript) >= {"language", "duration", "model", "segments"}
    text = " ".join(s["text"] for s in transcript["segments"]).lower()
    assert "ask not what your country can do for you" in text
    assert (folder / "transcript.srt").read_text().startswith("1\n00:00:0")
    assert (folder / "transcript.txt").exists() and (folder / "chunks.json").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    for stage in ("fetch", "transcribe", "chunk"):
        record = manifest["stages"][stage]
        assert record["status"] == "done" and record["input_fingerprint"]
        assert record["wall_seconds"] >= 0 and "recap" in record["tools"]
    assert "faster-whisper" in manifest["stages"]["transcribe"]["tools"]

    before = (folder / "transcript.json").stat().st_mtime_ns
    again = run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--stop-after", "chunk",
                      check=True)
    assert "transcribe: skipped" in again.stderr
    assert (folder / "transcript.json").stat().st_mtime_ns == before

    # A hand-edited transcript marks chunk stale; run redoes exactly that stage.
    data = json.loads((folder / "transcript.json").read_text())
    data["segments"][0]["text"] = "An edited first segment."
    (folder / "transcript.json").write_text(json.dumps(data))
    third = run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--stop-after", "chunk",
                      check=True)
    assert "chunk: done" in third.stderr and "transcribe: edited" in third.stderr
    assert "An edited first segment." in (folder / "chunks.json").read_text()


def test_corrupt_transcript_names_the_file_and_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--stop-after", "transcribe",
              check=True)
    transcript = out / "jfk" / "transcript.json"
    transcript.write_text(transcript.read_text()[:40])
    proc = run_recap("chunk", str(out / "jfk"))
    assert_one_line_error(proc, "transcript.json", "corrupt", "recap transcribe")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
