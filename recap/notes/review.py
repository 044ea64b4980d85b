"""Every note the windows gave, checked: kept, repaired in code, or dropped, and counted.

    drop what cannot be fixed -> de-duplicate -> first person turned into the third ->
    check again -> de-duplicate what the repair made alike -> an answer credited to the host
    (or opening on "she"/"they") given the guest's name -> "She mentions that X" left
    without a name turned into X -> a note without a verb joined to the note before it ->
    de-duplicate once more

The counts are the `checks` that `recap check` and the bench read (see recap.quality).
"""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from recap.errors import LLMReplyError
from recap.notes.dedupe import remove_duplicates
from recap.notes.fragments import join_fragments
from recap.notes.intro import Speakers, searchable, show_miscalled, show_opening
from recap.notes.rewrite import (
    as_advice,
    clean_spoken,
    credit_guest,
    credit_voice,
    finish_cut_phrase,
    heard_two,
    join_split_figures,
    no_impossible_rate,
    one_sentence,
    organisation,
    third_person,
    unappose,
    unborrow,
    unframe,
    unrelative,
    unspliced,
    voices,
)
from recap.notes.turns import (
    answer_lines,
    carries_organisation,
    credit_answer,
    credit_pronoun,
    name_the_guest,
    part_start,
    pronoun_named,
    relayed_lines,
)
from recap.notes.verify import (
    FIXABLE,
    SHORTEST_NOTE,
    Candidate,
    asks_only,
    inspect,
    split_note,
    tidy,
)
from recap.notes.windows import Line, Window
from recap.notes.words import stem, words
from recap.text.digits import in_digits
from recap.text.names import surname


@dataclass
class WindowResult:
    """What extraction made of one window."""

    window: Window
    candidates: list[Candidate] = field(default_factory=list)
    error: str | None = None
    gaps: int = 0
    """Stretches of the window no note cited, asked again on their own."""
    pending: list[Future[list[Candidate] | None]] = field(default_factory=list)
    """Those stretches' calls while they run (the builder adds their notes once answered)."""


@dataclass(frozen=True)
class NameContext:
    """The names a note may use: the episode's (title, channel) and the speakers'."""

    names: list[str]
    free: frozenset[str]
    """Stems of the speakers' names and roles, which a note may use where its window does not:
    the extraction prompt gives them to the model."""
    people: frozenset[str] = frozenset()
    """Stems of the speakers' names alone."""

    def with_names(self, more: list[str]) -> NameContext:
        """These names and `more` people's (a later part's voices)."""
        stems = frozenset(stem(w) for name in more for w in words(name))
        return NameContext([*self.names, *more], self.free | stems, self.people | stems)

    @classmethod
    def of(cls, known: list[str], speakers: Speakers) -> NameContext:
        given = [*speakers.names(), *speakers.context()]
        return cls([*known, *given], frozenset(stem(w) for name in given for w in words(name)),
                   frozenset(stem(w) for name in speakers.names() for w in words(name)))


class ReviewStats:
    """What the checks did, in the shape `recap check` reads."""

    def __init__(self, windows: int, failed: int, candidates: int, gaps: int = 0):
        self.windows, self.failed, self.candidates = windows, failed, candidates
        self.gaps = gaps
        self.duplicates = 0
        self.dropped: list[dict[str, Any]] = []
        self.repaired: list[dict[str, str]] = []
        self.joined: list[dict[str, str]] = []

    def drop(self, candidate: Candidate, outcome: str) -> None:
        self.dropped.append({"text": candidate.text, "problem": ", ".join(candidate.problems),
                             "outcome": outcome})

    def report(self, written: list[Candidate], names: list[str]) -> dict[str, Any]:
        from recap.quality.support import count_support

        figures = figures_found = names_checked = names_found = 0
        for candidate in written:
            a, b, c, d = count_support(candidate.text, candidate.window.checked_text, names)
            figures, figures_found = figures + a, figures_found + b
            names_checked, names_found = names_checked + c, names_found + d
        reasons: dict[str, int] = {}
        for item in self.dropped:
            for problem in str(item["problem"]).split(", "):
                if problem:
                    reasons[problem] = reasons.get(problem, 0) + 1
        return {
            "windows": self.windows, "failed_windows": self.failed, "gaps_asked": self.gaps,
            "checked": self.candidates,
            "verified": self.candidates - len(self.dropped) - len(self.repaired),
            "repaired": len(self.repaired), "dropped": len(self.dropped),
            "fragments_joined": len(self.joined), "joined_bullets": self.joined,
            "duplicates_removed": self.duplicates,
            "figures_checked": figures, "figures_verified": figures_found,
            "names_checked": names_checked, "names_verified": names_found,
            "drop_reasons": reasons,
            "dropped_bullets": [d["text"] for d in self.dropped],
            "repaired_bullets": self.repaired,
            "problems": self.dropped,
        }


