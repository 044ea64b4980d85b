"""The clean-up pass: spoken first person turned into the third person, disfluencies removed.

Measured on the tuning episodes, the embedded 1.5B model asked to rewrite first-person notes gave
them back unchanged, and each request cost seconds of generation; so the rewrite is done in code:
"I" and "my" become the guest's name, "we" and "our" become "they" and "their" (the first "we"
names the guest's team), with the verb after a name made to agree ("I think" -> "Hale thinks").
The rewritten note is checked again like any other, and dropped if it still fails.

A note crediting the host with what an answer says ("The host started the project in 2016",
cited from "I started it in 2016") is credited to the guest (`credit_guest`): with no voices
told apart, the model reads the host's name in its prompt and gives it the guest's "I". A note
opening on "She" for the guest's "I" gets the guest's name the same way, and so does one
reporting what "they" or "he" explain ("They explain that…") where the lines it cites are in the
first person. Both stop where a new
voice is addressed by name (`voices`): a magazine's next part has answers of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recap.notes.windows import Line
from recap.notes.words import (
    bare_words,
    content_stems,
    first_person,
    has_verb,
    sentences,
    stem,
    verb_form,
    words,
)
from recap.text.digits import in_digits
from recap.text.names import surname
from recap.text.vocabulary import is_number_word

_FILLERS = re.compile(r"(?:(?<=^)|(?<=[\s,]))(?:um+|uh+|erm|you know|i mean|sort of|kind of|like,)"
                      r"(?:,\s*|\s+|(?=[.!?]))", re.IGNORECASE)
# Said in passing, whatever the claim: "believe it or not", "don't ask", "as you can imagine".
_PASSING = (r"believe it or not|don['’]t ask|as you can imagine|as you might imagine|"
            r"funnily enough|if you can believe it|to be fair|you see")
# A speaker's aside before a comma: "I can tell you, my back remembers."; one said in passing
# at the head of the note.
_ASIDES = re.compile(r"(?:(?<=^)|(?<=[\s,]))(?:i can tell you|let me tell you|i have to say|"
                     r"i must say|to be honest|honestly|believe me|mind you),\s*|"
                     rf"^(?:{_PASSING}),\s*", re.IGNORECASE)
# A speaker's "yes" or "clearly" set off by commas inside a sentence: "At the market, yes,
# clearly, the stalls sell out by noon."
_INTERJECTED = re.compile(r",\s*(?:(?:yes|yeah|clearly|absolutely|of course|basically|actually|"
                          rf"frankly|okay|indeed|obviously|{_PASSING}),\s*)+", re.IGNORECASE)
_REPEAT = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.IGNORECASE)
# Words said again after a comma as a speaker restarts ("a little, a little smoky", "we, we
# sell"): kept once. A word list says each item once, so a repeat is never one.
_COMMA_REPEAT = re.compile(r"(?<![\w'’])((?:[\w'’]+ ){0,2}[\w'’]+), \1(?![\w'’])", re.IGNORECASE)
_I_VERB = re.compile(r"(?<![\w'’])I(?:['’]m| am)(?![\w'’])")
_I_WAS = re.compile(r"(?<![\w'’])I was(?![\w'’])")
_I_HAVE = re.compile(r"(?<![\w'’])I(?:['’]ve| have)(?![\w'’])")
_I_WOULD = re.compile(r"(?<![\w'’])I['’]d(?![\w'’])")
_I_WILL = re.compile(r"(?<![\w'’])I['’]ll(?![\w'’])")
_I_ADVERB = re.compile(r"(?<![\w'’])I (never|always|also|just|still|really|only|often|now) (\w+)")
_I_PLAIN = re.compile(r"(?<![\w'’])I (\w+)")
_I_ALONE = re.compile(r"(?<![\w'’])I(?![\w'’])")
_ME = re.compile(r"(?<![\w'’])(?:me|myself)(?![\w'’])", re.IGNORECASE)
_MY = re.compile(r"(?<![\w'’])(?:my|mine)(?![\w'’])", re.IGNORECASE)
_WE_ARE = re.compile(r"(?<![\w'’])we['’]re(?![\w'’])", re.IGNORECASE)
_WE_HAVE = re.compile(r"(?<![\w'’])we['’]ve(?![\w'’])", re.IGNORECASE)
_WE_WOULD = re.compile(r"(?<![\w'’])we['’]d(?![\w'’])", re.IGNORECASE)
_WE_WILL = re.compile(r"(?<![\w'’])we['’]ll(?![\w'’])", re.IGNORECASE)
_WE = re.compile(r"(?<![\w'’])we(?![\w'’])", re.IGNORECASE)
_OUR = re.compile(r"(?<![\w'’])our(?![\w'’])", re.IGNORECASE)
_OURS = re.compile(r"(?<![\w'’])ours(?![\w'’])", re.IGNORECASE)
_OURSELVES = re.compile(r"(?<![\w'’])ourselves(?![\w'’])", re.IGNORECASE)
_US = re.compile(r"(?<![\w'’])us(?![\w'’])")  # lower case only: "US" is a country
# "our listeners", "my producer", "our first letter": the show's, whoever says it; never the
# guest's, whose "our" names their team.
_SHOWS = re.compile(r"(?<![\w'’])(?:our|my) ((?:(?:first|next|last|final|own|regular|new) )?"
                    r"(?:listeners?|audience|show|podcast|episode|programme|program|reporter|"
                    r"correspondent|producers?|co-host|callers?|letters?|mailbag|inbox)"
                    r"(?![\w'’]))", re.IGNORECASE)
_UNCHANGED_VERBS = frozenset(
    "can could will would shall should may might must did had was were also never always "
    "just still really only".split())
# The past tense of the common irregular verbs: the same after any subject ("I lost" -> "Hart
# lost", never "Hart losts").
_IRREGULAR_PAST = frozenset(
    "ate became began bent bet bit bled blew broke brought built burnt bought caught chose came "
    "cost crept cut dealt dug drew dreamt drank drove fed felt fought found fled flew forbade "
    "forgot forgave froze got gave went ground grew hung heard hid held hurt kept knelt knew laid "
    "led leant leapt learnt left lent let lay lit lost made meant met paid put quit read rode rang "
    "rose ran said saw sought sold sent set shook shone shot showed shrank shut sang sank sat "
    "slept slid spoke spent spun spread sprang stood stole stuck stung struck swore swept swam "
    "swung took taught tore told thought threw understood woke wore won wound wrote".split())
# "Vero and I lost…", "my wife and I run…": "I" in a compound subject, whose verb already
# agrees with the pair. Only after a name or "my"/"our" and a word: "…, and I go" joins clauses.
_PARTNER = r"((?:[A-Z][\w'’-]*|(?:my|our|My|Our) [\w'’-]+) (?:and|or))"
_AND_I_AM = re.compile(rf"{_PARTNER} I(?:['’]m| am)(?![\w'’])")
_AND_I_WAS = re.compile(rf"{_PARTNER} I was(?![\w'’])")
_AND_I = re.compile(rf"{_PARTNER} I(?![\w'’])")


# "£40, 000": a figure a small model wrote with a space after a thousands comma.
_SPLIT_FIGURE = re.compile(r"(?<![\d.,])\d{1,3}(?:, ?\d{3})+(?!\d)")


def finish_cut_phrase(text: str, lines: Sequence[Line]) -> str:
    """A note that stops where a transcript line stops mid-sentence goes on with the next
    line's words up to their first punctuation mark, `RUN_ON_WORDS` at most: "… bought 11
    carriages second." from a line ending "we bought 11 carriages second" whose next line goes
    on "hand from Anatalian operator." -> "… bought 11 carriages second hand from Anatalian
    operator." (Whisper cut the sentence; the model copied up to the cut.) The note's last three
    words must be the line's, the line must end without punctuation and the next line go on in
    lower case; otherwise `text` is returned as it is."""
    body = text.rstrip().rstrip(".").rstrip()
    tail = words(body)[-3:]
    if len(tail) < 3:
        return text
    for line, after in zip(lines, lines[1:], strict=False):
        more = line.run_on(after)
        if more and words(line.text)[-3:] == tail:
            return f"{body} {more}."
    return text


def join_split_figures(text: str, source: str) -> str:
    """"£40, 000" -> "£40,000", where the excerpt the note came from has that figure ("40,000" or
    "40000"); a list such as "rooms 4, 120 and 300" is left alone unless the excerpt says so."""
    def join(match: re.Match[str]) -> str:
        raw = match.group()
        joined = raw.replace(", ", ",")
        if joined == raw:
            return raw
        return joined if joined in source or joined.replace(",", "") in source else raw

    return _SPLIT_FIGURE.sub(join, text)


# Whisper's "twenty two" heard as "20 to" (or "too") before a unit: "about 20 to kilograms".
_HEARD_TWO = re.compile(r"\b([2-9]0) (?:to|too) ([A-Za-z]+)\b")


def heard_two(text: str) -> str:
    """"20 to kilograms" -> "22 kilograms": a tens number, "to" or "too", then a unit is how
    Whisper writes "twenty two kilograms" (the support check reads the transcript's "20 to
    kilograms" as 20 or 22 kg). A range ("20 to 30 kilograms") or a time ("20 to five") has a
    number after "to", and stays."""
    from recap.text.vocabulary import is_unit_word

    def two(match: re.Match[str]) -> str:
        if not is_unit_word(match.group(2)):
            return match.group(0)
        return f"{int(match.group(1)) + 2} {match.group(2)}"

    return _HEARD_TWO.sub(two, text)


_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
            "month": 2678400, "year": 31622400}
# "30 hours a day", "50 hours of work per day": an amount of time, then what it is per
_TIME_RATE = re.compile(r"\b(\d[\d,]*(?:\.\d+)?)\s*(second|minute|hour|day|week|month|year)s?\b"
                        r"((?:\s+(?!a\b|an\b|per\b|each\b|every\b)[a-z]+){0,3}?)"
                        r"(\s+(?:a|an|per|each|every)\s+(second|minute|hour|day|week|month|year))\b",
                        re.IGNORECASE)


def no_impossible_rate(text: str, source: str) -> str:
    """`text` without a rate its time cannot have, where `source` (the lines it came from, its
    numbers read as digits only when such a rate is found) does not say it: "The crew works 30
    hours a day" from "the crew works thirty hours, Tuesday to Friday" -> "The crew works 30
    hours". A small model adds a period to a bare amount of time, and no day holds 30 hours; the
    amount was said, the period was not."""
    def fix(match: re.Match[str]) -> str:
        amount = float(match.group(1).replace(",", ""))
        unit, period = match.group(2).lower(), match.group(5).lower()
        if amount * _SECONDS[unit] <= _SECONDS[period]:
            return match.group(0)
        said = re.compile(rf"\b{re.escape(match.group(1))}\s*{unit}s?\b[^.!?]{{0,40}}?"
                          rf"\b(?:a|an|per|each|every)\s+{period}\b", re.IGNORECASE)
        if said.search(in_digits(source)):
            return match.group(0)
        return match.group(0)[:match.start(4) - match.start(0)]

    return _TIME_RATE.sub(fix, text)


# First words of a phrase that a comma ends before the sentence's subject ("At the market, the
# stalls…"); after any other the interjection stood between subject and verb ("The oven runs…").
_OPENING_PHRASE = frozenset("in on at for after before when if since during by with without from "
                            "last next today now then so but and once while".split())


def _uninterject(match: re.Match[str]) -> str:
    left = re.split(r"[,.;:!?]", match.string[:match.start()])[-1].split()
    return ", " if left and left[0].lower() in _OPENING_PHRASE else " "


# The one answering a letter speaking to its writer: "Poor Ilse, that smell means…", "Dear Ben,
# a fig needs…". The claim is what follows.
_TO_THE_WRITER = re.compile(r"^(?:(?:oh|ah|well),?\s+)?(?:poor|dear|lucky)\s+[A-Z][\w'’-]*,\s+"
                            r"(?=[a-z])", re.IGNORECASE)


def clean_spoken(text: str) -> str:
    """Fillers, asides, interjections and stammered repeats out ("today today", "we we", "um,",
    "I can tell you,", ", yes, clearly,", ", believe it or not,"), and a letter's writer spoken
    to ("Poor Ilse, …")."""
    if (told := _TO_THE_WRITER.sub("", text, count=1)) != text and len(told.split()) >= 4:
        text = told[:1].upper() + told[1:]
    text = _FILLERS.sub("", text)
    if (aside := _ASIDES.sub("", text)) != text:
        text = aside[:1].upper() + aside[1:]
    text = _INTERJECTED.sub(_uninterject, text)
    text = _COMMA_REPEAT.sub(_one_of_repeat, text)
    text = _REPEAT.sub(_one_of_repeat, text)
    return " ".join(text.split())


# Verbs that report a fact without taking a side; the recording (never a person) may also
# "say", "state", "stress" or "suggest" it: a person saying or suggesting something is an opinion
# of theirs, kept with its speaker.
_REPORTING = ("mention", "note", "explain", "point out", "add", "share", "reveal", "report",
              "highlight")
_RECORDING_ALSO = ("emphasise", "emphasize", "stress", "state", "say", "suggest")


def _forms(verb: str, *, base: bool) -> list[str]:
    """"point out" -> "points out", "pointed out" (and "point out" with `base`)."""
    head, _, rest = verb.partition(" ")
    if head == "say":
        inflected = ["says", "said"]
    else:
        third = head + ("es" if head.endswith(("s", "sh", "ch", "x", "z")) else "s")
        inflected = [third, head + ("d" if head.endswith("e") else "ed")]
    return [f"{form} {rest}".strip() for form in ([head] if base else []) + inflected]


def _framing(subjects: str, verbs: tuple[str, ...], *, base: bool) -> re.Pattern[str]:
    alternatives = "|".join(form for verb in verbs for form in _forms(verb, base=base))
    return re.compile(rf"^(?:{subjects}) (?:also )?(?:{alternatives}) that\s+", re.IGNORECASE)


# A note that reports what the recording says instead of saying it: "It mentions that about
# 450 litres go into a wheel", "The episode notes that...". The claim is what follows "that".
_FRAMED = _framing(r"the (?:podcast|episode|show|programme|program|conversation|discussion|"
                   r"interview|excerpt|segment|recording)|it|this(?: episode| excerpt| segment)?",
                   _REPORTING + _RECORDING_ALSO, base=False)


# "The episode discusses why deliveries stop on icy days": the claim is the clause after "why",
# once it has a subject and a verb of its own ("Deliveries stop on icy days").
_FRAMED_WHY = re.compile(
    r"^the (?:podcast|episode|show|programme|program|conversation|discussion|interview|"
    r"segment|recording) (?:also )?(?:discuss|explain|describe|cover|mention|note|explore)"
    r"(?:e?s|e?d) why\s+(?=(?:the|a|an|its|their|this|these|most|some|many|[A-Z0-9])\b)",
    re.IGNORECASE)


# "She mentions that healthy hives pay back…": a pronoun reporting a fact, left so after the
# review gave an answer's "she" the guest's name, says nothing of who (the note before may not be
# hers). Verbs of opinion ("he says", "they suggest") keep it.
_PRONOUN_FRAMED = _framing("they|he|she", _REPORTING, base=True)


# The note-taker's own comment on the claim that follows ("Interestingly, the kiln…"): the
# prompt asks for no remarks of its own, and a speaker's surprise is said in the claim's words.
_REMARKED = re.compile(r"^(?:interestingly|surprisingly|notably|importantly|remarkably|"
                       r"fascinatingly|impressively),\s+(?=\S)", re.IGNORECASE)


def unframe(text: str, pronoun: bool = False) -> str:
    """The claim a note reports ("It mentions that the cheese is aged 8 months" -> "The cheese
    is aged 8 months", "The episode discusses why the trams stop at 11" -> "The trams stop at
    11"; with `pronoun`, "She notes that…" too; "Interestingly, the…" -> "The…");
    a note that reports a person's words keeps them ("Hale says that...", "She says that...")."""
    if (plain := _REMARKED.sub("", text, count=1)) != text and len(plain.split()) >= 3:
        text = plain[:1].upper() + plain[1:]
    match = _FRAMED.match(text) or (_PRONOUN_FRAMED.match(text) if pronoun else None)
    if match is None and (why := _FRAMED_WHY.match(text)) and has_verb(text[why.end():]):
        match = why
    if match is None or len(text[match.end():].split()) < 4:
        return text
    rest = text[match.end():]
    return rest[:1].upper() + rest[1:]


# "Dr. Ines Varga, who studies soil at the college.": a person's name (one or two forms of it,
# every word capitalised) and a relative clause that runs to the note's end with no comma in it.
_NAME_WORDS = r"(?:Dr\.|Mr\.|Ms\.|Mrs\.|Prof\.|[A-Z][\w'’-]*)(?: (?:Dr\.|[A-Z][\w'’-]*|van|von|de|der|da))*"
_NAME_WHO_TO_END = re.compile(rf"^(?:{_NAME_WORDS}, )?(?P<name>{_NAME_WORDS}), who (?P<rest>[^,]+)$")


# First words of a sentence that go in lower case after a semicolon.
_LOWER_AFTER = frozenset("it its they their them he she his her this that these those there the a "
                         "an and but so then we our us you your".split())
_FILLER_START = re.compile(r"^(?:so|and|well|also),?\s+", re.IGNORECASE)


def one_sentence(text: str) -> str:
    """A note of several sentences (a stretch pasted, then put in the third person: "The
    together part matters. Vanderbrook's team don't want to be a drop-off service. they want
    people to learn.") as one: a sentence under five words that adds no figure the others lack
    goes, the rest are joined by semicolons ("…a drop-off service; they want people to
    learn."). A note whose pieces are initials ("all M. O. N. T.") is left as it is."""
    from recap.notes.dedupe import figures_of

    pieces = sentences(text)
    if len(pieces) < 2 or any(len(p.split()) < 2 for p in pieces):
        return text
    long_ = [p for p in pieces if len(words(p)) >= 5]
    figures: set[str] = set().union(*(figures_of(p) for p in long_)) if long_ else set()
    kept: list[str] = []
    for piece in pieces:
        if len(words(piece)) < 5:
            new = figures_of(piece) - figures
            if not new:
                continue
            figures |= new
        kept.append(piece)
    if not kept:
        return text
    parts = [kept[0]]
    for piece in kept[1:]:
        first, space, rest = _FILLER_START.sub("", piece).partition(" ")
        parts.append((first.lower() if first.lower() in _LOWER_AFTER else first) + space + rest)
    joined = "; ".join(part.rstrip(".!?") for part in parts)
    end = kept[-1][-1] if kept[-1][-1:] in ".!?" else "."
    return joined[:1].upper() + joined[1:] + end


# A comma, then a new clause's subject (a pronoun, perhaps after a word of time): "…fish from the
# harbour, together they land…", "…their first kiln, it was in every newspaper."
_SPLICE = re.compile(r",\s+(?=(?:(?:now|today|then|together|still|also|so far|these days|"
                     r"last year|in fact)\s+)?(?:it|they|he|she|we|you|there)"
                     r"(?:['’](?:s|re|ll|d|ve))?\s+[\w'’]+)", re.IGNORECASE)
# A clause that leans on the one after it: the comma after it is where they meet ("When it
# rains, they close").
_SUBORDINATORS = frozenset("if when whenever because although though as since while after "
                           "before until once unless whether where wherever even so than "
                           "and but or".split())
# The same in more words: "The last time they hired a glazier, they had 90 letters."
_LEANS_ON_NEXT = re.compile(r"(?:the (?:first|last|next|only) time|every time|each time|"
                            r"any time|by the time|the moment|now that|in case)\b", re.IGNORECASE)


def unspliced(text: str) -> str:
    """Two sentences run together with a comma ("Today, 30 boats work from the harbour, together
    they land about 400 tonnes a year.", as Whisper wrote them with no full stop between) as
    one sentence of two clauses, joined by a semicolon, the way `one_sentence` joins the
    sentences of a note. Not where the comma ends a clause that leans on the next ("When it
    rains, they close"; "In winter, when it snows, they close"), nor where either side has no
    verb."""
    out = text
    for match in reversed(list(_SPLICE.finditer(text))):
        clause = re.split(r"[;:]", text[:match.start()])[-1].strip()
        pieces = [p.split() for p in clause.split(",") if p.split()]
        after = " ".join(text[match.end():].split()[:4])
        if (not pieces or pieces[0][0].lower() in _SUBORDINATORS
                or pieces[-1][0].lower() in _SUBORDINATORS
                or any(_LEANS_ON_NEXT.match(" ".join(p)) for p in (pieces[0], pieces[-1]))
                or not has_verb(clause) or not has_verb(after)):
            continue
        out = out[:match.start()] + ";" + out[match.start() + 1:]
    return out


def unrelative(text: str) -> str:
    """A note that names someone and says what they do only in a relative clause ("Ines
    Varga, Dr. Ines Varga, who studies soil at the college.") as the sentence it means ("Dr.
    Ines Varga studies soil at the college."): the last form of the name, then the clause, whose
    first word is its verb ("who studies", not "who the listeners know")."""
    from recap.notes.words import verb_form
    from recap.text.names import STOPWORDS

    match = _NAME_WHO_TO_END.match(text.strip())
    if match is None:
        return text
    first = match.group("rest").split()[0]
    if not (verb_form(first) or (first.endswith(("s", "ed")) and first.lower() not in STOPWORDS)):
        return text
    return f"{match.group('name')} {match.group('rest')}"


# A name, a comma and what the person is, with no verb: "Ines Varga, co-founder of the mill."
_NAME_APPOSED = re.compile(rf"^(?P<name>{_NAME_WORDS}), (?P<rest>(?:a |an |the )?[a-z][^,;:]*)\.?$")
LONGEST_APPOSITION = 12
"""Words after the comma: a longer verbless note is more likely a sentence the verb check missed."""
# Words that open a greeting after a name, not a role: "Ines Varga, thanks for coming."
_NOT_A_ROLE = frozenset("thanks thank welcome good great hello hi hey yes no yeah please sorry "
                        "congratulations well so okay ok".split())


def unappose(text: str) -> str:
    """A note that names someone and then says what they are, without a verb ("Ines Varga,
    co-founder of the mill.", the words the host introduced her with), as the sentence it means
    ("Ines Varga is co-founder of the mill.")."""
    from recap.notes.words import has_verb

    match = _NAME_APPOSED.match(text.strip())
    if match is None:
        return text
    rest = match.group("rest").split()
    if (len(rest) > LONGEST_APPOSITION or has_verb(match.group("rest"))
            or rest[0].lower().strip(",.!") in _NOT_A_ROLE
            or any(w.endswith("ing") and len(w) > 5 for w in rest)):  # "…, thanks for coming"
        return text
    return f"{match.group('name')} is {match.group('rest').rstrip('.')}."


def _one_of_repeat(match: re.Match[str]) -> str:
    """A stammered word (or words) once; a number said twice stays ("twenty twenty" is a year,
    "40, 40" two figures)."""
    last = match.group(1).split()[-1].lower()
    return match.group() if is_number_word(last) or last[:1].isdigit() else match.group(1)


def third_person(text: str, person: str) -> str:
    """`text` with first-person words replaced: "I"/"my" by `person`, "we"/"our" by "they" and
    "their" (the first "we" by `person`'s team when `person` is known, or by "the team" after
    `person` is named); "our listeners", "my producer" and the like by "the show's"."""
    name = person or "the guest"
    owner = (f"{name}'s" if person[:1].isupper() else "their") if person else "the guest's"
    text = _SHOWS.sub(_the_shows, text)
    text = _AND_I_AM.sub(lambda m: f"{m.group(1)} {name} are", text)
    text = _AND_I_WAS.sub(lambda m: f"{m.group(1)} {name} were", text)
    text = _AND_I.sub(lambda m: f"{m.group(1)} {name}", text)
    text = _I_VERB.sub(f"{name} is", text)
    text = _I_WAS.sub(f"{name} was", text)
    text = _I_HAVE.sub(f"{name} has", text)
    text = _I_WOULD.sub(f"{name} would", text)
    text = _I_WILL.sub(f"{name} will", text)
    text = _I_ADVERB.sub(lambda m: f"{name} {m.group(1)} {_agree(m.group(2))}", text)
    text = _I_PLAIN.sub(lambda m: f"{name} {_agree(m.group(1))}", text)
    text = _I_ALONE.sub(name, text)
    text = _MY.sub(owner, text)
    text = _ME.sub(name, text)
    team = [False]

    def we(match: re.Match[str], rest: str) -> str:
        if person and not team[0]:
            team[0] = True
            # "Vance thinks it was the best money the team spent", not "… Vance's team spent"
            named = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])",
                              match.string[:match.start()])
            return f"{'the' if named else owner} team{rest}"
        return f"they{rest}"

    text = _WE_ARE.sub(lambda m: we(m, " are"), text)
    text = _WE_HAVE.sub(lambda m: we(m, " have"), text)
    text = _WE_WOULD.sub(lambda m: we(m, " would"), text)
    text = _WE_WILL.sub(lambda m: we(m, " will"), text)
    text = _WE.sub(lambda m: we(m, ""), text)
    text = _OURSELVES.sub("themselves", text)
    text = _OURS.sub("theirs", text)
    text = _OUR.sub(lambda m: owner if person and not team[0] and _mark(team) else "their", text)
    text = _US.sub("them", text)
    return text[:1].upper() + text[1:] if text else text


