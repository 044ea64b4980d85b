"""Claim-level checks on one extracted note against the transcript lines it came from.

Every note gets its citations (the lines holding its words and figures) and a list of problems.
What each problem leads to is decided in `builder`: fixable ones (first person, a fragment) go to
the rewrite pass, the rest are dropped. `recap check` later re-checks figures and names against
the cited segments, so citations always include the lines holding a note's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recap.languages import capitalises_nouns
from recap.notes.windows import Line, Window
from recap.notes.words import (
    DETERMINERS,
    QUOTED,
    WRITTEN_WORD,
    claim_stems,
    content_stems,
    first_person,
    stem,
    verb_form,
    words,
)
from recap.text.names import STOPWORDS

if TYPE_CHECKING:
    from recap.text.quantity import Figure

MIN_SUPPORT = 0.5
"""Below this share of a note's content words found in the lines it cites, it is unsupported."""
FEWEST_CLAIMS = 2
"""A note whose claim rests on this many content words or fewer needs all of them in its lines."""
LONGEST_NOTE = 45
"""A note of more words than this in one sentence is a stretch of transcript pasted whole (a
note in the reference post is 15 to 35 words); it is dropped, and the stretch asked again."""
SHORTEST_NOTE = 5
"""A note of fewer words than this is a fragment (`review` joins one that holds a figure to
the note before it where it can)."""

# Words a note may use that the transcript need not contain: reporting verbs (as written: a
# noun may share a verb's stem, "a share" and "shares"), and roles (stems).
_FREE_VERBS = frozenset(
    "says say said explains explained explaining notes noted noting adds added adding mentions "
    "mentioned mentioning describes described describing discusses discussed discussing talks "
    "talked talking shares shared sharing highlights highlighted highlighting points pointed "
    "pointing believes believed believing argues argued arguing according recalls recalled "
    "recalling suggests suggested suggesting states stated stating claims claimed claiming "
    "estimates estimated estimating reports reported reporting warns warned warning calls called "
    "calling".split())
_FREE = frozenset(stem(w) for w in (
    "host guest episode podcast listeners listener team company organisation organization "
    "interview speaker also advice").split())
_META = re.compile(r"\b(?:excerpt|transcript|these notes|this note|the notes|note-taker|"
                   # what the model could not tell: "The speakers are not named."
                   r"(?:speakers?|participants?|people|voices?) (?:are|is|were|was) not "
                   r"(?:named|identified|introduced|known))\b",
                   re.IGNORECASE)
_SPONSOR = r"brought to you by|(?:promo|discount|coupon|offer) code"
"""Words only a sponsor's read says: in a note (`_SHOW_TALK`) and in a transcript line (`_AD_CUE`)."""
# The sign-off, in a note or in the intro the model writes: "Curd and Counting promise to return
# then.", "That's all for this week, until next time."
_SIGN_OFFS = (r"until next time|that's all for|see you next|goodbye|(?:will|'ll) be back|"
              r"promis(?:e|es|ed) to (?:return|come back|be back)(?: then| soon)?(?=[.!]?$)")
# Notes about the show rather than its content: who hosts, thanks, welcomes, goodbyes, and the
# sponsor's read ("brought to you by", "with the code ...").
_SHOW_TALK = re.compile(
    r"\b(?:(?:is|was|are|were) (?:the|a|an|our|their) (?:host|guest|co-host)s?|thank(?:s|ed|ing)?|"
    rf"{_SPONSOR}|sponsored by|with the code|"
    rf"welcome[sd]?|{_SIGN_OFFS}|(?:episode|podcast|show) (?:ends|closes|starts|opens)|"
    # where the show goes next: "The podcast will take a small detour to discuss midges."
    r"(?:episode|podcast|show|programme|program) (?:will|is going to) (?:now )?(?:take|turn|move|"
    r"go|continue|come|return|look)|"
    r"(?:hosts|joins|joined) (?:the|this) (?:podcast|show|episode)|listening|"
    # who hosts, said another way; a sponsor's read without "brought to you by"
    r"host(?:s|ed)? (?:the|this|a) (?:podcast|show|episode|programme|program)|"
    r"(?:is|was|are|were) (?:co-)?hosted by|"
    r"(?:the )?host and (?:the |their |his |her )?guests?|"
    r"(?:episode|show|podcast) (?:is|was) (?:supported|sponsored|funded|made possible) by|"
    # the show's own appeal: "Street Level is made possible by our listeners", "tell a friend"
    r"made possible by (?:our|its|the|your) (?:listeners|supporters|members|donors|patrons)|"
    r"tell (?:a|your) friends?(?: about (?:it|us|the (?:show|podcast|programme|program)))?|"
    # the listeners addressed: "Your questions, a lot of you wrote…", "high praise from you",
    # "A couple of you also wrote about…"
    r"(?:a lot|lots|many|some|several|a couple|a few|most|all|both|each|one|two|three) of you|"
    r"you (?:wrote|asked|sent|emailed|told us)|^your (?:questions|letters|emails|messages|"
    r"comments|stories)|(?:praise|thanks|feedback|letters?|emails?|messages?|questions?) from you|"
    # a parting wish: "Good luck with the ice.", "Daniel, see you on the second Saturday."
    r"good luck|best of luck|^(?:[\w'’-]+, )?see you|"
    # who hosts or interviews, and where: "Tomas Berg is hosting the podcast", "The interview
    # takes place in a cold cellar"
    r"(?:is|are|was|were) (?:hosting|co-hosting|interviewing)|"
    # the guest's first visit: "It's Lind's first time in a real radio studio."
    r"first (?:time|visit) (?:in|on|to|at) (?:a|an|the|this|our|their) (?:[\w'’-]+ ){0,2}"
    r"(?:studio|show|podcast|programme|program|microphone|mic)|"
    r"(?:interview|conversation|recording|episode|podcast|show) (?:takes|took|is taking) place)\b",
    re.IGNORECASE)
# The host's goodbye asking the guest to come again ("The host invites Morrow back in the
# spring.", "Hale is invited back when the lambs are born."): show talk where it gives no figure.
_INVITED_BACK = re.compile(r"\binvit(?:es|ed|ing) (?:[\w'’.-]+ ){0,3}back\b", re.IGNORECASE)
_SIGN_OFF = re.compile(rf"\b(?:{_SIGN_OFFS})", re.IGNORECASE)
# What the episode is about, said of the episode or of its speakers, with no figure: "The
# episode discusses sleep tips", "They discuss selling honey", "The guest is a beekeeper". The
# intro says what it covers and who talks.
_ABOUT_THE_SHOW = re.compile(
    r"^(?:(?:the|this) (?:podcast|episode|show|programme|program|conversation|discussion|"
    r"interview|excerpt|segment|recording) (?:also )?(?:discusses|discussed|covers|covered|"
    r"mentions|mentioned|"
    r"explores|explored|examines|examined|looks at|looked at|touches on|touched on|"
    r"is about|was about|focuses on|focused on|talks about|talked about|delves into|dives into)"
    # "It mentions penalties for bad batches": what is said about them, the note does not say
    # (a note that reports a claim, "It mentions that…", is the claim: `rewrite.unframe`)
    r"|it (?:also )?(?:discusses|discussed|talks about|talked about|delves into|mentions|"
    r"mentioned)"
    r"|they (?:also )?(?:discuss|discussed|talk about|talked about)"
    # who the guest or host is, said of the role: "The guest is a beekeeper"
    r"|(?:the|our|their|this|today's) (?:host|guest|co-host)s? (?:is|was|are|were))\b",
    re.IGNORECASE)
