"""Proper names and the words that are not names: one vocabulary for the whole of recap.

The write stage bolds names with it (`is_generic_speaker`, `keyword_is_name`,
`capitalised_runs`), the support check asks whether a bullet's names occur in its source
(`name_spans`, `name_vocabulary`, `name_supported`, `group_names`), coverage counts the names of a
transcript (`proper_names`), and the notes checks read content words without `STOPWORDS`.

The word lists share one core of function words; each adds what its use needs:
- `NOT_NAMES`: capitalised words that are never names (sentence openers that survive a missed
  sentence break, contractions, titles, greetings, months and days).
- `SENTENCE_OPENERS`: the capitalised words that begin a run of capitalised words without being
  part of the name that follows ("Thanks Priya Natarajan" -> "Priya Natarajan").
- `STOPWORDS`: lower-case function and filler words that carry no content.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from recap.text.markdown import mask_links
from recap.text.vocabulary import is_number_word, is_unit_word

# ---------------------------------------------------------------- word lists

MONTHS = frozenset(
    "january february march april may june july august september october november december".split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())

FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each even ever every few for
from further had has have having he her here hers him his how however i if in into is it its
itself just last least less like many may me might more most much must my near no nor not now of
off often on once one only or other our ours out over own per quite rather really same she should
since so some still such than that the their theirs them then there these they this those though
through to too under until up upon us very was we well were what when where whether which while
who whom whose why will with within without would yes yet you your yours ok okay
""".split())
"""The commonest function words: neither names nor content."""

NOT_NAMES = FUNCTION_WORDS | MONTHS | WEEKDAYS | frozenset("""
although always another done either neither never next perhaps please thus today together
tomorrow yesterday let let's i'd i'll i'm i've it's that's there's they're we're what's you're
mr mrs ms dr prof sir madam st hello hi oh
""".split())
"""Words (folded to lower case) that are not names however they are capitalised."""

STOPWORDS = FUNCTION_WORDS | frozenset("""
around get gets got herself himself made make makes myself need needs new says said say
themselves way yourself actually basically kind lot lots maybe mean pretty right sort thing things
think thought know yeah um uh
""".split())
"""Lower-case words that carry no content (function words and spoken filler)."""

SENTENCE_OPENERS = frozenset(word[:1].upper() + word[1:] for word in frozenset("""
a an and as at but by for from he her his how i if in it its my no not of on or our she so that
the their then there these they this those to we what when where which while who why with you
your yes after before also here now today yesterday tomorrow every each some many most both all
any one two three join start plant let lets let's ask thank thanks welcome hello hi
""".split()) | MONTHS | WEEKDAYS)
"""Capitalised words that open a sentence or a greeting before a name (case-sensitive)."""

_POINTING = "It|Its|They|Their|Them|This|These|That|Those"
_WHEN = "|".join(sorted(word.capitalize() for word in MONTHS | WEEKDAYS)) + "|" + (
    "dark|raining|snowing|noon|midnight|night|morning|evening|winter|summer|autumn|time to")
_IT_IS = r"It(?:['’]s| is| was| will be)"
_EXPLETIVE_IT = (
    # "It's March, and the quay is still frozen.": the time or the weather, no noun
    rf"{_IT_IS} (?:(?:already|still|nearly|almost|only) )?(?i:{_WHEN})\b"
    # "It takes about 3 hours for the tide to turn.": the subject comes after ("It took them four
    # years to build." is about something: no "for … to")
    r"|It (?:(?:takes|took|will take|would take|can take|could take|may take|might take) )"
    r"[^.;]*?\bfor\b[^.;]*?\bto\b"
    # "It is said that…", "It seems…", "It turns out…"
    rf"|{_IT_IS} (?:said|believed|thought|estimated|expected|known|reported|claimed) that\b"
    r"|It (?:seems|seemed|appears|appeared|turns out|turned out)\b"
    # "It's Maren's first time in a studio.": an occasion, no noun before it
    rf"|{_IT_IS} (?:[A-Z][\w'’-]*['’]s|the|a|their|his|her|its) (?:first|second|third|last) time\b")
# A sentence opening on an "it" that stands for no noun (the time or the weather, a subject said
# later, "it is said that", "it seems", an occasion) leans on no sentence before it.
POINTING_OPENER = re.compile(rf"(?!{_EXPLETIVE_IT})(?:{_POINTING})\b")
"""A sentence opening on a pronoun or pointing word whose noun is in the sentence before ("They
can carry 250 people." after "The ferries come from Norway…")."""
LEANING_OPENER = re.compile(rf"(?!{_EXPLETIVE_IT})(?:{_POINTING}|He|She|His|Her)\b")
"""`POINTING_OPENER` or a person's pronoun ("She…"): a sentence that cannot be read alone."""
# Acronyms common enough in notes that a transcript rarely spells them the same way.
_COMMON_ACRONYMS = {"ai", "tv", "ceo", "cto", "cfo", "faq", "diy", "ok", "pdf", "id", "vs",
                    "etc", "eg", "ie", "am", "pm", "usa", "us", "uk", "eu", "un", "q&a"}

