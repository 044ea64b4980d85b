"""Write stage: the post's front matter, body, saving figure, templates, formats and safe reruns."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

import frontmatter
import pytest
import yaml

from recap import write as write_stage
from recap.episode import Episode
from recap.errors import ArtifactError, ConfigError
from recap.pipeline import RunOptions, run_stage
from recap.progress import Reporter
from recap.stages import stage_state
from recap.write import (
    WriteOptions,
    count_words,
    emphasise,
    episode_minutes,
    escape_text,
    find_names,
    indefinite_article,
    reading_minutes,
    saving_factor,
    seek_url,
)
from tests.conftest import run_recap

# A 16x16 orange JPEG (made with ffmpeg), the episode's thumbnail.
HERO_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAgAAAQABAAD//gAPTGF2YzYzLjEuMTAyAP/bAEMACAQEBAQEBQUFBQUFBgYGBgYGBgYGBgYGBgcH"
    "BwgICAcHBwYGBwcICAgICQkJCAgICAkJCgoKDAwLCw4ODhERFP/EAEwAAQEAAAAAAAAAAAAAAAAAAAAGAQEBAAAAAAAA"
    "AAAAAAAAAAAGBxABAAAAAAAAAAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIABAAEAMBIgACEQADEQD/2gAM"
    "AwEAAhEDEQA/AK0BHTp//9k="
)

CITY_BEES_INFO: dict[str, Any] = {
    "title": "City Bees: what rooftop hives teach us about cities",
    "duration": 117.4,
    "audio_file": "audio.mp3",
    "source": "https://www.youtube.com/watch?v=abc123XYZ00",
    "webpage_url": "https://www.youtube.com/watch?v=abc123XYZ00",
    "uploader": "Field Notes",
    "upload_date": "2024-05-14",
    "description": "Priya Natarajan on keeping bees on the roofs of Rotterdam.",
    "chapters": [],
    "thumbnail": "https://i.ytimg.com/vi/abc123XYZ00/hq.jpg",
    "extractor": "youtube",
    "id": "abc123XYZ00",
}


def _bullet(text: str, start: float, end: float, *ids: int) -> dict[str, Any]:
    return {"text": text, "start": start, "end": end, "segment_ids": list(ids)}


# Notes as the notes stage would make them from samples/city-bees (what is said there).
CITY_BEES_NOTES: dict[str, Any] = {
    "topics": [
        {"title": "Starting on rooftops", "bullets": [
            _bullet("Priya Natarajan keeps 40 beehives on rooftops across Rotterdam.", 3.0, 9.5, 0),
            _bullet("She started in 2015 with two hives on the roof of a library; the librarians "
                    "started naming the queens within a week.", 14.0, 22.0, 2, 3),
        ]},
        {"title": "Why cities suit bees", "bullets": [
            _bullet("Gardens, parks and street trees flower at different times, so there is food "
                    "from March to October.", 26.0, 33.0, 5),
            _bullet("City hives produced about 22 kilograms of honey each last year, against 15 kg "
                    "on nearby farmland.", 33.0, 41.0, 6),
        ]},
        {"title": "Mites and wind", "bullets": [
            _bullet("The varroa mite is the biggest threat: 6 of 40 hives were lost last winter, "
                    "5 of them with high mite counts.", 44.0, 53.0, 8),
            _bullet("Mites are counted every two weeks from July onwards.", 53.0, 56.0, 8),
            _bullet("Hives are strapped down and never closer than 2 meters to the roof edge.",
                    56.0, 62.0, 10),
        ]},
        {"title": "Money and rules", "bullets": [
            _bullet("A 500 gram jar sells for 11 euros; a new hive costs about 350 euros, so a "
                    "healthy hive pays back in its second season.", 66.0, 76.0, 12),
            _bullet("In Rotterdam each hive is registered with the city and the building owner "
                    "agrees in writing.", 80.0, 87.0, 14),
        ]},
        {"title": "Advice for beginners", "bullets": [
            _bullet("Start with two hives, not one, so you can compare them.", 92.0, 96.0, 16),
            _bullet("Join a local association and plant flowers that bloom in late summer.",
                    96.0, 104.0, 16),
        ]},
    ],
    "keywords": ["urban beekeeping", "Rotterdam", "varroa mite", "honey", "Field Notes"],
    "summary": "Priya Natarajan on what 40 rooftop hives in Rotterdam taught her.",
    "intro": "",
    "speakers": ["Priya Natarajan", "HOST"],
}


def make_episode(root: Path, slug: str = "city-bees", info: dict[str, Any] | None = None,
                 notes: dict[str, Any] | None = None, hero: bool = True) -> Episode:
    """An episode folder holding info.json, notes.json and (optionally) hero.jpg."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    info_data = {**CITY_BEES_INFO, **(info or {})}
    notes_data = copy.deepcopy(CITY_BEES_NOTES)
    notes_data.update(notes or {})
    (folder / "info.json").write_text(json.dumps(info_data, ensure_ascii=False), "utf-8")
    (folder / "notes.json").write_text(json.dumps(notes_data, ensure_ascii=False), "utf-8")
    if hero:
        (folder / "hero.jpg").write_bytes(HERO_JPEG)
    return Episode(folder)


