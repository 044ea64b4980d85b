"""Transcript accuracy: WER and speed of recap's own transcription on real files, and a check for
repetition loops (the failure mode of Whisper on long audio).

Each file goes through `recap.transcribe.iter_segments` with the product's options (tiny.en, int8,
VAD, ~5-minute windows cut at quiet moments), on `--threads` CTranslate2 threads, the model loaded
before the clock starts. The reference is the file's `.txt` (or `.reference.txt`) next to it; both
texts are normalised the same way (`recap.text.figures.canonical_words`: case, punctuation, figures).

    python bench/bench_wer.py                       # the sample and ../shared/data/speech
    python bench/bench_wer.py samples/city-bees.mp3 --threads 2
    python bench/bench_wer.py FILE --decode beam_size=1 --decode condition_on_previous_text=true

`--decode KEY=VALUE` overrides one argument of faster-whisper's `transcribe()` in this process
only (to compare settings without editing recap); the product's settings are the default.
Prints one line per file and writes bench/results/wer.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEECH = Path(os.environ.get("RECAP_SPEECH_DIR", ROOT.parent / "shared" / "data" / "speech"))
DEFAULT_FILES = [ROOT / "samples" / "city-bees.mp3", SPEECH / "asterisk_allison_long.flac",
                 SPEECH / "librivox_sonnet1.flac", ROOT / "tests" / "data" / "jfk.wav",
                 SPEECH / "ami_meeting_excerpts.flac"]


def reference_for(path: Path) -> str | None:
    """The text spoken in `path`, from a sibling .reference.txt or .txt, if there is one."""
    for candidate in (path.with_suffix(".reference.txt"), path.with_suffix(".txt")):
        if candidate.exists():
            return candidate.read_text(encoding="utf-8")
    return None


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate (a fraction) after the same normalisation of both texts."""
    import jiwer

    from recap.text.figures import canonical_words

    return float(jiwer.wer(" ".join(canonical_words(reference)),
                           " ".join(canonical_words(hypothesis))))


def longest_repeat(words: Sequence[str], max_n: int = 12) -> tuple[int, str]:
    """The most times any run of 1..max_n words is repeated back to back ("a b a b a b" -> 3),
    and that run. A decoding loop shows as a high count; normal speech stays at 1 or 2."""
    best, best_gram = 1, ""
    for n in range(1, max_n + 1):
        for start in range(len(words) - 2 * n + 1):
            gram = words[start:start + n]
            count = 1
            at = start + n
            while words[at:at + n] == gram:
                count += 1
                at += n
            if count > best:
                best, best_gram = count, " ".join(gram)
    return best, best_gram


def most_repeated_segment(texts: Sequence[str]) -> tuple[int, str]:
    """The most times one segment text (normalised) occurs back to back."""
    best, best_text, run = (1, "", 1) if texts else (0, "", 0)
    for previous, text in zip(texts, texts[1:], strict=False):
        run = run + 1 if text.strip().lower() == previous.strip().lower() else 1
        if run > best:
            best, best_text = run, text.strip()
    return best, best_text


def loop_report(texts: Sequence[str]) -> dict[str, Any]:
    """Signs of a repetition loop in a list of segment texts."""
    from recap.text.figures import canonical_words

    words = canonical_words(" ".join(texts))
    repeat, gram = longest_repeat(words)
    same, same_text = most_repeated_segment(texts)
    return {"words": len(words), "max_ngram_repeat": repeat, "repeated_ngram": gram,
            "max_same_segment_run": same, "repeated_segment": same_text}


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false", "none"):
        return {"true": True, "false": False, "none": None}[lowered]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def override_decoding(overrides: dict[str, Any]) -> None:
    """Make faster-whisper's transcribe() use `overrides` (this process only)."""
    if not overrides:
        return
    from faster_whisper import WhisperModel

    original = WhisperModel.transcribe

    def transcribe(self: Any, audio: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.update(overrides)
        return original(self, audio, *args, **kwargs)

    WhisperModel.transcribe = transcribe  # type: ignore[method-assign]


def measure(path: Path, threads: int, beam_size: int | None) -> dict[str, Any]:
    from recap import media
    from recap.transcribe import TranscribeOptions, iter_segments, load_model

    options = TranscribeOptions(cpu_threads=threads)
    if beam_size is not None:
        options.beam_size = beam_size
    load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    seconds = sum(len(block) for block in media.decode_stream(path)) / media.SAMPLE_RATE
    started = time.monotonic()
    cpu_started = time.process_time()
    segments = list(iter_segments(path, options))
    wall = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    texts = [s.text for s in segments]
    lengths = [s.end - s.start for s in segments]
    reference = reference_for(path)
    result: dict[str, Any] = {
        "file": path.name, "audio_seconds": round(seconds, 1), "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1), "x_real_time": round(seconds / wall, 2),
        "wer": round(wer(reference, " ".join(texts)), 4) if reference is not None else None,
        "segments": len(segments),
        "mean_segment_s": round(statistics.fmean(lengths), 1) if lengths else 0.0,
        "max_segment_s": round(max(lengths, default=0.0), 1),
        **loop_report(texts), "options": options.params(), "text": " ".join(texts),
        "segment_list": [[s.start, s.end, s.text] for s in segments]}
    if reference is not None:
        result["reference_max_ngram_repeat"] = loop_report([reference])["max_ngram_repeat"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="audio files (default: the set)")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads (2)")
    parser.add_argument("--beam-size", type=int, default=None, help="override the beam width")
    parser.add_argument("--decode", action="append", default=[], metavar="KEY=VALUE",
                        help="override a faster-whisper transcribe() argument")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "wer.json")
    args = parser.parse_args()
    overrides = {}
    for item in args.decode:
        key, _, value = item.partition("=")
        overrides[key.strip()] = _parse_value(value.strip())
    override_decoding(overrides)
    files = args.files or [f for f in DEFAULT_FILES if f.exists()]
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; threads {args.threads}; "
          f"overrides {overrides or 'none'}", flush=True)
    results = []
    for path in files:
        r = measure(path, args.threads, args.beam_size)
        results.append(r)
        shown = "   -  " if r["wer"] is None else f"{r['wer']:.3f}"
        print(f"{r['file']:32s} {r['audio_seconds']:6.0f} s  WER {shown}  "
              f"{r['x_real_time']:5.1f}x real time (cpu {r['cpu_seconds']:.0f} s)  "
              f"{r['segments']} segments (mean {r['mean_segment_s']} s, max {r['max_segment_s']} s)"
              f"  max n-gram repeat {r['max_ngram_repeat']} ({r['repeated_ngram'][:40]!r}), "
              f"same segment x{r['max_same_segment_run']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"overrides": overrides, "threads": args.threads,
                                    "beam_size": args.beam_size, "results": results}, indent=1))


if __name__ == "__main__":
    main()