# A person said to talk about a subject, with no figure: "Priya discusses the financial
# viability of selling honey jars" says what the episode covers, which the intro says.
_TALKS_ABOUT = re.compile(
    r"^(?:Dr\. |Mr\. |Ms\. |Mrs\. |Prof\. )?[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)* (?:also )?"
    r"(?:discusses|discussed|talks about|talked about|delves into|delved into|explores|explored|"
    r"touches on|touched on|reflects on|reflected on|dives into|dived into|goes into|went into)\b")
# A host's prompt to the guest or the listener, copied as a note: "Let's talk money, can the
# honey pay for itself.", "Tell us about the first year." (Whisper often drops the "?").
_PROMPT = re.compile(r"^(?:(?:so|now|okay|ok|well|and),? )?(?:let['’]s|let us|tell (?:us|me)|"
                     r"walk (?:us|me) through|talk (?:us|me) through)\b", re.IGNORECASE)
# A sponsor's read in the transcript: the line that says so, and the lines after it up to the
# next question or turn back to the show ("Now, ...", "... and we're back") or ~45 words.
_AD_CUE = re.compile(rf"\b(?:{_SPONSOR}|(?:episode|show|podcast|programme|program) is "
                     r"(?:supported|sponsored|presented) by|word from (?:[\w']+ ){0,2}sponsors?|"
                     r"(?:with|use) (?:the )?code|"
                     # "Today's sponsor is…", "Support for this show comes from…", "…, who
                     # sponsor this episode", "Thanks to Lumen Lamps for sponsoring the show"
                     r"(?:today's|this week's|this episode's|our) sponsor (?:is|today|this week)|"
                     r"(?:today's|this week's|this episode's) sponsor|"
                     r"support for (?:this|the|today's) (?:episode|show|podcast|programme|program)"
                     r" comes from|"
                     r"sponsor(?:s|ed|ing)? (?:this|today's|this week's) "
                     r"(?:episode|show|podcast|programme|program)|"
                     r"for sponsoring (?:this|the|today's|our) (?:episode|show|podcast|programme|"
                     r"program)|"
                     # "This episode is made possible by…", "…thanks to our friends at…", "This
                     # message comes from…"
                     r"(?:episode|show|podcast|programme|program) is (?:made possible|funded|"
                     r"underwritten) by (?!(?:our|its|the|your) (?:listeners|supporters|members|"
                     r"donors|patrons))|"
                     r"thanks to our (?:friends|partners) at|this message comes from|"
                     # the offer that ends a read: "…20 percent off your first order", "…at
                     # checkout", "a free trial", "your first month free", "lumenlamps dot com
                     # slash quay"
                     r"off (?:your|the|a) (?:first|next) \w+|off your (?:order|purchase|box)|"
                     r"at checkout|free trial|first (?:month|order|box|delivery) (?:free|on us)|"
                     r"dot com slash)\b",
                     re.IGNORECASE)
# A host's turn to a break, which a read that names its sponsor only later follows: "A quick
# break.", "We'll be right back after this."
_BREAK_CUE = re.compile(r"\b(?:(?:a )?(?:quick|short) (?:break|word|pause)|(?:we'll|we will) be "
                        r"right back|right back after|take a (?:quick |short )?break|after "
                        r"(?:this|these) (?:short |quick )?(?:message|word)s?)\b", re.IGNORECASE)
_BACKED_BY = re.compile(r"\b(?:supported|sponsored|presented|powered) by\b", re.IGNORECASE)
_BACK_TO_SHOW = re.compile(r"^(?:now|back to|anyway|so|right|ok|okay|well|and now)\b",
                           re.IGNORECASE)
_BACK_WITHIN = re.compile(r"\b(?:we're back|we are back|back to (?:the|our)|and now)\b",
                          re.IGNORECASE)
AD_WORDS = 45
# A note about the conversation, not its content: "The host asks about the winter".
_ASKS = re.compile(r"^((?:dr\.? |mr\.? |ms\.? |mrs\.? )?[\w.'’-]+(?: [\w.'’-]+){0,3}) "
                   r"(?:asks?|asked|wonders?|wondered|questions?|questioned|"
                   r"(?:is|are|was|were) (?:asking|wondering)|wants? to know|wanted to know|"
                   # "Paul and Ashby wrote about compost questions."
                   r"(?:wrote|writes?) (?:in )?(?:about|asking|to ask|with)|"
                   r"(?:sent|send|sends) (?:in )?(?:a question|questions))\b", re.IGNORECASE)
# Listeners said to have asked, with no answer: "Several people asked if they can compost tea
# bags.", "One of the choir members asked if…", "A listener wondered…".
_LISTENERS_ASK = re.compile(
    r"^(?:(?:several|many|some|a few|a couple of|lots of|a lot of|two|three|four|five|one|another|"
    r"a|most)(?: of (?:you|the|our|their))?(?: [\w-]+)? (?:people|listeners?|readers?|viewers?|"
    r"callers?|members|parents|fans|you)|someone|somebody) (?:also )?(?:asked|asks|ask|wondered|"
    r"wonders|wonder|wanted to know|wants to know|want to know)\b", re.IGNORECASE)
# A listener named with their town, or said to be someone from it: "Amir from Hopey asked how
# long…", "A fisherman from Dunmore asked whether…" (also a name Whisper heard as a noun).
_NAME_FROM_PLACE = re.compile(r"(?:[A-Z][\w'’-]+|(?:A|An|One|Another) [a-z][\w'’-]*) (?:from|in) "
                              r"[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?")
# A listener's question announced: "The second question from Sofia asks if…"
_QUESTION_FROM = re.compile(r"^(?:(?:the|a|an|another|our|their) )?(?:\w+ )?question (?:comes )?"
                            r"(?:is )?from\b", re.IGNORECASE)
# A question of the interview announced, figure or not: "The second question is about skippers
# in 15 years." says what was asked; the answer, when there is one, is a note of its own.
_QUESTION_IS = re.compile(r"^(?:(?:the|our|their) (?:first|second|third|fourth|fifth|next|last|"
                          r"final|other)|another|(?:the|a) listener'?s?) question (?:is|was|"
                          r"concerns|concerned) (?:about|on|whether|if|how|what|why|who|when|"
                          r"where)\b", re.IGNORECASE)
