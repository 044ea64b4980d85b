"""Target 4, zero-cost reruns: rerunning `recap notes` / `recap run` with nothing changed makes
zero LLM requests (counted on a delay server on 127.0.0.1) and finishes in under a second;
changing one chunk re-asks only that chunk's extraction calls (the episode-wide titles and intro
calls see the changed notes, so they are asked again). The baseline is the first, uncached run.

    python bench/bench_rerun.py
    python bench/bench_rerun.py --minutes 2 --delay 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

WALL_TARGET = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per LLM call")
    parser.add_argument("--context", type=int, default=2048, help="LLM context (sets chunk size)")
    args = parser.parse_args()
    machine = common.machine()
    print(f"bench_rerun on {common.describe(machine)}")
    episode = common.build_episode(args.minutes)
    print(f"  input: {episode.seconds / 60:.1f} min from {episode.source}; "
          f"{args.delay:g} s per LLM call")
    config = common.llm_config(args.context)
    output = common.WORK / "rerun"
    shutil.rmtree(output, ignore_errors=True)
    results: dict[str, dict] = {}
    with common.DelayLLM(args.delay) as server:
        llm = ["--llm-base-url", server.base_url, "--llm-model", "fake"]

        def step(name: str, *command: str) -> dict:
            server.reset()
            wall, cpu = common.recap_command(*command, *llm, config=config,
                                           log=common.RESULTS / f"rerun-{name}.log")
            counts = {k: server.count(k) for k in common.LLM_KINDS}
            shown = [common.excerpt(r.user) for r in server.requests if r.kind == "extract"]
            results[name] = {"wall_s": wall, "cpu_s": cpu, "requests": server.count(),
                             "by_kind": counts, "excerpts": shown}
            print(f"  {name:23s}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {server.count():3d} LLM "
                  f"requests {counts}", flush=True)
            return results[name]

        step("first run", "run", str(episode.path), "-o", str(output))
        folder = next(p for p in output.iterdir() if (p / "manifest.json").is_file())
        step("run again", "run", str(episode.path), "-o", str(output))
        step("notes again", "notes", str(folder))
        chunks = json.loads((folder / "chunks.json").read_text())
        changed = len(chunks["chunks"]) // 2
        chunks["chunks"][changed]["text"] = chunks["chunks"][changed]["text"].replace(
            " the ", " THE ", 1) + " (edited)"
        (folder / "chunks.json").write_text(json.dumps(chunks, indent=2))
        edited = step("notes, one chunk edited", "notes", str(folder))
        first_windows = results["first run"]["by_kind"]["extract"]
    changed_text = common.chunk_plain_text(chunks["chunks"][changed])
    outside = [e for e in edited["excerpts"] if e not in changed_text]
    zero = results["run again"]["requests"] == 0 and results["notes again"]["requests"] == 0
    fast = max(results["run again"]["wall_s"], results["notes again"]["wall_s"]) < WALL_TARGET
    cpu_fast = max(results["run again"]["cpu_s"], results["notes again"]["cpu_s"]) < WALL_TARGET
    one = edited["by_kind"]["extract"] >= 1 and not outside
    first = results["first run"]["wall_s"]
    print(f"  reruns: {results['run again']['wall_s'] / first:.3f}x and "
          f"{results['notes again']['wall_s'] / first:.3f}x the first run's time; "
          f"zero requests: {zero}; under {WALL_TARGET:g} s: {fast} (CPU time: {cpu_fast}); "
          f"one chunk edited -> {edited['by_kind']['extract']} extraction call(s) of "
          f"{first_windows} windows in {len(chunks['chunks'])} chunks, "
          f"{len(outside)} outside the edited chunk")
    passed = zero and fast and one
    print(f"  {'PASS' if passed else 'FAIL'}")
    path = common.save_result("rerun", {
        "machine": machine, "source": episode.source, "minutes": episode.seconds / 60,
        "delay_s": args.delay, "chunks": len(chunks["chunks"]), "steps": results,
        "passed": passed})
    print(f"  saved {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