# Verbs a speaker's advice opens on, told to the listener ("Turn it once a week.", "Be patient
# on busy Saturdays."), and the words an imperative's object or place opens on: with one of
# them after it, the verb is not a noun ("Turn signals…", "Store prices rose").
_ADVISED = frozenset(
    "add ask avoid boil book bring buy call check choose clean cook cool count cover cut dry eat "
    "feed fill find fold freeze get give go hang heat join keep label leave let lock look make "
    "measure mix move open pack pay place plan plant put read register remember save sell send "
    "set sign start stop store take tell test think tie try turn use visit wait wash watch water "
    "wear weigh wrap write".split())
_OBJECT_OPENS = frozenset(
    "it them the a an your you some something anything everything any up out in on off down "
    "back away one two three this that these those yourself people him her at to with for "
    "every each all plenty enough".split())
_ADVICE = re.compile(r"(?:(?P<neg>don['’]t|do not|never|always)\s+)?(?P<verb>[A-Za-z]+)\s+"
                     r"(?P<next>[A-Za-z'’]+)", re.IGNORECASE)


# A clause or phrase the advice may follow: "If the heap smells, turn it.", "In winter, keep…"
_FRONTED = re.compile(r"^(?:if|when|whenever|once|before|after|during|in|on|for|at|with|unless|"
                      r"until|while)\b[^,;:.]{2,80},\s+", re.IGNORECASE)