_ROLES = frozenset("host hosts co-host guest guests interviewer presenter listener listeners "
                   "caller callers viewer viewers reader readers audience".split())
_UP = frozenset("increase increased increases increasing rise rises rose risen rising grew grow grows "
                "growing growth higher more up doubled tripled gained gain jumped climbed expanded "
                "raised boosted surged".split())
_DOWN = frozenset("decrease decreased decreases decreasing fall falls fell fallen falling drop "
                  "dropped drops dropping declined decline declines lower less fewer down cut "
                  "cuts halved shrank shrunk reduced reduce reduces lost slashed".split())
# A verb said only with "not" before it ("we didn't fire anyone"), written by a note that
# negates nothing ("Brannock fired the people who turned wheels"): the claim turned around.
# `_NOT` negates the word after it (a few `_BETWEEN` words may stand between: "did not really
# fire", "must never be chilled"); a note with any `_NEGATING` word is not judged (it may say the
# same another way: "nobody was fired", "the rules forbid chilling").
_NOT = frozenset({"not", "never", "cannot"})
_BOUND = re.compile(r"\b(?:at least|at most|no (?:more|less|fewer|closer|further) than|"
                    r"minimum|maximum)\b", re.IGNORECASE)
_BETWEEN = frozenset("be been have really even always ever actually just yet get got to".split())
_OVER = frozenset("in on at into onto inside under over with from for by a an the".split())
"""Words "not" or "never" reaches over to the noun they lead to, when they follow it at once:
"Not in plastic, wrap it in waxed paper" says nothing is kept in plastic."""
_NEGATING = _NOT | frozenset(
    "no none nobody nothing neither nor without instead rather stop stopped stops refuse refused "
    "refuses avoid avoided avoids forbid forbids forbidden ban bans banned prohibit prohibits "
    "prohibited unable lack lacks fail fails failed".split())
# A note opening with these continues a sentence it does not hold: a fragment.
_CONJUNCTION_START = re.compile(r"^(?:than|or|nor|which|whom|whose|of|because|although)\b",
                                re.IGNORECASE)
# A note that ends on a colon announces what it does not hold: "The two biggest worries right
# now are:." (the model wrote the list's items, if at all, as notes of their own).
_ANNOUNCES = re.compile(r":\s*[.!]?$")
# A sentence cut off mid-phrase: "…you arrive in the city center at." (a line that ends there).
_CUT_END = re.compile(r"\b(?:at|the|a|an|and|or|of|by|but|because|their|his|her|its|our|my|your|"
                      r"than)[.!]?$")  # lower case: "vitamin A." is whole
# Spoken openers that add nothing to a written note; `tidy` removes them.
_OPENER = re.compile(r"^(?:(?:and|but|so|well|now|yeah|yes|oh|um|uh|okay|ok|right|also)\b[,]?\s+"
                     r"|(?:exactly|absolutely|sure|of course|indeed|yep|true|correct),\s+"
                     # a yes-or-no answer's first words before its claim: "It can, they sell…"
                     r"|(?:it|they|that|he|she|you|we) (?:can|could|does|do|did|is|was|will|would"
                     r"|has|have|had)(?:n't| not)?,\s+(?=(?:they|it|we|he|she|you|the|a|an|there|"
                     r"this|that|most|some|every)\b))+",
                     re.IGNORECASE)


@dataclass
class Candidate:
    """A note from one window, with what the checks found."""

    text: str
    window: Window
    segment_ids: list[int] = field(default_factory=list)
    support: float = 1.0
    problems: list[str] = field(default_factory=list)

    @property
    def start(self) -> float:
        cited = [ln for ln in self.window.lines if ln.id in self.segment_ids]
        return min((ln.start for ln in cited), default=self.window.start)

    @property
    def end(self) -> float:
        cited = [ln for ln in self.window.lines if ln.id in self.segment_ids]
        return max((ln.end for ln in cited), default=self.window.end)

    def source(self) -> str:
        return " ".join(ln.text for ln in self.window.lines if ln.id in self.segment_ids)


def cite(text: str, lines: tuple[Line, ...] | list[Line], free: frozenset[str] = frozenset(),
         limit: int = 3) -> tuple[list[int], float]:
    """The lines a note rests on (greedy: the fewest lines holding most of its content words and
    all of its figures found in the window) and the share of its content words they hold."""
    from recap.text.figures import extract_figures
    from recap.text.quantity import find_match

    free = _FREE | free
    wanted = claim_stems(text, free, _FREE_VERBS)
    figures = [f for f in extract_figures(text) if not f.soft]
    line_stems = [content_stems(ln.text) for ln in lines]
    line_figures = [extract_figures(ln.text, heard=True) for ln in lines]
    chosen: list[int] = []
    # Lines holding the note's figures come first: a figure is the most specific thing it says.
    for figure in figures:
        holders = [i for i, found in enumerate(line_figures) if find_match(figure, found)]
        if holders and not any(i in chosen for i in holders):
            best = max(holders, key=lambda i: len(wanted & line_stems[i]))
            chosen.append(best)
        elif not holders:  # said across a segment boundary ("about a hundred" / "and twenty")
            pair = _pair_holding(figure, lines)
            chosen += [i for i in pair if i not in chosen]
    covered: set[str] = set().union(*(line_stems[i] for i in chosen)) & wanted if chosen else set()
    while len(chosen) < max(limit, len(chosen)) and len(chosen) < len(lines):
        gains = [(len((wanted & line_stems[i]) - covered), i) for i in range(len(lines))
                 if i not in chosen]
        gain, best = max(gains, default=(0, -1))
        if gain <= 0 or (chosen and len(chosen) >= limit):
            break
        chosen.append(best)
        covered |= wanted & line_stems[best]
    if not chosen:
        chosen = list(range(len(lines)))
    support = len(covered) / len(wanted) if wanted else 1.0
    return sorted(lines[i].id for i in chosen), support


def _pair_holding(figure: Figure, lines: tuple[Line, ...] | list[Line]) -> tuple[int, ...]:
    """The first two neighbouring lines that hold `figure` only when read as one text: Whisper
    cuts its segments where the voice pauses, sometimes inside a number."""
    from recap.text.figures import extract_figures
    from recap.text.quantity import find_match

    for i in range(len(lines) - 1):
        joined = f"{lines[i].text} {lines[i + 1].text}"
        if find_match(figure, extract_figures(joined, heard=True)):
            return (i, i + 1)
    return ()


