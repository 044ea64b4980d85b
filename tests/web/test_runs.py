"""Runs started from the studio: the real pipeline on a local file, the notes from a fake
OpenAI-compatible server on 127.0.0.1 (scripted replies), progress pushed as server-sent events,
cancel, a rerun with another template and its diff, a feed's plan before a batch."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recap.episode import Episode
from recap.models import Notes
from tests.conftest import DATA
from tests.fake_openai import FakeOpenAI, Reply, fake_openai
from tests.servers import FeedItem, StaticServer, write_feed
from tests.test_faithful_e2e import respond

# Each test transcribes fresh audio with the real Whisper model (30-60 s on two cores).
pytestmark = pytest.mark.slow


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with fake_openai() as fake:
        fake.responder = respond
        yield fake


def events(client: Any, run_id: str) -> list[dict[str, Any]]:
    """Every server-sent event of a run, until its `end`."""
    seen = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if seen[-1]["type"] == "end":
                    break
    return seen


def test_paste_a_source_watch_the_stages_then_rerun_with_another_template(
        client: Any, output_root: Path, tmp_path: Path, llm: FakeOpenAI) -> None:
    source = tmp_path / "media" / "Ask not.wav"
    source.parent.mkdir()
    shutil.copy(DATA / "jfk.wav", source)
    settings = {"llm_base_url": llm.base_url, "llm_model": "fake-model"}
    answer = client.post("/api/runs", json={"source": str(source), **settings})
    assert answer.status_code == 200, answer.text
    slug = answer.json()["slug"]
    assert slug == "ask-not"
    seen = events(client, answer.json()["run"])
    assert seen[-1]["state"] == "done", seen[-1]
    finished = {e["stage"] for e in seen if e["type"] == "stage" and e["status"] == "done"}
    assert finished == {"fetch", "transcribe", "chunk", "notes", "write"}
    assert any(e["type"] == "progress" and e["stage"] == "transcribe" for e in seen)

    detail = client.get(f"/api/episodes/{slug}").json()
    assert all(s["state"] == "done" for s in detail["stages"]), detail["stages"]
    notes = Notes.load(output_root / slug / "notes.json")
    titles = [topic.title for topic in notes.topics]
    assert titles and re.findall(r"^## (.+)$", detail["post"], re.MULTILINE) == titles
    page = client.get(f"/episodes/{slug}").text
    assert re.findall(r"<h2>(.*?)</h2>", page) == titles
    assert f'value="{llm.base_url}"' in page  # the rerun starts from the recorded settings

    template = tmp_path / "short.md.j2"
    template.write_text("{% for topic in topics %}### {{ topic.title }}\n{% endfor %}\n")
    calls = len(llm.completions)
    rerun = client.post(f"/api/episodes/{slug}/rerun",
                        json={**settings, "template": str(template)})
    assert rerun.status_code == 202, rerun.text
    seen = events(client, rerun.json()["run"])
    end = seen[-1]
    assert end["state"] == "done", end
    assert end["result"]["stages"]["notes"] == "skipped"  # only the post depends on a template
    assert end["result"]["stages"]["write"] == "done"
    assert len(llm.completions) == calls
    diff = end["result"]["diff"]
    assert f"-## {titles[0]}" in diff and f"+### {titles[0]}" in diff


def test_cancel_stops_the_run_and_the_next_run_resumes(client: Any, output_root: Path,
                                                       tmp_path: Path, llm: FakeOpenAI) -> None:
    llm.responder = lambda request: Reply(content="{}", delay=30)
    source = tmp_path / "slow.wav"
    shutil.copy(DATA / "jfk.wav", source)
    answer = client.post("/api/runs", json={"source": str(source), "llm_base_url": llm.base_url,
                                            "llm_model": "fake-model"})
    run_id = answer.json()["run"]
    slug = answer.json()["slug"]
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        for line in stream.iter_lines():
            # Cancel as soon as the run is past the download: while it transcribes, or waits
            # on the (slow) LLM if an 11 s clip was transcribed before any progress event.
            if line.startswith("data: ") and ('"transcribe"' in line or '"notes"' in line):
                break
    assert client.post(f"/api/runs/{run_id}/cancel").json()["cancelled"] is True
    end = events(client, run_id)[-1]
    assert end["state"] == "cancelled"
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "cancelled"
    record = Episode(output_root / slug).read_manifest().stages
    assert record["fetch"].status == "done"
    assert "interrupted" in {r.status for r in record.values()}
    assert not list((output_root / slug).rglob(".*.tmp-*"))


def test_a_feed_shows_its_plan_first_then_runs_as_a_batch(client: Any, output_root: Path,
                                                          tmp_path: Path, llm: FakeOpenAI) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(DATA / "jfk.wav", site / "one.wav")
    shutil.copy(DATA / "jfk.wav", site / "two.wav")
    with StaticServer(site) as server:
        feed = write_feed(site / "feed.xml", server.url, [
            FeedItem("First <b>episode</b> &amp; Q&A: 3 < 5", "one.wav", "2024-05-01", 11, mime="audio/wav"),
            FeedItem("Second episode", "two.wav", "2024-05-08", 11, mime="audio/wav")])
        answer = client.post("/api/runs", json={"source": feed})
        assert answer.status_code == 200, answer.text
        plan = answer.json()["plan"]
        assert [e["title"] for e in plan["entries"]] == ["First episode & Q&A: 3 < 5", "Second episode"]
        assert [e["todo"] for e in plan["entries"]] == ["new", "new"]
        assert plan["audio_seconds"] == 22
        assert sorted(p.name for p in output_root.iterdir()) == ["jfk"]  # nothing started

        batch = client.post("/api/batches", json={"source": feed, "llm_base_url": llm.base_url,
                                                  "llm_model": "fake-model"})
        assert batch.status_code == 202
        seen = events(client, batch.json()["run"])
    end = seen[-1]
    # the events in full when an entry fails (pytest would shorten the dicts)
    assert end["state"] == "done" and end["result"]["done"] == 2, json.dumps(
        [e for e in seen if e["type"] != "progress"], default=str)[:6000]
    entries = [e for e in seen if e["type"] == "entry"]
    assert {e["title"] for e in entries} == {"First episode & Q&A: 3 < 5", "Second episode"}
    listed = {e["title"]: e for e in client.get("/api/episodes").json()}
    assert all(s["state"] == "done" for s in listed["Second episode"]["stages"])