# Words after "never" or "don't" that are not a verb told to the listener: "Never before…"
_NOT_TOLD = frozenset("before again ever once mind been had has have was were is are the a an "
                      "so too".split())


def as_advice(text: str, person: str) -> str:
    """A note that is a speaker's advice in the imperative ("Turn it with a fork once a week.",
    "Don't water them twice as much.") as `person`'s advice in the third person ("Lind's advice
    is to turn it…", "… is not to water them…"); after a clause or phrase, that stays first ("In
    winter, Lind's advice is to keep…"). `text` as it is when it gives no advice or there is
    nobody to credit. "Be" opens an imperative whatever follows it, and so does any verb after
    "don't" or "never"."""
    fronted = _FRONTED.match(text)
    start = fronted.end() if fronted else 0
    found = _ADVICE.match(text, start)
    if not person or found is None:
        return text
    verb, after, negation = found.group("verb").lower(), found.group("next").lower(), \
        (found.group("neg") or "").lower().replace("’", "'")
    told = negation in {"don't", "do not", "never"} and verb not in _NOT_TOLD
    if not ((verb == "be" and not negation) or (verb in _ADVISED and after in _OBJECT_OPENS)
            or told or (negation and verb in _ADVISED)):
        return text
    lead = {"": "to", "don't": "not to", "do not": "not to", "never": "never to",
            "always": "always to"}[negation]
    rest = text[found.start("verb"):]
    whose = f"{person}'s advice is {lead} {rest[:1].lower()}{rest[1:]}"
    if fronted:
        return f"{text[:start]}{whose}"
    return whose[:1].upper() + whose[1:]