def reversed_comparison(text: str, source: str) -> bool:
    """True when the note says a thing went up where its source only says down, or vice versa."""
    mine, theirs = set(words(text)), set(words(source))
    up, down = bool(mine & _UP), bool(mine & _DOWN)
    if up == down:
        return False
    source_up, source_down = bool(theirs & _UP), bool(theirs & _DOWN)
    return (up and source_down and not source_up) or (down and source_up and not source_down)


_THAN = re.compile(r"(?<!rather )(?<!other )\bthan\b((?:\W+[\w'-]+){0,3})", re.IGNORECASE)
_COMPARED = frozenset("than compared compare comparison versus vs unlike twice double times "
                      "half".split())


def comparison_not_made(text: str, source: str) -> bool:
    """True when the note compares two things ("Hives on farmland produce more honey than
    those on rooftops") where its source makes no comparison at all (it gave the two figures,
    "our city hives made about 22 kilograms, while farm hives average 15"): a small model's
    inference, turned around as often as not. A bound on a figure ("more than 40 hives") is no
    such comparison."""
    from recap.text.figures import extract_figures

    things = [m for m in _THAN.finditer(text) if not extract_figures(m.group(1), heard=True)]
    return bool(things) and not set(words(source)) & _COMPARED


# What a figure counts "per" something: "10 tons of carbon dioxide per hectare" (a note), "10
# tons a year", "for every hectare" (a transcript). Up to four words between figure and rate.
_RATE_AFTER = re.compile(r"^(?:\W+(?!per\b)[\w'-]+){0,4}?\W+per\W+([a-z][\w'-]*)", re.IGNORECASE)
_SAID_RATE = re.compile(r"(?:per|an?|each|every|for every|for each)\W+([a-z][\w'-]*)",
                        re.IGNORECASE)
_NOT_A_RATE = frozenset({"cent", "centum"})  # "30 per cent"


def rate_moved(text: str, source: str) -> bool:
    """True when the note puts one of its figures "per" something its source says of another
    figure only: "20,000 tons of carbon dioxide per hectare per year" from "about 10 tons of
    carbon dioxide per hectare per year, across the whole site that's 20,000 tons a year". The
    figure and the rate are each in the source, so the figure check passes, but the claim is
    one nobody made. A rate the source never says ("per hectare" for "a hectare", reworded, or
    a rate the note adds by itself) is left to the other checks."""
    from recap.text.figures import extract_figures

    figures = [f for f in extract_figures(text) if not f.soft]
    theirs: list[Figure] | None = None  # the source's figures, read once a note says a rate
    for i, figure in enumerate(figures):
        stop = figures[i + 1].start if i + 1 < len(figures) else len(text)
        rate = _RATE_AFTER.match(text[figure.end:stop])
        if rate is None:
            continue
        unit = stem(rate.group(1).lower())
        if unit in _NOT_A_RATE or not _says_rate(source, unit):
            continue  # not a rate, or one the source never says: not moved from another figure
        if theirs is None:
            theirs = [f for f in extract_figures(source, heard=True) if not f.soft]
        holders = [g for g in theirs if figure.matches(g)]
        if holders and not any(_rate_follows(g, theirs, source, unit) for g in holders):
            return True
    return False


def _says_rate(text: str, unit: str) -> bool:
    """True when `text` says a rate of `unit` (a stem): "per hectare", "a year", "each train"."""
    return any(stem(m.group(1).lower()) == unit for m in _SAID_RATE.finditer(text))


def _rate_follows(figure: Figure, figures: list[Figure], source: str, unit: str) -> bool:
    """True when the source says `unit`'s rate of `figure`: within eight words after it, before
    the next figure, or just before it in the same clause ("on board each train there are six
    staff")."""
    later = [f.start for f in figures if f.start >= figure.end]
    after = source[figure.end:min(later, default=len(source))]
    earlier = [f.end for f in figures if f.end <= figure.start]
    before = re.split(r"[,.;:!?]", source[max(earlier, default=0):figure.start])[-1]
    return (_says_rate(" ".join(after.split()[:8]), unit)
            or _says_rate(" ".join(before.split()[-8:]), unit))


def _negated(word: str) -> bool:
    return word in _NOT or word.endswith("n't")


_COMPARED_WITHIN = 4
"""Words: a negation this close before "<comparative> than" negates the comparison."""


def negation_lost(text: str, source: str) -> bool:
    """True when the note asserts a content word that its source says only negated ("we didn't
    fire anyone" → "Brannock fired the people…") and the note negates nothing."""
    mine = words(text)
    if any(w in _NEGATING or _negated(w) for w in mine):
        return False
    said = words(source)
    # "never place one closer than two meters" bounds a figure, which "placed at least 2 meters
    # away" says too: a note stating a bound keeps the verb of a negated comparison.
    bound = _BOUND.search(text) is not None
    only_negated: dict[str, bool] = {}
    for i, word in enumerate(said):
        j = i - 1
        while j >= 0 and said[j] in _BETWEEN and i - j <= 3:
            j -= 1
        compared = bound and "than" in said[i + 1:i + 5]
        negated = j >= 0 and _negated(said[j])
        if not negated and word not in _OVER:
            k = i - 1
            while k >= 0 and said[k] in _OVER and i - k <= 2:
                k -= 1
            # "not", "never" only: "Doesn't the work take longer?" asks, it negates nothing
            negated = k < i - 1 and k >= 0 and said[k] in _NOT
        if not negated and word.endswith("er") and said[i + 1:i + 2] == ["than"]:
            # a comparison negated over its verb: "we never place one closer than two meters"
            # ("kept too close" turns it around)
            negated = any(_negated(w) for w in said[max(0, i - _COMPARED_WITHIN):i])
        key = stem(word)
        only_negated[key] = only_negated.get(key, True) and negated and not compared
    wanted = claim_stems(text, _FREE, _FREE_VERBS)
    claims = {stem(w) for w in mine if stem(w) in wanted}
    return any(only_negated.get(key, False) for key in claims)


# What says a thing is yet to happen: "we'll open", "we're going to open", "we hope to open".
_FUTURE = frozenset("will 'll shall going gonna plan plans planning hope hopes hoping want "
                    "wants wanting aim aims aiming intend intends intending would".split())
_FUTURE_WITHIN = 4
"""Words: a verb this close after a `_FUTURE` word is said of what is yet to happen."""


def plan_told_as_done(text: str, source: str) -> bool:
    """True when the note tells as done (a verb in -ed: "opened a second depot") what its source
    says only as a plan or a hope ("we want to open a second depot next spring", "we'll open
    it"), and the note itself says nothing of a plan ("plans to", "will", "next year")."""
    mine = words(text)
    if any(w in _FUTURE or w.endswith("'ll") for w in mine):
        return False
    done = {stem(w) for w in mine if w.endswith("ed") and len(w) > 5
            and not w.endswith("eed")}
    if not done:
        return False
    said = words(source)
    planned: dict[str, bool] = {}
    for i, word in enumerate(said):
        key = stem(word)
        if key not in done:
            continue
        before = said[max(0, i - _FUTURE_WITHIN):i]
        ahead = any(w in _FUTURE or w.endswith("'ll") for w in before)
        planned[key] = planned.get(key, True) and ahead
    return any(planned.values())


