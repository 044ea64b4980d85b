"""Who speaks (from the episode's opening) and the post's opening (summary, intro, keywords).

The speakers call comes first: every extraction call is told who the host and guests are, so the
model can name them instead of writing "I" and "we". The intro comes last and sees the notes,
never the transcript, so it is written in the blogger's voice rather than copied from the opening.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recap.errors import LLMReplyError
from recap.languages import capitalises_nouns
from recap.models import Info
from recap.notes.ask import Asker
from recap.notes.spelling import ALIKE, likeness
from recap.notes.verify import signs_off
from recap.notes.words import (
    WRITTEN_WORD,
    claim_stems,
    content_stems,
    first_person,
    has_verb,
    longest_copied_run,
    one_line,
    sentences,
    stem,
    unique_strings,
    words,
)
from recap.text.names import (
    NOT_NAMES,
    at_sentence_start,
    capitalised_runs,
    in_lower_case,
    name_words,
    surname,
)

log = logging.getLogger("recap.notes")

OPENING_WORDS = 260
"""Transcript words shown to the speakers call: the opening, where people are introduced."""
COPY_LIMIT = 8
"""A run of this many words taken from the transcript makes an intro sentence a copy."""
INTRO_SENTENCES = 4
"""Sentences of the model's intro kept at most (the prompt asks for two or three): who talks
with whom, what the guest does, and a later part's voice and subjects take four on a
magazine show, and a fourth sentence is where a multi-part episode's last part is said."""
INTRO_SUPPORT = 0.5
"""Below this share of an intro sentence's content words found in the episode (transcript,
metadata, section titles), the sentence says what no one said ("the challenges faced by
conservationists"): it is dropped, like a note below `verify.MIN_SUPPORT`."""

# The blogger's framing: words an intro may use that the episode itself need not hold.
_FRAMING = frozenset(stem(w) for w in (
    "episode podcast show conversation interview guest guests host hosts listener listeners "
    "reader readers post talk talks talking discuss discusses discussing share shares sharing "
    "explore explores exploring cover covers covering highlight highlights describe describes "
    "explain explains look looks offer offers give gives walk walks take takes insight insights "
    "story stories topic topics subject subjects such including include includes along among "
    "other also well this these their there here into about "
    "join joins chat chats sit sits down behind").split())
# Praise of a person or of the episode: a claim the intro may make only where the transcript
# makes it ("a leading expert", "a prominent figure", "a fascinating conversation").
_PRAISE = frozenset("""
    prominent leading renowned famous acclaimed celebrated esteemed distinguished respected
    innovative groundbreaking revolutionary cutting-edge state-of-the-art
    influential pioneering visionary passionate dedicated notable seasoned eminent foremost
    expert experts world-class well-known fascinating insightful inspiring compelling remarkable
    captivating thought-provoking invaluable unparalleled legendary
    """.split())
# An English sentence that leans on the one before it: a pronoun or "then" opens it ("It was
# then brought to the Switch…"). Kept after its antecedent was dropped, it points at nothing.
_LEANS_BACK = re.compile(r"^(?:it|its|they|their|them|he|she|his|her|then|however|but|yet|"
                         r"nevertheless|nonetheless|instead|still,)(?:\b|(?<=,))", re.IGNORECASE)
# A sentence that adds to one before it: "Thomas also discusses…", "Additionally, …".
_ADDS_TO = re.compile(r"^(?:(?:\S+ ){0,3}also\b|additionally|furthermore|moreover|besides|"
                      r"in addition)", re.IGNORECASE)

SPEAKERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "show": {"type": "string"},
        "host": {"type": "string"},
        "guests": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "role": {"type": "string"}},
            "required": ["name", "role"]}},
    },
    "required": ["show", "host", "guests"],
}

INTRO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "intro": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "intro", "keywords"],
}


@dataclass
class Speakers:
    """The people the episode's opening names."""

    show: str = ""
    host: str = ""
    guests: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        """One line for a prompt: 'host A; guest B (role)'."""
        parts = [f"host {self.host}"] if self.host else []
        for name, role in self.guests:
            parts.append(f"guest {name}" + (f" ({role})" if role else ""))
        return "; ".join(parts) or "not named"

    def names(self) -> list[str]:
        return [n for n in [self.host, *(g for g, _ in self.guests)] if n]

    def named_guest(self) -> tuple[str, str] | None:
        """The first guest whose name is a name (a capitalised word in it): not "pre-natter
        agent", a misheard name that the speakers call gave."""
        return next((g for g in self.guests if name_words(g[0])), None)

    def guest_surname(self) -> str:
        """What the first-person rewrite calls the guest: the named guest's last name ("" when
        no guest has a name: the rewrite then says "the guest")."""
        guest = self.named_guest()
        return surname(guest[0]) if guest is not None else ""

    def context(self) -> list[str]:
        """The show's name and the guests' roles: grounded in the opening, and given to every
        extraction call, so a note may name the guest's organisation where the window does not."""
        return [text for text in [self.show, *(r for _, r in self.guests)] if text]


def searchable(text: str) -> str:
    """Lowercase words separated by single spaces, for 'does this name occur' tests."""
    return " " + " ".join(re.findall(r"[\w']+", text.lower())) + " "


def opening_text(text: str, limit: int = OPENING_WORDS) -> str:
    return " ".join(text.split()[:limit])