def _the_shows(match: re.Match[str]) -> str:
    """"the show's listeners" for "our listeners"; "the podcast" for "my podcast"."""
    said = match.group(1)
    if said.split()[-1].lower() in _THE_SHOW:
        return f"the {said}"
    return f"the show's {said}"


_THE_SHOW = frozenset("show podcast episode programme program".split())


def _mark(flag: list[bool]) -> bool:
    flag[0] = True
    return True


def _agree(verb: str) -> str:
    """The verb after a third-person singular subject: think -> thinks, go -> goes."""
    low = verb.lower()
    if (low in _UNCHANGED_VERBS or low in _IRREGULAR_PAST or low.endswith(("ed", "s"))
            or not verb.isalpha()):
        return verb
    if low == "have":
        return "has"
    if low == "do":
        return "does"
    if low.endswith(("sh", "ch", "x", "o", "z")):
        return verb + "es"
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


# What a host does in an interview: a note saying the host did one of these is right as it is.
_HOST_VERBS = frozenset(
    "asks asked says said introduces introduced welcomes welcomed thanks thanked hosts hosted "
    "jokes joked laughs laughed wonders wondered agrees agreed presents presented opens opened "
    "closes closed interviews interviewed".split())


def credit_guest(text: str, cited: list[str], host: str, guest: str) -> str:
    """`text` with its subject, the host, replaced by `guest`, where the note credits the host
    with what the cited lines say in the first person and none of them is a question: in an
    interview with one guest, an answer given as "I" or "we" is the guest's. A note opening on
    "He"/"She" ("His"/"Her", "They") gets the guest's name (their team) the same way, where a
    cited line says its verb (its noun) right after "I" ("my", "we"): the pronoun's noun is in
    another note. An "It", "He" or "She" whose verb the guest said after "we" is the guest's
    team ("It started the studio in 2016" from "We started the studio…").
    Any other note is returned as it is.

    Args:
        text: the note.
        cited: the transcript lines it cites.
        host: the host's name ("" when the opening does not say it).
        guest: what to call the guest (their surname, as the first-person rewrite does).
    """
    if not guest or not cited or any("?" in line for line in cited):  # the host's turn is in it
        return text
    reported = _REPORTED.match(text)
    if reported is not None:
        # "They explain that after three bad tests…", cited from the guest's "we stop
        # collecting…": the pronoun stands for no one the post has named; the guest said it.
        if not any(first_person(line) for line in cited):
            return text
        said, *rest = reported.group(2).split()
        if reported.group(1) == "They":  # "They explain" -> "Hale explains"
            said = said + "es" if said.endswith("ss") else _agree(said)
        verb = " ".join([said, *rest])
        return f"{guest} {verb} {text[reported.end():]}"
    pronoun = _PRONOUN.match(text)
    if pronoun is not None:
        said = pronoun.group(1)
        if _says_of_self(pronoun.group(2), cited, said):
            return f"{guest}{_AS_NAMED[said]} {text[pronoun.end():]}"
        if said in ("He", "She") and _says_of_self(pronoun.group(2), cited, "They"):
            # "She glazes every pot twice" from the guest's "we glaze every pot twice"
            return f"{guest}'s team {text[pronoun.end():]}"
        if said == "They" and _speaks_as_we_only(cited) and verb_form(pronoun.group(2)):
            # "They would get about 40 applications" from the guest's "we'd get maybe 40": the
            # lines speak of no one else as "they"
            return f"{guest}'s team {text[pronoun.end():]}"
        return text
    names = [host, host.split()[-1], host.split()[0]] if host.strip() else []
    subject = "|".join(re.escape(n) for n in ["the host", *names])
    match = re.match(rf"(?:{subject})(?:['’]s)?(?= (\w+))", text, re.IGNORECASE)
    if match is None or match.group(1).lower() in _HOST_VERBS:
        return text
    if not any(first_person(line) for line in cited):
        return text
    return _replace_subject(text, match.end(), guest)


