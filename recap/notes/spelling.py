"""Names spelled as the episode's own details spell them.

Whisper hears a name it does not know as words it does ("Henrik Aalto" as "Henry Kalto",
"Pedal Freight" as "Petal Freight"), and the notes, written from the transcript, carry the
mishearing into the post. A podcast's title and description almost always name the guest and
the show the way they are written. A run of capitalised words in the notes that the details do
not hold, but that looks and sounds like one they do (its letters, and its consonants, alike:
`ALIKE`), is that name misheard: it is written the details' way, and so is its last word where
it stands alone ("Kalto's team" -> "Aalto's team").
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from recap.text.names import NOT_NAMES, capitalised_runs, fold

if TYPE_CHECKING:
    from recap.models import Info, Notes

ALIKE = 0.7
"""How alike a heard name and a name in the details must be (the mean of their letters' and
their consonants' `SequenceMatcher` ratios) to be taken for the same name."""
PART_ALIKE = 0.5
"""How alike (letters) the last words of two names taken for the same must be for the heard
surname alone to be spelled the details' way too (a first name alone may be someone else's)."""
_VOWELS = re.compile(r"[aeiou]")
# Words that stand before a name as its title or office: never a surname to respell alone.
_TITLES = frozenset("""
mayor doctor captain chief major general judge president minister director professor sergeant
officer council city street lord lady king queen prince princess saint father mother sister
brother uncle aunt coach chef nurse reverend senator governor chair
""".split())


def _letters(name: str) -> str:
    return "".join(fold(word) for word in name.split())


def _consonants(name: str) -> str:
    """The name's consonants, its first letter kept ("Marisol Duarte" -> "mrsldrt"): what stays
    when a recogniser hears the vowels wrong."""
    letters = _letters(name)
    return letters[:1] + _VOWELS.sub("", letters[1:])


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def likeness(heard: str, written: str) -> float:
    """How alike two names look and sound: 0 unless they start with the same letter."""
    a, b = _letters(heard), _letters(written)
    if not a or not b or a[0] != b[0]:
        return 0.0
    return (_ratio(a, b) + _ratio(_consonants(heard), _consonants(written))) / 2


def detail_names(texts: list[str]) -> list[str]:
    """The names in the episode's details (title, description, uploader, chapters): runs of two
    or more capitalised words, each once."""
    found: list[str] = []
    for text in texts:
        for run in capitalised_runs(text or ""):
            if run not in found:
                found.append(run)
    return found


def respellings(heard: list[str], details: list[str], said_lower: str = "") -> dict[str, str]:
    """For each heard name (a run of capitalised words) that the details do not write, the
    detail name it is most like when `ALIKE` or more, and its last word where the two last words
    are `PART_ALIKE` (a heard "Henry Kalto" beside "Henrik Aalto": "Henry Kalto" and "Kalto").
    Words the details write anywhere, titles ("Mayor") and words `said_lower` (the transcript)
    writes in lower case are never respelled alone: they are words, not surnames."""
    said = {fold(word) for name in details for word in name.split()}
    mapping: dict[str, str] = {}
    for name in heard:
        if name in mapping or all(fold(word) in said for word in name.split()):
            continue
        scored = [(likeness(name, written), written) for written in details]
        best, written = max(scored, default=(0.0, ""))
        if best < ALIKE:
            continue
        mapping[name] = written
        mine, right = name.split()[-1], written.split()[-1]
        if (len(name.split()) > 1 and mine != right and fold(mine) not in said
                and fold(mine) not in NOT_NAMES | _TITLES
                and not re.search(rf"(?<![\w'’-]){re.escape(mine.lower())}(?![\w'’-])", said_lower)
                and _ratio(fold(mine), fold(right)) >= PART_ALIKE):
            mapping.setdefault(mine, right)
    return mapping


def respell(text: str, mapping: dict[str, str]) -> str:
    """`text` with every heard form in `mapping` written the details' way (whole words, the
    longest forms first; a possessive "'s" stays)."""
    if not mapping or not text:
        return text
    forms = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w'’-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def respell_notes(notes: Notes, info: Info, transcript: str) -> dict[str, str]:
    """Every name in `notes` (bullets, section titles, intro, description, keywords, speakers)
    that the episode's details spell otherwise, spelled their way, in place; what was respelled
    (heard form -> written form). Nothing changes when the details name nobody."""
    details = detail_names([info.title, info.description, info.uploader,
                            *(chapter.title for chapter in info.chapters)])
    if not details:
        return {}
    texts = [*(b.text for t in notes.topics for b in t.bullets), *(t.title for t in notes.topics),
             notes.intro, notes.summary, *notes.keywords, *notes.speakers]
    heard = [run for text in texts for run in capitalised_runs(text)]
    heard += [name for name in notes.speakers if len(name.split()) > 1 and name not in heard]
    mapping = respellings(heard, details, transcript)
    if not mapping:
        return {}
    for topic in notes.topics:
        topic.title = respell(topic.title, mapping)
        for bullet in topic.bullets:
            bullet.text = respell(bullet.text, mapping)
    notes.intro, notes.summary = respell(notes.intro, mapping), respell(notes.summary, mapping)
    notes.keywords = [respell(k, mapping) for k in notes.keywords]
    notes.speakers = [respell(name, mapping) for name in notes.speakers]
    return mapping