def identify_speakers(asker: Asker, info: Info, opening: str) -> Speakers:
    """Host, guests and show from the opening; a name or role the text does not hold is dropped."""
    values: dict[str, object] = {
        "title": info.title, "uploader": info.uploader or "unknown",
        "description": " ".join(info.description.split()[:80]) or "none",
        "opening": opening or "none",
    }
    try:
        reply = asker.json("speakers", values, SPEAKERS_SCHEMA,
                           asker.options.speakers_max_tokens)
    except LLMReplyError as exc:
        log.warning("speakers call failed (%s); notes will not name the speakers", exc)
        return Speakers()
    said = " ".join([opening, info.title, info.uploader, info.description])
    heard = searchable(said)

    def grounded(value: object, limit: int = 6) -> str:
        text = one_line(value).strip(".,;:")
        if not text or len(text.split()) > limit:
            return ""
        return text if searchable(text) in heard else ""

    def grounded_role(value: object) -> str:
        text = one_line(value).strip(".,;:")
        if not text or len(text.split()) > 10:
            return ""
        content = [w for w in words(text) if len(w) > 3]
        return text if content and all(f" {w} " in heard for w in content) else ""

    guests: list[tuple[str, str]] = []
    for item in reply.get("guests") or []:
        if isinstance(item, dict):
            name = grounded(item.get("name")) or heard_part(one_line(item.get("name")), said)
            if name and name.lower() not in {g.lower() for g, _ in guests}:
                role = grounded_role(item.get("role"))
                if set(words(role)) <= set(words(name)):  # "pre-natter agent (agent)": no role
                    role = ""
                guests.append((name, role))
    host = grounded(reply.get("host")) or heard_part(one_line(reply.get("host")), said)
    # a guest the description names but the opening never says is not speaking in it (a
    # file's comment tag naming its voices, a guest of a later part); a host may be named in
    # the details alone, as many never say their own name
    guests = [(g, r) for g, r in guests if g.lower() != host.lower() and in_opening(g, opening)]
    show = grounded(reply.get("show"), 8)
    host, guests = recheck_speakers(host, guests, opening, show)
    return Speakers(show=show, host=host, guests=guests[:4])


# How a show's opening says who is who (English): the host names himself ("I'm…", "my name
# is…"), greets the guest by name ("Ana, welcome.", "Welcome, Ana."), and the guest thanks the
# host by name in reply ("Thanks, Tom."); someone named as a speaker's relative ("my brother
# Leo") is talked about, not talking.
_RELATIVE = ("brother|sister|wife|husband|son|daughter|mother|father|mum|mom|dad|partner|"
             "friend|uncle|aunt|cousin|grandmother|grandfather|boss|dog|cat")
_THANKS = re.compile(r"\b(?i:thanks|thank you),?\s+([A-Z][a-z]+)\b")


def _forms(name: str) -> list[str]:
    """The ways a name is said when addressed: in full, without the surname, the first word."""
    parts = name.split()
    return sorted({name, " ".join(parts[:-1]), parts[0]} - {""}, key=len, reverse=True)


def _any_form(name: str) -> str:
    return "(?:" + "|".join(re.escape(f) for f in _forms(name)) + ")"


def _welcomed(name: str, text: str) -> re.Match[str] | None:
    """Where the opening greets `name` as a guest ("Ana, welcome", "welcome, Ana")."""
    form = _any_form(name)
    return re.search(rf"(?<![\w-]){form},?\s+welcome\b|\bwelcome,?\s+{form}(?![\w-])", text)


def _self_named(name: str, text: str) -> bool:
    form = _any_form(name)
    return re.search(rf"\b(?:I'm|I am|my name is|this is)\s+{form}(?![\w-])", text) is not None


def in_opening(name: str, opening: str) -> bool:
    """Whether the opening says `name`: one of its words as a name (capitalised), or a run of
    capitalised words as alike as a misheard name is (`spelling.likeness`: "Mayor Lena Vos"
    for "Marlena Voss")."""
    if any(len(w) > 2 and w.lower() not in NOT_NAMES
           and re.search(rf"(?<![\w'-]){re.escape(w)}(?![\w'-])", opening)
           for w in re.findall(r"[\w'-]+", name)):
        return True
    return any(likeness(name, run) >= ALIKE for run in capitalised_runs(opening))


def _is_the_show(name: str, show: str, opening: str) -> bool:
    """Whether `name` is the show's: the show the speakers call named, or what the opening
    welcomes the listener to ("Hello and welcome to Curd and Counsel, the podcast…")."""
    if show and name.lower() == show.lower():
        return True
    return re.search(rf"\bwelcome to (?:the )?{re.escape(name)}(?![\w-])", opening,
                     re.IGNORECASE) is not None


def _relative_only(name: str, text: str) -> bool:
    """True when every time the opening says `name` it names someone's relative or friend
    ("me and my brother Leo")."""
    form = _any_form(name)
    said = len(re.findall(rf"(?<![\w-]){form}(?![\w-])", text))
    told = len(re.findall(rf"\b(?:my|our|his|her|their)\s+(?:{_RELATIVE}),?\s+{form}(?![\w-])",
                          text, re.IGNORECASE))
    return said > 0 and told == said