# "It" too: a small model writes "It started the studio in 2016" for the guest's "We started…".
_PRONOUN = re.compile(r"(He|She|His|Her|They|It) (?=(\w+))")
# A pronoun reporting what was said: "He explains that…", "They point out that…".
_REPORTED = re.compile(r"(He|She|They) ((?:say|explain|argue|note|mention|suggest|state|add|"
                       r"believe|think|stress|emphasi[sz]e|point)(?:e?s)?(?: out)?) (?=that )")
_SELF = {"He": frozenset("i i'm i've i'd i'll".split()), "His": frozenset(["my"]),
         "They": frozenset("we we're we've we'd we'll".split())}
_SELF |= {"She": _SELF["He"], "Her": _SELF["His"], "It": _SELF["They"]}
_AS_NAMED = {"He": "", "She": "", "His": "'s", "Her": "'s", "They": "'s team", "It": "'s team"}


_WE_WORDS = frozenset("we we're we've we'd we'll".split())  # "us", "our": the host's "tell us"
_THEY_WORDS = frozenset("they they're they've they'd they'll them their theirs themselves".split())


def _speaks_as_we_only(cited: list[str]) -> bool:
    """True when the cited lines say "we" as a subject and never "they" (or "them", "their"): a
    note's "They" can stand for no one but the speaker's team."""
    said = {w for line in cited for w in words(line)}
    return bool(said & _WE_WORDS) and not said & _THEY_WORDS


