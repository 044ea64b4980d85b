"""Target 3, speed options: `--fast` (faster-whisper's batched pipeline, long segments re-split on
word timestamps) against the default on the same file: real-time factor, WER, segment lengths.

Each mode runs in a fresh subprocess with the model loaded before the clock starts.

    python bench/bench_fast.py                # a 10-minute episode of real speech
    python bench/bench_fast.py --minutes 3    # quicker
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def worker(mode: str, path: str, out: str) -> None:
    from recap.transcribe import TranscribeOptions, iter_segments, load_model

    options = TranscribeOptions(fast=mode == "fast")
    load_model(options.model, options.device, options.compute_type)
    started = time.monotonic()
    segments = list(iter_segments(Path(path), options))
    seconds = time.monotonic() - started
    Path(out).write_text(json.dumps({
        "seconds": seconds, "text": " ".join(s.text for s in segments),
        "lengths": [s.end - s.start for s in segments],
        "max_segment_seconds": options.max_segment_seconds}))


def measure(mode: str, episode: common.Episode) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, __file__, "--worker", mode, str(episode.path), out.name],
                       check=True)
        raw = json.loads(Path(out.name).read_text())
    lengths = raw["lengths"]
    result = {"seconds": raw["seconds"], "rtf": episode.seconds / raw["seconds"],
              "wer": common.wer(episode.reference, raw["text"]), "segments": len(lengths),
              "mean_segment_s": statistics.fmean(lengths) if lengths else 0.0,
              "max_segment_s": max(lengths, default=0.0),
              "max_segment_seconds_option": raw["max_segment_seconds"]}
    print(f"  {mode:7s}: {result['seconds']:6.1f} s = {result['rtf']:5.1f}x real time, "
          f"WER {result['wer']:.2f}%, {result['segments']} segments "
          f"(mean {result['mean_segment_s']:.1f} s, max {result['max_segment_s']:.1f} s)",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    machine = common.machine()
    print(f"bench_fast on {common.describe(machine)}")
    episode = common.build_episode(args.minutes)
    print(f"  input: {episode.seconds / 60:.1f} min from {episode.source}")
    runs = {mode: measure(mode, episode) for mode in ("default", "fast")}
    speedup = runs["default"]["seconds"] / runs["fast"]["seconds"]
    short_enough = runs["fast"]["max_segment_s"] <= runs["fast"]["max_segment_seconds_option"]
    print(f"  --fast is {speedup:.2f}x the default's speed; WER "
          f"{runs['fast']['wer'] - runs['default']['wer']:+.2f} points; fast segments "
          f"{'all' if short_enough else 'NOT all'} <= "
          f"{runs['fast']['max_segment_seconds_option']:g} s")
    path = common.save_result("fast", {"machine": machine, "source": episode.source,
                                       "minutes": episode.seconds / 60, "runs": runs,
                                       "speedup": speedup, "segments_short": short_enough})
    print(f"  saved {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
