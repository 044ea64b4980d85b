"""Flags as a user types them, through the real `recap` command (issue 14, item 6): --fast,
--no-vad, --prompts, --explain, --limit, --no-draft; h:mm:ss past the hour; two runs of one source
at once make one folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import frontmatter

from recap.episode import Episode, root_lock_path
from recap.models import Bullet, Info, Notes, Topic
from tests.conftest import DATA, run_recap
from tests.servers import FeedItem, StaticServer, write_feed
from tests.test_notes import Model, model, write_episode

__all__ = ["model"]  # the fixture


def episode_with_notes(root: Path, *, duration: float = 60.0, webpage_url: str = "",
                       extractor: str = "generic", bullets_at: tuple[float, ...] = (5.0,)
                       ) -> Episode:
    """An episode folder ready for `recap write`: info, transcript, chunks and notes."""
    episode = write_episode(root)
    info = Info.load(episode.info_path)
    info.duration, info.webpage_url, info.extractor = duration, webpage_url, extractor
    episode.info_path.write_text(info.to_json())
    bullets = [Bullet(f"Point number {i + 1} is made at this moment of the talk.", at, at + 4, [0])
               for i, at in enumerate(bullets_at)]
    episode.notes_path.write_text(Notes([Topic("Only subject", bullets)], language="en").to_json())
    return episode


def front_matter(post: Path) -> dict[str, object]:
    return dict(frontmatter.loads(post.read_text(encoding="utf-8")).metadata)


def test_no_draft_and_the_default_draft(tmp_path: Path) -> None:
    episode = episode_with_notes(tmp_path / "ep")
    first = run_recap("write", str(episode.root), "--format", "hugo")
    assert first.returncode == 0, first.stderr
    post = Path(first.stdout.strip().splitlines()[-1])
    assert front_matter(post)["draft"] is True
    again = run_recap("write", str(episode.root), "--format", "hugo", "--no-draft", "--force")
    assert again.returncode == 0, again.stderr
    assert front_matter(post)["draft"] is False


def test_timestamps_past_the_hour_are_h_mm_ss_and_seek_there(tmp_path: Path) -> None:
    episode = episode_with_notes(tmp_path / "ep", duration=4000.0,
                                 webpage_url="https://www.youtube.com/watch?v=abcdefghijk",
                                 extractor="youtube", bullets_at=(65.0, 3725.4))
    proc = run_recap("write", str(episode.root), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    text = Path(proc.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "([1:05](https://www.youtube.com/watch?v=abcdefghijk&t=65s))" in text
    assert "([1:02:05](https://www.youtube.com/watch?v=abcdefghijk&t=3725s))" in text
    assert "67 minutes" in text


def test_explain_shows_what_each_bullet_rests_on(tmp_path: Path) -> None:
    episode = episode_with_notes(tmp_path / "ep")
    proc = run_recap("notes", str(episode.root), "--explain")
    assert proc.returncode == 0, proc.stderr
    assert "Point number 1 is made" in proc.stdout
    assert "(S0)" in proc.stdout and "Hello and welcome to Field Notes" in proc.stdout


def test_prompts_folder_is_the_one_used(model: Model, tmp_path: Path) -> None:
    episode = write_episode(tmp_path / "ep")
    prompts = tmp_path / "my-prompts"
    shutil.copytree(Path(__file__).resolve().parent.parent / "prompts", prompts)
    extract = prompts / "extract.md"
    extract.write_text(extract.read_text().replace(
        "You are a careful note-taker.", "You are a careful note-taker for the Larkspur blog."))
    proc = run_recap("notes", str(episode.root), "--prompts", str(prompts),
                     "--llm-base-url", model.server.base_url, "--llm-model", "fake-model")
    assert proc.returncode == 0, proc.stderr
    systems = [m["content"] for r in model.requests("extract") for m in r["messages"]
               if m["role"] == "system"]
    assert systems and all("for the Larkspur blog" in s for s in systems)
    (prompts / "titles.md").write_text("# system\nNo user part and a {nonsense} variable.\n")
    broken = run_recap("notes", str(episode.root), "--prompts", str(prompts), "--force",
                       "--llm-base-url", model.server.base_url, "--llm-model", "fake-model")
    assert broken.returncode != 0 and "titles.md" in broken.stderr
    assert "Traceback" not in broken.stderr and broken.stderr.strip().count("\n") == 0


def test_limit_takes_the_first_entries_of_a_feed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for name in ("one", "two", "three"):
        shutil.copy(DATA / "jfk.wav", site / f"{name}.wav")
    with StaticServer(site) as server:
        feed = write_feed(site / "feed.xml", server.url, [
            FeedItem(title, f"{title.lower()}.wav", date, 11, mime="audio/wav")
            for title, date in (("One", "2024-05-03"), ("Two", "2024-05-02"),
                                ("Three", "2024-05-01"))])
        proc = run_recap("batch", feed, "-o", str(tmp_path / "out"), "--limit", "2", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "One" in proc.stdout and "Two" in proc.stdout and "Three" not in proc.stdout
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_fast_and_no_vad_reach_the_transcription(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_recap("run", str(DATA / "jfk.wav"), "-o", str(out), "--stop-after", "transcribe",
                     "--fast", "--no-vad")
    assert proc.returncode == 0, proc.stderr
    record = Episode(out / "jfk").stage_record("transcribe")
    assert record is not None and record.status == "done"
    assert record.params["vad"] is False and record.params["fast"] is True, record.params
    transcript = json.loads((out / "jfk" / "transcript.json").read_text())
    assert "country" in " ".join(s["text"] for s in transcript["segments"]).lower()


def test_two_runs_of_one_source_at_once_make_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "recap", "run", str(DATA / "jfk.wav"), "-o", str(out),
               "--stop-after", "fetch"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    # Either both succeed (the second finds the first's fetch done) or the second is told,
    # in one line, that another recap holds the folder; never a second folder.
    assert sorted(p.name for p in out.iterdir()) == ["jfk"], results
    for code, (_, stderr) in zip(codes, results, strict=True):
        assert code == 0 or ("another recap process" in stderr and "Traceback" not in stderr)
    assert 0 in codes
    assert Episode(out / "jfk").stage_record("fetch").status == "done"  # type: ignore[union-attr]


def test_a_second_batch_on_the_same_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for name in ("one", "two", "three"):
        shutil.copy(DATA / "jfk.wav", site / f"{name}.wav")
    out = tmp_path / "out"
    lock = root_lock_path(out, "batch")
    with StaticServer(site) as server:
        feed = write_feed(site / "feed.xml", server.url, [
            FeedItem(name.title(), f"{name}.wav", f"2024-05-0{n}", 11, mime="audio/wav")
            for n, name in enumerate(("one", "two", "three"), 1)])
        first = subprocess.Popen([sys.executable, "-m", "recap", "batch", feed, "-o", str(out),
                                  "--stop-after", "transcribe"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not (lock.is_file() and lock.read_text().strip()):  # the first one holds it
                assert first.poll() is None, first.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            second = run_recap("batch", feed, "-o", str(out), "--stop-after", "transcribe")
            _, first_err = first.communicate(timeout=300)
        finally:
            if first.poll() is None:
                first.kill()
    assert second.returncode != 0
    assert f"another recap batch (pid {first.pid}) is running in {out}" in second.stderr
    assert second.stderr.strip().count("\n") == 0 and "Traceback" not in second.stderr
    assert first.returncode == 0, first_err
    statuses = {e["title"]: e["status"] for e in json.loads((out / "batch.json").read_text())[
        "entries"]}
    assert statuses == {"One": "done", "Two": "done", "Three": "done"}
