"""Feeds shaped like real hosts' feeds, served on 127.0.0.1: iTunes and Podcasting 2.0 namespaces,
CDATA and HTML, tracking-redirect chains, missing and wrong lengths, duplicate guids, relative
URLs, an Atom feed; the transcripts they (and sites) carry, through `recap batch` into posts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import pytest

from recap import batch
from recap.episode import Episode
from recap.models import Bullet, Info, Notes, Topic, Transcript
from recap.sources import extras
from recap.sources.feeds import parse_duration, parse_feed
from recap.transcribe import TranscribeOptions, existing_transcript
from tests.conftest import DATA, run_recap
from tests.feed_site import JFK_CUES, RedirectingServer, make_image, make_media, srt, vtt

TRACKING = "/podtrac/redirect.mp4/chtbl/track/jfk.mp4"
LINK = "https://fieldnotes.example/episodes/ask-not"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <atom:link href="{base}/feeds/show.xml" rel="self" type="application/rss+xml"/>
  <title><![CDATA[Field Notes & Friends]]></title>
  <link>https://fieldnotes.example/</link>
  <language>en-us</language>
  <itunes:author>Field Notes Media</itunes:author>
  <itunes:image href="/art/cover.png"/>
  <description><![CDATA[<p>A show about <em>things</em>.</p>]]></description>
  <item>
    <title>Ask not: the inaugural address</title>
    <link>{link}</link>
    <guid isPermaLink="false">fn-0003</guid>
    <pubDate>Fri, 01 Mar 2024 06:00:00 -0500</pubDate>
    <itunes:episode>3</itunes:episode>
    <itunes:author>Kennedy Library</itunes:author>
    <itunes:duration>00:00:11</itunes:duration>
    <itunes:image href="../art/ep3.png"/>
    <description><![CDATA[<p>The <b>inaugural</b> address &amp; what it asks.</p>
<script>alert("feed")</script><p>Second paragraph with a <a href="https://x.example">link</a>.</p>]]></description>
    <content:encoded><![CDATA[<h2>Show notes</h2><ul><li>One</li></ul>]]></content:encoded>
    <enclosure url="{base}{tracking}" type="video/mp4"/>
    <podcast:transcript url="/t/jfk.json" type="application/json" language="en"/>
    <podcast:transcript url="../t/jfk.vtt" type="text/vtt" language="en"/>
    <podcast:transcript url="/t/jfk.html" type="text/html" language="en"/>
  </item>
  <item>
    <title>Ask not, in m4a</title>
    <guid>fn-0002</guid>
    <pubDate>Thu, 01 Feb 2024 12:00:00 GMT</pubDate>
    <itunes:duration>0:11</itunes:duration>
    <description>Plain words &amp; nothing else&nbsp;here.</description>
    <enclosure url="/media/jfk.m4a" length="999999999" type="audio/x-m4a"/>
  </item>
  <item>
    <title>Ask not, re-uploaded in ogg</title>
    <guid>fn-0002</guid>
    <pubDate>Mon, 01 Jan 2024 12:00:00 +0000</pubDate>
    <itunes:duration>11</itunes:duration>
    <description><![CDATA[Re-uploaded.]]></description>
    <enclosure url="../media/jfk.ogg" length="12" type="audio/ogg"/>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
      xml:lang="en">
  <title>An Atom show</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <updated>2024-04-02T10:00:00Z</updated>
  <author><name>Atom Author</name></author>
  <logo>/art/cover.png</logo>
  <entry>
    <title type="html">Ask &lt;i&gt;not&lt;/i&gt;</title>
    <id>tag:atom.example,2024:1</id>
    <link rel="alternate" href="/episodes/1.html"/>
    <link rel="enclosure" href="../media/jfk.ogg" type="audio/ogg" length="1"/>
    <published>2024-04-01T23:30:00-02:00</published>
    <itunes:duration>1:02:03</itunes:duration>
    <summary type="html">&lt;p&gt;An &lt;b&gt;Atom&lt;/b&gt; entry.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Second</title>
    <id>tag:atom.example,2024:2</id>
    <link rel="enclosure" href="/media/jfk.m4a" type="audio/mp4"/>
    <updated>2024-03-01T08:00:00Z</updated>
    <content type="html">&lt;p&gt;Only content.&lt;/p&gt;</content>
  </entry>
</feed>
"""

HTML_TRANSCRIPT = """<html><body><cite>JFK:</cite><time>0:00</time><p>And so, my fellow
Americans,</p></body></html>"""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("feed-media")
    for kind in ("mp4", "m4a", "ogg"):
        make_media(DATA / "jfk.wav", folder, kind, "jfk")
    make_image(folder / "cover.png")
    return folder


