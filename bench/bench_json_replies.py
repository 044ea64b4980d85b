"""How fast the embedded engine writes a JSON reply: the grammar checking only the token sampled
against the grammar applied to the whole vocabulary at every step, in the same run.

    python bench/bench_json_replies.py [--rounds 2]

The notes stage asks two JSON calls of every episode, the speakers call first and the intro last,
each alone on the server (nothing else runs beside them), so every millisecond a token of theirs
costs is the user's. Both prompts are the real prompt files filled from the sample
(`tests/data/city-bees.transcript.json`): the speakers call with the episode's opening, the intro
with the first sentences of the transcript standing for the notes. Each is asked of a fresh
engine of each kind (Qwen 1.5B, 3 slots, every core), once with one token to write (its prompt
is then cached) and then in full, so the time is the writing alone: milliseconds per token
written, baseline and target alternated `--rounds` times. Results: bench/results/json_replies.json.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from common import ROOT, machine, main_with_rounds

sys.path.insert(0, str(ROOT))

from recap.llm import assemble_model  # noqa: E402
from recap.llm.batching import Engine  # noqa: E402
from recap.llm.embedded import cpu_threads  # noqa: E402
from recap.llm.server import ChatModel  # noqa: E402
from recap.notes.intro import INTRO_SCHEMA, OPENING_WORDS, SPEAKERS_SCHEMA  # noqa: E402
from recap.notes.options import PROMPT_VARIABLES  # noqa: E402
from recap.prompts import load_prompts  # noqa: E402


def requests() -> dict[str, dict[str, Any]]:
    """The two calls' request bodies, from the prompt files and the sample's transcript."""
    transcript = json.loads((ROOT / "tests" / "data" / "city-bees.transcript.json").read_text())
    lines = [s["text"].strip() for s in transcript["segments"]]
    text = " ".join(lines)
    prompts = load_prompts(None, {name: PROMPT_VARIABLES[name] for name in ("speakers", "intro")})
    speakers = prompts["speakers"].render(
        title="City bees", uploader="unknown", description="none",
        opening=" ".join(text.split()[:OPENING_WORDS]))
    intro = prompts["intro"].render(
        title="City bees", uploader="unknown", duration="2:00", description="none",
        speakers="not named", sections="- Rooftop hives\n- Honey and money",
        highlights="\n".join(f"- {line}" for line in lines[2:12]))
    bodies = {}
    for name, (system, user), schema in (("speakers", speakers, SPEAKERS_SCHEMA),
                                         ("intro", intro, INTRO_SCHEMA)):
        bodies[name] = {"messages": [{"role": "system", "content": system},
                                     {"role": "user", "content": user}],
                        "temperature": 0.1, "max_tokens": 400,
                        "response_format": {"type": "json_object", "schema": schema}}
    return bodies


def writing(engine: Engine, body: dict[str, Any]) -> tuple[float, int, str]:
    """Seconds spent writing the reply (its prompt read beforehand), tokens written, reply."""
    model = ChatModel(engine, "bench")
    warm = model.job({**body, "max_tokens": 1})
    engine.submit(warm)
    warm.wait()
    job = model.job(body)
    started = time.monotonic()
    engine.submit(job)
    job.wait()
    if job.error:
        raise SystemExit(f"the engine failed: {job.error}")
    return time.monotonic() - started, job.completion_tokens, job.text


def run(rounds: int) -> dict[str, Any]:
    model_path = assemble_model("qwen2.5-coder-1.5b")
    bodies = requests()
    seconds = {"baseline": 0.0, "target": 0.0}
    tokens = {"baseline": 0, "target": 0}
    per_call: list[dict[str, Any]] = []
    for round_ in range(rounds):
        order = ("baseline", "target") if round_ % 2 == 0 else ("target", "baseline")
        for kind in order:
            engine = Engine(model_path, slots=3, context_tokens=4096, threads=cpu_threads(),
                            grammar_in_chain=kind == "baseline")
            try:
                for name, body in bodies.items():
                    took, written, text = writing(engine, body)
                    json.loads(text)  # both kinds follow the schema
                    seconds[kind] += took
                    tokens[kind] += written
                    per_call.append({"round": round_, "kind": kind, "call": name,
                                     "seconds": round(took, 2), "tokens": written,
                                     "ms_per_token": round(1000 * took / max(1, written), 1)})
                    print(f"round {round_ + 1} {kind:8s} {name:8s} {written:4d} tokens in "
                          f"{took:5.2f} s ({1000 * took / max(1, written):.0f} ms a token)")
            finally:
                engine.close()
    rate = {k: 1000 * seconds[k] / max(1, tokens[k]) for k in seconds}
    result = {"machine": machine(), "rounds": rounds, "per_call": per_call,
              "ms_per_token": {k: round(v, 1) for k, v in rate.items()},
              "ratio": round(rate["target"] / rate["baseline"], 3)}
    print(f"ms per token written: baseline (grammar over the vocabulary) "
          f"{rate['baseline']:.1f}, target (grammar checks the token sampled) "
          f"{rate['target']:.1f}: ratio {result['ratio']}")
    return result


if __name__ == "__main__":
    main_with_rounds(__doc__, run, "json_replies")