_ROLE_WORDS = frozenset({"by", "to", "from"})
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\W*$")


def _role(text: str, start: int) -> str:
    """The word just before a figure at `start` when it says the figure's role in a change:
    "by" (the change), "to" (where it ended), "from" (where it began); else ""."""
    found = _WORD_BEFORE.search(text[max(0, start - 20):start])
    word = found.group(1).lower() if found else ""
    return word if word in _ROLE_WORDS else ""


def figure_role_changed(text: str, source: str) -> bool:
    """True when the note gives a figure another role in a change than its source does: "cut
    by 40%" where the source says "cut to 40%", or "went from 25 to 40" where it says "from 40
    to 25" (the before and after swapped). Only a figure that both say with "by", "to" or
    "from" just before it is judged, and only when the source never says it the note's way."""
    from recap.text.figures import extract_figures

    theirs: list[Figure] | None = None
    for figure in extract_figures(text):
        role = _role(text, figure.start) if not figure.soft else ""
        if not role:
            continue
        if theirs is None:
            theirs = [f for f in extract_figures(source, heard=True) if not f.soft]
        roles = {_role(source, g.start) for g in theirs if figure.matches(g)}
        if roles and "" not in roles and role not in roles:
            return True
    return False


# Units a price cannot be in, and units a weight or a length cannot be in.
_MEASURES = frozenset({"kg", "g", "mg", "oz", "t", "m", "km", "cm", "mm", "mile", "ft", "inch",
                       "l", "ml"})
_MONEY = frozenset({"EUR", "USD", "JPY", "CNY", "cent"})  # "pounds" is either
_HEDGES = (r"(?:(?:about|around|roughly|nearly|almost|just|only|over|under|up to|at least|"
           r"at most|less than|more than|some|them|us|him|her|you)\s+)*")
_PRICED = re.compile(r"\b(?:costs?|costing|priced at|(?:sells?|sold|selling|goes|went) for|"
                     r"pays?|paid|charges?|charged|earns?|earned)\s+" + _HEDGES + "$",
                     re.IGNORECASE)
_MEASURED = re.compile(r"\b(?:weighs?|weighed|weighing|measures?|measured|measuring)\s+" + _HEDGES
                       + "$", re.IGNORECASE)


def unit_misused(text: str) -> bool:
    """True when a figure's unit cannot be what the verb before it says: a price in grams or
    metres ("It costs 500 grams per jar": a jar's weight read as its price), or a weight or a
    length in money ("The hive weighs 40 euros")."""
    from recap.text.figures import extract_figures

    for figure in extract_figures(text):
        before = text[max(0, figure.start - 60):figure.start]
        if ((figure.unit in _MEASURES and _PRICED.search(before))
                or (figure.unit in _MONEY and _MEASURED.search(before))):
            return True
    return False


_IS_NAMED = re.compile(r"^((?:[A-Z][\w'’-]+ ){0,2}[A-Z][\w'’-]+) (?:is|was) "
                       r"((?:[A-Z][\w'’-]+ ){1,2}[A-Z][\w'’-]+)\b")
# "Varga hosts The Weekly Round.": a name said to host or present a show by its name.
_HOSTS_SHOW = re.compile(r"^(?!The\b)(?:[A-Z][\w'’.-]+ ){1,3}(?:hosts|co-hosts|presents|hosted|"
                         r"presented|is the host of|was the host of) (?:the |The )?[A-Z]")


def one_speaker_as_another(text: str, people: frozenset[str]) -> bool:
    """True when the note says one speaker is another ("Varga is Tomas Berg, three things on
    the program tonight.": the host's "I'm Tomas Berg" credited to the guest): two of the
    speakers' names (`people`, stems) with no word in common either side of "is"."""
    match = _IS_NAMED.match(text)
    if match is None:
        return False
    left, right = ({stem(w) for w in words(group)} for group in match.groups())
    return left <= people and right <= people and not left & right


_KIN = ("father mother dad mum mom wife husband son daughter brother sister grandfather "
        "grandmother grandad granddad grandma grandpa uncle aunt partner children kids parents "
        "family").split()
_OWNED_KIN = re.compile(r"([A-Z][\w'’-]*)['’]s (?:(?:late|own|old) )?(" + "|".join(_KIN) + r")s?\b")


# Kin the lines must say for a note to say it: one word for another is another person ("his
# wife" for "my brother"). "Kids" for "children", "mum" for "mother" are the same people.
_SAME_KIN = {"kid": "child", "children": "child", "mum": "mother", "mom": "mother",
             "dad": "father", "grandad": "grandfather", "granddad": "grandfather",
             "grandpa": "grandfather", "grandma": "grandmother"}
_NAMED_KIN = re.compile(r"(?<![\w'’-])(" + "|".join(
    k for k in _KIN if k not in ("partner", "parents", "family")) + r")s?(?![\w'’-])",
    re.IGNORECASE)


def _kin(word: str) -> str:
    """The relative a word names, one key for its forms and its other words ("mum", "mother")."""
    word = stem(word.lower())
    return stem(_SAME_KIN.get(word, word))


def relative_borrowed(text: str, heard: str, people: frozenset[str]) -> bool:
    """True when the note gives a speaker (`people`: stems of the speakers' names) a relative
    that the lines it was written from (`heard`) never give them: "Varga's late father" where
    a customer brought in "her late father's" clock. A speaker's own relative is "my father"
    or "our son" in what they say, or the speaker's name with it. A relative the lines never
    name at all is nobody's ("founded by Varga and his wife" where she said "me and my
    brother")."""
    said = words(heard)
    kin_said = {_kin(word) for word in said}
    if any(_kin(found.group(1)) not in kin_said
           for found in _NAMED_KIN.finditer(QUOTED.sub("", text))):
        return True
    for found in _OWNED_KIN.finditer(text):
        name, kin = found.group(1), stem(found.group(2).lower())
        if stem(name.lower()) not in people or re.search(
                rf"\b{re.escape(name)}['’]s (?:(?:late|own|old) )?{found.group(2)}", heard):
            continue
        if not any(word in ("my", "our") and kin in {stem(w) for w in said[i + 1:i + 3]}
                   for i, word in enumerate(said)):
            return True
    return False


_SUBJECT_WORDS = 4
"""The most words taken for a note's opening noun phrase by `subject_as_object`."""