def recheck_speakers(host: str, guests: list[tuple[str, str]], opening: str,
                     show: str = "") -> tuple[str, list[tuple[str, str]]]:
    """The speakers call's reply set right where the opening's own cues contradict it. A small
    model, given an opening where the recogniser misheard the host's own name ("I'm not your
    care" for "I'm Natya Carr"), takes the first name it reads for the host's, the host for a
    guest and a relative for a guest. A "host" the opening greets as a guest ("Ana, welcome.")
    who never names himself is the guest; the host is then the one the guest thanks by name
    just after ("Thanks, Tom."). A guest named only as someone's relative is nobody speaking.
    A "host" that is the show (`show`, or what the opening welcomes the listener to: "welcome to
    Curd and Counsel") is nobody. With no host, a "guest" who names himself ("I'm Sam…") and is
    not greeted as a guest is the host."""
    if host and _is_the_show(host, show, opening):
        host = ""
    named = next((g for g, _ in guests if _self_named(g, opening)
                  and _welcomed(g, opening) is None), "") if not host else ""
    if named:
        host, guests = named, [(g, r) for g, r in guests if g != named]
    if host and _welcomed(host, opening) is not None and not _self_named(host, opening):
        guests = [(host, ""), *[(g, r) for g, r in guests if g != host]]
        host = ""
    if not host:
        for name, _ in guests:
            welcome = _welcomed(name, opening)
            if welcome is None:
                continue
            thanked = _THANKS.search(opening[welcome.end():welcome.end() + 80])
            if (thanked is not None and thanked.group(1) not in name.split()
                    and thanked.group(1).lower() not in NOT_NAMES):  # "Thank you, It was…"
                heard = thanked.group(1)
                host = next((g for g, _ in guests if heard in g.split()), heard)
                guests = [(g, r) for g, r in guests if g != host]
            break
    kept = [(g, r) for g, r in guests if not _relative_only(g, opening)]
    return host, kept if kept else guests


