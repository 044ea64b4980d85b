"""Notes quality and speed on the evaluation set (bench/episodes), with the embedded model.

    python bench/bench_quality.py                 # every episode with facts, both splits
    python bench/bench_quality.py --split heldout # only the held-out split
    python bench/bench_quality.py --split fresh   # the episodes nobody tuning recap has read
    python bench/bench_quality.py --only night-train --keep-cache

Each episode is run with the real CLI into bench/_work/quality/<name>/ (transcription is done
once and kept), its audio tagged with the title and description of `<name>.details.json` where
there is one, as a podcast's feed or page gives them (`--no-details`: the bare audio); the
notes stage's reply cache is cleared first (unless --keep-cache), so its time is the time a
user waits. Per episode and per split it prints: fact coverage, invented figures
(bullet figures its cited segments do not hold), unsupported bullets (content words mostly not
in the cited segments, or a reversed comparison), first-person bullets, bullets with a question
mark, intro or description sentences copying 8+ transcript words, section-title fallbacks, the
largest section's share of the bullets, the notes outside their section's main subject and
the sections mixing two subjects (against the subjects marked by hand on the script's turns,
`<name>.subjects.json`), notes seconds per audio second and the post's reading time. Results
go to bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import bisect
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recap.episode import Episode  # noqa: E402
from recap.media import ffmpeg_exe  # noqa: E402
from recap.models import Info, Notes, Transcript  # noqa: E402
from recap.notes.intro import COPY_LIMIT  # noqa: E402
from recap.notes.verify import MIN_SUPPORT, cite, reversed_comparison  # noqa: E402
from recap.notes.windows import Line  # noqa: E402
from recap.notes.words import first_person, longest_copied_run, sentences, stem, words  # noqa: E402
from recap.pipeline import locate_episode  # noqa: E402
from recap.quality.facts import evaluate  # noqa: E402
from recap.quality.report import quality_report  # noqa: E402
from recap.text.names import LEANING_OPENER  # noqa: E402
from recap.write.context import continues  # noqa: E402

EPISODES = ROOT / "bench" / "episodes"
# A bullet that opens on a pronoun whose noun is in another bullet ("They are part of the
# taste."): it cannot be read on its own (unless the post shows it as a sub-bullet of the bullet
# it goes on from: `sub_bullets`).
DANGLING = LEANING_OPENER
WORK = ROOT / "bench" / "_work" / "quality"
RESULTS = ROOT / "bench" / "results"


def recap(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "recap", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"recap {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def part_starts(turns: Path) -> list[float]:
    """Where a new part of a multi-part episode starts, from the script's speaker turns: the
    host's turns that introduce a voice not heard before (after the first guest), from the
    first of them ("…made possible by our listeners. Now, your letters…" then "Our first letter
    is from…" before the expert's first answer)."""
    if not turns.is_file():
        return []
    rows = [line.split("\t") for line in turns.read_text(encoding="utf-8").splitlines() if line]
    heard: set[str] = set()
    starts = []
    for i, (_start, _end, speaker, *_text) in enumerate(rows):
        if speaker != "HOST" and speaker not in heard:
            if len(heard) >= 1:
                first = i
                while first > 0 and rows[first - 1][2] == "HOST":
                    first -= 1
                starts.append(float(rows[first][0]))
            heard.add(speaker)
    return starts


def mixed_sections(notes: Notes, starts: list[float]) -> int:
    """Sections holding notes from both sides of a part's start (by the notes' times)."""
    count = 0
    for topic in notes.topics:
        times = [b.start for b in topic.bullets]
        if any(min(times, default=0) < s <= max(times, default=0) for s in starts):
            count += 1
    return count


SHOW_TALK = "show talk"
"""The subject label of greetings, introductions, goodbyes and sponsor reads."""


def subject_mix(notes: Notes, subjects: Path) -> dict[str, int]:
    """How well the sections follow the episode's subjects, marked by hand on the script's turns
    (`<name>.subjects.json`: each turn's start and subject, a blogger's section's worth): the
    notes outside their section's main subject (`off_subject`) and the sections holding two
    notes or more of a second subject (`mixed_subjects`). Notes on show talk count for neither.
    A note's subject is its turn's, by the note's start."""
    marks = json.loads(subjects.read_text(encoding="utf-8"))["subjects"]
    starts = [float(m["start"]) for m in marks]
    off = mixed = 0
    for topic in notes.topics:
        # a note's start may fall a fraction of a second before its turn's marked start (the
        # recogniser's segment and the script's turn are timed apart): 0.3 s of slack
        found = Counter(marks[max(0, bisect.bisect_right(starts, b.start + 0.3) - 1)]["subject"]
                        for b in topic.bullets)
        found.pop(SHOW_TALK, None)
        ranked = [n for _, n in found.most_common()]
        off += sum(ranked[1:])
        mixed += len(ranked) > 1 and ranked[1] >= 2
    return {"off_subject": off, "mixed_subjects": mixed}


def measure(folder: Path, facts: Path | None, turns: Path | None = None,
            subjects: Path | None = None) -> dict[str, Any]:
    """The quality figures of one episode folder with notes and a post."""
    episode = Episode.open(folder)
    notes = Notes.load(episode.notes_path)
    transcript = Transcript.load(episode.transcript_path)
    info = Info.load(episode.info_path)
    segments = {s.id: s for s in transcript.segments}
    free = frozenset(stem(w) for n in notes.speakers for w in words(n))
    bullets = [b for t in notes.topics for b in t.bullets]
    # a pronoun bullet the post shows under the bullet it goes on from does not dangle
    shown_under = {id(b) for t in notes.topics
                   for before, b in zip(t.bullets, t.bullets[1:], strict=False)
                   if continues(before, b)}
    unsupported, first, questions, dangling = [], [], [], []
    for bullet in bullets:
        cited = [Line(i, segments[i].start, segments[i].end, segments[i].text)
                 for i in bullet.segment_ids if i in segments]
        _, support = cite(bullet.text, cited, free)
        source = " ".join(ln.text for ln in cited)
        if support < MIN_SUPPORT or reversed_comparison(bullet.text, source):
            unsupported.append(bullet.text)
        if first_person(bullet.text):
            first.append(bullet.text)
        if "?" in bullet.text:
            questions.append(bullet.text)
        if DANGLING.match(bullet.text) and id(bullet) not in shown_under:
            dangling.append(bullet.text)
    source_words = words(transcript.text)
    copied = [s for s in sentences(notes.intro) + sentences(notes.summary)
              if longest_copied_run(s, source_words) >= COPY_LIMIT]
    report = quality_report(folder)
    recheck = report["recheck"]
    manifest = episode.read_manifest()
    notes_record = manifest.stages["notes"]
    write_stats = manifest.stages["write"].stats
    sizes = [len(t.bullets) for t in notes.topics]
    row: dict[str, Any] = {
        "bullets": len(bullets), "sections": len(notes.topics),
        "invented_figures": recheck["figures"] - recheck["figures_supported"],
        "unsupported": len(unsupported),
        "unsupported_share": round(len(unsupported) / max(1, len(bullets)), 3),
        "first_person": len(first), "questions": len(questions), "copied_intro": len(copied),
        "reduce_fallbacks": int(notes.checks.get("reduce_fallbacks") or 0),
        "titles_misplaced": int(notes.checks.get("titles_misplaced") or 0),
        "dangling": len(dangling), "sub_bullets": len(shown_under),
        "largest_section": round(max(sizes, default=0) / max(1, len(bullets)), 3),
        "mixed_sections": mixed_sections(notes, part_starts(turns)) if turns else 0,
        "notes_seconds": round(notes_record.wall_seconds, 1),
        "audio_seconds": round(info.duration, 1),
        "notes_x_audio": round(notes_record.wall_seconds / max(1.0, info.duration), 3),
        "reading_minutes": write_stats.get("reading_minutes"),
        "requests": (notes.checks.get("usage") or {}).get("requests"),
        "examples": {"unsupported": unsupported[:5], "first_person": first[:5],
                     "questions": questions[:5], "copied_intro": copied[:3],
                     "dangling": dangling[:5]},
    }
    if subjects is not None and subjects.is_file():
        row.update(subject_mix(notes, subjects))
    if facts is not None:
        scored = evaluate(folder, facts)
        row.update(facts=scored["total"], found=scored["found"], coverage=round(scored["score"], 3),
                   missed=[f["id"] for f in scored["facts"] if not f["found"]])
    return row


def with_details(audio: Path, name: str, out: Path) -> Path:
    """`audio`, or a copy of it tagged with the episode's details (`<name>.details.json`: the
    title and description a feed or web page would give, as the MP3's title and description
    tags), which recap reads as a local file's title and description."""
    details_file = EPISODES / f"{name}.details.json"
    if not details_file.is_file():
        return audio
    details = json.loads(details_file.read_text(encoding="utf-8"))
    tagged = out / "_tagged" / f"{name}{audio.suffix}"
    if not tagged.is_file():
        tagged.parent.mkdir(parents=True, exist_ok=True)
        partial = tagged.with_name(f".{tagged.name}.part{audio.suffix}")
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                        "-i", str(audio), "-map_metadata", "-1", "-c", "copy",
                        "-metadata", f"title={details['title']}",
                        "-metadata", f"description={details['description']}", str(partial)],
                       check=True)
        partial.replace(tagged)
    return tagged


