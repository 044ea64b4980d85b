"""Fetch stage: yt-dlp against a real HTTP server on 127.0.0.1, and local files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from recap import media
from recap.errors import FetchError, InputError, MediaError
from recap.fetch import clean_ytdlp_error, fetch, normalise_source
from tests.conftest import DATA
from tests.servers import StaticServer, write_audio_page


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "jfk.wav", root / "jfk.wav")
    subprocess.run([media.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=orange:s=64x36", "-frames:v", "1", str(root / "cover.png")], check=True)
    (root / "notes.html").write_text("<html><body><p>No media here, only words.</p></body></html>")
    with StaticServer(root) as server:
        yield root, server


def test_direct_media_link(site, tmp_path: Path) -> None:
    root, server = site
    progress: list[tuple[float, float | None]] = []
    episode, info = fetch(f"{server.url}/jfk.wav", tmp_path / "out",
                          progress=lambda d, t: progress.append((d, t)))
    audio = episode.root / info.audio_file
    assert audio.read_bytes() == (root / "jfk.wav").read_bytes()
    assert info.source == f"{server.url}/jfk.wav" and info.extractor
    assert progress and progress[-1][0] == audio.stat().st_size
    saved = json.loads(episode.info_path.read_text())
    assert saved["audio_file"] == info.audio_file and saved["duration"] >= 0
    assert not list((tmp_path / "out").glob(".fetch-*")), "temporary download folder left behind"


def test_page_with_audio_element_and_thumbnail(site, tmp_path: Path) -> None:
    root, server = site
    page = root / "episode.html"
    write_audio_page(page, server.url, "jfk.wav", title="Ask Not: an inaugural address")
    html = page.read_text().replace(
        "</head>", f'<meta property="og:image" content="{server.url}/cover.png"></head>')
    page.write_text(html)
    episode, info = fetch(f"{server.url}/episode.html", tmp_path / "out")
    assert info.title.startswith("Ask Not")
    assert episode.root.name.startswith("ask-not-an-inaugural-address")
    assert (episode.root / info.audio_file).stat().st_size == (root / "jfk.wav").stat().st_size
    assert episode.hero_path.read_bytes()[:3] == b"\xff\xd8\xff", "hero.jpg must be a JPEG"
    assert info.thumbnail


def test_404_and_page_without_media(site, tmp_path: Path) -> None:
    _, server = site
    with pytest.raises(FetchError, match="404"):
        fetch(f"{server.url}/missing.mp3", tmp_path / "out")
    with pytest.raises(FetchError, match="no media found"):
        fetch(f"{server.url}/notes.html", tmp_path / "out")
    assert not list((tmp_path / "out").iterdir()), "a failed fetch must leave nothing"


def test_connection_refused_is_one_clear_error(tmp_path: Path) -> None:
    from tests.servers import free_port

    with pytest.raises(FetchError, match="cannot fetch"):
        fetch(f"http://127.0.0.1:{free_port()}/a.mp3", tmp_path / "out")


def test_local_file_is_copied_with_metadata(tmp_path: Path) -> None:
    episode, info = fetch(str(DATA / "jfk.wav"), tmp_path / "out")
    assert info.extractor == "local" and info.title == "jfk"
    assert (episode.root / "audio.wav").read_bytes() == (DATA / "jfk.wav").read_bytes()


def test_local_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        fetch(str(tmp_path / "nope.mp3"), tmp_path / "out")
    with pytest.raises(InputError, match="directory"):
        fetch(str(tmp_path), tmp_path / "out")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(MediaError, match="not an audio"):
        fetch(str(junk), tmp_path / "out")


def test_sources_are_validated() -> None:
    with pytest.raises(InputError, match="scheme"):
        normalise_source("ftp://host/x.mp3")
    with pytest.raises(InputError, match="NUL"):
        normalise_source("a\x00b")
    assert normalise_source("file:///tmp/a%20b.mp3") == "/tmp/a b.mp3"


def test_ytdlp_errors_become_one_line() -> None:
    msg = ("\x1b[0;31mERROR:\x1b[0m [generic] Unable to download webpage: HTTP Error 404: "
           "Not Found (caused by <HTTPError 404>)\nmore")
    assert clean_ytdlp_error(msg, "http://x") == "http://x was not found (HTTP 404)"
    assert "\n" not in clean_ytdlp_error("ERROR: boom\nsecond line", "http://x")


def test_a_local_files_tags_give_its_title_and_description(tmp_path: Path) -> None:
    """A podcast MP3 carries its title and show notes as tags: they are the episode's title and
    description, a description of several lines whole. A comment tag is not read: it as often
    says how the file was made."""
    import subprocess

    from recap.media import ffmpeg_exe

    def tagged(name: str, *tags: str) -> Path:
        target = tmp_path / name
        metadata = [arg for tag in tags for arg in ("-metadata", tag)]
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                        "-i", str(DATA / "jfk.wav"), *metadata, str(target)], check=True)
        return target

    notes = tagged("episode.mp3", "title=Harbour Hour: the ferry",
                   "description=Ottilie Brandvold of Pelican Ferries.\nAnd your letters.")
    _, info = fetch(str(notes), tmp_path / "out")
    assert info.title == "Harbour Hour: the ferry"
    assert info.description == "Ottilie Brandvold of Pelican Ferries.\nAnd your letters."
    made = tagged("made.mp3", "title=Harbour Hour", "comment=Encoded with two synthetic voices")
    _, info = fetch(str(made), tmp_path / "out")
    assert info.description == ""