@dataclass(frozen=True)
class Review:
    """The notes kept, in time order, and what happened to the others."""

    kept: list[Candidate]
    stats: ReviewStats
    written: list[Candidate]
    """Every note as the model wrote it, for the support counts."""
    breaks: list[float] = field(default_factory=list)
    """Where a later part of the episode starts (seconds): no section runs across one."""
    voices: list[str] = field(default_factory=list)
    """Who speaks in each later part, in the order of `breaks`."""


def first_look(candidates: list[Candidate], window: Window, names: NameContext, language: str,
               translated: bool, verify: bool, ads: frozenset[int] = frozenset()
               ) -> list[Candidate]:
    """One window's notes as the model wrote them -> one claim each, fillers gone, checked
    (`Candidate.problems`) and cited; with `verify` off every note cites the whole window. A
    note citing only lines of a sponsor's read (`ads`, from `verify.ad_lines`) is show talk."""
    out = [Candidate(part, window) for candidate in candidates
           for part in split_note(candidate.text)]
    excerpt = " ".join(line.text for line in window.lines)
    for candidate in out:
        candidate.text = join_split_figures(candidate.text, excerpt)
        if language == "en" and not translated:
            finished = finish_cut_phrase(candidate.text, window.lines)
            if finished == candidate.text and window.after is not None:
                # cut at the window's last line: finished from the line after it, which the
                # note then cites like the window's own
                finished = finish_cut_phrase(candidate.text, window.lines + (window.after,))
                if finished != candidate.text:
                    candidate.window = Window(window.chunk, window.index,
                                              window.lines + (window.after,))
            candidate.text = finished
        if language == "en":  # English fillers ("um" is a German word) and number words
            spoken = unframe(clean_spoken(candidate.text))
            candidate.text = tidy(no_impossible_rate(
                heard_two(in_digits(unappose(unrelative(spoken)))), excerpt))
        else:
            candidate.text = candidate.text.strip()
        if verify:
            inspect(candidate, names.names, names.free, language, translated, names.people)
            if (candidate.segment_ids and set(candidate.segment_ids) <= ads
                    and "show_talk" not in candidate.problems):
                candidate.problems.append("show_talk")
        else:
            candidate.segment_ids = [ln.id for ln in window.lines]
    return out


