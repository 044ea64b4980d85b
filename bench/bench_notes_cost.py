"""Where a notes run's time goes: the embedded server's own trace of its decode steps and calls.

    python bench/bench_notes_cost.py [--split heldout] [--only NAME] [--work DIR]
                                     [--warm-with NAME]

For each episode (the evaluation set's held-out split by default): one `recap notes --force` run
with the reply cache cleared and the prompt prefixes warm (filled by an untimed run on another
episode, as `bench_notes_speed.py --prefixes warm` does), with `RECAP_LLM_TRACE` set, so the
server appends every llama.cpp decode step and every finished call to a file (counts and times
only). It prints:

- the stage's wall time, and the decode steps' own time within it;
- the steps by how many calls wrote a token in them (0-3) and whether they also read prompt
  tokens: how many, their seconds, tokens read and written, and milliseconds per step;
- what a prompt token read and a token written cost on this machine: the reading steps' time
  over the tokens they read, and a writing step's time over its tokens (by calls writing at
  once), so `read x ms + written x ms` can be set against the run's time;
- how many calls it made, and the prompt tokens read (not found in the cache) and the tokens
  written in all, counted from the steps.

What it shows (stop 46, see docs/notes-history.md): on 2 cores a step that writes for three calls costs
about 2.5 times one that writes for one, so writing three at once saves only about a sixth a
token; the run's time is close to the cost of the tokens it reads and writes, whatever the
order of the calls. Results: bench/results/notes_cost.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_notes_speed import (
    add_selection_args,
    chunked,
    fill_prefixes,
    recap,
    select_episodes,
    warming_episode,
)
from common import RESULTS, machine

from recap.episode import Episode
from recap.models import Info


def traced_run(episode: Episode, warm: Path) -> tuple[float, list[dict[str, Any]]]:
    """One `recap notes --force` run with the reply cache cleared: its wall time and trace."""
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="recap-trace-") as folder:
        trace = Path(folder) / "trace.jsonl"
        recap("notes", str(episode.root), "--force",
              env={"RECAP_PREFIXES": str(warm), "RECAP_LLM_TRACE": str(trace)})
        records = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    return episode.read_manifest().stages["notes"].wall_seconds, records


def summarise(wall: float, records: list[dict[str, Any]]) -> dict[str, Any]:
    steps = [r for r in records if "step" in r]
    calls = [r for r in records if "request" in r]
    kinds: dict[str, dict[str, float]] = defaultdict(
        lambda: {"steps": 0, "seconds": 0.0, "read": 0, "written": 0})
    for step in steps:
        kind = f"{step['writing']} writing" + (", reading" if step["reading"] else "")
        row = kinds[kind]
        row["steps"] += 1
        row["seconds"] += step["ms"] / 1000
        row["read"] += step["reading"]
        row["written"] += step["writing"]
    table = {}
    for kind in sorted(kinds):
        row = kinds[kind]
        table[kind] = {"steps": int(row["steps"]), "seconds": round(row["seconds"], 1),
                       "read": int(row["read"]), "written": int(row["written"]),
                       "ms_per_step": round(1000 * row["seconds"] / row["steps"], 1)}
    reading = [s for s in steps if s["reading"]]
    read = sum(s["reading"] for s in steps)
    written = sum(s["writing"] for s in steps)
    ms_read = (sum(s["ms"] for s in reading) / max(1, sum(s["reading"] for s in reading)))
    ms_written = {}
    for together in (1, 2, 3):
        only = [s for s in steps if s["writing"] == together and not s["reading"]]
        if only:
            ms_written[together] = round(sum(s["ms"] for s in only) / (together * len(only)), 1)
    decode = sum(s["ms"] for s in steps) / 1000
    # The tokens are counted once, from the steps: the calls' own counts are the same but for
    # the last token of a reply cut at its length, which is never decoded.
    return {
        "wall_seconds": round(wall, 1), "decode_seconds": round(decode, 1),
        "steps": len(steps), "by_step": table,
        "prompt_tokens_read": read, "tokens_written": written,
        "ms_per_token_read": round(ms_read, 1), "ms_per_token_written": ms_written,
        "calls": len(calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_selection_args(parser)
    args = parser.parse_args()
    work = args.work.resolve()
    warm = work / "prefixes"
    entries = select_episodes(parser, args)
    other = warming_episode(parser, args, entries)
    print(json.dumps(machine()), flush=True)
    fill_prefixes(warm, other, work)
    rows = []
    for entry in entries:
        episode = chunked(entry, work)
        duration = Info.load(episode.info_path, "recap fetch").duration
        wall, records = traced_run(episode, warm)
        row = {"name": entry["name"], "audio_seconds": round(duration, 1),
               "notes_x_audio": round(wall / duration, 3), **summarise(wall, records)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notes_cost.json").write_text(
        json.dumps({"machine": machine(), "episodes": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