# Lowercase words inside a name: "Jan de Vries", "Ludwig van Beethoven".
_NAME_PARTICLES = {"de", "des", "van", "von", "der", "den", "da", "di", "du", "la", "le", "del",
                   "della", "bin", "al", "ter", "ten"}
_NAME_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_OPENERS = set(" \t\"'“‘([{*_#>")
_SENTENCE_ENDS = set(".!?:;…")

_GENERIC_SPEAKER = re.compile(
    r"^(?:host|co-?host|guest|speaker\s*\w?\d*|spk_?\d+|narrator|interviewer|interviewee|"
    r"unknown|voice\s*\d*|moderator|audience)$",
    re.IGNORECASE,
)
# A capitalised word: a capital, then small letters, accented ones too ("Café", "Müller"), to
# the word's end: a run never stops inside a word ("Le Petit Caf" out of "Le Petit Café").
_UPPER = "A-ZÀ-ÖØ-Þ"
_CAPITALISED = rf"[{_UPPER}][^\W\d_{_UPPER}]+(?![^\W\d_])"
# A lower-case particle inside a name, between two capitalised words ("Jan de Vries", "Jardin
# des Plantes"): part of the run.
_PARTICLE = "(?:" + "|".join(sorted(_NAME_PARTICLES, key=len, reverse=True)) + ") "
_CAPITALISED_RUN = re.compile(
    rf"(?<![\w'’]){_CAPITALISED}(?:[ -](?:{_PARTICLE})?(?:{_CAPITALISED}|[{_UPPER}]\.))*"
    rf"[ -](?:{_PARTICLE})?{_CAPITALISED}")


# ---------------------------------------------------------------- names in running text


@dataclass(frozen=True)
class Name:
    """A name found in a text: the word (without a possessive 's) and where it stands."""

    word: str
    start: int
    end: int


def without_accents(text: str) -> str:
    """`text` with its accents taken off ('Zürich' -> 'Zurich', 'café' -> 'cafe')."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(word: str) -> str:
    """Lowercase ASCII-ish form: 'Zürich's' -> 'zurich'."""
    text = without_accents(word).lower().replace("’", "'")
    return re.sub(r"'s?$", "", text)


def at_sentence_start(text: str, position: int) -> bool:
    """Whether the word at `position` opens a sentence, a line or a list item (quotes and
    brackets before it aside)."""
    i = position - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    if i < 0 or text[i] == "\n" or text[i] in _SENTENCE_ENDS:
        return True
    if text[i] in "-–•+":  # a list marker at the start of a line
        j = i - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        return j < 0 or text[j] == "\n"
    return False


def looks_like_name(word: str) -> bool:
    """A capitalised word (or an uncommon acronym) that is not one of `NOT_NAMES`."""
    base = re.sub(r"['’]s?$", "", word)
    if not base or fold(base) in NOT_NAMES:
        return False
    letters = base.replace("-", "").replace("'", "").replace("’", "")
    if len(letters) > 1 and letters.isupper():
        return fold(base) not in _COMMON_ACRONYMS
    return base[0].isupper() or any(c.isupper() for c in base[1:])


def proper_names(text: str) -> list[str]:
    """Proper names in `text`: capitalised words not at a sentence start, and bold names.

    A capitalised word at a sentence start counts only when a capitalised word follows it
    ("Priya Natarajan keeps..."), so that ordinary sentence openers are never taken for names.
    """
    return [name.word for name in name_spans(text)]


def name_spans(text: str) -> list[Name]:
    """The names of `text` (as `proper_names` finds them) with their positions."""
    masked = mask_links(text)
    bold = [(m.start(), m.end()) for m in _BOLD_RE.finditer(masked)]
    words = list(_NAME_RE.finditer(masked))
    names: list[Name] = []
    for index, match in enumerate(words):
        word = match.group()
        if not looks_like_name(word) or is_unit_word(word) or is_number_word(word):
            continue
        in_bold = any(start <= match.start() < end for start, end in bold)
        if at_sentence_start(masked, match.start()) and not in_bold:
            following = words[index + 1] if index + 1 < len(words) else None
            if following is None or masked[match.end():following.start()].strip() or not (
                    following.group()[0].isupper() and looks_like_name(following.group())):
                continue
        names.append(Name(re.sub(r"['’]s?$", "", word), match.start(), match.end()))
    return names