def review(results: list[WindowResult], names: NameContext, speakers: Speakers, *,
           language: str, translated: bool, similarity: float,
           borrowed: list[str] | None = None) -> Review:
    """Keep the notes that pass, repair what the rewrite can repair, drop the rest.

    `borrowed`: the extraction prompt's example subjects (`rewrite.example_subjects`), which a
    note may have copied as its own.

    Raises:
        LLMReplyError: no window gave usable notes.
    """
    failed = sum(1 for r in results if r.error is not None)
    if results and failed == len(results):
        first = next(r.error for r in results if r.error is not None)
        raise LLMReplyError(f"the LLM gave no usable notes for any of the {len(results)} "
                            f"parts of the transcript ({first})")
    candidates = sorted((c for r in results for c in r.candidates), key=lambda c: c.start)
    stats = ReviewStats(len(results), failed, len(candidates), sum(r.gaps for r in results))

    pending: list[Candidate] = []
    broken: list[Candidate] = []
    short: list[Candidate] = []  # too short to stand alone, with a figure: joined, or dropped
    for candidate in candidates:
        problems = set(candidate.problems)
        if not problems:
            pending.append(candidate)
        elif problems <= FIXABLE:
            broken.append(candidate)
        elif language == "en" and problems == {"fragment"} and _short_with_figure(candidate):
            short.append(candidate)
        else:
            stats.drop(candidate, "dropped")
    pending, removed = remove_duplicates(pending + broken, similarity)
    stats.duplicates += removed
    fixable = [c for c in pending if c.problems]
    person = speakers.guest_surname()
    # An interview with one guest that moves on to other voices ("Felix, how was it?"): each
    # later part's "I" is its own voice's, and the notes may name it.
    parts: list[tuple[int, str]] = []
    breaks: list[float] = []  # where each later part starts (its host's turn to it), in seconds
    turns: frozenset[int] = frozenset()  # the lines of the host's turns to the later parts
    heard: list[Line] = []  # the episode's lines, each once (windows overlap)
    if language == "en" and len(speakers.guests) == 1:
        heard = sorted({ln.id: ln for r in results for ln in r.window.lines}.values(),
                       key=lambda ln: ln.id)
        found = voices([ln.text for ln in heard], speakers.names())
        parts = [(heard[i].id, name) for i, name in found]
        starts = [(part_start(heard, i), i) for i, _ in found]  # the host's turn, the address
        breaks = [heard[start].start for start, _ in starts]
        turns = frozenset(heard[j].id for start, i in starts for j in range(start, i + 1))
        if parts:
            names = names.with_names([name for _, name in parts])
            # "Lena asks Mark about naps": a later part's voice reporting a listener's question,
            # which the first look could not tell (it knew the opening's speakers only).
            for candidate in pending:
                if asks_only(candidate.text, names.names, candidate.window.text):
                    candidate.problems.append("question")
                    stats.drop(candidate, "dropped")
            pending = [c for c in pending if "question" not in c.problems]
    relayed = relayed_lines(heard)  # a listener's question read out: its "I" is the listener's
    for candidate in fixable:
        before = candidate.text
        if language == "en":  # the rewrite knows English pronouns only
            candidate.text = tidy(third_person(before, _whose(candidate, parts, person,
                                                              relayed)))
        inspect(candidate, names.names, names.free, language, translated, names.people)
        if candidate.problems:
            candidate.text = before
            stats.drop(candidate, "not fixed")
        else:
            stats.repaired.append({"before": before, "after": candidate.text})
    if fixable:
        pending = [c for c in pending if not c.problems]
        pending, removed = remove_duplicates(pending, similarity)
        stats.duplicates += removed
    if language == "en" and len(speakers.guests) == 1:
        until = parts[0][0] if parts else None
        for candidate in pending:
            if turns.intersection(candidate.segment_ids):
                continue  # the host's own turn to a later part
            if until is None or max(candidate.segment_ids, default=until) < until:
                _credit(candidate, speakers.host, person, names, translated, stats)
            elif voice := _voice_of(candidate, parts):
                _credit(candidate, speakers.host, speakers.guests[0][0], names, translated,
                        stats, voice=voice, role=speakers.guests[0][1])
        pending = _answers_credited(pending, heard, turns | relayed, parts, speakers, person,
                                    names, translated, stats)
        pending = _without_host_framing(pending, turns | relayed_lines(heard, reach=0), stats)
        for candidate in pending:  # "Turn it once a week.": whose advice it is
            after = as_advice(candidate.text, _whose(candidate, parts, person, relayed))
            if after != candidate.text:
                _repair(candidate, after, names, translated, stats)
        if borrowed:
            said = frozenset(stem(w) for ln in heard for w in words(ln.text))
            owner = organisation(speakers.guests[0][1])
            for candidate in pending:
                after = unborrow(candidate.text, borrowed, said, owner)
                if after != candidate.text:
                    _repair(candidate, after, names, translated, stats)
    kept = sorted(pending, key=lambda c: c.start)
    if language == "en" and speakers.show:
        kept = _show_not_subject(kept, speakers.show, names, translated, stats)
    if language == "en":  # the note's words, English whatever the transcript's language
        for candidate in kept:  # "She mentions that X" no answer gave a name to: X
            after = unframe(candidate.text, pronoun=True)
            if after != candidate.text:
                _repair(candidate, after, names, translated, stats)
    if language == "en":  # the verb check knows English
        kept, stats.joined, left = join_fragments(kept, short)
        for candidate in left:
            stats.drop(candidate, "dropped")
        for candidate in kept:  # a bullet states one claim in one sentence
            after = unspliced(one_sentence(candidate.text))
            if after != candidate.text:
                _repair(candidate, after, names, translated, stats)
    # The repairs since the first pass (a name for "she", a claim out of "She mentions that",
    # a fragment joined) can make two notes say the same thing in the same words.
    kept, removed = remove_duplicates(kept, similarity)
    stats.duplicates += removed
    return Review(sorted(kept, key=lambda c: c.start), stats, list(candidates), breaks,
                  [name for _, name in parts])