def heard_part(name: str, said: str) -> str:
    """The part of `name` that `said` (the opening and the episode details) says as a name: its
    first run of name words each written there capitalised, never in lower case, and none a
    common word ("Priya" of "Priya Natarajan" where Whisper heard "pre-natter agent … Priya,
    welcome"); "" where none is. Whisper mishears a surname far more often than the given name
    the host addresses."""
    from recap.text.names import NOT_NAMES

    def as_said(word: str) -> bool:
        found = re.findall(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", said, re.IGNORECASE)
        return bool(found) and all(f[:1].isupper() for f in found)

    run: list[str] = []
    for part in name.split():
        word = part.strip(".,;:()\"'")
        if (len(word) > 2 and word[:1].isupper() and word.lower() not in NOT_NAMES
                and as_said(word)):
            run.append(word)
        elif run:
            break
    return " ".join(run)


def write_intro(asker: Asker, info: Info, speakers: Speakers, section_titles: list[str],
                highlights: list[str], transcript_text: str, duration: str,
                names: list[str], notes: list[str] | None = None,
                parts: list[int] | None = None, voices: list[str] | None = None,
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Summary, intro and keywords (Notes fields), and the checks made on them.

    A sentence that copies the transcript (a run of `COPY_LIMIT` words), speaks in the first
    person, is the show's sign-off ("… promise to return then.") or holds a name or figure
    neither the transcript nor the metadata has is dropped; when nothing is left, a plain intro
    is composed from the speakers and the section titles. So is a sentence that says one or two of
    the post's `notes` (default: `highlights`) again, unless it frames the episode. An English
    intro that does not name a later part's voice is followed by a sentence saying who speaks
    in it and its sections' titles (`goes_on`; `parts`: the part each section is in, 0 the
    first; `voices`: who speaks in each later part). A sentence naming one part's voice lists
    only that part's section titles (`own_subjects`).
    """
    from recap.quality.support import check_bullet

    values: dict[str, object] = {
        "title": info.title, "uploader": info.uploader or "unknown", "duration": duration,
        "description": " ".join(info.description.split()[:80]) or "none",
        "speakers": speakers.describe(),
        "sections": "\n".join(f"- {t}" for t in section_titles) or "none",
        "highlights": "\n".join(f"- {h}" for h in highlights) or "none",
    }
    checks: dict[str, Any] = {"intro_sentences_dropped": 0, "intro_fallback": False}
    try:
        reply = asker.json("intro", values, INTRO_SCHEMA, asker.options.intro_max_tokens)
    except LLMReplyError as exc:
        log.warning("intro call failed: %s", exc)
        reply, checks["intro_failed"] = {}, str(exc)
    source_words = words(transcript_text)
    said = highlights if notes is None else notes
    people = frozenset(stem(w) for name in speakers.names() for w in words(name))
    allowed = [*names, *speakers.names()]
    # What an English intro's words are checked against, when the notes are in the transcript's
    # language (a translated intro's words are not the transcript's).
    episode_text = " ".join([transcript_text, info.title, info.description, *allowed,
                             *(role for _, role in speakers.guests), *section_titles])
    grounded = (episode_words(episode_text)
                if asker.language == "en" == asker.source_language else None)

    def unsupported(sentence: str) -> bool:
        found = check_bullet(sentence, transcript_text, allowed)
        if found is None:
            return False
        if capitalises_nouns(asker.language):  # every German noun looks like a name: only its
            return bool(found.unsupported_figures)  # figures can be checked
        return True

    def wrong(sentence: str) -> bool:
        """What the sentence says is copied or not in the episode."""
        copied = longest_copied_run(sentence, source_words)
        return (copied >= COPY_LIMIT or copied >= 0.6 * len(words(sentence))
                or unsupported(sentence)
                or (grounded is not None and not said_in(sentence, grounded)))

    show = show_name(speakers, info)

    def keep(text: str, limit: int) -> str:
        kept: list[str] = []
        dropped = False  # the sentence before was dropped
        for sentence in sentences(one_line(text)):
            if (asker.language == "en" and wrong(sentence)
                    and not host_given_role(sentence, speakers)):
                # "Thomas Goss, a prominent figure in the rail industry, shares…": the aside
                # says what the episode does not (or copies the opening's name and role); the
                # sentence without it may be sound.
                sentence = without_aside(sentence, speakers)
            if (wrong(sentence) or len(words(sentence)) < 5 or "?" in sentence
                    or (asker.language == "en" and restates_a_note(sentence, said, people))
                    or (asker.language == "en" and (signs_off(sentence)
                                                    or host_given_role(sentence, speakers)
                                                    or show_miscalled(sentence, show)
                                                    or only_presents(sentence)))
                    or first_person(sentence, asker.language)
                    or (asker.language == "en" and (
                        (dropped and _LEANS_BACK.match(sentence))
                        or ((dropped or not kept) and _ADDS_TO.match(sentence))))):
                checks["intro_sentences_dropped"] += 1
                dropped = True
                continue
            kept.append(sentence)
            dropped = False
        return " ".join(kept[:limit])

    placeholder = not info.uploader  # the prompt said "Channel: unknown"
    summary = keep(without_placeholder(str(reply.get("summary") or ""), placeholder), 2)
    intro = keep(without_placeholder(str(reply.get("intro") or ""), placeholder),
                 INTRO_SENTENCES)
    def composed() -> str:
        """The intro composed without the model (English, like every composed sentence)."""
        proper = proper_words(transcript_text)
        return _not_copied(lambda roles: plain_intro(info, speakers, section_titles, roles,
                                                     proper=proper), source_words)

    if not intro and summary and asker.language == "en":
        # Every sentence of the intro was dropped ("Priya started keeping beehives in 2015…": the
        # notes said again): the description says who talks about what in the writer's words.
        intro = summary
        checks["intro_from_summary"] = True
    if not intro:
        # The composed intro is English; in another language the post's writer composes its own.
        intro = composed() if asker.language == "en" else ""
        checks["intro_fallback"] = True
    elif asker.language == "en" and not names_a_guest(intro, speakers):
        # "The episode covers topics such as cheese production…": the reader is not told who
        # talks. The composed sentence says it (English, like every composed sentence).
        who = _not_copied(lambda roles: who_talks(info, speakers, roles), source_words)
        if who:
            intro = f"{who} {intro}"
            checks["intro_named_guest"] = True
    if intro and asker.language == "en" and not (mentions_the_episode(intro, info, speakers)
                                                   and frames(intro, info, speakers)):
        # "The librarians were nervous about the project for a week…", "The bakery sold 9,000
        # loaves last year and Ruiz hired no one.": a note, not an intro (no guest with a name
        # to say who talks, or nothing saying that this is an episode, who talks or visits whom).
        # The summary's opening, when it says who or what this is, or else the composed
        # sentence, frames it.
        framing = sentences(summary)[0] if summary else ""
        if framing == sentences(intro)[0] or not (mentions_the_episode(framing, info, speakers)
                                                   and frames(framing, info, speakers)):
            framing = composed()
        intro = f"{framing} {intro}"
        checks["intro_framed"] = True
    if asker.language == "en":
        whole = full_names(intro, speakers.names())
        described = full_names(summary, speakers.names())
        if (whole, described) != (intro, summary):
            intro, summary = whole, described
            checks["intro_full_names"] = True
    if asker.language == "en" and voices:
        guests = [g for g, _ in speakers.guests]
        own_intro = own_subjects(intro, section_titles, parts or [], voices, guests)
        own_summary = own_subjects(summary, section_titles, parts or [], voices, guests)
        if own_intro != intro:
            intro, checks["intro_own_subjects"] = own_intro, True
        if own_summary != summary:
            summary, checks["summary_own_subjects"] = own_summary, True
    if intro and asker.language == "en":
        rest = goes_on(intro, section_titles, parts or [0] * len(section_titles), voices or [])
        if rest and longest_copied_run(rest, source_words) < COPY_LIMIT:
            intro = f"{intro} {rest}"
            checks["intro_goes_on"] = True
    if not summary:
        summary = sentences(intro)[0] if intro else ""
    keywords = unique_strings(reply.get("keywords"), 10)
    keywords = [k for k in keywords if searchable(k).strip() and searchable(k) in searchable(
        " ".join([transcript_text, *names, *section_titles]))]
    return {"summary": summary, "intro": intro, "keywords": keywords,
            "speakers": speakers.names()}, checks


# Words that frame a sentence as the writer's about the episode ("…talks with…", "The episode
# covers…"), not as one of its claims.
_FRAMES = re.compile(r"\b(?:episodes?|podcasts?|shows?|interview\w*|conversations?|talks?|"
                     r"discuss\w*|shares?|explains?|explores?|covers?|joins?|guests?|hosts?|"
                     r"speaks?|tells?|describes?|walks?|recaps?|listeners?|readers?)\b",
                     re.IGNORECASE)
# A speaker said to say a claim: the claim is the sentence ("Holt explains that a glass float
# sells for 9 euros." is that note, not the writer's framing).
_REPORTED = re.compile(r"^(?:(?:Dr|Mr|Mrs|Ms|Prof)\.\s+)?(?:[A-Z][\w'’-]*\s+){1,3}(?:also\s+)?"
                       r"(?:explains|explained|says|said|notes|noted|mentions|mentioned|adds|"
                       r"added|points out|pointed out|reports|reported|states|stated|shares|"
                       r"shared|tells (?:us|listeners|the host)) that\s+")
RESTATED = 0.8
"""Share of a sentence's content stems in one note that makes it that note said again."""
WHO_IS_WORDS = 4
"""A sentence naming a speaker with this many other content words or fewer may say who the
speaker is in two notes' words ("Priya Natarajan looks after forty hives on the roofs of
Rotterdam")."""


def restates_a_note(sentence: str, notes: list[str], people: frozenset[str] = frozenset(),
                    ) -> bool:
    """True when an intro sentence is one of the post's notes said again ("Priya started keeping
    beehives on roofs in 2015 with two hives." above the same bullet), or two of them joined: the
    intro introduces the episode (who talks, about what, why read it) and the bullets carry its
    claims. A sentence that frames the episode ("…talks with…", "The episode covers…") is the
    writer's. One naming a speaker (`people`: their names' stems) may say who the speaker is in
    two notes' words ("Priya Natarajan looks after forty hives on the roofs of Rotterdam"): it
    is judged on its words other than the names, against one note at a time when it has
    `WHO_IS_WORDS` of them or fewer."""
    reported = _REPORTED.match(sentence)
    if reported:
        sentence = sentence[reported.end():]  # "Holt explains that a float sells for 9 euros."
    elif _FRAMES.search(sentence):  # the claim reported may say "covers" or "shares" of itself
        return False
    mine = claim_stems(sentence, frozenset())  # figures aside: "22" and "twenty two" alike
    if len(mine) < 3:
        return False
    stems = [_meeting(mine, claim_stems(note, frozenset())) for note in notes]
    pairs = any(len(a | b) >= RESTATED * len(mine) for i, a in enumerate(stems) for b in stems[i:])
    if mine & people:
        claims = mine - people
        return len(claims) >= 3 and (
            any(len(a - people) >= RESTATED * len(claims) for a in stems)
            or (len(claims) > WHO_IS_WORDS and pairs))
    return pairs


MEETING_STEM = 4
"""Letters the shorter of two stems needs for one that opens the other to count as the same
word in `restates_a_note` ("roof" and "rooftop", "bee" and "beekeeper" not)."""


def _meeting(mine: set[str], theirs: set[str]) -> set[str]:
    """`mine`'s stems that `theirs` has, or has as the start of a longer one, or the start of
    which it has ("rooftops" in an intro, "roofs" in the note)."""
    return {m for m in mine if m in theirs or any(
        min(len(m), len(t)) >= MEETING_STEM and (m.startswith(t) or t.startswith(m))
        for t in theirs)}


_UNKNOWN = re.compile(r"\s+(?:of|from|on|by)\s+(?:the\s+|an?\s+)?unknown"
                      r"(?:\s+(?:channel|show|podcast|uploader|source))?\b", re.IGNORECASE)


def without_aside(sentence: str, speakers: Speakers) -> str:
    """`sentence` without the aside between commas after a speaker's name ("Thomas Goss, a
    prominent figure in the rail industry, shares…" -> "Thomas Goss shares…"), or without the
    aside that ends it after a name ("… talks with Oskar Lind, the harbour master and chief
    pilot of the Northern Ferry Company." -> "… talks with Oskar Lind.": a guest's role of
    eight words is a run copied from the opening; the model may spell the name otherwise than
    the speakers are known, so any capitalised word will do there); unchanged when there is
    none (a middle aside must be followed by a word in lower case: the sentence goes on)."""
    for name in speakers.names():
        parts = [re.escape(p) for p in name.split() if p[:1].isupper()]
        if not parts:
            continue
        found = re.search(r"\b((?:" + r" )?(?:".join(parts) + r")), [^,]{3,90}?, (?=[a-z])",
                          sentence)
        if found is not None:
            return f"{sentence[:found.end(1)]} {sentence[found.end():]}"
    last = _LAST_ASIDE.search(sentence)
    if last is not None and len(words(sentence[:last.end(1)])) >= 4:
        return f"{sentence[:last.end(1)]}{last.group(2) or '.'}"
    return sentence


# An aside that ends a sentence after a capitalised word: ", the co-founder of X."
_LAST_ASIDE = re.compile(r"\b([A-Z][\w'’-]*), [a-z][^,]{3,90}?([.!]?)$")


def host_given_role(sentence: str, speakers: Speakers) -> bool:
    """True when `sentence` gives the host the guest's role ("In this episode, Ferrier, head
    teacher at an academy, shares…", where the head teacher is the guest): the model mixes up
    who is who, and the sentence goes."""
    if not speakers.host.strip() or not speakers.guests:
        return False
    parts = [p for p in speakers.host.split() if p[:1].isupper() and len(p) > 1]
    roles = [content_stems(role) for _, role in speakers.guests if role.strip()]
    for match in re.finditer(r"\b(?:" + "|".join(re.escape(p) for p in parts) + r")(?:['’]s)?,"
                             r" ((?:\S+ ){0,7}\S+?)[,.]", sentence) if parts else ():
        said = content_stems(match.group(1))
        if any(role and len(role & said) >= max(1, len(role) / 2) for role in roles):
            return True
    return False


# What a show is: "Harbour Hour is a weekly podcast about…" says what it is; "… is a ferry
# company" takes the show for what it talks about.
_SHOW_KINDS = re.compile(r"\b(?:podcasts?|shows?|programmes?|programs?|series|episodes?|radio|"
                         r"magazines?|broadcasts?|newsletters?|talk|interviews?)\b", re.IGNORECASE)


def show_miscalled(sentence: str, show: str) -> bool:
    """True when `sentence` says the show is something other than a show ("Harbour Hour is a
    ferry company that started in 2019…", where Harbour Hour is the podcast and the ferry
    company its guest's): the model took the show's name for its subject's, and the sentence
    goes. "Harbour Hour is a weekly podcast…" is right."""
    if not show.strip():
        return False
    said = re.match(show_opening(show) + r"(?:is|was|has been) (?P<what>[^.;:]+)", sentence,
                    re.IGNORECASE)
    return said is not None and _SHOW_KINDS.search(said.group("what")) is None


def show_opening(show: str) -> str:
    """The pattern (case aside) of a sentence opening on the show's name as its subject:
    "Harbour Hour ", "In this episode, the Harbour Hour, "."""
    return rf"^(?:In this episode,? )?(?:the )?{re.escape(show)}(?![\w-]),? "


_PRESENTING = frozenset(stem(w) for w in (
    "episode podcast series show programme program radio introduce introduces present presents "
    "open opens host hosts new latest weekly week today").split())


def only_presents(sentence: str) -> bool:
    """True when the sentence only says that someone presents the show ("In this episode, Adler
    introduces the podcast series The Harbour Hour."): every word but the names is about
    presenting a show, which tells the reader nothing the title and the first sentence do not."""
    plain = " ".join(w for w in WRITTEN_WORD.findall(sentence) if not w[:1].isupper())
    said = content_stems(plain)
    return bool(said) and said <= _PRESENTING and bool(said & {stem("introduces"),
                                                               stem("presents")})


def without_placeholder(text: str, placeholder: bool) -> str:
    """`text` without the prompt's placeholder for a channel it was not given ("In this episode
    of unknown channel, Rob…" -> "In this episode, Rob…"), when the prompt had it."""
    return _UNKNOWN.sub("", text) if placeholder else text


def episode_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the stems, the lower-case words) of the episode's text, for `said_in`."""
    found = words(text)
    return frozenset(stem(w) for w in found), frozenset(found)


