"""YouTube as it is: recorded info dicts, one episode per video whatever the link, and one line of
advice for each refusal, all through the real `recap` command and yt-dlp.

No network: a yt-dlp plugin (tests/ytdlp_plugins, on the subprocess's PYTHONPATH only) answers
YouTube links from recordings, serving media from a local HTTP server, or raising the error
YouTube's extractor raises for a recorded playability status.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from recap import media, pipeline
from recap.fetch import normalise_info, normalise_source
from recap.models import Info
from recap.youtube import advice, canonical_url, video_id
from tests.conftest import DATA, run_recap
from tests.servers import StaticServer

PLUGINS = Path(__file__).resolve().parent / "ytdlp_plugins"
RECORDED = json.loads((DATA / "youtube-info.json").read_text())
VIDEO = RECORDED["id"]
WATCH = f"https://www.youtube.com/watch?v={VIDEO}"

LINKS = [
    f"https://youtu.be/{VIDEO}",
    f"https://youtu.be/{VIDEO}?si=Xq3vB8kR2mPz7TcL&t=42",
    f"https://www.youtube.com/watch?v={VIDEO}&si=Xq3vB8kR2mPz7TcL",
    f"https://www.youtube.com/watch?v={VIDEO}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=3",
    f"https://www.youtube.com/watch?app=desktop&v={VIDEO}&pp=ygUEYmVlcw%3D%3D",
    f"https://m.youtube.com/watch?v={VIDEO}",
    f"https://music.youtube.com/watch?v={VIDEO}&feature=share",
    f"https://www.youtube.com/shorts/{VIDEO}",
    f"https://youtube.com/shorts/{VIDEO}?feature=share",
    f"https://www.youtube.com/live/{VIDEO}?si=abc",
    f"https://www.youtube.com/embed/{VIDEO}?start=30",
    f"https://www.youtube-nocookie.com/embed/{VIDEO}",
    f"http://www.youtube.com/watch?v={VIDEO}#t=1m",
    f"youtu.be/{VIDEO}",
    f"www.youtube.com/watch?v={VIDEO}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
]


# ---------------------------------------------------------------- URL identity

@pytest.mark.parametrize("link", LINKS)
def test_every_form_of_a_link_to_one_video_is_one_source(link: str) -> None:
    assert normalise_source(link) == WATCH


@pytest.mark.parametrize("link", [
    "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/@urbanecologylab/videos",
    "https://www.youtube.com/channel/UCz9rH1bVv0kq0Jf3gk3Zq0Q",
    "https://www.youtube.com/watch?v=tooshort",
    "https://example.com/watch?v=b1EeS0nTh2Q",
    "https://notyoutube.com/shorts/b1EeS0nTh2Q",
])
def test_links_that_are_not_one_video_are_kept_as_given(link: str) -> None:
    assert video_id(link) is None
    assert canonical_url(link) == link == normalise_source(link)


# ---------------------------------------------------------------- info.json from recorded dicts

def test_recorded_info_dict_is_normalised() -> None:
    info = normalise_info(RECORDED, WATCH, "audio.m4a")
    assert info.title == RECORDED["title"]
    assert info.upload_date == "2024-01-15"
    assert info.duration == 11.0
    assert info.uploader == "Urban Ecology Lab"
    assert info.webpage_url == WATCH and info.id == VIDEO
    assert info.extractor == "Youtube" and info.seekable
    assert [(c.title, c.start, c.end) for c in info.chapters] == [
        ("Intro", 0.0, 4.0), ("Rooftop hives", 4.0, 8.0), ("What the bees eat", 8.0, 11.0)]
    assert info.thumbnail == RECORDED["thumbnail"]
    assert info.description.startswith("Rooftop hives are everywhere now.")


def test_recorded_dict_variants_thumbnails_only_no_date_open_chapter() -> None:
    raw = {key: value for key, value in RECORDED.items()
           if key not in ("thumbnail", "upload_date", "uploader")}
    raw["chapters"] = [{"start_time": 0.0, "title": "Intro"},
                       {"start_time": 4.0, "title": "Rest"}]
    info = normalise_info(raw, WATCH, "audio.m4a")
    assert info.thumbnail == "cover.png"  # the list's most preferred: 1280x720
    assert info.upload_date == "2024-01-15"  # from `timestamp`
    assert info.uploader == "Urban Ecology Lab"  # from `channel`
    assert [(c.start, c.end) for c in info.chapters] == [(0.0, 4.0), (4.0, 11.0)]


# ---------------------------------------------------------------- through `recap`

@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The recorded video's media and thumbnails on 127.0.0.1."""
    root = tmp_path_factory.mktemp("youtube-site")
    ffmpeg = media.ffmpeg_exe()
    for name, codec in (("jfk.m4a", "aac"), ("jfk.webm", "libopus")):
        subprocess.run([ffmpeg, "-v", "error", "-i", str(DATA / "jfk.wav"), "-c:a", codec,
                        str(root / name)], check=True)
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "color=c=orange:s=64x36",
                    "-frames:v", "1", str(root / "cover.png")], check=True)
    with StaticServer(root) as server:
        yield server