def _says_of_self(word: str, cited: list[str], pronoun: str) -> bool:
    """True when a cited line says `word` (the note's verb, or its noun after "his"/"her") right
    after "I" ("we" for "they", "my" for "his"/"her"), one word between at most: "He started"
    from "I started", "Her boots" from "my old boots", "They blocked" from "we blocked". A "he"
    the guest talks about ("my father... he kept") does not match."""
    wanted = stem(word.lower())
    for line in cited:
        said = words(line)
        for i, token in enumerate(said):
            if token in _SELF[pronoun] and any(
                    stem(after) == wanted for after in said[i + 1:i + 3]):
                return True
    return False


def _replace_subject(text: str, end: int, guest: str) -> str:
    """The guest's name where the host's was: "The host's team" -> "Hale's team"."""
    said = text[:end]
    possessive = said.endswith(("'s", "’s"))
    return guest + ("'s" if possessive else "") + text[end:]


# Someone addressed by name at the head of a sentence: "Felix, how was it?", "So, Mia, ...",
# "And Jolly, welcome.".
_ADDRESSED = re.compile(r"(?:^|[.?!,]\s+)(?:(?:And|So|Now|Well|Okay|OK|Right),?\s+)?"
                        r"([A-Z][a-z]+),\s")
_DISCOURSE = frozenset("so well now yes no okay ok right oh and but then actually honestly "
                       "really look listen sure great wow anyway alright welcome thanks please "
                       "sorry hello hi hey".split())