def said_in(sentence: str, episode: tuple[frozenset[str], frozenset[str]]) -> bool:
    """Whether an intro sentence says what the episode says: no praise the transcript does not
    use, and at least `INTRO_SUPPORT` of its content words (framing, figures and names aside,
    names being checked on their own) found in the episode's text."""
    stems, lower = episode
    found = words(sentence)
    if any(w in _PRAISE and w not in lower for w in found):
        return False
    claims = claim_stems(sentence, _FRAMING)
    return not claims or len(claims & stems) >= INTRO_SUPPORT * len(claims)


def _not_copied(compose: Callable[[bool], str], source_words: list[str]) -> str:
    """A composed sentence, with the guest's role (`compose(True)`) unless that copies
    `COPY_LIMIT` words of the transcript: the role is the opening's own words, and with the name
    before it, a copy."""
    text = compose(True)
    return text if longest_copied_run(text, source_words) < COPY_LIMIT else compose(False)


def _name_parts(name: str) -> list[str]:
    """The words that make `name` a name ("Priya Natarajan" -> both; "pre-natter agent", a role
    the speakers call gave as a name, -> none)."""
    return [part for part in name_words(name) if len(part) > 2 and part[:1].isupper()]


def _words_said(text: str) -> set[str]:
    """The words of `text`, a possessive also without its "'s" ("Priya's" is "Priya")."""
    found = set(re.findall(r"[\w'’-]+", text))
    return found | {re.sub(r"['’]s$", "", w) for w in found}


