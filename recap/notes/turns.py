"""Whose turn a line is: the questions and the answers of an interview with one guest.

The transcript tells no voices apart, and the model, given the host's name in its prompt, often
credits the host with what the guest answered ("Clara notes that the whole company is 64
people", "the host is cautious about selling them", "They remind Rob Ferrier of the homework at
dinner" from the guest's "they remind me about at dinner"). In a one-guest interview the host
asks and the guest answers: the lines after a question, up to the next one, are the guest's.
A note that names the host and rests only on such lines (questions aside) says what the guest
said; `credit_answer` gives it to the guest, or finds it credits the host with what the guest
told of someone else ("Owen Hartley is taking the ditches out" from "one of them, Calam, ...
now he's taking the ditches out"), which no name swap mends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recap.notes.windows import Line
from recap.notes.words import bare_words, first_person, speaks_as_i, stem, verb_form, words

_ENDS = (".", "!", "?", "…")
# The host turning to something new: "Now, something different.", "Next, …", "Moving on…".
_TURNS_TO = re.compile(r"(?:(?:and|so|okay|ok|right|well),? )?(?:now|next|moving on|time for|"
                       r"over to|let['’]s (?:turn|move))\b", re.IGNORECASE)
_THANKS = re.compile(r"\bthank(?:s| you)\b", re.IGNORECASE)
# A part's goodbye: thanks said to someone by name, or for coming ("Ana Ruiz, thank you.",
# "Thank you, Tom.", "Thanks so much for joining us.") — not thanks inside an answer.
_GOODBYE = re.compile(r"^(?:[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,2},? )?(?:[Tt]hanks|[Tt]hank you)"
                      r"(?:,? [A-Z][\w'’-]*[.!,]| so much| very much| for (?:coming|joining|being)|"
                      r"[.!,]|$)")
# "Hale says/notes/explains…": the note reports what was said; whoever answered said it.
_REPORTS = frozenset(
    "says said notes noted explains explained adds added mentions mentioned suggests suggested "
    "believes thinks argues argued stresses stressed emphasises emphasizes states stated "
    "recommends recommended advises advised encourages encouraged points admits admitted "
    "recalls recalled describes described warns warned shares shared".split())


def answer_lines(lines: Sequence[Line]) -> frozenset[int]:
    """The ids of the lines that answer a question: those after a line with a question mark, up
    to the next such line. A line with a question mark is no one's here (Whisper joins the end of
    an answer to the next question), nor is a line running on into one (no full stop before the
    question's line: the question's start), nor anything before the first question (the opening,
    where the host speaks first)."""
    ids: set[int] = set()
    asked = False
    for i, line in enumerate(lines):
        if "?" in line.text:
            asked = True
            continue
        text = line.text.rstrip()
        runs_on = (i + 1 < len(lines) and "?" in lines[i + 1].text and not text.endswith(_ENDS))
        if asked and text and not runs_on:
            ids.add(line.id)
    return frozenset(ids)


# The host reading out a listener's question: "Our first letter is from Quentin in Marlow.", "Next,
# a question from Rosa, who writes…", "…from Idris in Kelso, who wants to know…", "Several of you
# asked…". Not a speaker's own story ("I got a call from Rosa, who asked me…": "I" or "me" before).
_NAME = r"[A-Z][\w'’-]*"
_RELAYS = re.compile(
    r"\b(?i:letters?|questions?|e-?mails?|messages?|notes?|voicemails?|calls?),? (?:(?:is|comes) )?"
    rf"from {_NAME}"
    rf"|\bfrom {_NAME}(?: (?:and|in|from|{_NAME}) {_NAME})?,? (?:who )?"
    r"(?:asks|asked|writes|wrote|wants to know|wanted to know|wonders|wondered|emailed)\b"
    r"|\b(?i:several|some|many|most|lots|a lot|a few|one|two|three|a couple) of you,? "
    r"(?:asked|ask|wrote|write|want(?:ed)? to know|wondered|emailed|sent)\b")
_SELF_BEFORE = re.compile(r"(?<![\w'’])(?:I|me|my|I['’]\w+)(?![\w'’])")
RELAYED_REACH = 2
"""Lines after the host's "Our first letter is from…" that may still read it out, when a line
with a question mark (the listener's question) follows within them."""


def relayed_lines(lines: Sequence[Line], reach: int = RELAYED_REACH) -> frozenset[int]:
    """The ids of the lines in which the host reads out a listener's question: the line that
    says whose it is ("Our first letter is from Quentin in Marlow.", "Several of you asked…"), and
    the lines after it up to the question itself where a line with a question mark comes within
    `reach` lines ("He says his lemon tree drops its leaves." / "What is he doing
    wrong?"). What they say, in the first person or as "he says", is the listener's, not the
    guest's, though they follow a question."""
    ids: set[int] = set()
    for i, line in enumerate(lines):
        found = _RELAYS.search(line.text)
        if found is None or _SELF_BEFORE.search(line.text[:found.start()]):
            continue
        ids.add(line.id)
        if "?" in line.text:  # the question is in the line itself
            continue
        ahead = lines[i + 1:i + 1 + reach]
        asked = next((k for k, later in enumerate(ahead) if "?" in later.text), None)
        if asked is not None:
            ids.update(later.id for later in ahead[:asked + 1])
    return frozenset(ids)


def answered(cited: Sequence[Line], answers: frozenset[int]) -> list[Line]:
    """The cited lines but the questions, when they are all answers (`answer_lines`); [] when
    none is left or one of them is not an answer."""
    said = [line for line in cited if "?" not in line.text]
    return [] if any(line.id not in answers for line in said) else said


def credit_answer(text: str, cited: Sequence[Line], answers: frozenset[int], host: str,
                  guest: str, guest_words: Sequence[str]) -> str | None:
    """`text` with the host (their name, given name, surname, or "the host") replaced by `guest`
    wherever the note names them, when every line it cites but the questions is an answer
    (`answers`) and none of them says the host's name; None when the note credits the host with
    what the answer tells of a third person (no line in the first person, and the host's name is
    not the subject of a reporting verb such as "says"). Otherwise `text` unchanged: a note that
    also names the guest (`guest_words`: their name's words) is left, since it may tell both
    apart ("Kettleby tells Pillow…").

    Args:
        text: the note.
        cited: the lines the note cites.
        answers: `answer_lines` of the episode.
        host: the host's name as the speakers call gave it ("" when unknown: nothing to do).
        guest: what to call the guest (their surname).
    """
    if not host.strip() or not guest or not cited:
        return text
    host_words = [w for w in host.split()
                  if w[:1].isupper() and not w.endswith(".") and len(w) > 2]
    mention = _mention(host_words)
    if mention is None or not mention.search(text):
        return text
    said = answered(cited, answers)
    if not said:
        return text
    heard = {w for line in said for w in words(line.text)}
    if any(w.lower() in heard for w in host_words):
        return text  # the guest speaks of or to the host
    if any(w.lower() in {x.lower() for x in words(text)} for w in guest_words
           if w[:1].isupper() and len(w) > 2):
        return text
    first = mention.search(text)
    assert first is not None
    reporting = first.start() == 0 and _next_word(text, first.end()) in _REPORTS
    if not reporting and not any(first_person(line.text) for line in said):
        return None
    return mention.sub(lambda m: guest + ("'s" if m.group(0).endswith(("'s", "’s")) else ""),
                       text)


_HE_SHE_REPORTS = re.compile(r"(?:He|She) (\w+)\b")


def credit_pronoun(text: str, cited: Sequence[Line], answers: frozenset[int], guest: str) -> str:
    """A note opening on "He" or "She" whose lines, questions aside, are all answers, with the
    guest's name for the pronoun: the guest answered, and the pronoun's noun is in no note. So
    where the pronoun reports what was said ("He explains that trains are late at night…" ->
    "Goss explains that…"), or stands for the answer's "I" ("She studied at Aberdeen
    University…" from "I studied at Aberdeen…" -> "Ray studied…"): the lines speak in the first
    person singular and of no one else as "he" or "she". Otherwise `text` unchanged."""
    found = _HE_SHE_REPORTS.match(text)
    if found is None or not guest or not cited:
        return text
    said = answered(cited, answers)
    if not said:
        return text
    if found.group(1).lower() not in _REPORTS:
        spoken = " ".join(line.text for line in said)
        if not speaks_as_i(spoken) or _ANOTHER.search(spoken):
            return text
    return f"{guest}{text[found.start(1) - 1:]}"


def pronoun_named(text: str, cited: Sequence[Line], answers: frozenset[int],
                  names: Sequence[str]) -> str:
    """A note naming a speaker for what an answer tells of someone else as "she" or "he", with
    the pronoun back: "The clock finally ticked, and Varga cried." from the guest's "when it
    finally ticked, she cried" (the customer). The lines, questions aside, are all answers
    (the one answering says "I" of herself), none says the name, and the note's verb after the
    name is said after "she" ("he") there and never after "I". Otherwise `text` unchanged.

    Args:
        text: the note.
        cited: the lines it cites.
        answers: `answer_lines` of the episode.
        names: the speakers' full names.
    """
    said = answered(cited, answers)
    if not said:
        return text
    spoken = words(" ".join(line.text for line in said))
    heard = set(spoken)
    for name in sorted(names, key=len, reverse=True):
        parts = [w for w in name.split() if w[:1].isupper() and len(w) > 2 and not w.endswith(".")]
        if not parts or any(w.lower() in heard for w in parts):
            continue
        forms = sorted({" ".join(parts), *parts}, key=len, reverse=True)
        found = re.search(rf"(?<![\w'’])(?:{'|'.join(re.escape(f) for f in forms)})(?=( (\w+)))",
                          text)
        if found is None or not verb_form(found.group(2)):
            continue
        told = _said_after(spoken, found.group(2).lower())
        if len(told) != 1 or "i" in told:  # said of the speaker, or of both "he" and "she"
            continue
        pronoun = told.pop()
        start = found.start()
        return text[:start] + (pronoun.capitalize() if start == 0 else pronoun) + text[found.end():]
    return text


_BE = frozenset("am is are was were be been being".split())
_HAVE = frozenset("has have had having".split())
# "he's" is "he is", "I'm" "I am", "I've" "I have": the subject and its verb in one word
_CONTRACTED = {"'s": "is", "’s": "is", "'m": "am", "’m": "am", "'ve": "have", "’ve": "have"}


def _verb_key(word: str) -> str:
    """One key for a verb's forms: any form of "be" is "be", of "have" "have", else its stem."""
    return "be" if word in _BE else "have" if word in _HAVE else stem(word)


def _said_after(spoken: list[str], verb: str) -> set[str]:
    """The subjects ("i", "he", "she") a verb is said after, one word between at most ("he's"
    and "I'm" are a subject and "is", "am"): `verb` and the words after compare by `_verb_key`."""
    unfolded: list[str] = []
    for word in spoken:
        for end, full in _CONTRACTED.items():
            if word.endswith(end) and word[:-len(end)] in ("i", "he", "she"):
                unfolded += [word[:-len(end)], full]
                break
        else:
            unfolded.append(word)
    key = _verb_key(verb)
    return {word for i, word in enumerate(unfolded) if word in ("i", "he", "she")
            and any(_verb_key(after) == key for after in unfolded[i + 1:i + 3])}


# "The guest's …" or "The guest <word>" (the role, group 1), the word (group 2) to be told from a
# noun's. A small model calls the one answering "the speaker", "the narrator" or "the author" too.
_THE_GUEST = re.compile(r"^The (guest|speaker|narrator|author|interviewee)"
                        r"(?:['’]s(?![\w'’-])| ([\w'’-]+))")


def name_the_guest(text: str, cited: Sequence[Line], answers: frozenset[int], guest: str) -> str:
    """A note calling the answerer by the role the prompt's Speakers line gives, or by a role
    a small model gives whoever speaks ("the speaker", "the narrator", "the author"), with
    their name, where its lines, questions aside, are all answers: "The guest's advice is to
    keep cheese in waxed paper" -> "Brannock's advice is…", "The narrator keeps…" -> "Brannock
    keeps…". Not where the role names something else ("The guest agent explains…", "The guest
    house opened…": the word after it must be a verb), nor where the lines say the role word
    other than "guest" themselves ("the author of the book"). Otherwise `text` unchanged."""
    found = _THE_GUEST.match(text)
    if found is None or not guest or not cited:
        return text
    role, verb = found.group(1), found.group(2)
    if verb is not None and not (verb_form(verb) or verb.lower() in _REPORTS):
        return text
    said = answered(cited, answers)
    if not said:
        return text
    if role != "guest" and any(re.search(rf"\b{role}", line.text, re.IGNORECASE) for line in cited):
        return text
    return guest + text[len("The ") + len(role):]


# Someone else in the third person singular ("he", "her", …), in an answer.
_ANOTHER = re.compile(r"(?<![\w'’])(?:he|she|him|his|her|hers|himself|herself)(?![\w'’])",
                      re.IGNORECASE)


def _mention(host_words: list[str]) -> re.Pattern[str] | None:
    """The host named in a note: "the host", the full name, or one of its words, possessive or
    not, as whole words."""
    full = " ".join(host_words)
    names = sorted({full, *host_words}, key=len, reverse=True) if host_words else []
    options = ["[Tt]he host", *(re.escape(n) for n in names if n)]
    return re.compile(rf"(?<![\w'’])(?:{'|'.join(options)})(?:['’]s)?(?![\w'’])")


def _next_word(text: str, at: int) -> str:
    following = words(text[at:])
    return following[0] if following else ""


def part_start(lines: Sequence[Line], address: int, reach: int = 6) -> int:
    """The index of the line where the part whose voice `lines[address]` addresses by name
    starts: the host's turn to it ("Now, something different." … "With me is Dr. Lena Sharma, …"
    before "Lena, our first question…"). Going back from the address at most `reach` lines, the
    line that turns to something new ("Now…", "Next…", "Moving on…"); with none, the address
    itself. A line with a question mark or thanks ends the search: the part before still talks
    there. Where that line is the last part's goodbye ("Thank you, Tom.") and a turn was found
    after it, the lines between are the host's too (a word for the show's supporters, a trailer
    of what comes next): the part starts after the goodbye."""
    turn = address
    for i in range(address - 1, max(-1, address - reach - 1), -1):
        text = lines[i].text.strip()
        if "?" in text:
            break
        if _THANKS.search(text):
            if turn < address and _GOODBYE.search(text):
                return i + 1
            break
        if _TURNS_TO.match(text) and turn == address:
            turn = i
    return turn


def carries_organisation(text: str, shown: str, organisation: str) -> bool:
    """True when the note names `organisation` (the opening guest's, as the speakers call found
    it) and the excerpt it was written from (`shown`) does not: in a later part of a magazine,
    with other voices, the model took it from the Speakers line of its prompt and gave that
    part's subject to the first guest's company ("The cost of Glowmoth Games' studio was 410
    million euros", in a report on a tram line)."""
    said, heard = bare_words(text), bare_words(shown)
    for name in re.split(r"\s+(?:and|&)\s+", organisation):  # "Glowmoth Games and Montreal"
        wanted = [w for w in words(name) if w not in ("the", "of")]
        if wanted and all(w in said for w in wanted) and not all(w in heard for w in wanted):
            return True
    return False
