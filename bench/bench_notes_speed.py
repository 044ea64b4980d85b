"""Notes time against the issue's one-call-per-window baseline, on the same machine in one run.

    python bench/bench_notes_speed.py [--split heldout] [--only NAME] [--work DIR]
                                      [--prefixes warm|cold|off[,...]] [--warm-with NAME]

For each episode (the evaluation set's held-out split by default), with the embedded model:

1. **baseline**: the throwaway recipe issue 11 measured (0.14x and 0.17x of the audio on its
   machine, coverage 0.74 and 0.88): recap's own 150-word windows with one segment of overlap,
   one plain-text call per window with a short "bullet notes" prompt, nothing else (no speakers
   call, no stretch asked again, no checks, no titles, no intro), sent one after the other to
   llama-cpp-python's own server (`python -m llama_cpp.server`, one request at a time, as the
   issue's script ran). A fresh server, timed from its start to the last reply, as recap's notes
   stage is.
2. **recap**: `recap notes --force` with the reply cache cleared (the stage's own wall time from
   the manifest), once per mode of `--prefixes` (the embedded server's prompt prefixes kept
   between runs, `recap.llm.prefixes`): `warm` (the default) as on a machine where recap ran
   before on other episodes (the bench's own folder of prefixes, emptied and then filled by one
   untimed run on another episode, `--warm-with`, the sample by default: what a run saves
   holds words of its own episode until a second episode shrinks it, so a folder filled by the
   episode measured would load more than a new episode can), `cold` as on the first run on a
   machine (an empty folder), `off` with none kept (the engine before prefixes were kept).
   `--prefixes off,warm,off,warm` alternates the two in one run, each against the same
   baseline.

It prints both times over the audio and their ratio. Times alone depend on the machine (the same
calls ran 1.5x slower on one 2-core machine than on another); the ratio much less, since both
read and write with the same model on the same cores, so `ratio x the baseline's time on another
machine` estimates recap's time there. Results: bench/results/notes_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import RESULTS, ROOT, WORK, machine

sys.path.insert(0, str(ROOT))

from recap.config import Config  # noqa: E402
from recap.episode import Episode  # noqa: E402
from recap.llm import EmbeddedServer, LLMSettings, assemble_model, open_llm  # noqa: E402
from recap.llm.embedded import HOST, cpu_threads  # noqa: E402
from recap.llm.failures import LLMTruncated  # noqa: E402
from recap.models import Chunks, Info  # noqa: E402
from recap.notes.windows import chunk_lines, make_windows  # noqa: E402
from recap.pipeline import locate_episode  # noqa: E402

EPISODES = ROOT / "bench" / "episodes"

BASELINE_SYSTEM = ("You take notes on a podcast. Write the specific facts of the excerpt as short "
                   "bullet points, one per line, each starting with \"- \". Keep every figure, "
                   "name and date.")


def recap(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "recap", *args], check=True, cwd=ROOT,
                   env={**os.environ, **(env or {})})


# llama-cpp-python's server, with the weights kept where recap's engine keeps them
# (`recap.llm.batching.extra_buffers`: not in llama.cpp's AMX buffers, which crash it on a CPU
# with AMX).
BASELINE_SERVER = """
import runpy
import llama_cpp.llama_cpp as c
from recap.llm.batching import extra_buffers
default = c.llama_model_default_params
def params():
    p = default()
    p.use_extra_bufts = extra_buffers(c)
    return p
c.llama_model_default_params = params
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


class LlamaCppPythonServer(EmbeddedServer):
    """llama-cpp-python's bundled server: one request at a time, the issue's baseline's server."""

    def command(self, port: int) -> list[str]:
        threads = str(self.threads or cpu_threads())
        return [self.python, "-c", BASELINE_SERVER, "--model", str(self.model_path),
                "--host", HOST, "--port", str(port), "--n_ctx", str(self.context_tokens),
                "--n_threads", threads, "--n_threads_batch", threads, "--logits_all", "False",
                "--model_alias", "baseline"]


def baseline(episode: Episode) -> dict[str, Any]:
    """The one-call-per-window recipe: seconds from the server's start to the last reply."""
    chunks = Chunks.load(episode.chunks_path, "recap chunk")
    info = Info.load(episode.info_path, "recap fetch")
    started = time.monotonic()
    embedded = LLMSettings.resolve(Config.load())
    calls = completion = truncated = 0
    with LlamaCppPythonServer(assemble_model(embedded.embedded_model),
                              context_tokens=embedded.context_window()) as server, \
            open_llm(LLMSettings(base_url=server.base_url, model="baseline", jobs=1,
                                 timeout=embedded.timeout)) as llm:
        for chunk in chunks.chunks:
            for window in make_windows(chunk, chunk_lines(chunk), 150, 1):
                try:
                    llm.complete_text(system=BASELINE_SYSTEM,
                                      user=f"Podcast: {info.title}\nExcerpt: {window.text}\n"
                                           "Notes:",
                                      max_tokens=400, temperature=0.1, cache=None)
                except LLMTruncated:  # the script took what came; the time is counted
                    truncated += 1
                calls += 1
        completion = int(llm.usage.to_dict().get("completion_tokens") or 0)
    return {"seconds": round(time.monotonic() - started, 1), "calls": calls,
            "completion_tokens": completion, "cut_off": truncated}