def name_vocabulary(texts: Iterable[str]) -> set[str]:
    """The folded words of `texts` (and the parts of hyphenated ones), to look names up in."""
    words: set[str] = set()
    for text in texts:
        for match in _NAME_RE.finditer(text or ""):
            folded = fold(match.group())
            words.add(folded)
            words.update(part for part in re.split(r"[-']", folded) if part)
    return words


def name_supported(word: str, vocabulary: set[str]) -> bool:
    """Whether `word` occurs in `vocabulary` (plural or not; a hyphenated name part by part)."""
    folded = fold(word)
    candidates = {folded, folded + "s", folded.removesuffix("s")}
    if candidates & vocabulary:
        return True
    if any(stem + end in vocabulary for stem, ends in _country_stems(folded) for end in ends):
        return True
    parts = [p for p in re.split(r"[-']", folded) if p]
    return len(parts) > 1 and all(p in vocabulary for p in parts)


# A people's or language's word and its country's: "Belgian" is said of "Belgium", "Japanese"
# of "Japan", "American" of "America", "British" of "Britain".
_DEMONYMS = (("ian", ("ium", "ia", "a", "y")), ("ean", ("ea", "e")), ("ese", ("", "a")),
             ("ish", ("", "en", "ain")), ("an", ("a", "y", "o")))


def _country_stems(folded: str) -> list[tuple[str, tuple[str, ...]]]:
    """The word without a demonym's ending, with the endings its country's name may have."""
    return [(folded[: -len(suffix)], ends) for suffix, ends in _DEMONYMS
            if folded.endswith(suffix) and len(folded) - len(suffix) >= 4]


def group_names(text: str, names: list[Name]) -> list[str]:
    """Adjacent names of `text` as one name: 'Jan de Vries', not three words."""
    groups: list[list[Name]] = []
    for name in names:
        between = text[groups[-1][-1].end:name.start].split() if groups else ["-"]
        if all(word in _NAME_PARTICLES for word in between):
            groups[-1].append(name)
        else:
            groups.append([name])
    out: list[str] = []
    for group in groups:
        phrase = text[group[0].start:group[-1].end]
        phrase = re.sub(r"['’]s$", "", phrase)
        if phrase not in out:
            out.append(phrase)
    return out


# ---------------------------------------------------------------- names worth bolding in a post


def is_generic_speaker(speaker: str) -> bool:
    """A diarisation or role label ("Speaker 1", "host", "SPK_0"), not a person's name."""
    return _GENERIC_SPEAKER.match(speaker) is not None


def name_words(name: str) -> list[str]:
    """The words of `name` that a name's words are: capitalised ("Li Na": both), or in a script
    without capitals."""
    return [part for part in re.findall(r"[\w'-]+", name)
            if part[:1].isupper() or (part[:1].isalpha() and not part[:1].islower())]


def surname(name: str) -> str:
    """What a note calls a person once named: the last of `name`'s name words ("Sharma" for
    "Dr. Lena Sharma", "Felix" for "Felix"; "" for "pre-natter agent")."""
    words = name_words(name)
    return words[-1] if words else ""


def says_word(text: str, word: str) -> bool:
    """Whether `text` holds `word` as a whole word (as written: no case is folded here), not
    inside another word, an apostrophe's or a hyphen's compound."""
    return re.search(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", text) is not None


def in_lower_case(text: str) -> bool:
    """Whether `text` is written all in lower case in a script with capitals ("pre-natter agent",
    "night train"): not a name as written, though the words may stand for one. A script without
    capitals ("李娜") is not."""
    return text == text.lower() != text.upper()


def keyword_is_name(keyword: str, body: str) -> bool:
    """Whether a keyword reads as a name: an inner capital ("OpenAI"), every word capitalised
    ("Field Notes"), or capitalised where it occurs mid-sentence in `body`."""
    if len(keyword) < 3 or not re.search(r"[A-Z]", keyword):
        return False
    words = keyword.split()
    inner_capital = any(re.search(r"[A-Z]", w[1:]) for w in words)
    all_capitalised = len(words) > 1 and all(w[:1].isupper() for w in words)
    return inner_capital or all_capitalised or capitalised_mid_sentence(keyword, body)


def capitalised_mid_sentence(word: str, text: str) -> bool:
    """Whether `word` occurs in `text` after a lower-case word, a digit, a comma or a semicolon."""
    return re.search(rf"[a-z0-9,;]\s+{re.escape(word)}(?!\w)", text) is not None


def capitalised_runs(text: str) -> list[str]:
    """Runs of two or more capitalised words ("Priya Natarajan", "Jean-Luc Picard"), without a
    leading sentence opener; runs made only of `SENTENCE_OPENERS` are left out."""
    runs: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = re.split(r"([ -])", match.group(0))
        while len(words) > 2 and words[0] in SENTENCE_OPENERS:
            words = words[2:]
        if len(words) >= 3 and not all(w in SENTENCE_OPENERS for w in words[::2]):
            runs.append("".join(words))
    return runs
