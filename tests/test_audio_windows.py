"""Windowed decoding and transcription: cuts at quiet points, timestamps right across edges."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from recap import media, transcribe
from recap.transcribe import TranscribeOptions, iter_segments, windows
from tests.audio import decode_all

SR = media.SAMPLE_RATE
JFK = Path(__file__).parent / "data" / "jfk.wav"


def write_wav(path: Path, audio: np.ndarray) -> Path:
    """16 kHz mono 16-bit wav."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def blocks_of(audio: np.ndarray, seconds: float) -> list[np.ndarray]:
    step = int(seconds * SR)
    return [audio[i : i + step] for i in range(0, len(audio), step)]


# ---------------------------------------------------------------- windows() on its own

def noisy(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * SR)).astype(np.float32)


def test_windows_keep_every_sample_once_with_correct_offsets() -> None:
    audio = noisy(200)
    parts = list(windows(blocks_of(audio, 7.0), window_seconds=45))
    assert len(parts) >= 3
    assert np.array_equal(np.concatenate([a for _, a in parts]), audio)
    position = 0
    for offset, part in parts:
        assert offset == pytest.approx(position / SR)
        position += len(part)


def test_windows_cut_inside_a_quiet_gap() -> None:
    # 60 s of "speech" (noise) with a 0.5 s pause at 52 s, inside the search range of a 50 s window.
    audio = noisy(100)
    gap_start, gap_end = int(52.0 * SR), int(52.5 * SR)
    audio[gap_start:gap_end] *= 0.001
    (first_offset, first), (second_offset, _) = list(windows(blocks_of(audio, 30.0), 50))[:2]
    assert first_offset == 0.0
    assert gap_start <= len(first) <= gap_end
    assert second_offset == pytest.approx(len(first) / SR)


def test_short_audio_is_one_window() -> None:
    audio = noisy(40)
    parts = list(windows(blocks_of(audio, 30.0), 300))
    assert len(parts) == 1 and parts[0][0] == 0.0 and len(parts[0][1]) == len(audio)


# ---------------------------------------------------------------- real speech across edges

COPIES = 4
LEAD, GAP = 2.0, 3.0


