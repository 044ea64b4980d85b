"""How long a run's speakers call, first extraction call, first heading call and intro call take
to read their prompts when an earlier run saved their instructions (`recap.llm.prefixes`),
against a run with none saved, in the same run.

    python bench/bench_prefixes.py [--rounds 2]

Every notes run asks the extraction prompt (433 tokens of instructions and example before the
episode's first word), the heading prompt (249), and once each the speakers and intro prompts
(their instructions first too) on a fresh embedded server; on 2 cores a prompt token costs
about 14 ms to read, so the instructions alone were some 10 s of every run. The prompts are the
real prompt files filled from the sample (`tests/data/city-bees.transcript.json`): the
speakers prompt with its first 260 words, the extraction prompt with its first 150, the
heading prompt with three of its lines, the intro with others as sections and notes. A first
engine saves the prefixes as a run of another episode would (two calls of each prompt, titled
"Another show"); then, `--rounds` times and alternating which goes first, a fresh engine with
none (baseline) and a fresh engine with the saved folder (target) each read the four prompts
and write one token. Results: bench/results/prefixes.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, main_with_rounds

sys.path.insert(0, str(ROOT))

from recap.llm import assemble_model  # noqa: E402
from recap.llm.batching import Engine  # noqa: E402
from recap.llm.embedded import cpu_threads  # noqa: E402
from recap.llm.server import ChatModel  # noqa: E402
from recap.notes.options import PROMPT_VARIABLES  # noqa: E402
from recap.prompts import load_prompts  # noqa: E402


def bodies(title: str, offset: int = 0) -> dict[str, dict[str, Any]]:
    """The extraction and heading calls' request bodies, from the prompt files and the sample."""
    transcript = json.loads((ROOT / "tests" / "data" / "city-bees.transcript.json").read_text())
    lines = [s["text"].strip() for s in transcript["segments"]][offset:]
    names = ("speakers", "extract", "heading", "intro")
    prompts = load_prompts(None, {name: PROMPT_VARIABLES[name] for name in names})
    words = " ".join(lines).split()
    rendered = {
        "speakers": prompts["speakers"].render(title=title, uploader="recap samples",
                                               description="none",
                                               opening=" ".join(words[:260])),
        "extract": prompts["extract"].render(title=title, speakers="not named",
                                             excerpt=" ".join(words[:150])),
        "heading": prompts["heading"].render(notes="\n".join(f"- {line}" for line in lines[2:5])),
        "intro": prompts["intro"].render(title=title, uploader="recap samples", duration="2 min",
                                         description="none", speakers="not named",
                                         sections="\n".join(lines[5:8]),
                                         highlights="\n".join(f"- {ln}" for ln in lines[8:16])),
    }
    return {name: {"messages": [{"role": "system", "content": system},
                                {"role": "user", "content": user}],
                   "temperature": 0.1, "max_tokens": 1}
            for name, (system, user) in rendered.items()}


def ask(engine: Engine, body: dict[str, Any]) -> float:
    job = ChatModel(engine, "bench").job(body)
    started = time.monotonic()
    engine.submit(job)
    job.wait()
    if job.error:
        raise SystemExit(f"the engine failed: {job.error}")
    return time.monotonic() - started


def run(rounds: int) -> dict[str, Any]:
    model_path = assemble_model("qwen2.5-coder-1.5b")
    threads = cpu_threads()
    with tempfile.TemporaryDirectory(prefix="recap-prefixes-") as folder:
        saved = Path(folder)
        engine = Engine(model_path, slots=3, context_tokens=4096, threads=threads,
                        prefix_dir=saved)
        try:
            for offset in (0, 20):  # two calls of each prompt: what they share is saved
                for body in bodies("Another show", offset).values():
                    ask(engine, body)
        finally:
            engine.close()
        calls = bodies("City bees")
        per_call: list[dict[str, Any]] = []
        seconds = {"baseline": 0.0, "target": 0.0}
        for round_ in range(rounds):
            order = ("baseline", "target") if round_ % 2 == 0 else ("target", "baseline")
            for kind in order:
                engine = Engine(model_path, slots=3, context_tokens=4096, threads=threads,
                                prefix_dir=saved if kind == "target" else None)
                try:
                    for name, body in calls.items():
                        before = engine.stats.read
                        took = ask(engine, body)
                        read = engine.stats.read - before
                        seconds[kind] += took
                        per_call.append({"round": round_, "kind": kind, "call": name,
                                         "seconds": round(took, 2), "tokens_read": read})
                        print(f"round {round_ + 1} {kind:8s} {name:8s} {read:4d} tokens read in "
                              f"{took:5.2f} s", flush=True)
                    loaded = engine.stats.loaded
                finally:
                    engine.close()
                if kind == "target" and not loaded:
                    raise SystemExit("the target engine loaded no saved prefix")
    result = {"machine": machine(), "rounds": rounds, "per_call": per_call,
              "seconds": {k: round(v, 2) for k, v in seconds.items()},
              "ratio": round(seconds["target"] / seconds["baseline"], 3)}
    print(f"seconds to read the prompts, over {rounds} rounds: baseline (nothing saved) "
          f"{seconds['baseline']:.1f}, target (instructions saved by an earlier run) "
          f"{seconds['target']:.1f}: ratio {result['ratio']}")
    return result


if __name__ == "__main__":
    main_with_rounds(__doc__, run, "prefixes")
