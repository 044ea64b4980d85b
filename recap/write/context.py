"""The post's template context: topics and bullets as markdown, intro, description, file layout."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.episode import Episode
from recap.errors import unknown_choice
from recap.languages import capitalises_nouns, phrases
from recap.models import Bullet, Info, Notes
from recap.text.clock import timestamp
from recap.text.names import (
    POINTING_OPENER,
    capitalised_runs,
    in_lower_case,
    is_generic_speaker,
    keyword_is_name,
)
from recap.write.escape import emphasise, escape_text, safe_url, seek_url
from recap.write.options import FORMATS, WriteOptions
from recap.write.reading import episode_minutes

log = logging.getLogger("recap.write")


def find_names(notes: Notes, info: Info) -> list[str]:
    """Names to bold: speakers, the uploader, proper-noun keywords and capitalised names in the text."""
    texts = [notes.intro, notes.summary]
    texts += [b.text for t in notes.topics for b in t.bullets]
    body = "\n".join(texts)
    names: set[str] = set()
    for speaker in [*notes.speakers, info.uploader]:
        speaker = " ".join(str(speaker).split())
        # A name written all in lower case ("pre-natter agent") is a misheard name that the
        # speakers call gave; bold, it would read as a name it is not.
        if (speaker and not is_generic_speaker(speaker) and not in_lower_case(speaker)
                and re.search(r"[^\W\d_]", speaker)):
            names.add(speaker)
    if capitalises_nouns(notes.language or "en"):
        return sorted(names)  # every German noun is capitalised: only known names are bold
    for keyword in notes.keywords:
        keyword = " ".join(keyword.split())
        if keyword_is_name(keyword, body):
            names.add(keyword)
    for text in texts:
        names.update(capitalised_runs(text))
    return sorted(n for n in names if n.strip())


_TITLES = re.compile(r"^(?:dr|prof|mr|mrs|ms|sir|dame)\.?\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    """A speaker as a post names them: in full at first, then by the surname."""

    forms: tuple[str, ...]
    """The full name, and without its title: "Dr. Aileen Mac Ray", "Aileen Mac Ray"."""
    given: str
    """The given name said alone ("Henry" for Henry Brannock), or "" when another speaker shares
    it."""
    surname: str


def people_named(notes: Notes) -> list[Person]:
    """The speakers whose names are a given name and a surname (two capitalised words or more),
    where no other speaker shares the surname."""
    people: list[Person] = []
    for speaker in _speakers(notes):
        parts = speaker.split()
        if (len(parts) < 2 or not all(p[:1].isupper() for p in parts)
                or not all(re.fullmatch(r"[^\W\d_][\w.'’-]*", p) for p in parts)):
            continue  # "Curd and Counting", "pre-natter agent": not a person's full name
        while len(parts) > 2 and parts[-1].rstrip(".").lower() in {"jr", "sr", "ii", "iii"}:
            parts = parts[:-1]
        bare = _TITLES.sub("", speaker).split()
        forms = tuple(dict.fromkeys(f for f in (speaker, " ".join(bare)) if len(f.split()) > 1))
        people.append(Person(forms, bare[0] if len(bare) > 1 else "", parts[-1]))
    surnames = [p.surname for p in people]
    givens = [p.given for p in people]
    return [Person(p.forms, p.given if givens.count(p.given) == 1 and p.given != p.surname
                   else "", p.surname)
            for p in people if p.forms and surnames.count(p.surname) == 1]


def name_once(texts: list[str], people: list[Person]) -> list[str]:
    """`texts` (the notes in order) with a speaker's full name written out at its first mention
    only, and by the surname after it ("Dr. Aileen Mac Ray grew up…", then "Ray started the
    project in 2016"), as a written post names people. The name's every form counts as its
    mention ("Aileen Mac Ray" after "Dr. Aileen Mac Ray"); after it, the given name said alone
    is the surname too ("Henry is a farmer himself" -> "Brannock is…"), not where it is part of
    another name ("Henry Ford")."""
    whose = {form: p for p in people for form in p.forms}
    whose |= {p.given: p for p in people if p.given and p.given not in whose}
    if not whose:
        return texts
    seen: set[Person] = set()
    forms = sorted(whose, key=len, reverse=True)  # "Dr. Aileen Mac Ray" before "Aileen Mac Ray"
    pattern = re.compile(r"(?<![\w.’'-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")

    def shorten(match: re.Match[str]) -> str:
        said = match.group(1)
        person = whose[said]
        if said == person.given:
            before, after = match.string[:match.start()], match.string[match.end():]
            if (person not in seen or re.match(r"\s+[A-Z]", after)
                    or re.search(r"[A-Z][\w.]*\s+$", before)):
                return said  # not named in full yet, or part of another name
            return person.surname
        if person in seen:
            return person.surname
        seen.add(person)
        return said

    return [pattern.sub(shorten, text) for text in texts]


@dataclass
class BulletView:
    text: str
    start: float
    end: float
    link: str | None
    timestamp: str
    under: bool = False
    """Shown under the bullet before it (`continues`)."""


REACH = 1
"""How many transcript lines apart two bullets may start and end to be one answer's."""


def continues(before: Bullet, bullet: Bullet) -> bool:
    """Whether `bullet` goes on from `before`: it opens on "it", "they", "this" and the like
    (`POINTING_OPENER`: "It has 23 riders…"), and rests on the same lines or the next ones (one
    answer noted in two bullets). Shown as its sub-bullet, the pronoun reads against the bullet
    it follows, as in a hand-written post ("- The co-operative started in 2019 with two
    bikes." / "  - It has 23 riders today."). Not "he" or "she": a person spoken of is often
    not the bullet before's subject but someone it tells of (a reader found "She…" under a
    bullet about another person misleading)."""
    if not POINTING_OPENER.match(bullet.text) or not before.segment_ids or not bullet.segment_ids:
        return False
    return min(bullet.segment_ids) <= max(before.segment_ids) + REACH and (
        max(bullet.segment_ids) >= min(before.segment_ids))


@dataclass
class TopicView:
    title: str
    start: float
    link: str | None
    bullets: list[BulletView]


@dataclass
class Layout:
    """Where a format puts the post and its image, and how the post refers to the image."""

    post: Path
    beside: Path
    hero: Path
    hero_ref: str
    hero_front_matter: str


def layout_for(episode: Episode, fmt: str, slug: str, date: dt.date) -> Layout:
    """The file layout of `fmt` inside the episode's post/ folder."""
    post_dir = episode.post_dir
    if fmt == "hugo":
        return Layout(post_dir / "index.md", post_dir / "index.new.md", post_dir / "hero.jpg",
                      "./hero.jpg", "hero.jpg")
    if fmt == "jekyll":
        name = f"{date.isoformat()}-{slug}"
        # A second dated file in _posts would be published twice; Jekyll never builds _drafts.
        return Layout(post_dir / "_posts" / f"{name}.md", post_dir / "_drafts" / f"{name}.new.md",
                      post_dir / "assets" / slug / "hero.jpg", f"/assets/{slug}/hero.jpg",
                      f"/assets/{slug}/hero.jpg")
    if fmt == "markdown":
        return Layout(post_dir / f"{slug}.md", post_dir / f"{slug}.new.md", post_dir / "hero.jpg",
                      "hero.jpg", "hero.jpg")
    raise unknown_choice("format", fmt, FORMATS)


def post_date(info: Info) -> tuple[dt.date, str]:
    """The post's date and where it came from: ("upload_date" or "today", logged)."""
    if info.upload_date:
        try:
            return dt.date.fromisoformat(str(info.upload_date)[:10]), "upload_date"
        except ValueError:
            log.warning("info.json has an unreadable upload date %r", info.upload_date)
    today = dt.date.today()
    log.warning("the episode has no upload date; dating the post today (%s)", today.isoformat())
    return today, "today"


def _speakers(notes: Notes) -> list[str]:
    return [s for s in (" ".join(x.split()) for x in notes.speakers)
            if s and not is_generic_speaker(s)]


def _join_words(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _intro_paragraphs(info: Info, notes: Notes, date: dt.date | None, minutes: int,
                      names: list[str], intro: str | None = None) -> list[str]:
    intro = notes.intro if intro is None else intro
    if intro.strip():
        paragraphs = re.split(r"\n\s*\n", intro.strip())
        return [emphasise(p, names) for p in paragraphs if p.strip()]
    language = notes.language or "en"
    say = phrases(language)
    opening = say.episode.format(title=" ".join(info.title.split()), minutes=minutes)
    if info.uploader.strip():
        opening += say.by.format(uploader=" ".join(info.uploader.split()))
    # The date is written as a date, not marked as a figure.
    published = (f", published on {date.strftime('%B')} {date.day}, {date.year}"
                 if date and language == "en" else f", {date.isoformat()}" if date else "")
    rest = "."
    speakers = _speakers(notes)
    if speakers and language == "en":
        rest += f" It features {_join_words(speakers)}."
    if notes.summary.strip():
        rest += " " + notes.summary.strip()
    elif info.description.strip():
        first = re.split(r"\n\s*\n", info.description.strip())[0]
        rest += " " + (first if len(first) <= 400 else first[:400].rsplit(" ", 1)[0] + "…")
    return [emphasise(opening, names) + escape_text(published) + emphasise(rest, names)]


def description(info: Info, notes: Notes) -> str:
    """The front-matter description: the notes' summary, the episode's description, or a line."""
    if notes.summary.strip():
        return notes.summary.strip()
    if info.description.strip():
        first = re.split(r"\n\s*\n", info.description.strip())[0].strip()
        return first if len(first) <= 300 else first[:300].rsplit(" ", 1)[0] + "…"
    who = f" from {info.uploader}" if info.uploader.strip() else ""
    return f"Notes from “{info.title}”{who}"


def build_context(info: Info, notes: Notes, options: WriteOptions, layout: Layout,
                  date: dt.date, date_known: bool, slug: str, hero: bool) -> dict[str, Any]:
    """Everything a template sees except the reading-time figures."""
    names = find_names(notes, info)
    language = notes.language or "en"
    say = phrases(language)
    source_url = safe_url(info.webpage_url) or safe_url(info.source)
    seekable = bool(source_url) and info.seekable

    def seek(seconds: float) -> str | None:
        return seek_url(source_url, seconds) if seekable and source_url else None

    # English posts name a speaker in full once in the intro and once in the notes (read on
    # their own, from a heading down), then by the surname.
    people = people_named(notes) if language == "en" else []
    intro = name_once([notes.intro], people)[0]
    texts = iter(name_once([b.text for t in notes.topics for b in t.bullets], people))
    topics: list[TopicView] = []
    for number, topic in enumerate(notes.topics, 1):
        shown = [(b, next(texts)) for b in topic.bullets]
        shown = [(b, text) for b, text in shown if text.strip()]
        bullets = [
            BulletView(emphasise(text, names), b.start, b.end, seek(b.start), timestamp(b.start),
                       under=i > 0 and language == "en" and continues(shown[i - 1][0], b))
            for i, (b, text) in enumerate(shown)
        ]
        if not bullets:
            continue
        title = escape_text(topic.title) or say.part.format(number=number)
        title = re.sub(r"#+$", lambda m: "\\" + "\\".join(m.group(0)), title)
        topics.append(TopicView(title, topic.start, seek(topic.start), bullets))
    minutes = episode_minutes(info.duration)
    hero_ref = layout.hero_ref if hero else None
    return {
        "title": info.title,
        "title_md": escape_text(info.title),
        "info": info,
        "notes": notes,
        "date": date,
        "slug": slug,
        "format": options.format,
        "hero": hero_ref,
        "intro": _intro_paragraphs(info, notes, date if date_known else None, minutes, names,
                                   intro),
        "language": language,
        "full_episode_line": say.full_episode.format(
            link=f"[{escape_text(info.title)}]({source_url})", minutes=minutes)
        if source_url else "",
        "topics": topics,
        "episode_minutes": minutes,
        "words_per_minute": options.words_per_minute,
        "source_url": source_url,
        "seekable": seekable,
        "names": names,
        "links": {"source": source_url, "hero": hero_ref},
    }