def recorded(tmp_path: Path, base: str, videos: dict) -> dict[str, str]:
    """The environment that has `recap` answer YouTube links from `videos`."""
    path = tmp_path / "recordings.json"
    path.write_text(json.dumps({"base": base, "videos": videos}))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    pythonpath = os.pathsep.join(p for p in (str(PLUGINS), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": pythonpath, "RECAP_TEST_RECORDED_YOUTUBE": str(path),
            "HOME": str(home)}


def test_fetch_of_a_recorded_video_and_resume_from_other_links(site, tmp_path: Path) -> None:
    env = recorded(tmp_path, site.url, {VIDEO: {"info": RECORDED}})
    out = tmp_path / "out"
    proc = run_recap("fetch", f"https://youtu.be/{VIDEO}?si=Xq3vB8kR2mPz7TcL", "-o", str(out),
                     env=env)
    assert proc.returncode == 0, proc.stderr
    folder = Path(proc.stdout.strip().splitlines()[-1])
    info = json.loads((folder / "info.json").read_text())
    assert info["source"] == WATCH and info["webpage_url"] == WATCH
    assert info["title"] == RECORDED["title"] and info["upload_date"] == "2024-01-15"
    assert info["uploader"] == "Urban Ecology Lab" and info["extractor"] == "Youtube"
    assert [c["title"] for c in info["chapters"]] == ["Intro", "Rooftop hives",
                                                      "What the bees eat"]
    audio = info["audio_file"]  # the best audio-only format, as yt-dlp ranks them
    assert audio in ("audio.m4a", "audio.webm")
    assert (folder / audio).read_bytes() == (Path(site.root) / f"jfk{audio[5:]}").read_bytes()
    assert info["thumbnail"].endswith("/cover.png")
    assert (folder / "hero.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    downloads = [r for r in site.requests if r[1].startswith("/jfk.")]

    # Another form of the link resumes the same episode: nothing is fetched again.
    proc = run_recap("run", LINKS[3], "-o", str(out), "--stop-after", "fetch", env=env)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip().splitlines()[-1]) == folder
    assert [r for r in site.requests if r[1].startswith("/jfk.")] == downloads
    assert [p.name for p in out.iterdir() if p.is_dir()] == [folder.name]
    for link in LINKS:
        found = pipeline.locate_episode(link, out)
        assert found is not None and found.root == folder, link


def test_folder_fetched_from_a_short_link_before_is_found_by_any_link(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "city-bees"
    folder.mkdir(parents=True)
    old = Info(title="t", duration=1.0, audio_file="audio.m4a", source=f"https://youtu.be/{VIDEO}")
    (folder / "info.json").write_text(old.to_json())
    for link in (WATCH, LINKS[8]):
        found = pipeline.locate_episode(link, tmp_path / "out")
        assert found is not None and found.root == folder


# ---------------------------------------------------------------- refusals

REFUSALS = {
    # id: (YouTube's playability status, what the one line must say)
    "botCheck001": ({"reason": "Sign in to confirm you\u2019re not a bot. This helps protect our "
                               "community. Learn more"},
                    "not a bot; pass the cookies of a browser signed in to YouTube: "
                    "--cookies-from-browser firefox"),
    "ageGate0001": ({"reason": "Sign in to confirm your age",
                     "subreason": "This video may be inappropriate for some users."},
                    "age-restricted; pass the cookies of a browser signed in to an adult "
                    "YouTube account: --cookies-from-browser firefox"),
    "privateVid1": ({"reason": "Private video",
                     "subreason": "Sign in if you've been granted access to this video"},
                    "the video is private; only accounts its owner invited can watch it"),
    "membersOnly": ({"reason": "Join this channel to get access to members-only content like "
                               "this video, and other exclusive perks."},
                    "for the channel's members only; pass the cookies of a browser signed in to "
                    "a member's account: --cookies-from-browser firefox"),
    "removedVid1": ({"reason": "Video unavailable",
                     "subreason": "This video has been removed by the uploader"},
                    "the video is unavailable (removed, or the link is wrong)"),
    "termAcct001": ({"reason": "Video unavailable", "subreason": "This video is no longer "
                     "available because the YouTube account associated with this video has "
                     "been terminated."},
                    "the YouTube account that uploaded it has been terminated"),
    "upcomingLv1": ({"reason": "This live event will begin in 3 hours."},
                    "a live event or premiere that has not started yet (This live event will "
                    "begin in 3 hours); run recap again once it has ended"),
    "geoBlocked1": ({"reason": "Video unavailable", "subreason": "The uploader has not made this "
                     "video available in your country", "countries": ["DE", "FR"]},
                    "not made the video available in this country (it is available in Germany, "
                    "France); recap cannot change that"),
    "rateLimit01": ({"reason": "This content isn\u2019t available, try again later."},
                    "YouTube is rate-limiting requests from here; wait up to an hour"),
}


@pytest.mark.parametrize("vid", sorted(REFUSALS))
def test_each_refusal_is_one_line_of_advice(site, tmp_path: Path, vid: str) -> None:
    status, expected = REFUSALS[vid]
    env = recorded(tmp_path, site.url, {vid: {"refusal": status}})
    url = f"https://www.youtube.com/watch?v={vid}"
    proc = run_recap("fetch", f"https://youtu.be/{vid}?si=abc", "-o", str(tmp_path / "out"),
                     env=env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"recap: error: cannot fetch {url}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert "github.com" not in lines[0]  # yt-dlp's wiki links are left out
    assert not list((tmp_path / "out").glob("*/info.json"))


def test_a_refusal_despite_cookies_asks_for_fresh_ones(site, tmp_path: Path) -> None:
    status, _ = REFUSALS["botCheck001"]
    env = recorded(tmp_path, site.url, {"botCheck001": {"refusal": status}})
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       ".youtube.com\tTRUE\t/\tTRUE\t2145916800\tSID\texpired\n")
    proc = run_recap("fetch", "https://youtu.be/botCheck001", "-o", str(tmp_path / "out"),
                     "--cookies", str(cookies), env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "recap: error: cannot fetch https://www.youtube.com/watch?v=botCheck001: YouTube asks to "
        "sign in to confirm this is not a bot; the cookies given did not get past it: export "
        "fresh ones from a browser signed in to the right account (they expire, and YouTube "
        "rotates them)")


def test_advice_is_none_for_other_errors() -> None:
    assert advice("ERROR: [generic] Unable to download webpage: HTTP Error 500") is None
    assert advice("ERROR: Unsupported URL: https://example.com/catalog in the shop") is None