def recap_notes(episode: Episode, mode: str, warm: Path) -> dict[str, Any]:
    """One timed `recap notes` run with the reply cache cleared, its prompt prefixes as `mode`
    says."""
    with tempfile.TemporaryDirectory(prefix="recap-prefixes-") as empty:
        folder = {"warm": str(warm), "cold": empty, "off": "off"}[mode]
        shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
        recap("notes", str(episode.root), "--force", env={"RECAP_PREFIXES": folder})
    record = episode.read_manifest().stages["notes"]
    usage = (json.loads(episode.notes_path.read_text()).get("checks") or {}).get("usage") or {}
    return {"prefixes": mode, "seconds": round(record.wall_seconds, 1),
            "calls": usage.get("requests"), "completion_tokens": usage.get("completion_tokens"),
            "prompt_tokens": usage.get("prompt_tokens")}


def chunked(entry: dict[str, Any], work: Path) -> Episode:
    """The episode of an evaluation-set entry in `work`, transcribed and chunked (once)."""
    audio = (EPISODES / entry["audio"]).resolve()
    recap("run", str(audio), "-o", str(work), "--stop-after", "chunk")
    episode = locate_episode(str(audio), work)
    if episode is None:
        raise SystemExit(f"no episode folder for {audio} in {work}")
    return episode


def fill_prefixes(warm: Path, other: dict[str, Any], work: Path) -> None:
    """Empty the bench's folder of prompt prefixes and fill it with one untimed notes run on
    `other`, an episode that is not measured."""
    shutil.rmtree(warm, ignore_errors=True)
    episode = chunked(other, work)
    print(f"filling the bench's prompt prefixes: one untimed run on {other['name']}", flush=True)
    shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    recap("notes", str(episode.root), "--force", env={"RECAP_PREFIXES": str(warm)})


def add_selection_args(parser: argparse.ArgumentParser) -> None:
    """The options the notes benches share: which episodes, where, and which fills the prefixes."""
    parser.add_argument("--split", default="heldout")
    parser.add_argument("--only", action="append", default=[], help="episode name (repeatable)")
    parser.add_argument("--work", type=Path, default=WORK / "quality")
    parser.add_argument("--warm-with", default="city-bees",
                        help="the episode whose untimed run fills the warm prompt prefixes")


def select_episodes(parser: argparse.ArgumentParser, args: argparse.Namespace
                    ) -> list[dict[str, Any]]:
    """The episodes to measure (`--split`, `--only`); none is the parser's error."""
    entries = [e for e in _eval_set()
               if e["split"] == args.split and (not args.only or e["name"] in args.only)]
    if not entries:
        parser.error(f"no episode of the {args.split!r} split"
                     + (f" is named {', '.join(args.only)}" if args.only else ""))
    return entries


def warming_episode(parser: argparse.ArgumentParser, args: argparse.Namespace,
                    entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The episode whose untimed run fills the prefixes (`--warm-with`): another episode of the
    set than those measured (the parser's error otherwise)."""
    other = next((e for e in _eval_set() if e["name"] == args.warm_with), None)
    if other is None or other in entries:
        parser.error(f"--warm-with {args.warm_with}: not an episode of the set, or one measured")
    return other


def _eval_set() -> list[dict[str, Any]]:
    return json.loads((EPISODES / "eval_set.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_selection_args(parser)
    parser.add_argument("--prefixes", default="warm",
                        help="warm, cold or off, or several separated by commas (one run each)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.prefixes.split(",") if m.strip()]
    if not modes or any(m not in ("warm", "cold", "off") for m in modes):
        parser.error("--prefixes takes warm, cold or off (or several, separated by commas)")
    warm = args.work.resolve() / "prefixes"
    entries = select_episodes(parser, args)
    other = warming_episode(parser, args, entries) if "warm" in modes else None
    print(json.dumps(machine()), flush=True)
    if other is not None:
        fill_prefixes(warm, other, args.work.resolve())
    rows = []
    for entry in entries:
        episode = chunked(entry, args.work.resolve())
        duration = Info.load(episode.info_path, "recap fetch").duration
        base = baseline(episode)
        for mode in modes:
            ours = recap_notes(episode, mode, warm)
            row = {"name": entry["name"], "audio_seconds": round(duration, 1),
                   "baseline": base, "recap": ours,
                   "baseline_x_audio": round(base["seconds"] / duration, 3),
                   "recap_x_audio": round(ours["seconds"] / duration, 3),
                   "ratio": round(ours["seconds"] / base["seconds"], 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    totals = {}
    for mode in dict.fromkeys(modes):
        chosen = [r for r in rows if r["recap"]["prefixes"] == mode]
        audio = sum(r["audio_seconds"] for r in chosen)
        total = {"prefixes": mode, "runs": len(chosen), "audio_seconds": round(audio, 1),
                 "baseline_x_audio": round(sum(r["baseline"]["seconds"] for r in chosen) / audio,
                                           3),
                 "recap_x_audio": round(sum(r["recap"]["seconds"] for r in chosen) / audio, 3)}
        total["ratio"] = round(total["recap_x_audio"] / total["baseline_x_audio"], 2)
        totals[mode] = total
        print("[all] " + " ".join(f"{k}={v}" for k, v in total.items()), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notes_speed.json").write_text(
        json.dumps({"machine": machine(), "episodes": rows, "total": totals}, indent=2) + "\n")


if __name__ == "__main__":
    main()
