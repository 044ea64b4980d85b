"""Sections: the notes cut where the episode changes subject, then titled by the model.

Subjects in a podcast run in stretches, so sections are consecutive runs of notes. The cuts go
where the words change most (cosine of the tf-idf bags of the notes and their cited lines, three
notes on either side of each boundary) and where a long stretch of talk gave no note (a sponsor
read, a goodbye and the next guest's introduction) but not before a note that opens on a pronoun
(its noun is in the note before), under size limits (no section over a third
of the notes once there are three or more) and preferring sections of even size. The model
only names the sections it is shown; when it cannot, the section is titled from its most
distinctive words and the fallback is counted.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from recap.errors import LLMReplyError
from recap.notes.ask import Asker
from recap.notes.verify import Candidate
from recap.notes.words import (
    AFTER_SUBJECT,
    COMMON_VERBS,
    DETERMINERS,
    PARTICLES,
    PHRASE_OPENERS,
    clean_title,
    content_stems,
    has_verb,
    longest_copied_run,
    stem,
    words,
)
from recap.text.names import LEANING_OPENER, STOPWORDS
from recap.text.vocabulary import is_number_word, is_unit_word

log = logging.getLogger("recap.notes")

SMALLEST = 3
"""Notes in the smallest section: a heading over two notes is a heading over a fragment of a
subject, and the model titles it badly."""
NOTES_PER_SECTION = 6.5
"""About this many notes a section. With eight, a section of a dense twelve-minute episode
held two or three subjects (a company's history beside its pay policy); with five, a reader
found a third of the sections split from the one before or too small to stand alone. A blind
reader ranked the sections of 6.5 first on each of three unread episodes, against 5 and 8 on
the same notes (stop 63: sections mixing two subjects 7, 5 and 10; needlessly split 3, 10
and 2; too small 3, 9 and 1). On hand-marked subjects of the tuning scripts, the notes
outside their section's main subject were 40 % with eight, 29 % with 6.5 and 20 % with five
(this stop's tuning replies)."""
MOST_SECTIONS = 12
"""Sections at most: on a long episode the notes per section grow instead."""
GAP_WEIGHT = 0.1
"""How much a stretch of talk without notes (a sponsor read, a goodbye and a new guest's
introduction) counts towards a cut: the similarity across a boundary is lowered by this times
the log of the silence between the two notes over three times the usual one."""
CONTINUES = 0.1
"""How much a note that opens on a pronoun ("They are part of the taste.") counts against a cut
before it: its noun is in the note before, and a section that opens on it cannot be read."""
PART_BREAK = 1.0
"""How much a later part's start between two notes counts towards a cut there: more than any
likeness of words (cosines are 0 to 1), so the cut falls there unless the size limits forbid."""
BALANCE = 0.08
"""How much a section's size away from the average counts against a split (squared, in
averages): the words decide where the subject changes; among splits that cut as well, the
even one wins, so a subject does not end up as one section of a third of the post beside
sections of three notes."""
HEADING_NOTES = 6
"""Notes a section asked alone for its heading is shown first: all of a section of six or
fewer. Shown four of its notes, the model named one or two of them ("Glassworks in Murano"
over a harbour's dredging, its berth fees and the lamps made in Murano); on the same sections
of three unread episodes, a blind reader found 16 of 32 headings naming their bullets with
six shown, 13 with four, and 25 good headings against 20 (stop 63; fewer taken from a
misheard word)."""
ALONE_MAX_TOKENS = 48
"""A section asked alone in JSON: one heading of 2 to 5 words is ~20 tokens of JSON."""
HEADING_MAX_TOKENS = 24
"""A heading of 2 to 5 words is under 12 tokens; the rest is room for a longer one to be cut
down to its noun phrases."""

_NOT_A_HEADING = re.compile(r"[!{}\[\]<>=|`]|https?:")

_GENERIC_TITLES = frozenset(
    "introduction intro conclusion conclusions discussion overview summary notes section "
    "miscellaneous other topics key points highlights background closing".split())


def section_count(notes: int) -> int:
    """About `NOTES_PER_SECTION` notes a section, 1 to `MOST_SECTIONS` sections, at least 3 once
    there are 9 notes."""
    if notes < 6:
        return 1
    count = max(2, min(MOST_SECTIONS, round(notes / NOTES_PER_SECTION)))
    return max(count, 3) if notes >= 9 else count


def split_sections(candidates: list[Candidate], count: int,
                   breaks: Sequence[float] = ()) -> list[list[Candidate]]:
    """Consecutive runs of `candidates` (in time order), cut at the strongest changes of subject
    and, before all, where a later part of the episode starts (`breaks`, in seconds: a
    magazine's next item, with its own voice, is another subject whatever its words)."""
    if count <= 1 or len(candidates) < 2:
        return [candidates] if candidates else []
    units = [[c] for c in candidates]
    bags = _weighted_bags([" ".join([c.text, c.source()]) for c in candidates])
    reach = 3  # notes compared on each side of a boundary
    silences = _silences(candidates)
    gap_cost = [_cosine(_merge(bags[max(0, i + 1 - reach): i + 1]),
                        _merge(bags[i + 1: i + 1 + reach])) - silences[i]
                + (CONTINUES if LEANING_OPENER.match(candidates[i + 1].text) else 0.0)
                - (PART_BREAK if any(candidates[i].start < b <= candidates[i + 1].start
                                     for b in breaks) else 0.0)
                for i in range(len(units) - 1)]
    sizes = [len(u) for u in units]
    cuts = _choose_cuts(sizes, gap_cost, count, len(units))
    sections: list[list[Candidate]] = []
    start = 0
    for cut in [*cuts, len(units) - 1]:
        sections.append([c for u in units[start: cut + 1] for c in u])
        start = cut + 1
    return [section for section in sections if section]


def _silences(candidates: list[Candidate]) -> list[float]:
    """What the time between each note and the next says about a change of subject: 0 for the
    usual distance, more the longer the talk that gave no note."""
    gaps = [max(0.0, b.start - a.end) for a, b in zip(candidates, candidates[1:], strict=False)]
    usual = statistics.median(gaps) if gaps else 0.0
    usual = usual if usual > 0.0 else 1.0
    return [GAP_WEIGHT * math.log(max(1.0, gap / (3 * usual))) for gap in gaps]


def _choose_cuts(sizes: list[int], gap_cost: list[float], count: int, units: int) -> list[int]:
    """Cuts for `count` sections or up to three more, whichever cuts where the words change
    most on average: an extra section is worth it when it lets a cut fall on a change of
    subject that the size limits would otherwise keep inside a section."""
    total = sum(sizes)
    best: tuple[float, list[int]] | None = None
    for k in range(count, min(count + 3, units) + 1):
        largest = math.ceil(total / 3) if k >= 3 else total
        found = _best_cuts(sizes, gap_cost, k, min(SMALLEST, total // k), largest)
        if found is None:
            continue
        score = sum(gap_cost[c] for c in found) / max(1, len(found)) + 0.03 * (k - count)
        if best is None or score < best[0]:
            best = (score, found)
    if best is None:
        return _best_cuts(sizes, gap_cost, count, 1, total) or []
    return best[1]


def _best_cuts(sizes: list[int], cost: list[float], count: int, smallest: int,
               largest: int) -> list[int] | None:
    """The `count - 1` unit boundaries of least total similarity with every section's size in
    [smallest, largest] (dynamic programming), or None when no split fits."""
    n = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    average = prefix[-1] / count
    inf = float("inf")
    # best[k][j]: least cost of splitting units[0:j] into k sections; the last cut before j.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[-1] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for j in range(1, n + 1):
            for i in range(k - 1, j):
                if best[k - 1][i] == inf:
                    continue
                size = prefix[j] - prefix[i]
                if not smallest <= size <= largest:
                    continue
                value = (best[k - 1][i] + (cost[i - 1] if i > 0 else 0.0)
                         + BALANCE * (size / average - 1) ** 2)
                if value < best[k][j]:
                    best[k][j], back[k][j] = value, i
    if best[count][n] == inf:
        return None
    cuts, j = [], n
    for k in range(count, 0, -1):
        i = back[k][j]
        if i > 0:
            cuts.append(i - 1)
        j = i
    return sorted(cuts)


def _weighted_bags(texts: list[str]) -> list[dict[str, float]]:
    counts = [Counter(s for s in (content_stems(t)) if not s.isdigit()) for t in texts]
    frequency: Counter[str] = Counter()
    for bag in counts:
        frequency.update(bag.keys())
    n = len(texts)
    return [{w: c * _idf(frequency[w], n) for w, c in bag.items()}
            for bag in counts]


def _idf(used_by: int, total: int) -> float:
    """How much a word that `used_by` of `total` texts use says about one of them (0 when all
    do): the weight both the cuts and the misplaced-title check give it."""
    return math.log((1 + total) / (1 + used_by))


def _merge(bags: list[dict[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for bag in bags:
        for word, weight in bag.items():
            merged[word] = merged.get(word, 0.0) + weight
    return merged


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(k, 0.0) for k, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def titles_schema(count: int) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"titles": {"type": "array", "items": {"type": "string"},
                                      "minItems": count, "maxItems": count}},
            "required": ["titles"]}


def title_sections(asker: Asker, title: str, sections: list[list[Candidate]],
                   speakers: frozenset[str] = frozenset(),
                   per_section: int = 4, show: str = "",
                   alone: int = HEADING_NOTES) -> tuple[list[str], dict[str, Any]]:
    """A title for each section, and the stats: calls, fallbacks (titles made without the
    model). In English each section is asked alone with the heading prompt (its examples, a
    one-line plain-text reply); in another language, whose examples would pull a small model
    into English, one call titles the list and what it could not title well is asked alone
    with the titles prompt. A title still missing is made without the model. A heading that
    is the `show`'s name ("The Weekly Post" over the listeners' letters) says nothing of its
    section and is asked again. The list shows `per_section` notes a section; a section asked
    alone is shown `alone` of its notes first.

    (English used to start with the list call too: on the held-out episodes the model slipped
    by one or gave sentences for most sections, 5 of 8 on one, which were then asked alone
    anyway, and the list call cost more than the alone calls it saved, 48 s against 3-4 s each,
    since it reads every section's notes. A second list call with fewer notes shown came
    before that: it titled one section in 18 that the alone asks did not, for 14-28 s.)"""
    stats: dict[str, Any] = {"title_calls": 0, "title_fallbacks": 0, "titles_misplaced": 0,
                             "titles_shortened": 0, "titles_borrowed": 0}
    titles: list[str] = [""] * len(sections)
    examples = _example_stems(asker, "heading" if asker.language == "en" else "titles")

    def settle(heading: str, earlier: list[str], section: list[Candidate]) -> str:
        """The heading as the post may use it ("" for none): a word copied from the prompt's
        examples that the section does not say is taken out, where what is left is a heading
        ("Training the youth team" -> "Training the team")."""
        if not _usable(heading, earlier, section) or names_only(heading, show):
            return ""
        said = _section_stems(section) if examples else frozenset()
        if borrows(heading, said, examples):
            stats["titles_borrowed"] += 1
            heading = without_borrowed(heading, said, examples)
            if not _usable(heading, earlier, section) or borrows(heading, said, examples):
                return ""
        return heading

    present = [{s for c in section for s in content_stems(c.text)} for section in sections]
    proposed: list[str] = []
    if asker.language != "en":
        values: dict[str, object] = {
            "title": title, "count": len(sections),
            "sections": "\n\n".join(
                f"Section {i}:\n" + "\n".join(f"- {_short(c.text, 16)}"
                                                for c in _pick(s, per_section))
                for i, s in enumerate(sections, 1)),
        }
        stats["title_calls"] += 1
        try:
            reply = asker.json("titles", values, titles_schema(len(sections)),
                               asker.options.titles_max_tokens)
            proposed = [clean_title(t, title) for t in reply.get("titles") or []]
        except LLMReplyError as exc:
            log.warning("section titles call failed (%s)", exc)
    if len(proposed) == len(sections):
        for i, candidate in enumerate(proposed):
            candidate = settle(candidate, titles[:i] + titles[i + 1:], sections[i])
            if not candidate:
                continue
            if _fits_another_better(candidate, i, present):
                # A small model titling a list slips by one: section 4 gets section 5's heading.
                stats["titles_misplaced"] += 1
                continue
            titles[i] = candidate
    elif proposed:
        # A list of the wrong length (a small model merges two sections or adds one): each
        # heading goes to the section whose notes hold clearly most of its distinctive words.
        for candidate in proposed:
            fit = _best_fit(candidate, present)
            if fit is not None and not titles[fit]:
                titles[fit] = settle(candidate, titles, sections[fit])
    if not all(titles):
        # Each asked alone (in English all of them; in another language those the list left
        # with a sentence, a repeat, a generic word, a neighbour's title, or a list of the
        # wrong length). Every section is asked once (in English, all of them sent at once)
        # before any is asked again; when nothing is titled after that (and two calls at
        # least), the model cannot title these notes: the rest are made without it. (Asking
        # the first section again and again first let its headings, copies of a note, end the
        # asking before the other sections' replies, sent already, were read: every title of
        # a long tune episode was made without the model.)
        titled_any = any(titles) or stats["titles_misplaced"] > 0
        asked = _ask_at_once(asker, title, [s for s, t in zip(sections, titles, strict=True)
                                            if not t], alone)
        showings = [_showings(section, alone) for section in sections]
        refused = [""] * len(sections)
        for turn in range(max((len(s) for s in showings), default=0)):
            for i, section in enumerate(sections):
                if titles[i] or turn >= len(showings[i]):
                    continue
                shown = _away_from(refused[i], showings[i][turn], section)
                if (not titled_any and stats["title_calls"] > 1
                        and _shown_notes(shown) not in asked):
                    break
                stats["title_calls"] += 1
                given = _heading_alone(asker, title, shown, section, sections, speakers, stats,
                                       asked)
                heading = settle(given, titles[:i] + titles[i + 1:], section)
                if heading:
                    titles[i] = heading
                    titled_any = True
                refused[i] = given
    for i, section in enumerate(sections):
        if not titles[i]:
            titles[i] = fallback_title(section, sections, speakers)
            stats["title_fallbacks"] += 1
    return titles, stats


def _showings(section: list[Candidate], count: int) -> list[list[Candidate]]:
    """The notes a section is shown with when asked alone: a spread of `count`, then, when the
    heading given for those is no use (most often another section's heading again: two
    sections on one subject, or words of the prompt's examples), other notes of the section,
    when it has `count` more, else fewer of its notes, then two of its notes."""
    first = _pick(section, count)
    rest = [c for c in section if c not in first]
    if len(rest) >= count:
        showings = [first, _pick(rest, count)]
    else:
        # A smaller section is shown again with fewer notes, those not shown yet where there
        # are two (the first ones may hold the words that drew the heading refused): a
        # simpler ask before a heading made without the model.
        fewer = rest if len(rest) >= 2 else _pick(section, max(2, count // 2))
        showings = [first, fewer] if fewer != first else [first]
    # Last, two notes only (chosen away from the heading refused, as every showing after the
    # first): the simplest ask, before a heading made without the model. In a section of three
    # to seven notes the spread of two is the second showing already: its last two notes then,
    # so that a small section too is asked three times (one call that fails, a reply cut off,
    # left a section of five notes with one more ask, and then a heading made without the model).
    last = _pick(section, 2)
    if any(last == shown for shown in showings):
        last = section[-2:]
    if len(section) > 2 and all(last != shown for shown in showings):
        showings.append(last)
    return showings


def _away_from(refused: str, shown: list[Candidate], section: list[Candidate]) -> list[Candidate]:
    """The notes to show after the heading `refused` was no use: as many of the section's notes
    as `shown` holds, those sharing fewest words with it (those of `shown` first among equals),
    in the section's order. The notes naming what the refused heading named are what drew it:
    another section's subject again, or a note copied as a heading. `shown` itself when
    nothing was refused or no other choice shares fewer of its words."""
    stems = {s for s in content_stems(refused) if not s.isdigit()}
    if not stems:
        return shown
    shared = {id(c): len(stems & content_stems(c.text)) for c in section}
    ranked = sorted(range(len(section)),
                    key=lambda i: (shared[id(section[i])], section[i] not in shown, i))
    chosen = [section[i] for i in sorted(ranked[:len(shown)])]
    if sum(shared[id(c)] for c in chosen) < sum(shared.get(id(c), 0) for c in shown):
        return chosen
    return shown


def _ask_at_once(asker: Asker, title: str, sections: list[list[Candidate]],
                 per_section: int) -> dict[str, Future[str]]:
    """Each section's first heading call, sent together (English): the embedded server decodes
    up to `llm_jobs` of them at once. The loop in `title_sections` then takes the replies in
    order, as if it had asked them one by one (a rerun's replies come from the cache)."""
    settings = getattr(getattr(asker, "llm", None), "settings", None)
    jobs = max(1, int(getattr(settings, "jobs", 1)))
    if asker.language != "en" or jobs < 2 or len(sections) < 2:
        return {}
    asked: dict[str, Future[str]] = {}
    with ThreadPoolExecutor(min(jobs, len(sections)), thread_name_prefix="recap-titles") as pool:
        for section in sections:
            notes = _shown_notes(_pick(section, per_section))
            if notes not in asked:
                asked[notes] = pool.submit(_ask_alone, asker, title, notes)
    return asked


def _shown_notes(shown: list[Candidate]) -> str:
    return "\n".join(f"- {_short(c.text, 16)}" for c in shown)


def _heading_alone(asker: Asker, title: str, shown: list[Candidate],
                   section: list[Candidate], sections: list[list[Candidate]],
                   speakers: frozenset[str], stats: dict[str, Any],
                   asked: dict[str, Future[str]] | None = None) -> str:
    """The heading the model gives the section shown with `shown` ("" for none), a
    description cut to its noun phrases."""
    notes = _shown_notes(shown)
    sent = (asked or {}).pop(notes, None)
    try:
        heading = sent.result() if sent is not None else _ask_alone(asker, title, notes)
    except LLMReplyError as exc:
        log.warning("section title call failed (%s)", exc)
        return ""
    if len(heading.split()) > 7 and not any(
            longest_copied_run(heading, words(c.text)) >= 6 for c in section):
        # a description instead of a heading: cut to its noun phrases
        heading = shorten_heading(heading, section, sections, speakers)
        stats["titles_shortened"] += bool(heading)
    return heading


def _ask_alone(asker: Asker, title: str, notes: str) -> str:
    """One section's heading. In English, the heading prompt: plain text after its examples,
    one line (a model that rambles on is cut off instead of writing for minutes). In another
    language the examples would pull a small model into English: the titles prompt, for one
    section, with a JSON reply."""
    if asker.language == "en":
        said = asker.text("heading", {"notes": notes}, HEADING_MAX_TOKENS, stop=["\n"])
        return clean_title(_plain_heading(said), title)
    reply = asker.json("titles", {"title": title, "count": 1, "sections": f"Section 1:\n{notes}"},
                       titles_schema(1), min(asker.options.titles_max_tokens, ALONE_MAX_TOKENS))
    alone = [clean_title(t, title) for t in reply.get("titles") or []]
    return alone[0] if len(alone) == 1 else ""


def _plain_heading(reply: str) -> str:
    """The heading in a plain-text reply: its first line, without a repeated "Heading:", quotes,
    markdown marks or a closing full stop."""
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^\s*(?:#+\s*|\*\*|heading\s*:\s*)+", "", line, flags=re.IGNORECASE)
    return line.strip().strip("*\"'“”").rstrip(".").strip()


def _pick(section: list[Candidate], count: int) -> list[Candidate]:
    """The notes that show a section's subject best: spread over it, figures first."""
    if len(section) <= count:
        return section
    step = len(section) / count
    return [section[int(i * step)] for i in range(count)]


def _short(text: str, limit: int = 24) -> str:
    parts = text.split()
    return " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


def _example_stems(asker: Asker, prompt: str) -> frozenset[str]:
    """The content words of a prompt's example headings (its user part before the variables:
    the "Heading: …" lines, or the titles in a JSON list), which a small model may copy into a
    heading: "Training the youth team" for a mountain rescue team's training."""
    try:
        loaded = asker.options.load_prompts()[prompt]
    except (AttributeError, KeyError, TypeError):
        return frozenset()
    headings = re.findall(r"^Heading:\s*(.+)$", loaded.user.split("{", 1)[0], re.MULTILINE)
    if not headings:  # the titles prompt: {"titles": ["…", "…"]} in its examples
        headings = [t for block in re.findall(r'"titles"\s*:\s*\[([^\]]*)\]',
                                              f"{loaded.system}\n{loaded.user}")
                    for t in re.findall(r'"([^"]+)"', block)]
    return frozenset(s for h in headings for s in content_stems(h) if not s[:1].isdigit())


def _section_stems(section: list[Candidate]) -> frozenset[str]:
    """The stems of a section's notes and of the lines they cite."""
    return frozenset(s for c in section for s in content_stems(f"{c.text} {c.source()}"))


def borrows(text: str, said: frozenset[str], examples: frozenset[str]) -> bool:
    """Whether a heading (or a word of one) has a word of the prompt's examples (`examples`:
    their stems) that neither the section's notes nor the lines they cite say (`said`:
    `_section_stems`): "youth" in "Volunteers in the youth team" over notes that never say it."""
    return any(s in examples and s not in said for s in content_stems(text))


def without_borrowed(title: str, said: frozenset[str], examples: frozenset[str]) -> str:
    """`title` without the words `borrows` finds ("Training the youth team" -> "Training the
    team"); "" when no content word is left or it ends on a function word ("A in a")."""
    kept = [w for w in title.split() if not borrows(w, said, examples)]
    while kept and kept[-1].lower() in STOPWORDS:
        kept.pop()
    left = " ".join(kept)
    return left if content_stems(left) and len(kept) >= 2 else ""


def _usable(title: str, earlier: list[str], section: list[Candidate]) -> bool:
    """A heading of a few words, not generic, not another section's, and not one of the
    section's own notes (or most of one) given back as its heading."""
    plain = set(words(title)) - STOPWORDS
    if not title or len(title.split()) > 7 or not plain or plain <= _GENERIC_TITLES:
        return False
    if _NOT_A_HEADING.search(title) or _cut_off(title):  # chatter ("Sure! Here is..."),
        return False  # markup, JSON, or a heading stopped mid-word
    if _COUNTED.search(title):  # "Milkers in 15 years": one note's detail, not the subject
        return False
    own = len(words(title))
    # A note given back whole, or all of it but a word once the title is long enough for that
    # to be a sentence ("The studio sits in an old bus depot"); a short heading may share three
    # words with a note ("Opening the glass studio"), and a noun phrase taken from a note
    # ("Spruce boards from the forest") is a heading all the same.
    if own >= 4:
        copied = own if own < 5 else own - 1
        sentence = _reads_as_clause(title)
        for note in section:
            said = words(note.text)
            run = longest_copied_run(title, said)
            if run >= copied and (sentence or run >= len(said) - 1):
                return False
    return _heading_key(title) not in {_heading_key(t) for t in earlier if t}


_SHOW_WORDS = frozenset("the a an podcast show episode programme program".split())
# A count in a heading, a year aside: a section's subject is not a count ("Ferries in 15
# years", "The 26 singers" are one note's detail; "The 2022 drought" names an event, and a
# number ending a name, "Route 66", "Part 2", is no count of things)
_COUNTED = re.compile(r"(?<![\d,.])(?!(?:1[89]|20)\d\d(?![\d,.]))\d[\d,.]*\s+[a-z]")


def names_only(heading: str, show: str) -> bool:
    """Whether `heading` is nothing but the show's name ("The Harbour Post", "Harbour Post
    podcast" for the show "The Harbour Post")."""
    own = {w for w in words(heading) if w not in _SHOW_WORDS}
    return bool(own) and own <= set(words(show))


# Words a heading cannot end on, or stand before a last word of one letter: "Fishing in N",
# "Prices of the" were stopped short ("Vitamin D", "Plan B" end on a letter after a noun).
_BEFORE_MORE = frozenset("a an the and or of in on at to for from with by into about than "
                         "between".split())


def _cut_off(title: str) -> bool:
    """Whether a heading stops short of its last word: it ends on an article, conjunction or
    preposition, or on a single letter after one ("Fishing in N")."""
    parts = re.findall(r"[\w'’-]+", title)
    if len(parts) < 2:
        return False
    last, before = parts[-1], parts[-2].lower()
    if len(last) == 1 and last.isupper():  # "Plan A", "Vitamin D", but not "Fishing in N"
        return before in _BEFORE_MORE
    return last.lower() in _BEFORE_MORE


def _reads_as_clause(title: str) -> bool:
    """Whether a heading has a verb that makes it a sentence: not one as its last word only (a
    noun there: "The old night train"), nor an infinitive ("Project to restore mosses to peat
    bogs": a noun phrase), nor a word in -ed before a noun ("Broken or strained ankle
    injuries")."""
    head = _INFINITIVE.sub("", " ".join(title.split()[:-1])).split()
    # "strained ankle", "Guided tours": a word in -ed before a noun describes it.
    head = [w for i, w in enumerate(head) if not (
        w.lower().endswith("ed") and i + 1 < len(head) and head[i + 1].lower() not in STOPWORDS)]
    return has_verb(" ".join(head))


# An infinitive and what follows it: "to restore mosses to peat".
_INFINITIVE = re.compile(r"\s*\bto \w+.*$", re.IGNORECASE)


def _heading_key(title: str) -> tuple[str, ...]:
    """A heading as its words in the singular, lower case: "Repair cafes" repeats "Repair
    Cafe", "Electric ferries" "Electric ferry" (a title without such words, as itself)."""
    return tuple(_singular(w) for w in words(title)) or (title.strip().lower(),)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _fits_another_better(title: str, index: int, present: list[set[str]]) -> bool:
    """Whether another section's notes hold clearly more of the title's distinctive words (over
    twice as much) than the section it was given to. A word is weighed by how few sections use
    it (a word all of them use says nothing); a title whose words occur nowhere is not judged.
    A slipped title has little or nothing of its own section's words; a good one may borrow a
    word that a neighbour uses more ("Kilns and prices")."""
    scores = _title_scores(title, present)
    return max(scores) > 2 * scores[index] + 1e-9


def _title_scores(title: str, present: list[set[str]]) -> list[float]:
    """How much of the title's distinctive words each section's notes hold: each word weighed
    by how few sections use it."""
    stems = {s for s in content_stems(title) if not s.isdigit()}
    n = len(present)
    weight = {s: _idf(sum(s in p for p in present), n) for s in stems}
    return [sum(weight[s] for s in stems if s in p) for p in present]


def _best_fit(title: str, present: list[set[str]]) -> int | None:
    """The section whose notes hold over twice as much of the title's distinctive words as any
    other's (weighted as in `_fits_another_better`), or None."""
    scores = _title_scores(title, present)
    n = len(present)
    ranked = sorted(range(n), key=lambda i: -scores[i])
    if not ranked or scores[ranked[0]] <= 0:
        return None
    if n > 1 and scores[ranked[0]] <= 2 * scores[ranked[1]]:
        return None
    return ranked[0]


def fallback_title(section: list[Candidate], sections: list[list[Candidate]],
                   speakers: frozenset[str] = frozenset()) -> str:
    """A heading made of the section's most distinctive noun phrases: "Gas kilns and glazes".

    A phrase is a run of content words after an article, a possessive, a number or a
    preposition ("the gas kiln", "of salt water"), or a sentence's opening words when a form of
    "be" or "have" follows them ("Glazes are..."): places where English puts a noun, so a
    heading does not pick a verb ("goes", "used") the way single distinctive words did. A phrase
    scores by how much of its section's words, and how few of the other sections', it holds.
    Speakers' names are left out (they are everywhere); with fewer than two phrases, the
    section's most distinctive single words fill in ("Grants, donations and weight").
    """
    weights = _Weights(section, sections, speakers)
    found = Counter(p for c in section for p in noun_phrases(c.text, speakers, weights.verbs))
    picked = weights.best(found)
    # Too few phrases: the most distinctive single words fill in (not a verb the notes use).
    ranked = sorted(weights.local, key=lambda w: (-weights.of(w), -weights.local[w], w))
    limit = 2 if picked else 3
    for word in ranked:
        if len(picked) >= limit:
            break
        if word not in weights.verbs and _content_word(word, speakers) and all(
                stem(word) != stem(w) for p in picked for w in p):
            picked.append((word,))
    return weights.heading(picked) or "Notes"


def shorten_heading(heading: str, section: list[Candidate], sections: list[list[Candidate]],
                    speakers: frozenset[str] = frozenset()) -> str:
    """A description the model gave as a heading ("Sellers keep the wheels on spruce boards
    with salt water"), cut to its noun phrases that say most about the section ("Spruce boards
    and salt water"); "" when none of them is the section's."""
    weights = _Weights(section, sections, speakers)
    found = Counter(noun_phrases(heading, speakers, weights.verbs))
    picked = [p for p in weights.best(found) if any(weights.local[w] for w in p)]
    return weights.heading(picked)


class _Weights:
    """How distinctive a word is of one section among all: its count there over the number of
    sections that use it."""

    def __init__(self, section: list[Candidate], sections: list[list[Candidate]],
                 speakers: frozenset[str]):
        texts = [" ".join(c.text for c in s) for s in sections]
        self.mine = " ".join(c.text for c in section)
        self.frequency = Counter(w for t in texts for w in set(words(t)))
        self.local = Counter(w for w in words(self.mine) if w not in STOPWORDS and len(w) > 3
                             and w not in speakers and not any(ch.isdigit() for ch in w))
        self.verbs = verbs_after_pronouns(texts)

    def of(self, word: str) -> float:
        return self.local[word] / max(1, self.frequency[word])

    def best(self, found: Counter[tuple[str, ...]], limit: int = 2) -> list[tuple[str, ...]]:
        """The best-scoring phrases that share no stem, at most `limit`."""
        def score(phrase: tuple[str, ...]) -> float:
            return (sum(self.of(w) for w in phrase) / len(phrase) ** 0.5
                    + 0.5 * (found[phrase] - 1))

        picked: list[tuple[str, ...]] = []
        for phrase in sorted(found, key=lambda p: (-score(p), p)):
            taken = {stem(w) for p in picked for w in p}
            if not taken & {stem(w) for w in phrase}:
                picked.append(phrase)
            if len(picked) == limit:
                break
        return picked

    def heading(self, picked: list[tuple[str, ...]]) -> str:
        """"A, b and c", each word capitalised as the notes write it."""
        if not picked:
            return ""
        parts = [" ".join(_as_written(w, self.mine) for w in p) for p in picked]
        parts[0] = parts[0][:1].upper() + parts[0][1:]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Nouns too general to title anything on their own.
_VAGUE_NOUNS = frozenset("""
time times year years day days week weeks month months hour hours minute minutes second seconds
people person way ways part parts end start lot bit number numbers place places thing things
case cases idea ideas kind sort type types side sides point points percent one ones
""".split())
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d,.]*\d|\d|[.!?;:,]")


def noun_phrases(text: str, leave_out: frozenset[str] = frozenset(),
                 verbs: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """The noun phrases of a note, lower case, at most three words each (an English noun phrase
    ends on its noun, so a longer run keeps its last three).

    A run stops before a verb: a word in `verbs` (words the notes write after "it" or "they"),
    or one ending in -s with an object or a particle after it ("the kiln reaches 1,200 degrees",
    "the kiln goes up": the kiln).
    """
    tokens = _TOKEN.findall(text.replace("’", "'"))
    phrases: list[tuple[str, ...]] = []
    opened, sentence_start, i = False, True, 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower()
        if token in ".!?;:,":
            opened, sentence_start = False, token != ","
            i += 1
            continue
        if _content_word(low, leave_out) and (opened or sentence_start):
            run = [low]
            while i + 1 < len(tokens) and _content_word(tokens[i + 1].lower(), leave_out):
                after = tokens[i + 2].lower() if i + 2 < len(tokens) else ""
                word = tokens[i + 1].lower()
                if word in verbs or word in COMMON_VERBS or (
                        word.endswith("s") and _opens_an_object(after, leave_out)):
                    break
                i += 1
                run.append(word)
            following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            if (opened or following in AFTER_SUBJECT) and run[-1] not in _VAGUE_NOUNS:
                phrases.append(tuple(run[-3:]))
            opened = sentence_start = False
            i += 1
            continue
        # a participle or an adverb keeps a phrase open: "the newly fitted kiln", "for locked
        # cabinets"
        modifier = opened and len(low) > 4 and low.endswith(("ed", "ly"))
        opened = (low in PHRASE_OPENERS or low.endswith(("'s", "'")) or token[:1].isdigit()
                  or is_number_word(low) or modifier)
        sentence_start = False
        i += 1
    return phrases


def verbs_after_pronouns(texts: list[str]) -> frozenset[str]:
    """Words the notes write right after "it", "they", "he", "she" or "who": verbs."""
    found = re.findall(r"\b(?:it|they|he|she|who|which)\s+([a-z]+)", " ".join(texts).lower())
    return frozenset(w for w in found if w not in STOPWORDS)


def _opens_an_object(token: str, leave_out: frozenset[str]) -> bool:
    return bool(token) and (token in DETERMINERS or token in PARTICLES or token[:1].isdigit()
                            or is_number_word(token) or _content_word(token, leave_out))


def _content_word(low: str, leave_out: frozenset[str]) -> bool:
    """A word that can be part of a noun phrase: not a function word, a number, a possessive,
    a speaker's name, an adverb ("-ly") or a past participle ("-ed")."""
    return (len(low) > 2 and low[:1].isalpha() and low not in STOPWORDS and low not in leave_out
            and not low.endswith(("'s", "'", "ly")) and not is_number_word(low)
            and not is_unit_word(low)
            and not (low.endswith("ed") and not low.endswith("eed") and len(low) > 4))


def _as_written(word: str, text: str) -> str:
    """`word` capitalised when the notes always write it so (a name: "Belgium"), else as is."""
    found = [m.group() for m in re.finditer(rf"(?<![\w'’]){re.escape(word)}(?![\w'’])", text,
                                             re.IGNORECASE)
             if text[:m.start()].rstrip()[-1:] not in ("", ".", "!", "?")]  # not a sentence's first
    return found[0] if found and all(f[:1].isupper() for f in found) else word