@pytest.fixture
def host(tmp_path: Path, media: Path) -> Iterator[RedirectingServer]:
    """A podcast host: media on a CDN path behind a two-hop tracking chain, transcripts, art."""
    root = tmp_path / "site"
    for sub in ("cdn", "media", "t", "art", "feeds"):
        (root / sub).mkdir(parents=True)
    shutil.copy(media / "jfk.mp4", root / "cdn" / "jfk.mp4")
    shutil.copy(media / "jfk.m4a", root / "media" / "jfk.m4a")
    shutil.copy(media / "jfk.ogg", root / "media" / "jfk.ogg")
    for name in ("cover.png", "ep3.png"):
        shutil.copy(media / "cover.png", root / "art" / name)
    (root / "t" / "jfk.vtt").write_text(vtt(JFK_CUES), encoding="utf-8")
    (root / "t" / "jfk.json").write_text(json.dumps({"version": "1.0.0", "segments": [
        {"startTime": a, "endTime": b, "body": "from the JSON"} for a, b, _ in JFK_CUES]}))
    (root / "t" / "jfk.html").write_text(HTML_TRANSCRIPT, encoding="utf-8")
    with RedirectingServer(root) as server:
        # A relative Location, then an absolute one on the "CDN".
        server.redirects["/podtrac/redirect.mp4/chtbl/track/jfk.mp4"] = (
            302, "/chtbl/track/jfk.mp4")
        server.redirects["/chtbl/track/jfk.mp4"] = (301, f"{server.url}/cdn/jfk.mp4")
        (root / "feeds" / "show.xml").write_text(
            RSS.format(base=server.url, link=LINK, tracking=TRACKING), encoding="utf-8")
        (root / "feeds" / "atom.xml").write_text(ATOM, encoding="utf-8")
        yield server


def _media_requests(server: RedirectingServer) -> list[str]:
    return [path for method, path, _ in server.requests
            if path.startswith(("/cdn/", "/media/", "/podtrac/", "/chtbl/"))]


# ---------------------------------------------------------------- listing

def test_a_feed_as_hosts_write_it_is_listed_flat(host: RedirectingServer, tmp_path: Path) -> None:
    base = host.url
    listing = batch.expand(f"{base}/feeds/show.xml")
    assert listing.title == "Field Notes & Friends"
    entries = listing.entries
    assert [e.title for e in entries] == ["Ask not: the inaugural address", "Ask not, in m4a",
                                          "Ask not, re-uploaded in ogg"]
    # The enclosure as published (tracking prefix kept); relative URLs made absolute.
    assert [e.source for e in entries] == [f"{base}{TRACKING}", f"{base}/media/jfk.m4a",
                                           f"{base}/media/jfk.ogg"]
    assert [e.webpage_url for e in entries] == [LINK, entries[1].source, entries[2].source]
    # Duplicate guids still give each entry its own id.
    assert [e.id for e in entries] == ["fn-0003", "fn-0002", "fn-0002#2"]
    assert [e.duration for e in entries] == [11.0, 11.0, 11.0]
    assert [e.upload_date for e in entries] == ["2024-03-01", "2024-02-01", "2024-01-01"]
    assert [e.uploader for e in entries] == ["Kennedy Library", "Field Notes Media",
                                             "Field Notes Media"]
    assert [e.thumbnail for e in entries] == [f"{base}/art/ep3.png", f"{base}/art/cover.png",
                                              f"{base}/art/cover.png"]
    assert [e.episode_number for e in entries] == [3, None, None]
    # HTML becomes plain text: paragraphs kept, tags and scripts gone, entities decoded.
    assert entries[0].description == ("The inaugural address & what it asks.\n\n"
                                      "Second paragraph with a link.")
    assert entries[1].description == "Plain words & nothing else here."
    assert [t["url"] for t in entries[0].transcripts] == [
        f"{base}/t/jfk.json", f"{base}/t/jfk.vtt", f"{base}/t/jfk.html"]
    assert all(e.transparent for e in entries)
    assert _media_requests(host) == [], "listing must not download media"
    # The plan counts no Whisper time for the episode whose feed has its transcript.
    from recap.pipeline import RunOptions

    plan = batch.make_plan(listing.source, batch.select(entries), tmp_path / "out",
                           RunOptions(stop_after="transcribe"), speed=10.0)
    assert plan.total_seconds == 33.0 and plan.transcribe_seconds_todo == 22.0