def _show_not_subject(kept: list[Candidate], show: str, names: NameContext, translated: bool,
                      stats: ReviewStats) -> list[Candidate]:
    """The notes that say the show is something other than a show (`intro.show_miscalled`):
    where the lines a note cites name the show ("Quay Talk is back next Saturday."), it is the
    show's talk about itself, and goes; where they do not ("it's a novel about a lighthouse
    keeper…" written "Quay Talk is a novel about…"), the model put the show's name for what was
    talked about, which the note before names: the name becomes "It"."""
    out = []
    for candidate in kept:
        if not show_miscalled(candidate.text, show):
            out.append(candidate)
        elif searchable(show) in searchable(candidate.source()):
            candidate.problems.append("show_talk")
            stats.drop(candidate, "dropped")
        else:
            after = re.sub(show_opening(show), "It ", candidate.text, count=1,
                           flags=re.IGNORECASE)
            _repair(candidate, after, names, translated, stats)
            if candidate.text == after:
                out.append(candidate)
            else:
                candidate.problems.append("show_named")
                stats.drop(candidate, "not fixed")
    return out


def _short_with_figure(candidate: Candidate) -> bool:
    """A note too short to stand alone that holds a figure ("Hours take eight evenings.")."""
    from recap.text.figures import extract_figures

    return len(words(candidate.text)) < SHORTEST_NOTE and any(
        not figure.soft for figure in extract_figures(candidate.text))


def _answers_credited(pending: list[Candidate], heard: list[Line], hosts: frozenset[int],
                      parts: list[tuple[int, str]], speakers: Speakers, person: str,
                      names: NameContext, translated: bool,
                      stats: ReviewStats) -> list[Candidate]:
    """The notes that name the host for what an answer says, credited to whoever answered: the
    guest, or in a later part that part's voice (`turns.credit_answer`); those crediting the
    host with what the answer told of someone else are dropped (`misattributed`). A note
    opening on "He" or "She" reporting what an answer says gets the answerer's name
    (`turns.credit_pronoun`), and so does one opening on "The guest" (`turns.name_the_guest`).
    A note of a later part naming the opening guest's organisation where its excerpt does not
    gave that part's subject to the first guest's company, and is dropped (`misattributed`,
    `turns.carries_organisation`). The host's own lines (`hosts`: the turns to a later part,
    "Now, something different." … "With me is Dr. Lena Sharma.", and a listener's question read
    out, `turns.relayed_lines`) are the host's, however they follow an answer."""
    answers = answer_lines(heard) - hosts
    company = organisation(speakers.guests[0][1])
    kept: list[Candidate] = []
    for candidate in pending:
        voice = _voice_of(candidate, parts)
        if voice and carries_organisation(candidate.text, candidate.window.text, company):
            candidate.problems.append("misattributed")
            stats.drop(candidate, "dropped")
            continue
        guest, guest_words = ((surname(voice), voice.split()) if voice
                              else (person, speakers.guests[0][0].split()))
        cited = [ln for ln in candidate.window.lines if ln.id in candidate.segment_ids]
        after = credit_answer(candidate.text, cited, answers, speakers.host, guest, guest_words)
        if after == candidate.text:
            after = credit_pronoun(candidate.text, cited, answers, guest)
        if after == candidate.text:
            after = name_the_guest(candidate.text, cited, answers, guest)
        if after == candidate.text:
            after = pronoun_named(candidate.text, cited, answers,
                                  [speakers.host, *(name for name, _ in speakers.guests), voice])
        if after is None:
            candidate.problems.append("misattributed")
            stats.drop(candidate, "dropped")
            continue
        if after != candidate.text:
            _repair(candidate, after, names, translated, stats)
        kept.append(candidate)
    return kept


