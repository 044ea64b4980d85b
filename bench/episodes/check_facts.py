"""Check the evaluation set's facts files against what was said.

For each synthetic episode in eval_set.json (or the names given on the command line), score its
facts against the reference text (the script's turns joined with blank lines, so each turn is one
block) with recap.quality.facts.score_facts. A phrasing that the very words spoken do not match can
never match a note, so every fact must be found here. Exits 1 if any fact is missing. It also
flags facts found in more than two turns: one of their phrasings may be loose enough to match
an unrelated note.

Usage: python bench/episodes/check_facts.py [NAME ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from recap.quality.facts import load_facts, score_facts  # noqa: E402

LOOSE = 2  # a fact found in more turns than this may have a phrasing that is too loose


def reference(name: str) -> str:
    """The episode's turns, one block each."""
    script = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return "\n\n".join(turn["text"] for turn in script["turns"])


def episode_names() -> list[str]:
    entries = json.loads((HERE / "eval_set.json").read_text(encoding="utf-8"))
    return [e["name"] for e in entries if e.get("facts") and (HERE / f"{e['name']}.json").exists()]


def main(argv: list[str]) -> int:
    names = argv or episode_names()
    missing = 0
    splits = {e["name"]: e["split"] for e in json.loads((HERE / "eval_set.json").read_text())}
    for name in names:
        facts = load_facts(HERE / f"{name}.facts.json")
        fresh = splits.get(name) == "fresh"  # the split stays unread: its facts by number
        result = score_facts(reference(name), facts)
        print(f"{name}: {result['found']}/{result['total']} facts found in the reference")
        turns = reference(name).split("\n\n")
        per_turn = [score_facts(turn, facts)["facts"] for turn in turns]
        for index, fact in enumerate(result["facts"]):
            label = f"fact {index + 1}" if fresh else fact["id"]
            if not fact["found"]:
                missing += 1
                print(f"  MISSING: {label}")
            hits = sum(turn[index]["found"] for turn in per_turn)
            if hits > LOOSE:
                print(f"  loose? found in {hits} turns: {label}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