# Someone addressed by name at the end of a sentence: "Thanks for coming in, Tomas.",
# "…who runs the clinic at the university, Ines."
_ADDRESSED_LAST = re.compile(r",\s+([A-Z][a-z]+)[.!](?=\s|$)")
# A sentence that greets whoever it names: "Good to have you with us, Ines."
_GREETING = re.compile(r"\b(?:welcome|thanks|thank you|good to (?:have|see)|great to (?:have|see)|"
                       r"nice to (?:have|see)|joining (?:me|us)|with (?:me|us))\b", re.IGNORECASE)
_TITLE_WORDS = frozenset({"Doctor", "Professor", "Dr", "Prof"})


def _addressed_last(lines: list[str], index: int, own: set[str]) -> str | None:
    """The name addressed at the end of a sentence of `lines[index]`, where the lines just
    before give it in full as a new speaker's ("…is Doctor Ines Varga, who studies soil.
    Thanks for coming in, Ines."), and the sentence greets her or a question follows within
    the next two lines ("…at the college, Ines." / "Our first letter is from…" / "…what is he
    doing wrong?"). A place after a comma ("Portland, Oregon.") is not given as a full name."""
    from recap.text.names import capitalised_runs

    line = lines[index]
    for match in _ADDRESSED_LAST.finditer(line):
        word = match.group(1)
        if not _new_name(word, own):
            continue
        before = " ".join([*lines[max(0, index - 3):index], line[:match.start()]])
        if not any(word in run.split()[:-1] for run in capitalised_runs(before)):
            continue
        sentence = re.split(r"[.?!]\s+", line[:match.start()])[-1]
        after = " ".join([line[match.end():], *lines[index + 1:index + 3]])
        if _GREETING.search(sentence) or "?" in after:
            return word
    return None


def _next_voice(lines: list[str], known: list[str]) -> tuple[int, str] | None:
    """(index, the name as addressed: "Felix") of the first line where someone other than the
    known speakers is addressed by name in a question or a welcome ("Felix, how was it?"), or
    greeted by name at the end of a sentence just after being introduced in full: a
    magazine's next part, with a voice of its own, so the guest of the opening is no longer
    the one answering. A name spelt almost as a known speaker's is that speaker, misheard."""
    own = {w.lower() for name in known for w in name.split()}
    for index, line in enumerate(lines):
        last = _addressed_last(lines, index, own)
        if last is not None:
            return index, last
        # Whisper cuts lines inside a sentence: "Lena, our first question is from Mark, who
        # asks, are naps good" / "or bad for me?" (a line that ends its sentence does not go on)
        asked = "?" in line or (index + 1 < len(lines) and "?" in lines[index + 1]
                                and not line.rstrip().endswith((".", "!", "?", '"', "”")))
        if not asked and "welcome" not in line.lower():
            continue
        for match in _ADDRESSED.finditer(line):
            if (_new_name(match.group(1), own)
                    and _named_elsewhere(match.group(1), lines, index, match.start(1))):
                return index, match.group(1)
    return None


def _named_elsewhere(word: str, lines: list[str], index: int, at: int) -> bool:
    """Whether the lines say `word`, addressed at the head of a sentence in line `index` (at
    `at`), as a name somewhere else too: in full up to the address ("Our reporter Mia Lund was
    there. Mia, how was it?"), or, never said in lower case, addressed again, in a run of
    capitalised words, or capitalised inside a sentence ("over to Mia"). A word said only at the
    head of a sentence is as likely an exclamation or the first of a list ("Goodness, how…?",
    "Pears, plums, apples: which…?") as someone spoken to; taken for a new voice, every answer
    after it was credited to it."""
    from recap.text.names import capitalised_mid_sentence, capitalised_runs, says_word

    before = " ".join([*lines[max(0, index - 3):index], lines[index][:at]])
    if any(word in run.split() for run in capitalised_runs(before)):
        return True
    line = lines[index]
    rest = " ".join([*lines[:index], line[:at] + line[at + len(word):], *lines[index + 1:]])
    if says_word(rest, word.lower()):
        return False
    again = any(found.group(1) == word for i, other in enumerate(lines) if i != index
                for found in _ADDRESSED.finditer(other))
    return (again or any(word in run.split() for run in capitalised_runs(rest))
            or capitalised_mid_sentence(word, rest))


