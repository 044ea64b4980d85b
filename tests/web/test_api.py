"""The studio's API contract (README "Studio"), against the real app and real episode folders."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from recap.episode import STAGES, Episode
from recap.status import collect_status
from tests.conftest import DATA, run_recap
from tests.web.conftest import HOSTILE_NOTES, write_notes


def page_csrf(client: Any) -> str:
    html = client.get("/").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, html[:500]
    return match.group(1)


def test_episodes_list_and_detail_follow_recap_status(client: Any, output_root: Path) -> None:
    listing = client.get("/api/episodes")
    assert listing.status_code == 200
    rows = listing.json()
    assert [row["slug"] for row in rows] == ["jfk"]
    status = {row.slug: row.stages for row in collect_status(output_root)}
    assert {s["name"]: s["state"] for s in rows[0]["stages"]} == status["jfk"]

    detail = client.get("/api/episodes/jfk").json()
    assert [s["name"] for s in detail["stages"]] == list(STAGES)
    states = {s["name"]: s["state"] for s in detail["stages"]}
    assert states["fetch"] == states["transcribe"] == states["write"] == "done"
    post = (output_root / "jfk" / "post" / "index.md").read_text(encoding="utf-8")
    assert detail["post"] == post
    assert client.get("/api/episodes/nope").status_code == 404


def test_review_page_has_a_section_per_topic_and_bullets_tied_to_their_moment(client: Any) -> None:
    page = client.get("/episodes/jfk")
    assert page.status_code == 200
    assert re.findall(r"<h2>(.*?)</h2>", page.text) == ["Ask not", "Ask what you can do"]
    bullets = re.findall(r'<li class="bullet" data-start="([\d.]+)" data-end="([\d.]+)" '
                         r'data-segments="([\d ]*)">', page.text)
    assert bullets == [("0.00", "8.00", "0"), ("8.00", "11.00", "1")]
    assert 'id="seg-1"' in page.text and "ask what you can do for your country" in page.text
    assert "Check report" in page.text and "2 bullets" in page.text
    assert '<audio id="player"' in page.text


def test_audio_is_served_with_ranges_so_the_page_can_seek(client: Any) -> None:
    whole = client.get("/episodes/jfk/audio")
    assert whole.status_code == 200 and whole.headers["content-type"].startswith("audio/")
    part = client.get("/episodes/jfk/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]


def test_a_post_saved_in_the_page_survives_recap_write(client: Any, output_root: Path) -> None:
    folder = output_root / "jfk"
    post = folder / "post" / "index.md"
    edited = post.read_text(encoding="utf-8").replace("A short speech.", "My own opening line.")
    answer = client.put("/api/episodes/jfk/post", json={"markdown": edited},
                        headers={"Origin": "http://127.0.0.1:8765",
                                 "X-CSRF-Token": page_csrf(client)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["saved"] == "post/index.md"
    assert {s["name"]: s["state"] for s in answer.json()["stages"]}["write"] == "edited"
    assert post.read_text(encoding="utf-8") == edited
    assert not list(folder.rglob(".*.tmp-*"))

    # the real command keeps the hand edit and writes its own version beside it
    proc = run_recap("write", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert post.read_text(encoding="utf-8") == edited
    assert (folder / "post" / "index.new.md").is_file()
    detail = client.get("/api/episodes/jfk").json()
    assert detail["post"] == edited and detail["pending_post"] == "post/index.new.md"
    assert "index.new.md" in client.get("/episodes/jfk").text


def test_bundle_zip_holds_the_post(client: Any, output_root: Path) -> None:
    answer = client.get("/episodes/jfk/bundle.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert names[0] == "jfk/index.md"
        assert archive.read("jfk/index.md") == (output_root / "jfk/post/index.md").read_bytes()


def test_a_404_url_is_one_clear_message(client: Any) -> None:
    from tests.servers import StaticServer

    with StaticServer(DATA) as server:
        answer = client.post("/api/runs", json={"source": f"{server.url}/missing-episode.mp3"})
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert "404" in message and "Traceback" not in message and "\n" not in message


def test_a_missing_file_and_a_bad_body_are_one_clear_message(client: Any) -> None:
    answer = client.post("/api/runs", json={"source": "/nowhere/episode.mp3"})
    assert answer.status_code == 400 and "does not exist" in answer.json()["error"]
    answer = client.post("/api/runs", content=b"not json", headers={"content-type": "text/plain"})
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]
    answer = client.post("/api/runs", json={"url": "x"})
    assert answer.status_code == 400 and "source" in answer.json()["error"]


def test_a_non_media_upload_is_refused_with_one_message(client: Any, output_root: Path) -> None:
    answer = client.post("/api/uploads", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert answer.status_code == 400
    assert answer.json() == {"error": "notes.txt is not an audio or video file (accepted: mp3, "
                             "m4a, aac, ogg, opus, oga, wav, flac, wma, mp4, m4v, mkv, webm, "
                             "mov, avi)"}
    # a media name and type over a file that is not media: fetch's own one-line reason
    answer = client.post("/api/uploads", files={"file": ("talk.mp3", b"not audio" * 100,
                                                         "audio/mpeg")})
    assert answer.status_code == 400, answer.text
    assert "Traceback" not in answer.json()["error"]
    assert [p.name for p in output_root.iterdir() if p.name != ".uploads"] == ["jfk"]


def test_an_upload_over_the_limit_is_refused(output_root: Path) -> None:
    from starlette.testclient import TestClient

    from recap.web.app import create_app

    with TestClient(create_app(output_root, max_upload_bytes=1000),
                    base_url="http://127.0.0.1:8765") as small:
        answer = small.post("/api/uploads", files={"file": ("big.wav", b"0" * 5000, "audio/wav")})
    assert answer.status_code == 413 and "larger" in answer.json()["error"]
    assert not list(output_root.rglob("big*")) and not list(output_root.rglob(".*.tmp-*"))


def test_hostile_titles_and_notes_render_as_text(client: Any, output_root: Path) -> None:
    folder = output_root / "jfk"
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    info["title"] = "<script>alert(1)</script>"
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    write_notes(folder, HOSTILE_NOTES)
    for url in ("/", "/episodes/jfk"):
        html = client.get(url).text.lower()
        for tag in ("<script>alert", "<img src=x", "<iframe"):
            assert tag not in html, (url, tag)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert client.get("/api/episodes").json()[0]["title"] == "<script>alert(1)</script>"
    assert Episode(folder).stage_record("write") is not None