def names_a_guest(text: str, speakers: Speakers) -> bool:
    """Whether `text` names one of the guests (by any capitalised word of the name, "Priya's"
    too), or there is no guest with a name to name."""
    named = [parts for parts in (_name_parts(name) for name, _ in speakers.guests) if parts]
    found = _words_said(text)
    return not named or any(part in found for parts in named for part in parts)


def mentions_the_episode(text: str, info: Info, speakers: Speakers) -> bool:
    """Whether `text` says whose or what episode this is: a speaker's name (any capitalised word
    of it), the show's name or the episode's title, or the words "episode", "podcast", "show"."""
    found = _words_said(text)
    if any(part in found for name in speakers.names() for part in _name_parts(name)):
        return True
    return (names_the_show(text, info, speakers)
            or bool(re.search(r"\b(?:episode|podcast|show|interview)s?\b", text, re.IGNORECASE)))


def names_the_show(text: str, info: Info, speakers: Speakers) -> bool:
    """Whether `text` names the show (as the opening or the uploader gives it) or the episode's
    title."""
    said = searchable(text)
    named = [n for n in (speakers.show, info.uploader, info.title) if searchable(n).strip()]
    return any(searchable(n) in said for n in named)


# What a guide says of a visit or a meeting ("Sam travels to the valley to meet…").
_VISITS = re.compile(r"\b(?:meets?|meeting|visits?|visiting|travels?|joined|welcomes?|"
                     r"interviews?|asks?)\b", re.IGNORECASE)


def frames(text: str, info: Info, speakers: Speakers) -> bool:
    """Whether `text` frames the episode as its writer would: it says that this is an episode
    (or names the show or the title), who talks with, meets or visits whom, or who a speaker is
    ("Ana Ruiz is a co-founder of…", "Ana Ruiz, a ferry pilot, …")."""
    parts = [re.escape(p) for name in speakers.names() for p in _name_parts(name)]
    who_is = parts and re.search(
        rf"\b(?:{'|'.join(parts)})(?:\s+(?:is|was)|,)\s+(?:a|an|the|one)\b", text)
    return (bool(_FRAMES.search(text) or _VISITS.search(text) or who_is)
            or names_the_show(text, info, speakers))


