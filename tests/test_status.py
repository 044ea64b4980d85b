"""`recap status OUTPUT_ROOT` through the real command, on hand-made episode folders."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from recap.episode import STAGES, Episode
from recap.models import Chunk, Chunks, Segment, Transcript
from recap.progress import Reporter
from recap.stages import recording
from tests.conftest import ROOT, run_recap
from tests.test_write import make_episode

SCRIPT = json.loads((ROOT / "samples" / "city-bees.script.json").read_text("utf-8"))


def transcript_of_the_sample() -> Transcript:
    """The sample's script as a transcript, about 7 seconds a turn."""
    segments = [Segment(i, i * 7.0, i * 7.0 + 6.5, turn["text"])
                for i, turn in enumerate(SCRIPT["turns"])]
    return Transcript("en", 117.4, "tiny.en", segments)


def record(episode: Episode, stage: str, write_artifact: Callable[[], object]) -> None:
    """Write a stage's artifact inside the pipeline's own bookkeeping, as the stage would."""
    with recording(episode, stage, {"by": "test"}, Reporter()) as stats:
        write_artifact()
        stats["summary"] = "hand-made"


def make_finished_episode(root: Path, slug: str, upto: str = "notes") -> Episode:
    """An episode folder whose stages up to `upto` are recorded as done (write is run by the CLI)."""
    notes_data = make_episode(root, slug).notes_path.read_text("utf-8")
    episode = Episode(root / slug)
    episode.notes_path.unlink()  # notes.json comes back below, written by its "stage"
    transcript = transcript_of_the_sample()
    chunks = Chunks(2000, "tiktoken:cl100k_base", [Chunk(
        0, 0.0, transcript.duration, [s.id for s in transcript.segments], transcript.text, 600)])
    artifacts = {
        "fetch": lambda: (episode.root / "audio.mp3").write_bytes(b"ID3 not really audio"),
        "transcribe": lambda: episode.transcript_path.write_text(transcript.to_json(), "utf-8"),
        "chunk": lambda: episode.chunks_path.write_text(chunks.to_json(), "utf-8"),
        "notes": lambda: episode.notes_path.write_text(notes_data, "utf-8"),
    }
    for stage in STAGES[: STAGES.index(upto) + 1]:
        record(episode, stage, artifacts[stage])
    return episode


def status_table(root: Path) -> dict[str, dict[str, str]]:
    """Run `recap status ROOT` and read its table: slug -> stage -> state (and `error`)."""
    proc = run_recap("status", str(root), check=True)
    rows: dict[str, dict[str, str]] = {}
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == len(STAGES) + 2 and cells[0] and cells[0] != "episode":
            rows[cells[0]] = {**dict(zip(STAGES, cells[1:-1], strict=True)), "error": cells[-1]}
    return rows


def test_status_shows_done_stale_edited_failed_and_missing(tmp_path: Path) -> None:
    root = tmp_path / "output"
    for slug in ("all-done", "new-transcript", "new-notes", "edited-post", "failed-write"):
        episode = make_finished_episode(root, slug)
        run_recap("write", str(episode.root), check=True)
    make_finished_episode(root, "fetched-only", upto="fetch")
    (root / "not-an-episode").mkdir()

    transcript = root / "new-transcript" / "transcript.json"
    data = json.loads(transcript.read_text("utf-8"))
    data["segments"][1]["text"] = "Thank you. It is a pleasure to be here."
    transcript.write_text(json.dumps(data), "utf-8")

    notes = root / "new-notes" / "notes.json"
    data = json.loads(notes.read_text("utf-8"))
    data["topics"][0]["title"] = "Beginnings"
    notes.write_text(json.dumps(data), "utf-8")

    post = root / "edited-post" / "post" / "index.md"
    post.write_text(post.read_text("utf-8") + "\nAn editor's closing line.\n", "utf-8")

    broken = tmp_path / "broken.md.j2"
    broken.write_text("{{ topics[0].title }\n", "utf-8")
    failed = run_recap("write", str(root / "failed-write"), "--template", str(broken))
    assert failed.returncode == 1 and "broken.md.j2 line 1" in failed.stderr

    rows = status_table(root)
    assert set(rows) == {"all-done", "new-transcript", "new-notes", "edited-post",
                         "failed-write", "fetched-only"}
    states = {slug: [row[s] for s in STAGES] for slug, row in rows.items()}
    assert states["all-done"] == ["done"] * 5
    # A new transcript: kept as the editor's, and everything made from it is stale.
    assert states["new-transcript"] == ["done", "edited", "stale", "stale", "stale"]
    assert states["new-notes"] == ["done", "done", "done", "edited", "stale"]
    assert states["edited-post"] == ["done", "done", "done", "done", "edited"]
    assert states["failed-write"] == ["done", "done", "done", "done", "failed"]
    assert rows["failed-write"]["error"].startswith("template ")  # the table cuts it at 60
    assert states["fetched-only"] == ["done", "missing", "missing", "missing", "missing"]
    assert rows["all-done"]["error"] == ""


def test_status_follows_the_post_through_a_kept_edit(tmp_path: Path) -> None:
    root = tmp_path / "output"
    episode = make_finished_episode(root, "ep")
    run_recap("write", str(episode.root), check=True)
    post = episode.root / "post" / "index.md"
    post.write_text(post.read_text("utf-8").replace("Mites and wind", "Mites"), "utf-8")
    assert status_table(root)["ep"]["write"] == "edited"
    # A rerun writes index.new.md beside the edit; the edit is still reported.
    run_recap("write", str(episode.root), "--wpm", "150", check=True)
    assert (episode.root / "post" / "index.new.md").exists()
    assert status_table(root)["ep"]["write"] == "edited"
    # The editor adopts recap's version: the post is recap's again.
    (episode.root / "post" / "index.new.md").replace(post)
    run_recap("write", str(episode.root), "--wpm", "150", check=True)
    assert status_table(root)["ep"]["write"] == "done"
    assert not (episode.root / "post" / "index.new.md").exists()


def test_status_of_a_missing_root_is_one_line(tmp_path: Path) -> None:
    proc = run_recap("status", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("recap: error:") and "nowhere" in proc.stderr