def subject_as_object(text: str) -> bool:
    """True when the note's subject is also what its verb acts on: "The port authority has signed
    a deal with the port authority." The speaker said "We've signed a deal with the port
    authority", and the model put the one named party in the place of "we": whoever signed, it
    was not the authority with itself."""
    found = list(re.finditer(r"[\w'’-]+", text))
    tokens = [m.group(0) for m in found]
    start = 0
    while start < len(tokens) and tokens[start].lower() in DETERMINERS:
        start += 1
    end = start
    while end < len(tokens) and end - start < _SUBJECT_WORDS and not verb_form(tokens[end]):
        end += 1
    subject = tokens[start:end]
    if not subject or end >= len(tokens) or end - start >= _SUBJECT_WORDS or max(
            len(w) for w in subject) < 4:
        return False
    again = re.compile(r"\b(?:with|to|from|for|by|against)\s+(?:(?:the|a|an)\s+)?"
                       + r"\s+".join(re.escape(w) for w in subject) + r"\b(?!['’]s)",
                       re.IGNORECASE)
    rest = text[found[end - 1].end():]
    for repeat in again.finditer(rest):
        after = re.match(r"\s*([\w'’-]+)", rest[repeat.end():])
        if after is None or after.group(1).lower() in STOPWORDS:
            return True  # the whole phrase again, not the first word of another ("ferry terminal")
    return False


_MAIL = frozenset(stem(w) for w in "letter email message question mail mailbag postbag inbox "
                  "voicemail".split())
_ABOUT_MAIL = _MAIL | frozenset(stem(w) for w in (
    "listener write wrote written send sent receive received get got come came first second "
    "third next last another lot month week today tonight show programme program podcast "
    "episode laugh smile read answer team host guest").split())


# The host's "Happy to read most of them on the ferry.": a feeling with no one to have it, and no
# claim (no figure); or a request taken up ("Happy to, though I should warn you…").
_GLAD_TO = re.compile(r"^(?:happy|glad|pleased|delighted|excited|thrilled|sorry|nice|great) to"
                      r"(?:[,;.]| [a-z]+\b)(?!.*\d)", re.IGNORECASE)


def only_mail(text: str, people: frozenset[str]) -> bool:
    """True when the note only says that mail came, not what it says: "One letter made Lind
    laugh.", "Letters came in all week." (no figure, no one named but the speakers; every
    content word is about the letters, emails or questions, and one of them says which). What a
    listener asks or tells is a claim ("Ilse from Kendal asks how often to water a fig"), and
    a note naming the letter's writer stays ("The first letter is from Ilse in Kendal."): the
    notes after it say "she" of her."""
    if any(ch.isdigit() for ch in text):
        return False
    found = WRITTEN_WORD.findall(text)
    if any(w[:1].isupper() and stem(w.lower()) not in people for w in found[1:]):
        return False  # a listener named: the notes after it say "he" or "she" of them
    plain = " ".join(w for i, w in enumerate(found)
                     if not w[:1].isupper() or (i == 0 and stem(w.lower()) not in people))
    said = content_stems(plain)
    return bool(said & _MAIL) and said <= _ABOUT_MAIL


def says_only_names(text: str, people: frozenset[str]) -> bool:
    """True when every content word of the note is a word of the speakers' names (`people`,
    stems): "Priya is the pre-natter agent." (her misheard surname given as a second speaker)
    says who is who, which the intro does, or nothing."""
    claims = claim_stems(text, _FREE, _FREE_VERBS)
    return bool(claims) and claims <= people


# The closing words of a conversation: thanks, goodbyes, "see you", "that's all for this week".
_CLOSING_CUE = re.compile(
    rf"\b(?:thank(?:s| you)|see you|that'?s (?:all|it) (?:for|from)|{_SIGN_OFFS}|take care|"
    r"good ?night|bye|cheers|safe travels|next (?:week|time|episode|month)|"
    r"come (?:back|again|and see)|drop by)\b", re.IGNORECASE)
CLOSING_WORDS = 16
"""A closing line ("Marta, thank you so much for coming in.") is at most this many words."""
CLOSING_TAIL = 4
"""Words: the end of a closing sentence that Whisper put on a line of its own ("now.")."""


ADDRESS_WORDS = 8
"""Words: a goodbye may first say whom it thanks, by name and what they run ("Ilse Brenner of
the Dorne Old Mill, thank you…"), this many words at most; they are not counted against
`CLOSING_WORDS`."""


def _address_words(text: str, cues: list[re.Match[str]]) -> int:
    """The words before a goodbye's first cue when they are only whom it is said to: up to
    `ADDRESS_WORDS` words, ending on a comma just before the cue."""
    if not cues:
        return 0
    before = text[:cues[0].start()].rstrip()
    count = len(before.split())
    return count if before.endswith(",") and count <= ADDRESS_WORDS else 0


def closing_lines(lines: list[Line] | tuple[Line, ...]) -> frozenset[int]:
    """The ids of the lines that end the talk: going back from the last line, each short line
    (`CLOSING_WORDS` or fewer) that thanks, says goodbye or signs off and gives no figure but
    an ordinal ("Thank you, Daniel, see you on the second Saturday.", "That's all for this
    week."). They tell a reader nothing, and a small model given a stretch that ends on them
    notes the goodbye and little of what comes before it, so they are left out of what it is
    asked. A line of a few words that goes on from the line before it in lower case ("… thank
    you, and I'll go and find my second jumper" / "now.") closes with that line, or not at all.
    """
    from recap.text.figures import extract_figures

    found: set[int] = set()
    tail: list[int] = []  # a sentence's end on a line of its own, closing if its line does
    for line in reversed(lines):
        text = line.text.strip()
        if not text:
            continue
        figures = [f for f in extract_figures(text, heard=True)
                   if not f.soft and any(q.unit != "ordinal" for q in f.readings)]
        if text[:1].islower() and line.word_count <= CLOSING_TAIL and not figures:
            tail.append(line.id)
            continue
        found_cues = list(_CLOSING_CUE.finditer(text))
        cues = {m.group(0).lower() for m in found_cues}
        # Whisper runs a goodbye's sentences into one long line ("Ana Ruiz, thank you, that's
        # all from us this week, next week, we meet the last"): two cues or more close it too.
        limit = CLOSING_WORDS * 2 if len(cues) >= 2 else CLOSING_WORDS
        if line.word_count - _address_words(text, found_cues) > limit or not cues or figures:
            break
        found.update([line.id, *tail])
        tail = []
    return frozenset(found)


LEAD_IN_WORDS = 8
"""A short line just before a sponsor's read, with no question or figure, leads into it."""