def who_talks(info: Info, speakers: Speakers, roles: bool = True) -> str:
    """'In Rail Talk, Clara talks with Thomas Berg, a signal engineer.': who talks, without the
    model ("" when no guest has a name)."""
    guest = speakers.named_guest()
    if guest is None:
        return ""
    talk, role = _talks_with(speakers, roles, guest)
    who = talk + (f", {role}" if role else "")
    show = show_name(speakers, info)
    return f"In {show}, {who}." if show else f"{who[:1].upper()}{who[1:]}."


def show_name(speakers: Speakers, info: Info) -> str:
    """The show's name as a sentence may use it: the one the opening gives, else the uploader,
    but not one written all in lower case ("night train": a file's name taken for the show's,
    which "In night train, Clara talks with…" would print as it is)."""
    return next((name for name in (speakers.show, info.uploader)
                 if name and not in_lower_case(name)), "")


def _talks_with(speakers: Speakers, roles: bool,
                guest: tuple[str, str] | None = None) -> tuple[str, str]:
    """('Clara talks with Thomas Berg', the guest's role or '') for `guest` (default: the
    first)."""
    name, role = guest or speakers.guests[0]
    host = speakers.host or "the host"
    talk = "talk" if " and " in host or " & " in host else "talks"
    if role and has_verb(role) and role.split()[0].lower() not in {"who", "a", "an", "the"}:
        role = f"who {role}"  # "keeps forty beehives": "Priya, who keeps forty beehives"
    return f"{host} {talk} with {name}", role if roles else ""


def proper_words(text: str) -> frozenset[str]:
    """The words (lower-cased) that `text` writes capitalised inside a sentence and never in
    lower case: names ("Stockholm", "Glowmoth")."""
    lower: set[str] = set()
    capital: set[str] = set()
    for match in re.finditer(r"[A-Za-z][\w'-]*", text):
        word = match.group()
        if word[0].islower():
            lower.add(word)
            continue
        if not at_sentence_start(text, match.start()):
            capital.add(word.lower())
    return frozenset(capital - lower)


def _subject(title: str, proper: frozenset[str]) -> str:
    """A section title as a subject inside a sentence: "Floods and water table rise" ->
    "floods and water table rise", but "Stockholm arrivals" and "Plum Tree Desk" (a name:
    `proper`, or a second word capitalised too) stay."""
    parts = title.split()
    first = parts[0] if parts else ""
    base = re.sub(r"['’]s$", "", first).lower()  # "Price's team…": Price is the name
    if (not first[:1].isupper() or base in proper or first.isupper()
            or (len(parts) > 1 and parts[1][:1].isupper())):
        return title
    return title[:1].lower() + title[1:]


def _only_about(title: str, named: set[str]) -> bool:
    """True when `title` is a person's name in the possessive and two words at most ("Dr. Aileen
    MacRae's project"), with `named` the words of that name (lower case)."""
    parts = title.split()
    owner = [i for i, w in enumerate(parts)
             if w.endswith(("'s", "’s")) and w[:-2].lower() in named]
    return bool(owner) and len(parts) - owner[-1] - 1 <= 2


def plain_intro(info: Info, speakers: Speakers, section_titles: list[str],
                roles: bool = True, proper: frozenset[str] = frozenset()) -> str:
    """An intro composed without the model: who talks, about what (`proper`: the transcript's
    names, which keep their capital where a title opens on one; `proper_words`)."""
    show = show_name(speakers, info) or "this episode"
    who = ""
    if (guest := speakers.named_guest()) is not None:
        talk, role = _talks_with(speakers, roles, guest)
        who = f" {talk}" + (f", {role}," if role else "")
    # "Route and bridges across Denmark" -> "route and bridges across Denmark": the first letter
    # only, and not of a name.
    proper = proper | {w.lower() for name in speakers.names() for w in name.split()
                       if w[:1].isupper()}
    subjects = [_subject(t, proper) for t in section_titles]
    if guest is not None and len(subjects) > 1:
        # "…talks with Aileen MacRae about Aileen MacRae's project; the bog…": the sentence has
        # named her, and a heading that is only her name and a word or two adds nothing to it.
        named = {w.lower() for w in _name_parts(guest[0])}
        subjects = [t for t in subjects if not _only_about(t, named)] or subjects
        # "…, director of the Harbour Lights Glassworks, about … Harbour Lights": a heading
        # whose words the sentence has said already adds nothing to it either
        said = content_stems(who)
        subjects = [t for t in subjects if not content_stems(t) <= said] or subjects
    more = " among other subjects" if len(subjects) > 3 else ""
    # a list of every section reads as a table of contents
    about = _listed(subjects[:3]) or "the episode's subjects"
    if who:
        return f"In {show},{who} about {about}{more}."
    return f"{info.title} covers {about}{more}."


def _listed(subjects: list[str]) -> str:
    """'a, b and c'; 'a and b; c and d; and e' where a subject has its own "and"."""
    if len(subjects) > 2 and any(" and " in t for t in subjects):
        return "; ".join(subjects[:-1]) + "; and " + subjects[-1]
    if len(subjects) > 1:
        return ", ".join(subjects[:-1]) + " and " + subjects[-1]
    return subjects[0] if subjects else ""


def _spread(items: list[str], count: int) -> list[str]:
    """`count` of `items`, spread over them in order (the first and the last among them)."""
    if len(items) <= count:
        return items
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