def run_episode(entry: dict[str, Any], keep_cache: bool, out: Path,
                details: bool = True) -> dict[str, Any]:
    audio = (EPISODES / entry["audio"]).resolve()
    if details:
        audio = with_details(audio, entry["name"], out)
    recap("run", str(audio), "-o", str(out), "--stop-after", "chunk")
    episode = locate_episode(str(audio), out)
    if episode is None:
        raise SystemExit(f"no episode folder for {audio} in {out}")
    if not keep_cache:
        shutil.rmtree(episode.llm_cache_dir, ignore_errors=True)
    started = time.monotonic()
    recap("notes", str(episode.root), "--force")
    recap("write", str(episode.root), "--force")
    facts = (EPISODES / entry["facts"]).resolve() if entry.get("facts") else None
    turns = (EPISODES / entry["audio"]).resolve().with_suffix(".turns.tsv")
    row = measure(episode.root, facts, turns, EPISODES / f"{entry['name']}.subjects.json")
    row.update(name=entry["name"], split=entry["split"], folder=str(episode.root),
               wall_seconds=round(time.monotonic() - started, 1))
    if entry["split"] == "fresh":  # figures only: the split stays unread (bench/episodes/README.md)
        row["missed"] = len(row.get("missed", []))
        row["examples"] = {}
    return row


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    with_facts = [r for r in rows if "facts" in r]
    marked = [r for r in rows if "off_subject" in r]
    bullets = sum(r["bullets"] for r in rows) or 1
    audio = sum(r["audio_seconds"] for r in rows) or 1
    return {
        "episodes": len(rows),
        "coverage": round(sum(r["found"] for r in with_facts)
                          / max(1, sum(r["facts"] for r in with_facts)), 3),
        "invented_figures": sum(r["invented_figures"] for r in rows),
        "unsupported_share": round(sum(r["unsupported"] for r in rows) / bullets, 3),
        "first_person": sum(r["first_person"] for r in rows),
        "questions": sum(r["questions"] for r in rows),
        "copied_intro": sum(r["copied_intro"] for r in rows),
        "reduce_fallbacks": sum(r["reduce_fallbacks"] for r in rows),
        "dangling": sum(r["dangling"] for r in rows),
        "sub_bullets": sum(r.get("sub_bullets", 0) for r in rows),
        "mixed_sections": sum(r.get("mixed_sections", 0) for r in rows),
        "off_subject_share": round(sum(r.get("off_subject", 0) for r in marked)
                                   / max(1, sum(r["bullets"] for r in marked)), 3),
        "mixed_subjects": sum(r.get("mixed_subjects", 0) for r in marked),
        "marked_sections": sum(r["sections"] for r in marked),
        "notes_x_audio": round(sum(r["notes_seconds"] for r in rows) / audio, 3),
    }