@pytest.fixture(scope="module")
def jfk_four_times(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """jfk.wav four times with pauses (~52 s): the file and where each copy starts."""
    jfk = decode_all(JFK)
    pieces, starts, position = [np.zeros(int(LEAD * SR), np.float32)], [], LEAD
    for _ in range(COPIES):
        starts.append(position)
        pieces += [jfk, np.zeros(int(GAP * SR), np.float32)]
        position += len(jfk) / SR + GAP
    path = write_wav(tmp_path_factory.mktemp("windows") / "jfk4.wav", np.concatenate(pieces))
    return path, starts


@pytest.fixture(scope="module")
def runs(jfk_four_times: tuple[Path, list[float]]) -> dict[str, list]:
    path, _ = jfk_four_times
    small = TranscribeOptions(window_seconds=30)  # 30 s is the smallest window
    whole = TranscribeOptions(window_seconds=3600)
    # Decoded without the temperature fallback: the same words four times compress so well that
    # whisper judges a window a loop and decodes it again at a higher temperature, which samples
    # (CTranslate2's seed does not reach its worker threads), so the words heard changed from run
    # to run and a sampled decode could drop a phrase whatever the window edges did (CI at stop 27
    # lost four words that way). What is tested here is the windows; greedy decoding is the same
    # every run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(transcribe.DECODING, "temperature", (0.0,))
        return {"small": list(iter_segments(path, small)),
                "whole": list(iter_segments(path, whole))}


def test_small_windows_cut_between_copies(jfk_four_times: tuple[Path, list[float]]) -> None:
    path, starts = jfk_four_times
    jfk_seconds = len(decode_all(JFK)) / SR
    parts = list(windows(media.decode_stream(path), 30))
    assert len(parts) >= 2
    for offset, _ in parts[1:]:
        # every cut lies in a pause between copies (or in the lead-in), never inside the speech
        inside = [s for s in starts if s + 0.05 < offset < s + jfk_seconds - 0.05]
        assert not inside, f"window cut at {offset:.2f} s falls inside a copy"


# What jfk.wav says. Whisper tiny.en mishears a word now and then ("asked", "America"), so the
# checks below align what was heard to these words and allow misheard words; what a window edge
# would do wrong is lose or repeat a stretch of speech, or put it at the wrong time.
SPOKEN = ("and so my fellow americans ask not what your country can do for you "
          "ask what you can do for your country").split()


def timed_words(segments: list) -> list[tuple[str, float]]:
    """Each word with a time spread evenly over its segment (whisper gives segment times)."""
    out = []
    for segment in segments:
        said = words(segment.text)
        step = (segment.end - segment.start) / max(len(said), 1)
        out += [(word, segment.start + (i + 0.5) * step) for i, word in enumerate(said)]
    return out


def aligned(segments: list) -> tuple[object, dict[int, float]]:
    """jiwer's alignment of the heard words to SPOKEN four times, and the time of each spoken
    word (by its index) that was heard, rightly or as another word."""
    import jiwer

    heard = timed_words(segments)
    out = jiwer.process_words(" ".join(SPOKEN * COPIES), " ".join(w for w, _ in heard))
    times = {}
    for chunk in out.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                times[chunk.ref_start_idx + k] = heard[chunk.hyp_start_idx + k][1]
    return out, times


def test_no_words_lost_or_duplicated_at_window_edges(runs: dict[str, list]) -> None:
    for name, segments in runs.items():
        out, times = aligned(segments)
        # A lost or repeated window edge costs a phrase: a run of spoken words missing, or heard
        # twice. Recognition may drop or add a word here and there, never three in a row.
        runs_lost = [c.ref_end_idx - c.ref_start_idx for c in out.alignments[0] if c.type == "delete"]
        runs_added = [c.hyp_end_idx - c.hyp_start_idx for c in out.alignments[0]
                      if c.type == "insert"]
        assert max(runs_lost, default=0) <= 2 and max(runs_added, default=0) <= 2, (
            name, runs_lost, runs_added)
        assert out.deletions <= 6 and out.insertions <= 6, (name, out.deletions, out.insertions)
        for copy in range(COPIES):
            heard = [i for i in times if copy * len(SPOKEN) <= i < (copy + 1) * len(SPOKEN)]
            assert len(heard) >= len(SPOKEN) - 2, (name, copy, len(heard))
        # and most words heard as spoken (a window starting mid-word would garble its edge)
        assert out.hits >= 0.85 * len(SPOKEN) * COPIES, (name, out.hits)


def test_timestamps_line_up_across_window_edges(
        jfk_four_times: tuple[Path, list[float]], runs: dict[str, list]) -> None:
    _, starts = jfk_four_times
    small, whole = runs["small"], runs["whole"]
    assert [s.id for s in small] == list(range(len(small)))
    assert all(a.end <= b.start + 0.01 for a, b in zip(small, small[1:], strict=False))
    # Each copy's "Americans" is where the copy put it (about 2.8 s in), in whichever window
    # it falls. Whisper places segment edges loosely in pauses and we spread a segment's time
    # evenly over its words, hence the tolerance; a window offset error would be off by a
    # whole window (15+ s) or at least a copy (14 s).
    _, times_small = aligned(small)
    _, times_whole = aligned(whole)
    americans = SPOKEN.index("americans")
    found = [(times_small[copy * len(SPOKEN) + americans], start)
             for copy, start in enumerate(starts) if copy * len(SPOKEN) + americans in times_small]
    assert len(found) >= COPIES - 1
    for time, start in found:
        assert time == pytest.approx(start + 2.8, abs=4.0)
    # Word by word, the windowed run's times agree with the whole-file run's.
    both = sorted(set(times_small) & set(times_whole))
    assert len(both) >= 0.85 * len(SPOKEN) * COPIES
    gaps = sorted(abs(times_small[i] - times_whole[i]) for i in both)
    # Whisper places a segment edge loosely in a pause, so a window's cut can move an edge by a
    # second or two; a window-offset error would move it by a whole window (15+ s).
    assert gaps[len(gaps) // 2] < 3.0
    assert gaps[-1] < 5.0