GOES_ON_SECTIONS = 3
"""Sections of a later part the intro's sentence on it names at most."""


def goes_on(intro: str, titles: list[str], parts: list[int], voices: list[str]) -> str:
    """The later parts of an episode the intro does not speak of, one sentence each: 'Later,
    the episode turns to Tobias Vance: "The night ferry" and "Fares".' (`parts`: the part each of
    the sections `titles` is in, 0 the first; `voices`: who speaks in each later part). A
    small model writes the intro about the opening part; a reader should learn that more
    follows, and with whom. A part whose voice the intro names (however the intro spells it:
    the names are respelled after) is left to it. The section titles are quoted: a title is a
    heading ("Night ferry to Halvøy"), which a sentence cannot always take as its object.
    English, like every composed sentence."""
    said = _capitalised_words(intro)
    out: list[str] = []
    for k, voice in enumerate(voices, 1):
        theirs = [t for t, p in zip(titles, parts, strict=True) if p == k]
        if not theirs or not _name_parts(voice) or _said_voice(voice, said):
            continue
        quoted = _listed([f'"{t}"' for t in _spread(theirs, GOES_ON_SECTIONS)])
        out.append(f"Later, the episode turns to {voice}: {quoted}.")
    return " ".join(out)


# Where a sentence's list of subjects starts: "…answers your questions about …", "…to discuss …".
_LIST_LEAD = re.compile(r"\s+(?:about|on|covering|including|such as|to (?:discuss|explore|cover)"
                        r"|discuss(?:es|ing)?|explor(?:es|ing))\s+", re.IGNORECASE)
_LIST_GLUE = re.compile(r",\s*and\s+|,\s*|;\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)


def _capitalised_words(text: str) -> set[str]:
    """The capitalised words of `text`, a possessive "'s" off ("Vance's" -> "Vance")."""
    return {re.sub(r"['’]s$", "", w) for w in re.findall(r"[\w'’-]+", text) if w[:1].isupper()}


def _said_voice(name: str, said: set[str]) -> bool:
    """Whether `name` is among the capitalised words `said`, however it is spelt (a word of
    four letters or more as alike as a misheard name; "Dr" is no "Dour")."""
    return any(part in said or (len(part) > 3 and any(
        len(w) > 3 and likeness(part, w) >= ALIKE for w in said)) for part in _name_parts(name))


def _titles_listed(tail: str, titles: list[str]) -> list[tuple[int, str]] | None:
    """The `titles` that `tail` lists, in order (each index, as the tail writes it), when the
    tail is nothing but a list of two or more of them (joined by commas, "and" and "the"), or
    None."""
    low = tail.lower().rstrip(" .!")
    at, found = 0, []
    by_length = sorted(range(len(titles)), key=lambda i: -len(titles[i]))
    while at < len(low):
        glue = _LIST_GLUE.match(low, at)
        if glue is not None:
            at = glue.end()
        match = None
        for start in (at, at + 4) if low.startswith("the ", at) else (at,):
            match = next((i for i in by_length if titles[i].strip()
                          and low.startswith(titles[i].lower(), start)), None)
            if match is not None:
                at = start
                break
        if match is None:
            return None
        found.append((match, tail[at:at + len(titles[match])]))
        at += len(titles[match])
    return found if len(found) >= 2 else None


def own_subjects(text: str, titles: list[str], parts: list[int], voices: list[str],
                 guests: list[str]) -> str:
    """`text` with each sentence that names the voice of one part of the episode only, and
    lists section titles ("Tobias Vance answers your questions about ferry fares, the night
    ferry and tide tables."), listing only that part's: a small model given every section
    credits a later part's voice with the opening's subjects. Where none of the listed titles
    is that part's, the list goes ("Tobias Vance answers your questions."). `parts`: the part
    of each section (0 the first); `voices`: who speaks in each later part; `guests`: the
    opening's guests."""
    if not voices or len(parts) != len(titles):
        return text
    opening = [g for g in guests if not any(likeness(g, v) >= ALIKE for v in voices)]
    out = []
    for sentence in sentences(text):
        said = _capitalised_words(sentence)
        named = {k for k, voice in enumerate(voices, 1) if _said_voice(voice, said)}
        if any(_said_voice(g, said) for g in opening):
            named.add(0)
        listed, lead = None, None
        if len(named) == 1:
            for lead in _LIST_LEAD.finditer(sentence):
                if (listed := _titles_listed(sentence[lead.end():], titles)) is not None:
                    break
        if listed is None or lead is None:
            out.append(sentence)
            continue
        kept = [written for i, written in listed if parts[i] in named]
        if len(kept) == len(listed):
            out.append(sentence)
        elif kept:
            out.append(f"{sentence[:lead.end()]}{_listed(kept)}.")
        else:
            out.append(f"{sentence[:lead.start()].rstrip(' ,')}.")
    return " ".join(out)


def full_names(text: str, names: list[str]) -> str:
    """`text` with each speaker that it calls by the first name only ("Maren talks about her
    glassworks") named in full the first time ("Maren Holt talks…"): a reader meets the guest
    in the intro, and the notes call her by her surname."""
    for name in names:
        parts = name.split()
        if len(parts) < 2 or not parts[0][:1].isupper() or parts[0].endswith("."):
            continue
        if any(re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text) for p in parts[1:]):
            continue
        first = re.search(rf"(?<![\w'’-]){re.escape(parts[0])}(?![\w-])", text)
        if first is not None:
            text = text[:first.start()] + name + text[first.end():]
    return text