COLUMNS = ("name", "split", "coverage", "found", "facts", "bullets", "sections", "invented_figures",
           "unsupported", "first_person", "questions", "copied_intro", "reduce_fallbacks",
           "titles_misplaced", "dangling", "sub_bullets", "largest_section", "mixed_sections",
           "off_subject", "mixed_subjects", "notes_x_audio", "audio_seconds", "reading_minutes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "heldout", "blind", "fresh", "read", "all"),
                        default="all")
    parser.add_argument("--only", action="append", default=[], help="episode name (repeatable)")
    parser.add_argument("--work", type=Path, default=WORK,
                        help=f"where the episode folders are kept (default {WORK})")
    parser.add_argument("--no-details", action="store_true",
                        help="run the audio untagged, without the title and description of "
                             "bench/episodes/<name>.details.json")
    parser.add_argument("--keep-cache", action="store_true",
                        help="reuse cached LLM replies (quality only; times are then meaningless)")
    args = parser.parse_args()
    entries = json.loads((EPISODES / "eval_set.json").read_text())
    chosen = [e for e in entries if (args.split == "all" and e["split"] != "read"
                                     or e["split"] == args.split)
              and (not args.only or e["name"] in args.only)]
    rows = []
    for entry in chosen:
        row = run_episode(entry, args.keep_cache, args.work.resolve(), not args.no_details)
        rows.append(row)
        print(" | ".join(f"{c}={row.get(c)}" for c in COLUMNS), flush=True)
    summary = {split: totals([r for r in rows if r["split"] == split])
               for split in sorted({r["split"] for r in rows})}
    summary["all"] = totals(rows)
    for split, figures in summary.items():
        print(f"[{split}] " + " ".join(f"{k}={v}" for k, v in figures.items()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps({"episodes": rows, "totals": summary},
                                                     indent=2) + "\n")


if __name__ == "__main__":
    main()