def test_an_atom_feed_is_listed(host: RedirectingServer) -> None:
    base = host.url
    listing = batch.expand(f"{base}/feeds/atom.xml")
    assert listing.title == "An Atom show"
    first, second = listing.entries
    assert (first.title, first.source, first.webpage_url) == (
        "Ask not", f"{base}/media/jfk.ogg", f"{base}/episodes/1.html")
    assert (first.upload_date, first.duration, first.uploader) == ("2024-04-02", 3723.0,
                                                                   "Atom Author")
    assert first.description == "An Atom entry." and first.thumbnail == f"{base}/art/cover.png"
    assert (second.source, second.upload_date, second.description) == (
        f"{base}/media/jfk.m4a", "2024-03-01", "Only content.")
    assert _media_requests(host) == []


@pytest.mark.parametrize("text, seconds", [
    ("01:02:03", 3723.0), ("1:02:03", 3723.0), ("62:03", 3723.0), ("0:11", 11.0),
    ("3723", 3723.0), ("3723.5", 3723.5), ("", None), ("about an hour", None), ("-5", None),
    ("1:2:3:4", None),
])
def test_itunes_durations_in_every_shape(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_a_feed_never_points_at_local_files(tmp_path: Path) -> None:
    feed = parse_feed(
        '<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        "<title>t</title><item><title>local</title>"
        '<enclosure url="file:///etc/passwd" type="audio/mpeg"/>'
        '<podcast:transcript url="file:///etc/shadow" type="text/vtt"/></item>'
        '<item><title>ok</title><enclosure url="ok.mp3"/></item></channel></rss>',
        "http://h/feeds/feed.xml")
    assert [(e.enclosure, e.transcripts) for e in feed.episodes] == [
        ("", []), ("http://h/feeds/ok.mp3", [])]
    entry = {"transcripts": [{"url": "file:///etc/passwd", "mime": "text/vtt"}]}
    assert extras.save_transcripts({"quiet": True}, {}, entry, tmp_path) == []
    assert not list(tmp_path.rglob("*.vtt"))


def test_content_encoded_when_there_is_no_description() -> None:
    feed = parse_feed(
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>t</title><item><title>x</title><enclosure url='/x.mp3'/><content:encoded>"
        "<![CDATA[<h2>Notes</h2><ul><li>one &amp; two</li><li>three</li></ul>"
        "<style>p {}</style><iframe src='https://evil'></iframe>]]></content:encoded></item>"
        "</channel></rss>", "http://h/feed.xml")
    assert feed.episodes[0].description == "Notes\n\n- one & two\n- three"


def test_html_entities_outside_cdata_and_entity_bombs() -> None:
    feed = parse_feed('<rss version="2.0"><channel><title>Caf&eacute;&nbsp;talk</title>'
                      "</channel></rss>", "http://h/feed.xml")
    assert feed.title == "Café talk"
    with pytest.raises(ValueError, match="entities"):
        parse_feed('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel>'
                   "<title>&a;</title></channel></rss>", "http://h/feed.xml")


@pytest.mark.parametrize("feed", ["show.xml", "atom.xml"])
def test_run_on_a_feed_says_use_batch_before_downloading_anything(
        host: RedirectingServer, tmp_path: Path, feed: str) -> None:
    url = f"{host.url}/feeds/{feed}"
    proc = run_recap("run", url, "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"recap: error: {url} is ")
    assert "entries; use `recap batch`" in lines[0]
    assert _media_requests(host) == [], "no enclosure may be downloaded"


# ---------------------------------------------------------------- through recap batch

def test_a_feed_goes_through_batch_into_posts(host: RedirectingServer, tmp_path: Path) -> None:
    """A `<podcast:transcript>` item with an HTML description and a redirected mp4 enclosure
    without a length, beside items with a wrong length, a duplicate guid and relative URLs."""
    out = tmp_path / "out"
    proc = run_recap("batch", f"{host.url}/feeds/show.xml", "-o", str(out),
                     "--stop-after", "transcribe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [e["status"] for e in data["entries"]] == ["done"] * 3
    folders = [out / e["folder"] for e in data["entries"]]
    assert len(set(folders)) == 3

    # The redirect chain was followed, and the bytes are the CDN's whatever the feed's length.
    requested = _media_requests(host)
    assert TRACKING in requested and "/chtbl/track/jfk.mp4" in requested
    episode = Episode(folders[0])
    info = Info.load(episode.info_path)
    assert episode.audio_path().read_bytes() == (host.root / "cdn" / "jfk.mp4").read_bytes()
    assert info.source == f"{host.url}{TRACKING}" and info.webpage_url == LINK
    assert (info.uploader, info.upload_date, info.episode_number) == ("Kennedy Library",
                                                                      "2024-03-01", 3)
    assert info.description == ("The inaugural address & what it asks.\n\n"
                                "Second paragraph with a link.")
    assert episode.hero_path.read_bytes()[:3] == b"\xff\xd8\xff"  # itunes:image as JPEG
    # The feed's transcript (WebVTT preferred to JSON and HTML) is the transcript.
    assert [(t.origin, t.format, t.language) for t in info.transcripts] == [("feed", "vtt", "en")]
    transcript = Transcript.load(episode.transcript_path)
    assert transcript.origin == "feed"
    assert [(s.start, s.end, s.text) for s in transcript.segments] == JFK_CUES
    record = episode.stage_record("transcribe")
    assert record is not None and record.stats["origin"] == "feed"
    for folder, source in zip(folders[1:], ("jfk.m4a", "jfk.ogg"), strict=True):
        other = Episode(folder)
        assert other.audio_path().read_bytes() == (host.root / "media" / source).read_bytes()
        whispered = Transcript.load(other.transcript_path)
        assert whispered.origin == "whisper" and "your country" in whispered.text.lower()
        assert Info.load(other.info_path).uploader == "Field Notes Media"

    # The post (notes as the notes stage would leave them): plain text, the published link.
    notes = Notes([Topic("The address", [Bullet("Ask what you can do.", 3.2, 11.0, [1, 2])])])
    (episode.root / "notes.json").write_text(notes.to_json(), encoding="utf-8")
    for fmt in ("hugo", "jekyll"):
        written = run_recap("write", str(episode.root), "--format", fmt, "--force")
        assert written.returncode == 0, written.stderr
        post = Path(written.stdout.strip().splitlines()[-1])
        meta = frontmatter.loads(post.read_text(encoding="utf-8"))
        assert meta["source"] == LINK
        assert meta["description"] == "The inaugural address & what it asks."
        assert "Kennedy Library" in meta.content
        for raw in ("<script", "<b>", "<p>", "alert("):
            assert raw not in post.read_text(encoding="utf-8"), raw


# ---------------------------------------------------------------- sites' subtitles and captions

def test_a_pages_subtitles_are_the_transcript_unless_whisper_is_asked(
        host: RedirectingServer, tmp_path: Path) -> None:
    (host.root / "page.html").write_text(
        '<!doctype html><html><head><title>Ask not, with subtitles</title></head><body>'
        '<audio controls src="/media/jfk.m4a"><track kind="subtitles" srclang="en" '
        'label="English" src="/t/jfk.vtt"></audio></body></html>', encoding="utf-8")
    out = tmp_path / "out"
    proc = run_recap("run", f"{host.url}/page.html", "-o", str(out), "--stop-after",
                     "transcribe")
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    transcript = Transcript.load(folder / "transcript.json")
    assert transcript.origin == "subtitles" and transcript.text == " ".join(
        text for _, _, text in JFK_CUES)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stages"]["transcribe"]["stats"]["origin"] == "subtitles"


def test_automatic_captions_are_saved_but_used_only_with_captions(
        host: RedirectingServer, tmp_path: Path) -> None:
    (host.root / "t" / "auto.en.vtt").write_text(vtt([(0.0, 11.0, "auto words")]), "utf-8")
    (host.root / "t" / "auto.fr.srt").write_text(srt([(0.0, 11.0, "mots")]), "utf-8")
    raw = {"language": "en", "automatic_captions": {
        "fr": [{"ext": "srt", "url": f"{host.url}/t/auto.fr.srt"}],
        "en-orig": [{"ext": "json3", "url": f"{host.url}/t/none.json3"},
                    {"ext": "vtt", "url": f"{host.url}/t/auto.en.vtt"}]}}
    from recap.fetch import fetch

    episode, info = fetch(str(DATA / "jfk.wav"), tmp_path / "out")
    tmp = tmp_path / "fetch-tmp"
    tmp.mkdir()
    saved = extras.save_transcripts({"quiet": True}, raw, None, tmp)
    assert [(t.origin, t.file, t.language) for t in saved] == [
        ("auto-captions", "transcripts/auto-captions.en.vtt", "en")]
    extras.install(tmp, episode.root)
    info.transcripts = saved
    episode.info_path.write_text(info.to_json(), encoding="utf-8")
    assert existing_transcript(episode, TranscribeOptions()) is None  # auto: Whisper runs
    captioned = existing_transcript(episode, TranscribeOptions(transcript="captions"))
    assert captioned is not None and captioned.origin == "auto-captions"
    assert captioned.text == "auto words"


def test_a_transcript_that_cannot_be_downloaded_leaves_whisper(host: RedirectingServer,
                                                              tmp_path: Path, caplog) -> None:
    entry = {"transcripts": [{"url": f"{host.url}/t/missing.srt", "mime": "application/srt"}]}
    saved = extras.save_transcripts({"quiet": True}, {}, entry, tmp_path)
    assert saved == [] and "could not download the feed transcript" in caplog.text
