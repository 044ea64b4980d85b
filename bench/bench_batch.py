"""Target 5, batch throughput: on a 4-episode podcast feed served on 127.0.0.1, `recap batch`
finishes in at most 0.8x the time of running the episodes one after another (`recap run` on each
episode URL in turn, in the same invocation), because downloads and LLM calls overlap
transcription. LLM calls go to a delay server on 127.0.0.1.

    python bench/bench_batch.py                      # 4 episodes of 3 minutes, 5 s per call
    python bench/bench_batch.py --minutes 1.5 --delay 2
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TARGET = 0.8
EPISODES = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of each episode")
    parser.add_argument("--delay", type=float, default=5.0, help="seconds per LLM call")
    parser.add_argument("--context", type=int, default=2048, help="LLM context (sets chunk size)")
    args = parser.parse_args()
    machine = common.machine()
    print(f"bench_batch on {common.describe(machine)}")
    # Four different episodes: each starts further into the speech.
    episodes = [common.build_episode(args.minutes, f"batch{n}", first_piece=n * 17)
                for n in range(EPISODES)]
    feed_dir = common.WORK / "batch-feed"
    shutil.rmtree(feed_dir, ignore_errors=True)
    feed_dir.mkdir(parents=True)
    for episode in episodes:
        shutil.copy(episode.path, feed_dir / episode.path.name)
    total_minutes = sum(e.seconds for e in episodes) / 60
    print(f"  input: {EPISODES} episodes, {total_minutes:.1f} min in all, from "
          f"{episodes[0].source}; {args.delay:g} s per LLM call")
    config = common.llm_config(args.context)
    with common.serve_files(feed_dir) as base_url, common.DelayLLM(args.delay) as server:
        feed = common.write_feed(feed_dir, base_url, episodes)
        llm = ["--llm-base-url", server.base_url, "--llm-model", "fake"]
        one_by_one = common.WORK / "batch-one-by-one"
        shutil.rmtree(one_by_one, ignore_errors=True)
        sequential = sequential_cpu = 0.0
        for n, episode in enumerate(episodes, 1):
            wall, cpu = common.recap_command("run", f"{base_url}/{episode.path.name}", "-o",
                                           str(one_by_one), *llm, config=config,
                                           log=common.RESULTS / f"batch-run{n}.log")
            print(f"  recap run, episode {n}: {wall:6.1f} s", flush=True)
            sequential += wall
            sequential_cpu += cpu
        sequential_requests = server.count()
        server.reset()
        batched = common.WORK / "batch-batch"
        shutil.rmtree(batched, ignore_errors=True)
        batch_wall, batch_cpu = common.recap_command("batch", feed, "-o", str(batched), *llm,
                                             config=config,
                                             log=common.RESULTS / "batch-batch.log")
        batch_requests = server.count()
    posts = sorted(batched.glob("*/post/index.md"))
    ratio = batch_wall / sequential
    passed = ratio <= TARGET and len(posts) == EPISODES
    print(f"  one after another: {sequential:.1f} s ({sequential_requests} LLM calls); "
          f"recap batch: {batch_wall:.1f} s ({batch_requests} LLM calls, {len(posts)} posts)")
    print(f"  batch / one after another = {ratio:.2f}x (target <= {TARGET}x): "
          f"{'PASS' if passed else 'FAIL'}")
    path = common.save_result("batch", {
        "machine": machine, "source": episodes[0].source, "episodes": EPISODES,
        "minutes_each": [e.seconds / 60 for e in episodes], "delay_s": args.delay,
        "one_after_another_s": sequential, "batch_s": batch_wall, "ratio": ratio,
        "cpu_s": {"one_after_another": sequential_cpu, "batch": batch_cpu},
        "llm_calls": {"one_after_another": sequential_requests, "batch": batch_requests},
        "posts": len(posts), "passed": passed})
    print(f"  saved {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