def ad_lines(lines: list[Line] | tuple[Line, ...], show: str = "") -> frozenset[int]:
    """The ids of the lines that are a sponsor's read: a line that says so ("... is brought to
    you by", "a word from our sponsor", "use the code ...", "…off your first order", or the
    show's name with "supported by"), the short line before it that leads in (`_leads_in`), the
    lines back to a turn to a break before it ("A quick break.", `_since_break`), and those
    after it, up to the
    next question, the next turn back to the show ("Now, ..."; a line that turns back within
    it, "... and we're back", is the read's last) or about `AD_WORDS` words. A note citing only
    these lines is talk about the show, however it is worded ("The savings app rounds up your
    purchases"), and they are never asked again."""
    named = content_stems(show) if show else set()
    found: set[int] = set()
    words_left = 0
    for i, line in enumerate(lines):
        if _AD_CUE.search(line.text) or (named and _BACKED_BY.search(line.text)
                                         and named <= content_stems(line.text)):
            found.add(line.id)
            words_left = AD_WORDS - line.word_count
            if i and _leads_in(lines[i - 1]):
                found.add(lines[i - 1].id)  # "A quick word before the news."
            found.update(_since_break(lines, i))
            continue
        if words_left <= 0 or "?" in line.text or _BACK_TO_SHOW.match(line.text.strip()):
            words_left = 0
            continue
        found.add(line.id)
        words_left = 0 if _BACK_WITHIN.search(line.text) else words_left - line.word_count
    return frozenset(found)


PREVIEW_SECONDS = 90.0
"""How far into an episode its host's preview of what is coming may run."""
# A host's preview of a later part: "Later in the show, your questions about compost.", "Coming
# up: the new tram line.", "Also on the programme today…", "…after the break".
_PREVIEW = re.compile(r"\b(?:later (?:in|on) (?:the|this|today's) (?:show|episode|programme|"
                      r"program)|coming up|still to come|also (?:on|in) (?:the|this|today's) "
                      r"(?:show|episode|programme|program)|after the break)\b", re.IGNORECASE)


def preview_lines(lines: list[Line] | tuple[Line, ...]) -> frozenset[int]:
    """The ids of the lines in an episode's first `PREVIEW_SECONDS` that preview a later part
    ("…later in the show, your questions about compost, answered by a soil scientist."): talk
    about the show, whose subject the later part tells in full, so no note rests on them."""
    return frozenset(line.id for line in lines
                     if line.start < PREVIEW_SECONDS and _PREVIEW.search(line.text))


def _since_break(lines: list[Line] | tuple[Line, ...], cue: int) -> list[int]:
    """The ids of the lines from a turn to a break ("A quick break.") up to the line `cue` that
    says it is a read, where the break is at most `AD_WORDS` words before it with no question
    between: the product described before its offer ("…use the code QUAY") or its name is."""
    total = 0
    for j in range(cue - 1, -1, -1):
        if "?" in lines[j].text or total > AD_WORDS:
            return []
        if _BREAK_CUE.search(lines[j].text):
            return [lines[k].id for k in range(j, cue)]
        total += lines[j].word_count
    return []


def _leads_in(line: Line) -> bool:
    """A short line that can lead into a sponsor's read: `LEAD_IN_WORDS` or fewer, no question,
    no figure, no name ("A quick word before the news.", not "They moved to Ghent.")."""
    from recap.text.figures import extract_figures

    text = line.text.strip()
    return (0 < line.word_count <= LEAD_IN_WORDS and "?" not in text
            and not any(w[:1].isupper() for w in text.split()[1:])
            and not any(not f.soft for f in extract_figures(text, heard=True)))


_REFERS_BACK = re.compile(r"^(?:it|its|it's|they|they're|them|this|that|these|those|many|some|"
                          r"most|few|both|all|each|one|he|she|his|her|the best|the rest)\b",
                          re.IGNORECASE)


# A figure the model could not read, written as a placeholder: "more milk per hectare than a
# certain amount of milk per hectare".
_PLACEHOLDER = re.compile(r"\b(?:a|some) (?:certain|specific|particular|given) (?:amount|number|"
                          r"percentage|figure|price|sum|level|quantity)\b", re.IGNORECASE)
# "2 meters to the edge of the roof is mentioned.": that something was said, not what.
_ONLY_MENTIONED = re.compile(
    r"\b(?:is|are|was|were) (?:also |briefly )?(?:mentioned|discussed|noted|brought up|"
    r"talked about|touched on|raised|covered)\W*$", re.IGNORECASE)


def vague(text: str) -> bool:
    """True when a note says next to nothing: no figure and no name, and one content word at
    most, or two after an opening that refers to what is not in the note ("The best is the
    best.", "Many are new to it.", "They are part of the taste."); or, figure or not, that
    something "is mentioned" without what is said of it, or "a certain amount" where a figure
    was."""
    if _ONLY_MENTIONED.search(text.strip()) or _PLACEHOLDER.search(text):
        return True
    if any(ch.isdigit() for ch in text) or any(w[:1].isupper() for w in text.split()[1:]):
        return False
    said = len(content_stems(text))
    return said <= 1 or (said <= 2 and _REFERS_BACK.match(text.strip()) is not None)


def signs_off(text: str) -> bool:
    """True when `text` is the show's sign-off ("… promise to return then.", "until next
    time"): nothing a reader of the post is told."""
    return _SIGN_OFF.search(text.strip()) is not None


def asks_only(text: str, names: list[str], heard: str = "") -> bool:
    """True when the note reports that a speaker asked something ("The host asks about the
    winter", "Reed wondered whether..."): the answer is the point, and it is noted on its own.
    The speaker is a role, a known name, or a name the lines it comes from (`heard`) say inside
    a sentence: a listener whose question is read out ("… from Sofia, who asks …"; "Ingrid and
    Malmer ask about…"; "The second question from Sofia asks…"), unless the note gives a
    figure, which is the answer's."""
    from recap.text.names import capitalised_mid_sentence, looks_like_name

    figure = any(ch.isdigit() for ch in text)  # a listener's question with the answer's figure
    if (_QUESTION_FROM.match(text) or _LISTENERS_ASK.match(text)) and not figure:
        return True
    if _QUESTION_IS.match(text):
        return True
    match = _ASKS.match(text)
    if match is None:
        return False
    if _NAME_FROM_PLACE.fullmatch(match.group(1)) and not figure:
        return True
    subject = words(match.group(1))
    if subject and subject[0] == "the":
        subject = subject[1:]
    if len(subject) == 1 and subject[0] in _ROLES:
        return True
    parts = {w for name in names for w in words(name) if len(w) > 1}
    if bool(subject) and all(w in parts or w in {"dr", "mr", "ms", "mrs"} for w in subject):
        return True
    if figure:  # "… ask about the name, which started in 1998"
        return False
    askers = [part.split() for part in re.split(r" and ", match.group(1))]
    return all(0 < len(said) <= 2 and all(looks_like_name(w) and capitalised_mid_sentence(w, heard)
                                           for w in said) for said in askers)


