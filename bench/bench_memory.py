"""Target 2, constant memory: peak RSS of transcribing a 60-minute episode is at most 1.3x that of
a 5-minute one, and WER stays within 0.5 points of the whole-file run.

Three runs, each in a fresh subprocess (its own peak RSS from getrusage):
  short   recap's windowed transcription of a 5-minute episode
  long    recap's windowed transcription of a 60-minute episode
  whole   the baseline: plain WhisperModel.transcribe() on the whole decoded 60-minute file,
          with the same decoding options (beam 5, VAD, no conditioning on previous text)

    python bench/bench_memory.py                 # 60 vs 5 minutes (~20 min on 2 cores)
    python bench/bench_memory.py --minutes 15    # a quicker check
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

RSS_TARGET, WER_TARGET = 1.3, 0.5


def worker(mode: str, path: str, out: str) -> None:
    """Transcribe in this (fresh) process and write text, time and peak RSS to `out`."""
    from recap.transcribe import TranscribeOptions, iter_segments, load_model

    options = TranscribeOptions()
    model = load_model(options.model, options.device, options.compute_type)
    started = time.monotonic()
    if mode == "recap":
        texts = [s.text for s in iter_segments(Path(path), options)]
    else:
        audio = common.decode_all(Path(path))
        segments, _ = model.transcribe(audio, language="en", beam_size=options.beam_size,
                                       vad_filter=options.vad,
                                       condition_on_previous_text=False)
        texts = [s.text for s in segments]
    seconds = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    Path(out).write_text(json.dumps({"text": " ".join(t.strip() for t in texts),
                                     "seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def measure(mode: str, episode: common.Episode) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, __file__, "--worker", mode, str(episode.path), out.name],
                       check=True)
        result = json.loads(Path(out.name).read_text())
    result["rtf"] = episode.seconds / result["seconds"]
    result["wer"] = common.wer(episode.reference, result.pop("text"))
    print(f"  {mode:5s} {episode.seconds / 60:5.1f} min: peak RSS {result['peak_rss_mb']:7.0f} MB,"
          f" {result['seconds']:6.1f} s ({result['rtf']:.1f}x real time), "
          f"WER {result['wer']:.2f}%", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="the long episode")
    parser.add_argument("--short-minutes", type=float, default=5.0, help="the short episode")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    machine = common.machine()
    print(f"bench_memory on {common.describe(machine)}")
    short = common.build_episode(args.short_minutes)
    long = common.build_episode(args.minutes)
    print(f"  inputs from {long.source}: {short.seconds / 60:.1f} and {long.seconds / 60:.1f} min")
    runs = {"short": measure("recap", short), "long": measure("recap", long),
            "whole": measure("whole", long)}
    rss_ratio = runs["long"]["peak_rss_mb"] / runs["short"]["peak_rss_mb"]
    wer_delta = runs["long"]["wer"] - runs["whole"]["wer"]
    passed = rss_ratio <= RSS_TARGET and wer_delta <= WER_TARGET
    print(f"  peak RSS {args.minutes:g} min / {args.short_minutes:g} min = {rss_ratio:.2f}x "
          f"(target <= {RSS_TARGET}x); whole-file baseline needs "
          f"{runs['whole']['peak_rss_mb'] / runs['long']['peak_rss_mb']:.1f}x recap's memory")
    print(f"  WER windowed {runs['long']['wer']:.2f}% vs whole-file {runs['whole']['wer']:.2f}%: "
          f"{wer_delta:+.2f} points (target <= +{WER_TARGET})")
    print(f"  {'PASS' if passed else 'FAIL'}")
    path = common.save_result("memory", {
        "machine": machine, "source": long.source, "minutes": [short.seconds / 60,
                                                               long.seconds / 60],
        "runs": runs, "rss_ratio": rss_ratio, "wer_delta_points": wer_delta,
        "targets": {"rss_ratio": RSS_TARGET, "wer_delta_points": WER_TARGET}, "passed": passed})
    print(f"  saved {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
