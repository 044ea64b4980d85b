"""`recap check` and `recap eval` on an episode folder built from the sample's real transcript."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from recap.episode import Episode, Manifest, StageRecord
from recap.models import Bullet, Chunk, Chunks, Info, Notes, Topic, Transcript
from tests.conftest import run_recap

DATA = Path(__file__).resolve().parent / "data"
FACTS = DATA / "city-bees.facts.json"
TITLE = "City Bees: what rooftop hives teach us about cities"
INVENTED = "A hive produces 25 kg of honey in Utrecht."

POST = f"""---
title: "{TITLE}"
---

Here are my notes - 1 minute reading instead of 2 minutes, a `2x` saving for you.

## Bees in the city

- Priya keeps `40` hives on rooftops across **Rotterdam**.
- She started in `2015` with two hives on a library roof.
- City hives produced about `22 kg` of honey each; farmland hives `15 kg`.

## Money

- A `500 g` jar sells for `€11`; a new hive costs about `€350`.
"""


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from recap.cli import app as recap_app
    from recap.cli import register_all

    if not any(c.name == "check" for c in recap_app.registered_commands):
        register_all(recap_app)
    return recap_app


def invoke(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def make_episode(root: Path, *, post: bool = True, hand_edit: bool = True,
                 checks: bool = True) -> Path:
    """An episode folder with info, transcript, chunks, notes, manifest and (optionally) a post."""
    folder = root / "city-bees"
    folder.mkdir(parents=True)
    (folder / "info.json").write_text(
        Info(title=TITLE, duration=117.0, audio_file="audio.mp3",
             source="/samples/city-bees.mp3").to_json(), encoding="utf-8")
    shutil.copy(DATA / "city-bees.transcript.json", folder / "transcript.json")
    transcript = Transcript.load(folder / "transcript.json")
    segments = transcript.segments
    chunks = [Chunk(i, part[0].start, part[-1].end, [s.id for s in part],
                    " ".join(s.text.strip() for s in part), 100)
              for i, part in enumerate([segments[:9], segments[9:18], segments[18:]])]
    (folder / "chunks.json").write_text(Chunks(1000, "estimate", chunks).to_json(),
                                        encoding="utf-8")
    bullets = [
        Bullet("Priya keeps 40 hives on rooftops across Rotterdam.", 0.0, 8.7, [0, 1]),
        Bullet("She started in 2015 with two hives on a library roof.", 14.9, 20.0, [3]),
        Bullet("City hives produced about 22 kg of honey each; farmland hives 15 kg.",
               27.0, 43.0, [6]),
    ]
    if hand_edit:
        bullets.append(Bullet(INVENTED, 27.0, 43.0, [6]))
    money = [Bullet("A 500 g jar sells for €11; a new hive costs about €350.", 72.0, 79.0, [])]
    notes = Notes(topics=[Topic("Bees in the city", bullets), Topic("Money", money)])
    (folder / "notes.json").write_text(notes.to_json(), encoding="utf-8")
    manifest = Manifest()
    if checks:
        manifest.stages["notes"] = StageRecord(status="done", stats={
            "checked": 6, "verified": 4, "repaired": 1, "dropped": 1, "figures_checked": 9,
            "figures_verified": 8, "dropped_bullets": ["Hives make 99 kg of honey."],
            "topics": 2, "bullets": 4, "summary": "2 topics"})
    if post:
        (folder / "post").mkdir()
        (folder / "post" / "index.md").write_text(POST, encoding="utf-8")
        manifest.stages["write"] = StageRecord(status="done", stats={
            "post": "post/index.md", "words": 80, "reading_minutes": 1, "episode_minutes": 2,
            "saving": 2})
    Episode(folder).write_manifest(manifest)
    return folder


# ---------------------------------------------------------------- recap check

# What a model drafted for the sample, and what the transcript says of each draft.
DRAFT = [
    ("Priya keeps 40 hives on rooftops across Rotterdam.", "verified"),
    ("She started in 2015 with two hives on a library roof.", "verified"),
    ("City hives produced about 22 kg of honey each; farmland hives 15 kg.", "verified"),
    ("A 500 g jar sells for €12.", "repaired"),  # the transcript says 11 euros
    ("Hives make 99 kg of honey.", "dropped"),  # said nowhere
]
REPAIRS = {"A 500 g jar sells for €12.": "A 500 g jar sells for €11."}


def checked_episode(root: Path) -> Path:
    """The sample's folder whose notes statistics and post come from recap's own code: the
    checker the notes stage runs (verify_bullets, with a repair step that fixes one figure)
    and the real `recap write`; then a hand edit adds INVENTED to notes.json."""
    from recap.quality.support import known_names, verify_bullets

    folder = make_episode(root, post=False, hand_edit=False, checks=False)
    transcript = Transcript.load(folder / "transcript.json")
    source = " ".join(s.text for s in transcript.segments)
    info = Info.load(folder / "info.json", "")
    drafts = [Bullet(text, 0.0, 117.0, []) for text, _ in DRAFT]
    kept, stats = verify_bullets(drafts, source, known_names(info), lambda bullet, problem: (
        Bullet(REPAIRS[bullet.text], bullet.start, bullet.end, []) if bullet.text in REPAIRS
        else None))
    notes = Notes(topics=[Topic("Bees in the city", kept[:3]), Topic("Money", kept[3:])])
    (folder / "notes.json").write_text(notes.to_json(), encoding="utf-8")
    manifest = Episode(folder).read_manifest()
    manifest.stages["notes"] = StageRecord(status="done", stats={**stats, "topics": 2})
    Episode(folder).write_manifest(manifest)
    written = run_recap("write", str(folder))
    assert written.returncode == 0, written.stderr
    notes.topics[0].bullets.append(Bullet(INVENTED, 27.0, 43.0, [6]))
    (folder / "notes.json").write_text(notes.to_json(), encoding="utf-8")
    return folder


def _saving_sentence(post: Path) -> tuple[int, int, int]:
    """(reading, episode minutes, saving) as the post itself states them."""
    found = re.search(r"(\d+) minutes? reading instead of (\d+) minutes?, an? `?(\d+)x`? saving",
                      post.read_text(encoding="utf-8"))
    assert found, post.read_text(encoding="utf-8")[:600]
    return tuple(int(n) for n in found.groups())  # type: ignore[return-value]


def test_check_prints_the_quality_report(app: typer.Typer, tmp_path: Path) -> None:
    folder = checked_episode(tmp_path)
    code, out = invoke(app, "check", str(folder))
    assert code == 0, out
    assert out.splitlines()[0] == TITLE
    assert "topics            2" in out
    assert "bullets           5" in out  # four kept + the hand edit
    _, report = invoke(app, "check", str(folder), "--json")
    figures = json.loads(report)
    assert f"figures verified  {figures['figures_verified']} of {figures['figures_checked']} " \
           "(notes stage)" in out
    assert "repaired          1" in out
    assert "dropped           1" in out
    assert "% of source figures" in out
    reading, episode, saving = _saving_sentence(folder / "post" / "index.md")
    assert episode == 2  # 117 s
    assert f"reading time      {reading} min instead of {episode} min, a {saving}x saving" in out
    # the hand-edited bullet is caught at check time
    assert "1 of 5 bullets not supported by the transcript" in out
    assert INVENTED in out
    assert "figures not in the transcript: 25 kg" in out
    assert "Utrecht" in out


def test_check_json(app: typer.Typer, tmp_path: Path) -> None:
    folder = checked_episode(tmp_path)
    code, out = invoke(app, "check", str(folder), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["topics"], report["bullets"]) == (2, 5)
    # What the checker found in the draft, bullet by bullet (DRAFT says which is which).
    assert (report["checked"], report["verified"], report["repaired"], report["dropped"]) == \
        (5, 3, 1, 1)
    assert report["dropped_bullets"] == [t for t, outcome in DRAFT if outcome == "dropped"]
    assert report["figures_checked"] - report["figures_verified"] == 2  # €12 and 99 kg
    reading, episode, saving = _saving_sentence(folder / "post" / "index.md")
    assert (report["reading_minutes"], report["episode_minutes"], report["saving"]) == \
        (reading, episode, saving)
    assert episode == 2 and saving == episode // reading
    assert report["post"] == str(folder / "post" / "index.md")
    cov = report["coverage"]
    assert len(cov["chunks"]) == 3 and 0 < cov["figure_coverage"] < 1
    recheck = report["recheck"]
    assert recheck["bullets"] == 5 and recheck["supported"] == 4
    (bad,) = recheck["unsupported"]
    assert bad["text"] == INVENTED
    assert bad["unsupported_figures"] == ["25 kg"]
    assert bad["unsupported_names"] == ["Utrecht"]


def test_check_strict_fails_on_unsupported_bullets(app: typer.Typer, tmp_path: Path) -> None:
    code, _ = invoke(app, "check", str(make_episode(tmp_path / "a")), "--strict")
    assert code == 1
    code, out = invoke(app, "check", str(make_episode(tmp_path / "b", hand_edit=False)),
                       "--strict")
    assert code == 0, out
    assert "all 4 bullets supported by the transcript" in out


def test_check_before_the_post_and_without_recorded_checks(app: typer.Typer,
                                                           tmp_path: Path) -> None:
    folder = make_episode(tmp_path, post=False, checks=False)
    code, out = invoke(app, "check", str(folder))
    assert code == 0, out
    assert "n/a (no checks recorded by the notes stage)" in out
    assert "n/a (no post yet; run `recap write`)" in out


def test_check_without_chunks_measures_coverage_over_the_whole_transcript(
        app: typer.Typer, tmp_path: Path) -> None:
    folder = make_episode(tmp_path)
    (folder / "chunks.json").unlink()
    code, out = invoke(app, "check", str(folder), "--json")
    assert code == 0
    assert len(json.loads(out)["coverage"]["chunks"]) == 1


def test_check_bad_folders_are_one_line(tmp_path: Path) -> None:
    proc = run_recap("check", str(tmp_path / "missing"))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"recap: error: episode folder {tmp_path / 'missing'} does not exist"]

    folder = make_episode(tmp_path)
    (folder / "notes.json").unlink()
    proc = run_recap("check", str(folder))
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "notes.json is missing; rebuild it with `recap notes" in line

    (folder / "notes.json").write_text("{not json", encoding="utf-8")
    proc = run_recap("check", str(folder))
    assert proc.returncode == 1 and "notes.json is corrupt" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------- recap eval

def test_eval_scores_the_post(app: typer.Typer, tmp_path: Path) -> None:
    folder = make_episode(tmp_path)
    code, out = invoke(app, "eval", str(folder), "--facts", str(FACTS))
    assert code == 0, out
    assert out.splitlines()[0] == str(folder / "post" / "index.md")
    assert "found    in Rotterdam" in out
    assert "found    22 kg of honey per city hive vs 15 kg on farmland" in out
    assert "missing  the beekeeping course takes 8 evenings" in out
    assert out.strip().splitlines()[-1] == "score: 6/12 facts (50%)"


def test_eval_json_and_min_score(app: typer.Typer, tmp_path: Path) -> None:
    folder = make_episode(tmp_path)
    code, out = invoke(app, "eval", str(folder), "--facts", str(FACTS), "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["found"], result["total"], result["score"]) == (6, 12, 0.5)
    found = {f["id"]: f["matched"] for f in result["facts"] if f["found"]}
    assert found["a 500 g jar sells for 11 euros"] == "500 g ... 11 euros"
    code, _ = invoke(app, "eval", str(folder), "--facts", str(FACTS), "--min-score", "0.5")
    assert code == 0
    code, _ = invoke(app, "eval", str(folder), "--facts", str(FACTS), "--min-score", "0.6")
    assert code == 1


def test_eval_falls_back_to_the_notes_before_the_post(app: typer.Typer, tmp_path: Path) -> None:
    folder = make_episode(tmp_path, post=False)
    code, out = invoke(app, "eval", str(folder), "--facts", str(FACTS), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["post"] == str(folder / "notes.json")
    assert result["found"] == 6


def test_eval_reads_the_post_the_manifest_names(app: typer.Typer, tmp_path: Path) -> None:
    folder = make_episode(tmp_path)
    (folder / "post" / "index.md").rename(folder / "post" / "city-bees.md")
    manifest = Episode(folder).read_manifest()
    manifest.stages["write"].stats["post"] = "post/city-bees.md"
    Episode(folder).write_manifest(manifest)
    code, out = invoke(app, "eval", str(folder), "--facts", str(FACTS), "--json")
    assert code == 0 and json.loads(out)["post"] == str(folder / "post" / "city-bees.md")


def test_eval_errors_are_one_line(tmp_path: Path) -> None:
    folder = make_episode(tmp_path)
    bad = tmp_path / "facts.json"
    bad.write_text('{"facts": []}', encoding="utf-8")
    proc = run_recap("eval", str(folder), "--facts", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"recap: error: facts file {bad} must hold a non-empty JSON list of facts"]
    proc = run_recap("eval", str(folder), "--facts", str(FACTS), "--min-score", "7")
    assert proc.returncode == 1 and "--min-score must be between 0 and 1" in proc.stderr
    proc = run_recap("eval", str(tmp_path / "nope"), "--facts", str(FACTS))
    assert proc.returncode == 1 and "does not exist" in proc.stderr


def test_check_claims_no_saving_where_the_post_claims_none() -> None:
    """A post as long to read as to hear says "2 minutes reading." and no saving; `recap check`
    said "2 min instead of 2 min, a 1x saving"."""
    from recap.cli.quality import _reading_line

    line = _reading_line({"reading_minutes": 2, "episode_minutes": 2, "saving": 1})
    assert line == "2 min instead of 2 min, no saving"
    assert _reading_line({"reading_minutes": 9, "episode_minutes": 169, "saving": 18}) == (
        "9 min instead of 169 min, an 18x saving")