def _new_name(word: str, own: set[str]) -> bool:
    """True when `word`, addressed, names someone other than the known speakers (`own`: their
    name words, lower case): a name, and not one spelt almost as a known speaker's (that
    speaker, misheard)."""
    from recap.text.names import NOT_NAMES

    word = word.lower()
    return (word not in own and word not in NOT_NAMES and word not in _DISCOURSE
            and not any(spelt_alike(word, name) for name in own))


def voices(lines: list[str], known: list[str]) -> list[tuple[int, str]]:
    """The later parts' voices, in order: (the index of the line that first addresses each, its
    name, in full where the lines up to it give it: "Lena Sharma" for "With me is Dr. Lena
    Sharma… Lena, our first question is from Mark…"). The opening's speakers are `known`."""
    from recap.text.names import capitalised_runs

    found: list[tuple[int, str]] = []
    known = list(known)
    start = 0
    while (voice := _next_voice(lines[start:], known)) is not None:
        index, word = start + voice[0], voice[1]
        around = " ".join(lines[max(0, index - 3):index + 1])
        full = [run for run in capitalised_runs(around) if word in run.split()]
        name = max(full, key=len) if full else word
        while len(name.split()) > 2 and name.split()[0] in _TITLE_WORDS:  # "Doctor Ines Varga"
            name = name.split(" ", 1)[1]
        found.append((index, name))
        known.append(name)
        start = index + 1
    return found


def credit_voice(text: str, cited: list[str], guest: str, voice: str, role: str = "") -> str:
    """`text` with the opening guest's name (in full, the given name or the surname) as its
    subject replaced by `voice`'s, where the note comes from a later part of the episode and
    none of the lines it cites says the guest's name: the model, given the opening's speakers in
    its prompt, credits the first guest with the next part's answers ("Price advises no caffeine
    after midday" from the sleep researcher's "My advice is no caffeine after midday"). A name
    elsewhere in the note is left: "… correct Quillam's statement" may be the host's. The guest's
    `role`, where the model wrote it after the name ("Delgado, head teacher at the academy,
    says…"), goes with the name."""
    parts = [p for p in guest.split() if p[:1].isupper() and not p.endswith(".")]
    if not parts or not voice:
        return text
    said = set().union(*map(bare_words, cited))
    if any(p.lower() in said for p in parts):
        return text
    forms = sorted({guest, " ".join(parts), *parts}, key=len, reverse=True)
    pattern = re.compile(r"(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")
    if not pattern.match(text):
        return text
    name = surname(voice)
    text = pattern.sub(name, text, count=1)
    # "Kumer, head teacher at the academy, says…": the first guest's role, which the model
    # wrote after the name; an aside the cited lines do not say goes with the name.
    aside = re.match(rf"{re.escape(name)}(?:, ([^,()]{{3,80}}),| \(([^()]{{3,80}})\))", text)
    if aside is not None:
        said_stems = content_stems(" ".join(cited))
        stems = content_stems(aside.group(1) or aside.group(2))
        if role.strip() and content_stems(role) >= stems or (
                stems and len(stems & said_stems) < len(stems) / 2):
            text = name + text[aside.end():]
    return text


def spelt_alike(word: str, name: str) -> bool:
    """True when `word` is `name` as Whisper may spell it another time ("Alene" for "Aileen"):
    the same first letter, four letters or more each, and most letters in the same order."""
    from difflib import SequenceMatcher

    return (len(word) >= 4 and len(name) >= 4 and word[0] == name[0]
            and SequenceMatcher(None, word, name).ratio() >= 0.7)


_EXAMPLE_SUBJECTS = re.compile(r"^Example subjects:\s*(.+)$", re.MULTILINE)
_ORGANISATION = re.compile(r"\b(?:at|of|for|from|with|runs|founded|co-founded|leads|coordinates)"
                           r" (the )?((?:[A-Z][\w'’&-]*)(?: (?:[A-Z][\w'’&-]*|of|and|&))*)")


def example_subjects(prompt_text: str) -> list[str]:
    """What the worked example of an extraction prompt talks about, as its file lists them
    ("Example subjects: glass-blowing studio, studio, …" in its header), longest first: a
    small model may copy one into a note as its subject ("The studio sold about 1.4 million
    bags", in an episode about a farm, after the example's "The studio sold about 2,400
    glasses")."""
    found = _EXAMPLE_SUBJECTS.search(prompt_text)
    if found is None:
        return []
    subjects = [s.strip().lower() for s in found.group(1).split(",") if s.strip()]
    return sorted(subjects, key=lambda s: -len(s.split()))


def organisation(role: str) -> str:
    """The organisation a speaker's role names ("co-founder at Stacklight Farms" -> "Stacklight
    Farms"; "coordinator of the Repair Cafe in Ghent" -> "the Repair Cafe"), or ""."""
    match = _ORGANISATION.search(role)
    if match is None:
        return ""
    name = re.sub(r"(?: (?:of|and|&))+$", "", match.group(2))
    return f"the {name}" if match.group(1) else name


def unborrow(text: str, subjects: list[str], heard: frozenset[str], organisation: str) -> str:
    """A note whose subject is one of the prompt example's (`example_subjects`) that the episode
    never says ("The studio weighs 9 tons…" in a repair café's episode) gets the guest's
    organisation as its subject ("The Repair Cafe weighs 9 tons…"); without one it is left as
    it is."""
    if not organisation:
        return text
    for subject in subjects:
        match = re.match(rf"(?:The|Their|Its|This) {re.escape(subject)}(?![\w-])", text,
                         re.IGNORECASE)
        if match is None:
            continue
        if any(stem(w) in heard for w in words(subject)):
            return text
        return organisation[:1].upper() + organisation[1:] + text[match.end():]
    return text
