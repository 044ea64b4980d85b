"""Run every benchmark in turn and print a summary (`make bench`).

    python bench/run_all.py            # full sizes (about an hour on 2 cores)
    python bench/run_all.py --quick    # small inputs (a few minutes), for a smoke run

Each benchmark saves bench/results/<name>.json; the summary is read back from those files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

BENCHES = {
    # name: (script, full arguments, quick arguments)
    "overlap": ("bench_overlap.py", [], ["--minutes", "3", "--delay", "2"]),
    "memory": ("bench_memory.py", [], ["--minutes", "10", "--short-minutes", "2"]),
    "fast": ("bench_fast.py", [], ["--minutes", "3"]),
    "rerun": ("bench_rerun.py", [], ["--minutes", "2", "--delay", "1"]),
    "batch": ("bench_batch.py", [], ["--minutes", "1.5", "--delay", "2"]),
}


def summary_line(name: str, result: dict) -> str:
    if name == "overlap":
        streamed, sequential = result["runs"]["streamed"], result["runs"]["sequential"]
        return (f"streamed {streamed['wall_s']:.0f} s vs sequential {sequential['wall_s']:.0f} s"
                f" ({result['ratio_vs_sequential']:.2f}x); target <= {result['target_s']:.0f} s")
    if name == "memory":
        runs = result["runs"]
        return (f"peak RSS {runs['long']['peak_rss_mb']:.0f} / {runs['short']['peak_rss_mb']:.0f}"
                f" MB = {result['rss_ratio']:.2f}x (whole file: "
                f"{runs['whole']['peak_rss_mb']:.0f} MB); WER {runs['long']['wer']:.2f}% vs "
                f"{runs['whole']['wer']:.2f}%")
    if name == "fast":
        default, fast = result["runs"]["default"], result["runs"]["fast"]
        return (f"default {default['rtf']:.1f}x RT, WER {default['wer']:.2f}%; fast "
                f"{fast['rtf']:.1f}x RT, WER {fast['wer']:.2f}%, max segment "
                f"{fast['max_segment_s']:.1f} s")
    if name == "rerun":
        steps = result["steps"]
        return (f"rerun {steps['run again']['wall_s']:.2f} s / {steps['run again']['requests']} "
                f"requests; notes {steps['notes again']['wall_s']:.2f} s / "
                f"{steps['notes again']['requests']}; one chunk edited -> "
                f"{steps['notes, one chunk edited']['by_kind']['map']} map call")
    if name == "batch":
        return (f"batch {result['batch_s']:.0f} s vs one after another "
                f"{result['one_after_another_s']:.0f} s = {result['ratio']:.2f}x")
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs for a smoke run")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    args = parser.parse_args()
    machine = common.machine()
    print(f"recap benchmarks on {common.describe(machine)}\n", flush=True)
    outcomes: dict[str, str] = {}
    for name, (script, full, quick) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(common.ROOT / "bench" / script),
                               *(quick if args.quick else full)])
        took = time.monotonic() - started
        result_file = common.RESULTS / f"{name}.json"
        if proc.returncode != 0 or not result_file.exists():
            outcomes[name] = f"ERROR (exit {proc.returncode}) after {took:.0f} s"
        else:
            result = json.loads(result_file.read_text())
            verdict = {True: "PASS", False: "FAIL"}.get(result.get("passed"), "    ")
            outcomes[name] = f"{verdict}  {summary_line(name, result)}  [{took:.0f} s]"
        print(flush=True)
    print(f"summary ({common.describe(machine)}):")
    for name, line in outcomes.items():
        print(f"  {name:8s} {line}")
    sys.exit(0 if all(line.startswith(("PASS", "    ")) for line in outcomes.values()) else 1)


if __name__ == "__main__":
    main()