class Messages(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def message(self, text: str) -> None:
        self.lines.append(text)


def write_via_pipeline(episode: Episode, **options: Any) -> tuple[Path, Messages]:
    """Run the write stage as `recap write` does (manifest bookkeeping included)."""
    reporter = Messages()
    force = bool(options.get("force"))
    path = run_stage(episode, "write", RunOptions(write=WriteOptions(**options), force=force),
                     reporter)
    assert path is not None
    return path, reporter


def split_post(text: str) -> tuple[dict[str, Any], str]:
    """Front matter parsed by python-frontmatter, checked against a plain YAML parser."""
    post = frontmatter.loads(text)
    assert text.startswith("---\n")
    raw = text[4:].split("\n---\n", 1)[0]
    assert yaml.safe_load(raw) == post.metadata
    return dict(post.metadata), post.content


SAVING_LINE = re.compile(
    r"^Here are my notes from this talk - (\d+) minutes? reading instead of (\d+) minutes, "
    r"(an?) `(\d+)x` saving for you\.$", re.M)


# ---------------------------------------------------------------- the saving figure


def test_saving_figure_matches_the_example() -> None:
    # The reference post: 1,793 words at 200 words a minute, a 169-minute interview.
    assert reading_minutes(1793, 200) == 9
    assert episode_minutes(169 * 60) == 169
    assert saving_factor(169, 9) == 18
    assert indefinite_article(18) == "an"


@pytest.mark.parametrize(("words", "wpm", "minutes"),
                         [(0, 200, 1), (99, 200, 1), (299, 200, 1), (300, 200, 2),
                          (1793, 250, 7), (4000, 200, 20)])
def test_reading_minutes_round_half_up_and_at_least_one(words: int, wpm: int,
                                                        minutes: int) -> None:
    assert reading_minutes(words, wpm) == minutes


def test_a_saving_under_two_times_is_given_in_tenths() -> None:
    """A dense episode of a few minutes reads in over half its time: 9 minutes in 5 is "a
    `1.8x` saving", not the saving left out as it was (9 // 5 == 1); from 2 up, whole times as
    the reference post gives them; barely faster, no saving is claimed."""
    from recap.write import saving_figure, saving_line

    assert saving_figure(169, 9) == 18 and saving_figure(9, 4) == 2
    assert saving_figure(9, 5) == 1.8 and saving_figure(12, 7) == 1.7
    assert saving_figure(6, 5) == 1.2 and saving_figure(10, 9) == 1 and saving_figure(5, 9) == 0
    assert saving_line("en", 5, 9, saving_figure(9, 5)) == (
        "Here are my notes from this talk - 5 minutes reading instead of 9 minutes, a `1.8x` "
        "saving for you.")
    assert saving_line("en", 9, 169, saving_figure(169, 9)).endswith("an `18x` saving for you.")
    assert "`1,8x`" in saving_line("de", 5, 9, saving_figure(9, 5))
    assert saving_line("en", 9, 10, saving_figure(10, 9)) == (
        "Here are my notes from this talk - 9 minutes reading.")


def test_episode_minutes_and_articles() -> None:
    assert episode_minutes(10) == 1
    assert episode_minutes(89) == 1 and episode_minutes(90) == 2
    assert saving_factor(5, 9) == 0
    assert [indefinite_article(n) for n in (1, 2, 8, 11, 18, 80, 800, 8000, 11000, 12, 81)] == [
        "a", "a", "an", "an", "an", "an", "an", "an", "an", "a", "an"]


def test_count_words_counts_like_the_example() -> None:
    # The example's 1,793 is the whitespace-separated words of its body, markup included.
    body = ("![Featured Image](./hero.jpg)\n\n## Solar power in space\n\n"
            "- It's `5x` more effective to get power from solar panels in space.\n"
            "  - **xAI**'s mission\n")
    assert count_words(body) == 2 + 5 + 13 + 3


def test_a_long_episode_gets_the_examples_figures(tmp_path: Path) -> None:
    sentence = ("The speaker explains how the project grew from a small experiment into a "
                "company that builds rockets, cars and robots for the whole planet")
    topics = [{"title": f"Topic number {t}",
               "bullets": [_bullet(f"{sentence} ({t}-{b}).", 60.0 * (t * 10 + b), 0.0)
                           for b in range(10)]}
              for t in range(6)]
    episode = make_episode(tmp_path, info={"duration": 169 * 60 + 10},
                           notes={"topics": topics})
    path, _ = write_via_pipeline(episode)
    meta, body = split_post(path.read_text("utf-8"))
    words = count_words(body)
    assert 1700 <= words < 1900, words  # 8.5 to 9.5 minutes at 200 words a minute
    assert meta["reading_time"] == 9 and meta["duration"] == 169
    match = SAVING_LINE.search(body)
    assert match and match.groups() == ("9", "169", "an", "18"), body[:600]
    record = episode.stage_record("write")
    assert record is not None
    assert record.stats["saving"] == 18 and record.stats["words"] == words
    assert record.stats["post"] == "post/index.md"


def test_the_post_says_the_reading_time_its_front_matter_says(tmp_path: Path) -> None:
    """A body on the edge between two minutes flipped between them as its saving line changed
    wording ("1 minute reading instead of 2 minutes, a `2x` saving" against "2 minutes
    reading."): the sample's post said 1 minute and its front matter 2. Whatever the length, the
    two say the same minutes."""
    said = re.compile(r"(\d+) minutes? reading")
    word = "honey "
    two_minutes = 0
    for extra in range(0, 120, 3):
        topics = [{"title": "Hives", "bullets": [
            _bullet(f"The team keeps forty hives on roofs {word * (extra + 20 * i)}.", 10.0 * i,
                    0.0) for i in range(2)]}]
        episode = make_episode(tmp_path / f"e{extra}", info={"duration": 117},
                               notes={"topics": topics})
        path, _ = write_via_pipeline(episode)
        meta, body = split_post(path.read_text("utf-8"))
        match = said.search(body)
        assert match and int(match.group(1)) == meta["reading_time"], (extra, body[-300:])
        two_minutes += meta["reading_time"] == 2
    assert two_minutes, "no length reached the second minute"


# ---------------------------------------------------------------- the Hugo post


def test_hugo_bundle_front_matter_and_body(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    path, messages = write_via_pipeline(episode)
    assert path == episode.root / "post" / "index.md"
    assert (episode.root / "post" / "hero.jpg").read_bytes() == HERO_JPEG
    assert messages.lines == []
    meta, body = split_post(path.read_text("utf-8"))
    assert list(meta) == ["title", "date", "slug", "draft", "description", "categories",
                          "images", "keywords", "source", "duration", "reading_time"]
    assert meta["title"] == CITY_BEES_INFO["title"]
    assert meta["date"] == dt.date(2024, 5, 14)
    assert meta["slug"] == "city-bees" and meta["draft"] is True
    assert meta["description"] == CITY_BEES_NOTES["summary"]
    assert meta["categories"] == ["Podcast Recap"] and meta["images"] == ["hero.jpg"]
    assert meta["keywords"] == CITY_BEES_NOTES["keywords"]
    assert meta["source"] == CITY_BEES_INFO["webpage_url"]
    assert meta["duration"] == 2 and meta["reading_time"] >= 1

    lines = body.splitlines()
    assert lines[0] == "![Featured Image](./hero.jpg)"
    intro = lines[2]
    assert "**Field Notes**" in intro and "**Priya Natarajan**" in intro
    assert "May 14, 2024" in intro and "HOST" not in intro
    match = SAVING_LINE.search(body)
    assert match, body
    read, listen, _article, saving = (int(g) if g.isdigit() else g for g in match.groups())
    assert (read, listen) == (meta["reading_time"], 2) and saving == 2 // read
    assert body.index("Here are my notes") < body.index("## ")
    headings = re.findall(r"^## (.+)$", body, re.M)
    assert headings == [t["title"] for t in CITY_BEES_NOTES["topics"]]
    bullets = re.findall(r"^- (.+)$", body, re.M)
    assert len(bullets) == sum(len(t["bullets"]) for t in CITY_BEES_NOTES["topics"])
    assert "**Priya Natarajan** keeps 40 beehives on rooftops across **Rotterdam**." in body
    assert "started in `2015` with two hives" in body
    assert "about `22 kilograms` of honey each last year, against `15 kg`" in body
    assert "A `500 gram` jar sells for `11 euros`; a new hive costs about `350 euros`" in body
    # Seekable source: each bullet links to its moment.
    assert "([0:14](https://www.youtube.com/watch?v=abc123XYZ00&t=14s))" in body
    assert "([1:36](https://www.youtube.com/watch?v=abc123XYZ00&t=96s))" in body
    record = episode.stage_record("write")
    assert record is not None and record.stats["kept_edit"] is False
    assert record.stats["topics"] == 5 and record.stats["bullets"] == 11
    assert stage_state(episode, "write", WriteOptions().params()) == "done"


def test_intro_from_notes_and_no_hero(tmp_path: Path) -> None:
    intro = ("Priya Natarajan keeps bees on the roofs of Rotterdam.\n\n"
             "She talks with the host of Field Notes about honey, mites and money.")
    episode = make_episode(tmp_path, notes={"intro": intro}, hero=False)
    path, _ = write_via_pipeline(episode)
    meta, body = split_post(path.read_text("utf-8"))
    assert "images" not in meta and "![" not in body
    assert not (episode.root / "post" / "hero.jpg").exists()
    paragraphs = body.split("\n\n")
    assert paragraphs[0] == "**Priya Natarajan** keeps bees on the roofs of **Rotterdam**."
    assert paragraphs[1] == ("She talks with the host of **Field Notes** about honey, mites and "
                             "money.")


def test_unknown_upload_date_falls_back_to_today_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    episode = make_episode(tmp_path, info={"upload_date": None})
    with caplog.at_level(logging.WARNING, logger="recap.write"):
        path, _ = write_via_pipeline(episode)
    meta, _body = split_post(path.read_text("utf-8"))
    assert meta["date"] == dt.date.today()
    assert any("today" in r.getMessage() and "upload date" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize(("url", "extractor", "expected"), [
    ("https://www.youtube.com/watch?v=abc", "youtube", "https://www.youtube.com/watch?v=abc&t=14s"),
    ("https://youtu.be/abc", "Youtube", "https://youtu.be/abc?t=14s"),
    ("https://www.youtube.com/watch?v=abc&t=99s", "youtube",
     "https://www.youtube.com/watch?v=abc&t=14s"),
])
def test_seek_links(tmp_path: Path, url: str, extractor: str, expected: str) -> None:
    assert seek_url(url, 14.7) == expected
    episode = make_episode(tmp_path, info={"webpage_url": url, "source": url,
                                           "extractor": extractor})
    path, _ = write_via_pipeline(episode)
    assert f"([0:14]({expected}))" in path.read_text("utf-8")


def test_no_seek_links_for_sources_that_cannot_seek(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, info={"webpage_url": "https://podcasts.example/ep1.mp3",
                                           "source": "https://podcasts.example/ep1.mp3",
                                           "extractor": "generic"})
    text = write_via_pipeline(episode)[0].read_text("utf-8")
    assert "t=" not in text and "([0:" not in text
    assert "[City Bees: what rooftop hives teach us about cities](https://podcasts.example/ep1.mp3)" \
        in text


def test_local_file_sources_are_not_published(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, info={"webpage_url": "", "source": "/home/me/secret/ep.mp3",
                                           "extractor": ""})
    text = write_via_pipeline(episode)[0].read_text("utf-8")
    meta, _body = split_post(text)
    assert "source" not in meta and "/home/me" not in text


# ---------------------------------------------------------------- names and figures


def test_names_bold_and_figures_in_backticks() -> None:
    names = ["Elon Musk", "SpaceX", "Tesla", "GB300"]
    text = ("Elon Musk says SpaceX plans 10,000 launches; Tesla's cells reach 100 gigawatts, "
            "98% of gallium, $1.5 billion, 5x cheaper, 20~30 hours, in 2026, 330,000 GB300s.")
    assert emphasise(text, names) == (
        "**Elon Musk** says **SpaceX** plans `10,000` launches; **Tesla**'s cells reach "
        "`100 gigawatts`, `98%` of gallium, `$1.5 billion`, `5x` cheaper, `20~30 hours`, "
        "in `2026`, `330,000` **GB300**s.")


def test_marked_text_is_not_marked_twice() -> None:
    names = ["Tesla", "GB300"]
    text = ("**Tesla** uses `5x` more GB300 chips, AI5 and Gen 3; see "
            "https://example.com/2015/5x-Tesla?a=1&b=2 for 40 charts.")
    assert emphasise(text, names) == (
        "**Tesla** uses `5x` more **GB300** chips, AI5 and Gen 3; see "
        "https://example.com/2015/5x-Tesla?a=1&b=2 for 40 charts.")
    assert emphasise(emphasise(text, names), names) == emphasise(text, names)


def test_find_names_from_speakers_keywords_and_text() -> None:
    from recap.models import Info, Notes

    notes = Notes.from_dict(CITY_BEES_NOTES)
    info = Info.from_dict(CITY_BEES_INFO)
    names = find_names(notes, info)
    assert {"Priya Natarajan", "Field Notes", "Rotterdam"} <= set(names)
    assert not {"HOST", "Gardens", "City", "Start", "Join", "honey"} & set(names)


def test_a_speaker_named_in_lower_case_is_not_bold() -> None:
    """"pre-natter agent" is the speakers call's reading of a misheard name: not a name to bold.
    A name in a script without capitals is one."""
    from recap.models import Info, Notes

    data = {**CITY_BEES_NOTES, "speakers": ["Priya", "pre-natter agent", "李娜"]}
    names = find_names(Notes.from_dict(data), Info.from_dict(CITY_BEES_INFO))
    assert {"Priya", "李娜"} <= set(names) and "pre-natter agent" not in names


def test_a_speaker_is_named_in_full_once_then_by_the_surname(tmp_path: Path) -> None:
    """As a written post names people: the full name at its first mention in the intro and in
    the notes (read on their own), the surname after it, however the model wrote it ("Aileen
    Mac Ray's" after "Dr. Aileen Mac Ray", the given name alone); bold only where written in
    full. Two speakers with one surname keep their full names, and so does a post in another
    language."""
    intro = ("In Wildground, Owen Hartley talks with Dr. Aileen Mac Ray about peat bogs. Owen "
             "Hartley asks how they are restored.")
    topics = [{"title": "The bog", "bullets": [
        _bullet("Dr. Aileen Mac Ray grew up in Caithness.", 1.0, 4.0, 0),
        _bullet("Aileen Mac Ray's team has blocked 140 kilometres of ditches.", 5.0, 9.0, 1),
        _bullet("Owen Hartley has walked the bog twice; Hartley's boots leaked.", 9.0, 12.0, 2),
        _bullet("Aileen says the dams hold; Aileen's father cut peat near Owen Street.", 12.0,
                15.0, 3),
    ]}]
    speakers = ["Owen Hartley", "Dr. Aileen Mac Ray"]
    episode = make_episode(tmp_path, notes={"intro": intro, "topics": topics,
                                            "speakers": speakers})
    _, body = split_post(write_via_pipeline(episode)[0].read_text("utf-8"))
    assert ("In Wildground, **Owen Hartley** talks with **Dr. Aileen Mac Ray** about peat bogs. "
            "Hartley asks how they are restored." in body)
    assert "- **Dr. Aileen Mac Ray** grew up in Caithness." in body
    assert "- Ray's team has blocked `140 kilometres` of ditches." in body
    assert "- **Owen Hartley** has walked the bog twice; Hartley's boots leaked." in body
    # the given name alone, once the full name is written: the surname; not inside another name
    assert "- Ray says the dams hold; Ray's father cut peat near **Owen Street**." in body

    shared = make_episode(tmp_path, slug="shared", notes={
        "intro": intro, "topics": topics, "speakers": ["Owen Ray", "Dr. Aileen Mac Ray"]})
    _, body = split_post(write_via_pipeline(shared)[0].read_text("utf-8"))
    assert "- **Aileen Mac Ray**'s team has blocked" in body
    german = make_episode(tmp_path, slug="german", notes={
        "intro": intro, "topics": topics, "speakers": speakers, "language": "de"})
    _, body = split_post(write_via_pipeline(german)[0].read_text("utf-8"))
    assert "- Aileen Mac Ray's team has blocked" in body and "- Ray's" not in body


# ---------------------------------------------------------------- untrusted text


NASTY_TITLES = [
    'Elon Musk: "Robots" will save #America',
    "It's a 'quoted' title: with --- dashes",
    "---\ntitle: injected\n---",
    "Line one\nLine two\n\nLine four",
    "Zoë Ångström — 東京 · ‘curly’ “quotes” 🐝",
    "  leading and trailing spaces  ",
    "yes",
    "null",
    "2024-05-14",
    "@handle & *stars* | pipes > gt % percent ! bang",
    "Separators\u2028and\u2029nel\x85end",
]


@pytest.mark.parametrize("title", NASTY_TITLES)
def test_front_matter_round_trips_any_title(tmp_path: Path, title: str) -> None:
    description = f"About {title}: a description\nwith a second line"
    episode = make_episode(tmp_path, info={"title": title},
                           notes={"summary": description, "keywords": [title, "bees"]})
    text = write_via_pipeline(episode)[0].read_text("utf-8")
    meta, body = split_post(text)
    assert meta["title"] == title
    assert meta["description"] == description
    assert meta["keywords"] == [title.strip(), "bees"]
    assert meta["draft"] is True and meta["date"] == dt.date(2024, 5, 14)
    assert "\ntitle: injected" not in text
    assert body.startswith("![Featured Image](./hero.jpg)")


def test_markdown_in_untrusted_text_cannot_inject_html(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    notes = copy.deepcopy(CITY_BEES_NOTES)
    notes["topics"][0]["title"] = "Intro <b>bold</b>\n---\ninjected: true"
    notes["topics"][0]["bullets"][0]["text"] = (
        f"{evil} [click](javascript:alert(3)) ![px](https://evil.example/p.gif) "
        "{{< shortcode >}} {% include secrets %} `{{% x %}}` <https://evil.example>")
    notes["intro"] = f"# Heading {evil}"
    episode = make_episode(tmp_path, info={"title": f"Title {evil}",
                                           "uploader": "<iframe src=//evil>"},
                           notes={"topics": notes["topics"], "intro": notes["intro"]})
    text = write_via_pipeline(episode)[0].read_text("utf-8")
    meta, body = split_post(text)
    assert meta["title"] == f"Title {evil}"  # front matter keeps the real title; themes escape it
    for raw in ("<script", "<img", "<b>", "<iframe", "<https", "{", "}"):
        assert raw not in body, raw
    assert not re.search(r"(?<!\\)\]\(", body.split("\n- ", 1)[1].split("([0:03]")[0])
    assert "\\[click\\](javascript:alert(3)) !\\[px\\](https://evil.example/p.gif)" in body
    assert "&#123;&#123;&lt; shortcode &gt;&#125;&#125; &#123;% include secrets %&#125;" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img" in body
    assert "\ninjected: true" not in body
    assert "## Intro &lt;b&gt;bold&lt;/b&gt; --- injected: true" in body
    assert "\n\\# Heading" in body  # the intro cannot become a heading


def test_escape_text_is_inert_markdown() -> None:
    assert escape_text("a <b> & [c](d) `e` {{f}} {%g%}\n- h") == (
        "a &lt;b&gt; &amp; \\[c\\](d) \\`e\\` &#123;&#123;f&#125;&#125; &#123;%g%&#125; - h")
    assert escape_text("# not a heading") == "\\# not a heading"


# ---------------------------------------------------------------- templates and formats


def test_user_template_replaces_the_built_in(tmp_path: Path) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text(
        '{% set front_matter = {"enable_rapport": true, "title": "Custom: " ~ title} %}'
        "{{ title_md }} in {{ reading_minutes }} min ({{ saving }}x)\n"
        "{% for topic in topics %}\n### {{ topic.title }}\n"
        "{% for b in topic.bullets %}* {{ b.text }} @{{ b.start | timestamp }}\n{% endfor %}"
        "{% endfor %}\n{{ info.uploader | md }}\n", "utf-8")
    episode = make_episode(tmp_path)
    path, _ = write_via_pipeline(episode, template=template)
    meta, body = split_post(path.read_text("utf-8"))
    assert meta["enable_rapport"] is True
    assert meta["title"] == f"Custom: {CITY_BEES_INFO['title']}"
    assert body.startswith("City Bees: what rooftop hives teach us about cities in 1 min (2x)")
    assert "### Mites and wind" in body and "@0:56" in body
    assert "Here are my notes" not in body and body.rstrip().endswith("**Field Notes**")


@pytest.mark.parametrize(("source", "line", "needle"), [
    ("ok\n{{ title_md }}\n{% for t in topics %}\n{{ t.title }\n{% endfor %}\n", 4, "line 4"),
    ("one\ntwo\n{{ no_such_thing.upper() }}\n", 3, "no_such_thing"),
    ("{% for t in topics %}\n{{ t.title }}\n", 2, "endfor"),
])
def test_template_errors_name_the_template_and_line(tmp_path: Path, source: str, line: int,
                                                    needle: str) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text(source, "utf-8")
    episode = make_episode(tmp_path)
    with pytest.raises(ConfigError) as raised:
        write_stage.write(episode, WriteOptions(template=template), Reporter())
    message = str(raised.value)
    assert "\n" not in message and str(template) in message
    assert f"line {line}" in message and needle in message
    assert not (episode.root / "post").exists()


def test_template_error_is_one_line_from_the_cli(tmp_path: Path) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text("fine\n{{ missing_variable }}\n", "utf-8")
    episode = make_episode(tmp_path)
    proc = run_recap("write", str(episode.root), "--template", str(template))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("recap: error:")]
    assert len(error) == 1 and "broken.md.j2 line 2" in error[0]
    assert "missing_variable" in error[0]
    assert stage_state(episode, "write") == "failed"


def test_unknown_format_lists_the_choices(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    proc = run_recap("write", str(episode.root), "--format", "wordpress")
    assert proc.returncode == 1
    assert "unknown format 'wordpress'; expected one of: hugo, jekyll, markdown" in proc.stderr


def test_template_text_is_part_of_the_params(tmp_path: Path) -> None:
    template = tmp_path / "t.md.j2"
    template.write_text("{{ title_md }}\n", "utf-8")
    base = WriteOptions().params()
    mine = WriteOptions(template=template).params()
    assert base["template_sha256"] != mine["template_sha256"]
    template.write_text("{{ title_md }}!\n", "utf-8")
    assert WriteOptions(template=template).params() != mine
    assert WriteOptions(format="jekyll").params() != base
    assert WriteOptions(words_per_minute=250).params() != base


def test_jekyll_post(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    path, _ = write_via_pipeline(episode, format="jekyll")
    assert path == episode.root / "post" / "_posts" / "2024-05-14-city-bees.md"
    assert (episode.root / "post" / "assets" / "city-bees" / "hero.jpg").read_bytes() == HERO_JPEG
    meta, body = split_post(path.read_text("utf-8"))
    assert meta["layout"] == "post" and meta["published"] is False
    assert meta["date"] == dt.date(2024, 5, 14)
    assert meta["categories"] == ["Podcast Recap"] and meta["tags"] == CITY_BEES_NOTES["keywords"]
    assert meta["image"] == "/assets/city-bees/hero.jpg"
    assert "draft" not in meta and "images" not in meta
    assert body.startswith("![Featured Image](/assets/city-bees/hero.jpg)")
    assert SAVING_LINE.search(body) and "## Money and rules" in body
    assert episode.stage_record("write").stats["post"] == "post/_posts/2024-05-14-city-bees.md"


def test_plain_markdown_post(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    path, _ = write_via_pipeline(episode, format="markdown", draft=False)
    assert path == episode.root / "post" / "city-bees.md"
    assert (episode.root / "post" / "hero.jpg").exists()
    text = path.read_text("utf-8")
    assert text.startswith("# City Bees: what rooftop hives teach us about cities\n\n"
                           "![Featured Image](hero.jpg)\n")
    assert "---" not in text.split("\n", 1)[0] and "draft" not in text
    assert SAVING_LINE.search(text) and "\n## Advice for beginners\n" in text


@pytest.mark.parametrize("fmt", ["hugo", "jekyll", "markdown"])
def test_a_pronoun_bullet_from_the_same_answer_is_a_sub_bullet(tmp_path: Path, fmt: str) -> None:
    """One answer noted in two bullets: the second, opening on a pronoun and resting on the same
    or the next line, is shown under the first, where its pronoun reads against it. A pronoun
    bullet from farther on, one opening a section, or one opening on "she" (a person spoken of
    is often someone the bullet before tells of), stays a bullet of its own."""
    notes = {"topics": [
        {"title": "The ferry", "bullets": [
            _bullet("It sails at dawn from the north quay.", 0.0, 4.0, 0),
            _bullet("The Harbour Lights ferry started in 2019 with two boats.", 5.0, 9.0, 1),
            _bullet("It carries 250 people and 40 cars.", 9.0, 12.0, 2),
            _bullet("They cross the fjord 12 times a day.", 12.0, 15.0, 2, 3),
            _bullet("She bought the second boat.", 15.0, 18.0, 3),
            _bullet("Tickets cost 4 euros.", 20.0, 23.0, 6),
            _bullet("It was the mayor's idea in 2015.", 40.0, 44.0, 12),
        ]},
    ]}
    episode = make_episode(tmp_path, notes=notes)
    path, _ = write_via_pipeline(episode, format=fmt)
    body = path.read_text("utf-8")
    assert re.findall(r"^( *)- (It|They|She|The|Tickets)\b", body, re.M) == [
        ("", "It"), ("", "The"), ("  ", "It"), ("  ", "They"), ("", "She"), ("", "Tickets"),
        ("", "It")]
    assert "\n  - It carries 250 people" in body


# ---------------------------------------------------------------- editor-safe reruns


def test_hand_edits_are_kept_and_the_new_version_written_beside(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    post = episode.root / "post" / "index.md"
    beside = episode.root / "post" / "index.new.md"
    assert run_recap("write", str(episode.root), check=True).stdout.strip() == str(post)
    edited = post.read_text("utf-8").replace("## Mites and wind", "## Mites, wind and winter")
    post.write_text(edited, "utf-8")
    assert stage_state(episode, "write") == "edited"

    template = tmp_path / "new.md.j2"
    template.write_text("{{ title_md }}\n{% for t in topics %}\n## {{ t.title }} (new)\n"
                        "{% endfor %}\n", "utf-8")
    proc = run_recap("write", str(episode.root), "--template", str(template), check=True)
    assert post.read_text("utf-8") == edited
    assert "## Mites and wind (new)" in beside.read_text("utf-8")
    assert proc.stdout.strip() == str(beside)
    assert "post/index.md was edited by hand" in proc.stderr
    assert "post/index.new.md" in proc.stderr and "--force" in proc.stderr
    assert stage_state(episode, "write") == "edited"  # the edit is still recognised

    # A later run still refuses to overwrite the edit.
    again = run_recap("write", str(episode.root), check=True)
    assert post.read_text("utf-8") == edited and "edited by hand" in again.stderr
    assert "## Mites and wind\n" in beside.read_text("utf-8")  # built-in template again
    assert stage_state(episode, "write") == "edited"

    forced = run_recap("write", str(episode.root), "--template", str(template), "--force",
                       check=True)
    assert forced.stdout.strip() == str(post)
    assert "## Mites and wind (new)" in post.read_text("utf-8")
    assert not beside.exists()  # recap's own leftover goes once the post is current
    assert stage_state(episode, "write") == "done"


def test_a_post_recap_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    post = episode.root / "post" / "index.md"
    post.parent.mkdir()
    post.write_text("---\ntitle: mine\n---\n\nMy own words.\n", "utf-8")
    path, messages = write_via_pipeline(episode)
    assert path.name == "index.new.md" and "My own words." in post.read_text("utf-8")
    assert messages.lines and "index.md" in messages.lines[0]
    assert stage_state(episode, "write") == "edited"


def test_jekyll_keeps_the_new_version_out_of_posts(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    post, _ = write_via_pipeline(episode, format="jekyll")
    post.write_text(post.read_text("utf-8") + "\nEdited.\n", "utf-8")
    path, messages = write_via_pipeline(episode, format="jekyll", words_per_minute=100)
    # A second dated file in _posts would be published twice; _drafts is never built.
    assert path == episode.root / "post" / "_drafts" / "2024-05-14-city-bees.new.md"
    assert post.read_text("utf-8").endswith("\nEdited.\n")
    assert [p.name for p in post.parent.iterdir()] == [post.name]
    assert "post/_drafts/2024-05-14-city-bees.new.md" in messages.lines[0]


def test_unchanged_rerun_is_skipped_and_deleted_post_is_rewritten(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    post, _ = write_via_pipeline(episode)
    mtime = post.stat().st_mtime_ns
    proc = run_recap("write", str(episode.root), check=True)
    assert "skipped" in proc.stderr and post.stat().st_mtime_ns == mtime
    post.unlink()
    assert stage_state(episode, "write") == "missing"
    run_recap("write", str(episode.root), check=True)
    assert post.exists()


def test_new_notes_make_the_post_stale(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    write_via_pipeline(episode)
    notes = json.loads(episode.notes_path.read_text("utf-8"))
    notes["topics"][0]["title"] = "Rooftop beginnings"
    episode.notes_path.write_text(json.dumps(notes), "utf-8")
    assert stage_state(episode, "write", WriteOptions().params()) == "stale"
    path, _ = write_via_pipeline(episode)
    assert "## Rooftop beginnings" in path.read_text("utf-8")


# ---------------------------------------------------------------- bad input


def test_missing_or_corrupt_notes_name_the_file_and_the_fix(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    episode.notes_path.unlink()
    with pytest.raises(ArtifactError, match=r"notes\.json is missing; rebuild it with `recap notes"):
        write_stage.write(episode, WriteOptions(), Reporter())
    episode.notes_path.write_text('{"topics": [', "utf-8")
    proc = run_recap("write", str(episode.root))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "notes.json is corrupt" in proc.stderr and "recap notes" in proc.stderr


def test_notes_without_bullets_are_refused(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, notes={"topics": [{"title": "Empty", "bullets": []}]})
    with pytest.raises(ArtifactError, match="no notes to write"):
        write_stage.write(episode, WriteOptions(), Reporter())