def _without_host_framing(pending: list[Candidate], framing: frozenset[int],
                          stats: ReviewStats) -> list[Candidate]:
    """The notes resting only on the host's framing (`framing`: the turns to a later part and
    the lines that say whose question is read out next), with no figure and naming no one, are show
    talk: "To the news, and to something else entirely.", "Garden questions came in this
    month." What such lines say of a named voice ("Dr. Lena Sharma studies sleep") or a
    listener ("Ilse from Kendal asks how often to water a fig") stays."""
    kept: list[Candidate] = []
    for candidate in pending:
        ids = set(candidate.segment_ids)
        if (ids and ids <= framing and not any(ch.isdigit() for ch in candidate.text)
                and not any(w[:1].isupper() for w in candidate.text.split()[1:])):
            candidate.problems.append("show_talk")
            stats.drop(candidate, "dropped")
            continue
        kept.append(candidate)
    return kept


def _whose(candidate: Candidate, parts: list[tuple[int, str]], person: str,
           relayed: frozenset[int]) -> str:
    """Who says a note's lines, as the rewrites name them: "the listener" for a letter read out
    (`relayed`), else the surname of its later part's voice, else `person` (the guest's)."""
    if candidate.segment_ids and relayed.issuperset(candidate.segment_ids):
        return "the listener"
    voice = _voice_of(candidate, parts)
    return surname(voice) if voice else person


def _voice_of(candidate: Candidate, parts: list[tuple[int, str]]) -> str:
    """The voice of the later part the candidate's last cited line is in ("" in the opening's)."""
    last = max(candidate.segment_ids, default=-1)
    return next((name for start, name in reversed(parts) if start <= last), "")


def _credit(candidate: Candidate, host: str, guest: str, names: NameContext, translated: bool,
            stats: ReviewStats, voice: str = "", role: str = "") -> None:
    """A note crediting the host with the guest's answer, credited to the guest (`guest`: their
    surname); with `voice`, a note of a later part crediting the opening's guest (`guest`: their
    full name), credited to that part's voice (checked again; left as it was if the new form
    fails)."""
    cited = [line.text for line in candidate.window.lines if line.id in candidate.segment_ids]
    before = candidate.text
    after = (credit_voice(before, cited, guest, voice, role) if voice
             else credit_guest(before, cited, host, guest))
    if after == before:
        return
    _repair(candidate, after, names, translated, stats)


def _repair(candidate: Candidate, after: str, names: NameContext, translated: bool,
            stats: ReviewStats) -> None:
    """The note rewritten as `after`, checked again (left as it was if the new form fails)."""
    before = candidate.text
    candidate.text = after
    inspect(candidate, names.names, names.free, "en", translated, names.people)
    if candidate.problems:
        candidate.text = before
        inspect(candidate, names.names, names.free, "en", translated, names.people)
        return
    for repaired in stats.repaired:  # repaired once already (first person): one repair
        if repaired["after"] == before:
            repaired["after"] = after
            return
    stats.repaired.append({"before": before, "after": after})