def asked_only(candidate: Candidate) -> bool:
    """True when every line the note cites is one question and nothing else (`_only_asks`:
    "Denmark bumping, are delays a problem?" -> "Goss mentions Denmark bumping, which is a
    problem for delays."), and the note gives no figure: a question made into a claim says what
    the host asked, not what anyone answered. (A figure in it may be the episode's: "You keep
    40 hives?".)"""
    cited = [ln for ln in candidate.window.lines if ln.id in candidate.segment_ids]
    return (bool(cited) and not any(ch.isdigit() for ch in candidate.text)
            and all(_only_asks(ln.text) for ln in cited))


def only_asks(line: str) -> bool:
    """A transcript line that only asks: one question (`_only_asks`), or a host's prompt
    ("Let's talk money, can the honey pay for itself.", Whisper having dropped the "?")."""
    return _only_asks(line) or _PROMPT.match(line) is not None


def _only_asks(line: str) -> bool:
    """A line that is one question and nothing else: no sentence before it ("That's very kind.
    How was the drive in?" says something first) and two words at most after it."""
    asked, mark, after = line.rpartition("?")
    return (bool(mark) and len(after.split()) <= 2
            and re.search(r"[.!](?:\s|$)", asked) is None)


def inspect(candidate: Candidate, names: list[str], free: frozenset[str] = frozenset(),
            language: str = "en", translated: bool = False,
            people: frozenset[str] = frozenset()) -> None:
    """Cite the candidate's lines and record its problems (codes, in `candidate.problems`).

    `language` is the note's; `translated` says the transcript is in another one, so the note's
    words cannot be found in its lines: support and comparison words are not checked then, and
    the note cites its whole window (figures and names still are: digits and names do not
    change with the language)."""
    from recap.quality.support import check_bullet

    text = candidate.text
    if translated:
        candidate.segment_ids = [ln.id for ln in candidate.window.lines]
        candidate.support = 1.0
    else:
        candidate.segment_ids, candidate.support = cite(text, candidate.window.lines, free)
    problems: list[str] = []
    if "?" in text or _PROMPT.match(text):
        problems.append("question")
    if _META.search(text):
        problems.append("meta")
    if _SHOW_TALK.search(text) or ((_ABOUT_THE_SHOW.match(text) or _TALKS_ABOUT.match(text)
                                    or _INVITED_BACK.search(text))
                                   and not any(ch.isdigit() for ch in text)):
        problems.append("show_talk")
    if asks_only(text, names, candidate.window.text):
        problems.append("question")
    elif not translated and asked_only(candidate):
        problems.append("question")
    if (_HOSTS_SHOW.match(text) or _GLAD_TO.match(text) or only_mail(text, people)
            or (people and (says_only_names(text, people)
                            or one_speaker_as_another(text, people)))):
        problems.append("show_talk")
    length = len(words(text))
    if length > LONGEST_NOTE:
        problems.append("run_on")
    if length < SHORTEST_NOTE:
        problems.append("fragment")
    elif (text[:1].islower() or _opens_on_conjunction(text, people) or _CUT_END.search(text)
          or _ANNOUNCES.search(text)):
        problems.append("fragment")
    elif language == "en" and vague(text):
        problems.append("vague")
    if first_person(text, language):
        problems.append("first_person")
    if candidate.support < MIN_SUPPORT or (
            candidate.support < 1 and not translated
            and len(claim_stems(text, _FREE | free, _FREE_VERBS)) <= FEWEST_CLAIMS):
        # "X is a company that provides honey.": of two words that make the claim, one the
        # lines do not say is half of it made up
        problems.append("unsupported")
    found = check_bullet(text, candidate.window.checked_text, names)
    if found is not None:
        if found.unsupported_figures:
            problems.append("figures")
        if found.unsupported_names and not capitalises_nouns(language):
            problems.append("names")
    if (not translated and language == "en" and "figures" not in problems
            and rate_moved(text, candidate.window.checked_text)):
        problems.append("figures")  # a figure given another figure's rate
    if not translated and language == "en":
        source = candidate.source()
        if ((people and relative_borrowed(text, candidate.window.text, people))
                or subject_as_object(text)):
            problems.append("misattributed")
        if (reversed_comparison(text, source) or negation_lost(text, source)
                or comparison_not_made(text, source) or plan_told_as_done(text, source)
                or figure_role_changed(text, source)):
            problems.append("reversed")
    if language == "en" and unit_misused(text):
        problems.append("figures")  # a price in grams, a weight in euros
    candidate.problems = problems


def _opens_on_conjunction(text: str, people: frozenset[str]) -> bool:
    """A note that opens on a conjunction ("Nor did the city…", "Because the rent…") is the end
    of a sentence; a capitalised speaker's name spelled like one ("Nor Alvarez is…", a name
    Whisper heard so) is not."""
    found = _CONJUNCTION_START.match(text)
    return found is not None and not (text[:1].isupper() and stem(found.group(0)) in people)


FIXABLE = frozenset({"first_person"})
"""Problems the rewrite pass fixes; any other problem drops the note."""


def split_note(text: str, longest: int = 30) -> list[str]:
    """A note as the model wrote it, made into notes: a pasted question is cut off (its answer
    stays), and a note of several sentences becomes one note per sentence: always when each has
    five words or more (a bullet states one claim), else when it is over `longest` words (a pasted
    stretch), keeping the sentences of five words or more."""
    from recap.notes.words import sentences

    parts = sentences(text)
    kept = [p for p in parts if not p.rstrip().endswith("?")]
    if not kept:
        return [text]  # nothing but a question: the checks will drop it
    whole = [p for p in kept if len(p.split()) >= 5]
    if len(kept) > 1 and (len(whole) == len(kept) or len(text.split()) > longest):
        return whole or [" ".join(kept)]
    return [" ".join(kept)]


# A currency written twice, as its sign and its name: "£8 million pounds".
_SIGN_AND_NAME = re.compile(r"([£$€¥])(\s?\d[\d,.]*(?:\s(?:thousand|million|billion|trillion|bn|m|k))?)"
                            r"\s+(pounds?|dollars?|euros?|yen)\b", re.IGNORECASE)


def _one_currency(match: re.Match[str]) -> str:
    """The sign and amount alone, where the name is the sign's currency (`UNIT_ALIASES`)."""
    from recap.text.vocabulary import UNIT_ALIASES

    if UNIT_ALIASES[match.group(1)] != UNIT_ALIASES[match.group(3).lower()]:
        return match.group(0)
    return match.group(1) + match.group(2)


def tidy(text: str) -> str:
    """Sentence case and a full stop, without a spoken opener ("So, ", "And ") or a currency
    named twice ("£8 million pounds"); the claim's own words are never touched."""
    text = _SIGN_AND_NAME.sub(_one_currency, text.strip().strip('"“”').strip())
    bare = _OPENER.sub("", text)
    if len(bare.split()) >= 4:
        text = bare
    if text and text[0].islower() and not _CONJUNCTION_START.match(text):
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?\"”)":
        text += "."
    return text
