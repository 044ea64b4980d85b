"""Names spelled as the episode's own details spell them.

Whisper hears a name it does not know as words it does ("Henrik Arvola" as "Henry Karvola",
"Medal Couriers" as "Metal Couriers"), and the notes, written from the transcript, carry the
mishearing into the post. A podcast's title and description almost always name the guest and
the show the way they are written. A run of capitalised words in the notes that the details do
not hold, but that looks and sounds like one they do (its letters, and its consonants, alike:
`ALIKE`), is that name misheard: it is written the details' way, and so is its last word where
it stands alone ("Karvola's team" -> "Arvola's team"), and its first word where that was heard
otherwise ("Henry" -> "Henrik").

Other shapes of the same mishearing:
- a speaker whose first name is a detail name's first name, and whose surname starts with that
  name's surname's letter ("Ben Adams" speaking in an episode whose details say "Ben Abbott
  presents"), is that person, however unlike the surnames sound;
- a single capitalised word of `WORD_LENGTH` letters or more that looks and sounds like one
  word of a detail name (`WORD_ALIKE`: "Larkspire" beside "Larkspur Press") is that word;
- two capitalised words whose letters together look and sound like one word of a detail name
  ("Glen Darrow" beside "the Glendarrow Mill") are that word;
- words in any case that are a detail name of three words or more with one word heard
  otherwise ("the marrow agricultural college" for "Marlow Agricultural College") are that
  name: Whisper writes a name it does not know in lower case as often as not;
- a description often says what the opening says, in the same words around the name: where
  the words before and after a name in the description are the transcript's around another
  ("head of the Brasserie des Monts, a brewery" / "head of the Brass Airy Day Moan, a
  brewery"), the transcript's span is that name heard, however unlike
  (`anchored_respellings`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from recap.text.names import NOT_NAMES, capitalised_runs, fold, says_word

if TYPE_CHECKING:
    from recap.models import Info, Notes

ALIKE = 0.7
"""How alike a heard name and a name in the details must be (the mean of their letters' and
their consonants' `SequenceMatcher` ratios) to be taken for the same name."""
WORD_ALIKE = 0.75
"""How alike a single heard word and one word of a detail name must be to be taken for it: a
single word has less to compare than a name of two, so the bar is higher than `ALIKE`."""
WORD_LENGTH = 6
"""The fewest letters a single word must have to be compared at all: short words look alike
by chance."""
PART_ALIKE = 0.5
"""How alike (letters) the last words of two names taken for the same must be for the heard
surname alone to be spelled the details' way too (a first name alone may be someone else's)."""
_VOWELS = re.compile(r"[aeiou]")
_WORD = re.compile(r"(?<![\w'’-])[A-Z][a-z]+(?![\w-])")
# Words that stand before a name as its title or office: never a surname to respell alone.
_TITLES = frozenset("""
mayor doctor captain chief major general judge president minister director professor sergeant
officer council city street lord lady king queen prince princess saint father mother sister
brother uncle aunt coach chef nurse reverend senator governor chair
""".split())


def _letters(name: str) -> str:
    return "".join(fold(word) for word in name.split())


def _consonants(name: str) -> str:
    """The name's consonants, its first letter kept ("Marlena Voss" -> "mrlnvss"): what stays
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


def _a_word_alone(word: str, said: set[str], said_lower: str) -> bool:
    """Whether `word` may be respelled where it stands alone: not a word the details write, a
    title ("Mayor"), a common word, or a word the transcript says in lower case ("the pier")."""
    return (fold(word) not in said and fold(word) not in NOT_NAMES | _TITLES
            and not says_word(said_lower, word.lower()))


def _detail_words(details: list[str]) -> list[str]:
    """The words of the detail names that a heard word may be taken for: `WORD_LENGTH` letters
    or more, not a common word."""
    return sorted({word for name in details for word in name.split()
                   if len(word) >= WORD_LENGTH and fold(word) not in NOT_NAMES})


def _same_voice(name: str, details: list[str], voices: set[str]) -> str:
    """The detail name that `name`, one of the episode's speakers, is: the same first name and
    the same surname initial ("Ben Adams" for "Ben Abbott"), when exactly one detail name has
    them and no speaker already goes by it."""
    words = name.split()
    if name not in voices or len(words) < 2:
        return ""
    matches = [written for written in details
               if len(written.split()) > 1 and written not in voices
               and fold(written.split()[0]) == fold(words[0])
               and fold(written.split()[-1])[:1] == fold(words[-1])[:1]]
    return matches[0] if len(matches) == 1 else ""


def respellings(heard: list[str], details: list[str], said_lower: str = "",
                voices: Iterable[str] = ()) -> dict[str, str]:
    """For each heard name (a run of capitalised words) that the details do not write, the
    detail name it is most like when `ALIKE` or more (or, for one of `voices`, the speakers,
    the detail name `_same_voice` finds), and its last word where the two last words are
    `PART_ALIKE` (a heard "Henry Karvola" beside "Henrik Arvola": "Henry Karvola" and
    "Karvola"; any speaker's surname), and its first word where the two first words differ but
    are `PART_ALIKE` and no other heard name starts with it ("Henry"). Words the details write
    anywhere, titles ("Mayor") and words `said_lower` (the transcript) writes in lower case are
    never respelled alone: they are words, not surnames."""
    said = {fold(word) for name in details for word in name.split()}
    speakers = set(voices)
    mapping: dict[str, str] = {}
    for name in heard:
        if name in mapping or all(fold(word) in said for word in name.split()):
            continue
        scored = [(likeness(name, written), written) for written in details]
        best, written = max(scored, default=(0.0, ""))
        voice = "" if best >= ALIKE else _same_voice(name, details, speakers)
        if best < ALIKE and not voice:
            continue
        written = voice or written
        mapping[name] = written
        if len(name.split()) < 2:
            continue
        mine, right = name.split()[-1], written.split()[-1]
        if (mine != right and _a_word_alone(mine, said, said_lower)
                and (voice or _ratio(fold(mine), fold(right)) >= PART_ALIKE)):
            mapping.setdefault(mine, right)
    for name, written in list(mapping.items()):
        first, given = name.split()[0], written.split()[0]
        others = [other for other in heard
                  if other.split()[0] == first and mapping.get(other) != written]
        if (len(name.split()) > 1 and first != given and not others
                and _a_word_alone(first, said, said_lower)
                and _ratio(fold(first), fold(given)) >= PART_ALIKE):
            mapping.setdefault(first, given)
    return mapping


def word_respellings(words: list[str], details: list[str], said_lower: str = "") -> dict[str, str]:
    """For each single capitalised word of `WORD_LENGTH` letters or more that no detail name
    holds, the one word of a detail name it is most like when `WORD_ALIKE` or more ("Larkspire"
    -> "Larkspur"). Common words, words the transcript says in lower case and a detail word
    with an ending ("Gardening" beside "Garden Club") are left."""
    said = {fold(word) for name in details for word in name.split()}
    candidates = _detail_words(details)
    mapping: dict[str, str] = {}
    for word in words:
        if (word in mapping or len(word) < WORD_LENGTH or not word[:1].isupper()
                or not _a_word_alone(word, said, said_lower)):
            continue
        folded = fold(word)
        alike = [(likeness(word, c), c) for c in candidates
                 if not folded.startswith(fold(c)) and not fold(c).startswith(folded)]
        best, written = max(alike, default=(0.0, ""))
        if best >= WORD_ALIKE:
            mapping[word] = written
    return mapping


def split_word_respellings(runs: list[str], details: list[str], said_lower: str = "",
                           ) -> dict[str, str]:
    """For each run of two capitalised words that no detail name holds, the one word of a detail
    name its letters together are most like when `WORD_ALIKE` or more: Whisper writes a word it
    does not know as two it does ("Glen Darrow" for "Glendarrow"). Both words must be needed:
    neither alone is as like the detail word. The detail word is `WORD_LENGTH` letters or more
    and nowhere in the transcript (`said_lower`): a word Whisper wrote once is one it knows, and
    two words beside it are something else ("New York" beside "Newark")."""
    said = {fold(word) for name in details for word in name.split()}
    candidates = [word for word in _detail_words(details) if not says_word(said_lower, fold(word))]
    mapping: dict[str, str] = {}
    for run in runs:
        parts = run.split()
        if (run in mapping or len(parts) != 2 or "-" in run
                or any(fold(p) in said for p in parts)):
            continue
        alike = [(likeness("".join(parts), c), c) for c in candidates]
        best, written = max(alike, default=(0.0, ""))
        if best >= WORD_ALIKE and all(likeness(p, written) < best for p in parts):
            mapping[run] = written
    return mapping


def phrase_respellings(texts: list[str], details: list[str]) -> dict[str, str]:
    """For each run of words in `texts`, in any case, that is a detail name of three words or
    more but for one word `ALIKE` its own ("fenwick agricultural colege"), that name."""
    mapping: dict[str, str] = {}
    for written in details:
        right = written.split()
        if len(right) < 3:
            continue
        span = r"[\w'’-]+" + r"\s+[\w'’-]+" * (len(right) - 1)
        for text in texts:
            for match in re.finditer(rf"(?<![\w'’-])(?=({span}))", text):
                heard = match.group(1).split()
                unlike = [(h, r) for h, r in zip(heard, right, strict=True) if fold(h) != fold(r)]
                if len(unlike) == 1 and likeness(*unlike[0]) >= ALIKE:
                    mapping.setdefault(match.group(1), written)
    return mapping


ANCHOR = 2
"""Words on each side of a name that a description and the transcript must share, in order,
for the names between them to be taken for the same."""
NAME_SPAN = 6
"""The most words a name between anchors may have, in the description or as heard."""
_TOKEN = re.compile(r"[^\s]+")
LEAD = 4
"""Words before a name that, shared in order by a description and the transcript, let the name
after them be taken for the description's without the words after it: a description says
"…coordinates the Repair Café in Ledeberg, Ghent", the opening "…coordinates the Repair Cafe in
Lettie Bird, a neighborhood of Genton"."""
LEAD_ALIKE = 0.5
"""How alike (`likeness`) a name heard after `LEAD` shared words must look to the description's:
the words after it are not there to say that the two are the same."""


def _tokens(text: str) -> list[tuple[str, str]]:
    """The words of `text`: each as written (its end punctuation off) and folded, with a
    word's punctuation kept as a token of its own so that anchors do not run across it."""
    found: list[tuple[str, str]] = []
    for raw in _TOKEN.findall(text):
        word = raw.strip("\"'“”‘’()[]")
        bare = word.rstrip(".,;:!?")
        if bare:
            found.append((bare, fold(bare).replace("-", "")))
        if bare != word:
            found.append((word[len(bare):], word[len(bare):][:1]))
    return found


def _anchor(keys: list[str], at: int, step: int) -> list[str]:
    """The keys from `at` on, forwards (`step` 1) or backwards (-1), up to and with the
    `ANCHOR`th word (punctuation between is kept; fewer where the text ends)."""
    found: list[str] = []
    while 0 <= at < len(keys) and sum(k.isalnum() for k in found) < ANCHOR:
        found.append(keys[at])
        at += step
    return found if step > 0 else found[::-1]


def anchored_respellings(descriptions: list[str], transcript: str) -> dict[str, str]:
    """For each span of `descriptions` that opens and ends on a capitalised word, and whose
    `ANCHOR` words before and after are the words around a different such span of `transcript`
    (or whose first word is that span's, the words after it shared), the transcript's span
    mapped to the description's ("Brass Airy Day Moan" -> "Brasserie des Monts"). The words
    after must hold one that is not a common word."""
    said = _tokens(transcript)
    keys = [folded for _, folded in said]
    where: dict[str, list[int]] = {}
    for at, key in enumerate(keys):
        where.setdefault(key, []).append(at)
    mapping: dict[str, str] = {}
    for description in descriptions:
        told = _tokens(description or "")
        folded = [f for _, f in told]
        for start in range(len(told)):
            if not told[start][0][:1].isupper():
                continue
            before = _anchor(folded, start - 1, -1)
            for length in range(1, NAME_SPAN + 1):
                after = _anchor(folded, start + length, 1)
                if (sum(k.isalnum() for k in after) < ANCHOR
                        or not any(k.isalpha() and k not in NOT_NAMES for k in after)
                        or not all(k.isalnum() for k in folded[start:start + length])
                        or not told[start + length - 1][0][:1].isupper()):
                    continue
                name = " ".join(w for w, _ in told[start:start + length])
                ends = where.get(after[0], [])
                for first, last in _spans_between(keys, ends, before, after, folded[start]):
                    written = " ".join(w for w, _ in said[first:last])
                    if (written[:1].isupper() and said[last - 1][0][:1].isupper()
                            and fold(written) != fold(name)
                            and all(k.isalnum() for k in keys[first:last])):
                        mapping.setdefault(written, name)
        _led_respellings(told, said, where, mapping)
    return mapping


def _led_respellings(told: list[tuple[str, str]], said: list[tuple[str, str]],
                     where: dict[str, list[int]], mapping: dict[str, str]) -> None:
    """Add to `mapping` each name of the description (`told`) that ends on punctuation and has
    `LEAD` words before it that the transcript (`said`) has before a capitalised name of its own
    ending on punctuation, when the two look `LEAD_ALIKE`."""
    folded = [f for _, f in told]
    keys = [f for _, f in said]
    for start in range(LEAD, len(told)):
        if not told[start][0][:1].isupper():
            continue
        end = _name_end(told, start)
        if end >= len(told) or told[end][1].isalnum():
            continue  # the name runs on, or the description ends in it
        lead = folded[start - LEAD:start]
        if not all(k.isalnum() for k in lead):
            continue
        name = " ".join(w for w, _ in told[start:end])
        for at in where.get(lead[-1], []):
            first = at + 1
            if keys[first - LEAD:first] != lead:
                continue
            last = _name_end(said, first)
            if last == first or (last < len(said) and keys[last].isalnum()):
                continue
            written = " ".join(w for w, _ in said[first:last])
            if fold(written) != fold(name) and likeness(written, name) >= LEAD_ALIKE:
                mapping.setdefault(written, name)


def _name_end(tokens: list[tuple[str, str]], start: int) -> int:
    """Where the run of capitalised words from `start` in `tokens` (`_tokens`) ends: at the
    first token that is punctuation or not capitalised, `NAME_SPAN` words at most."""
    end = start
    while (end < len(tokens) and end - start < NAME_SPAN and tokens[end][1].isalnum()
           and tokens[end][0][:1].isupper()):
        end += 1
    return end


def _spans_between(keys: list[str], ends: list[int], before: list[str], after: list[str],
                   first: str) -> list[tuple[int, int]]:
    """Spans of `keys` of at most `NAME_SPAN` words, ending at one of `ends`, that `after`
    follows and that `before` precedes (when it holds `ANCHOR` words) or that start with
    `first`."""
    spans = []
    anchored = sum(k.isalnum() for k in before) == ANCHOR
    for end in ends:
        if end == 0 or keys[end:end + len(after)] != after:
            continue
        for start in range(end - 1, max(-1, end - NAME_SPAN - 1), -1):
            if (anchored and keys[max(0, start - len(before)):start] == before) or (
                    keys[start] == first):
                spans.append((start, end))
                break
    return spans


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
    texts = [*(b.text for t in notes.topics for b in t.bullets), *(t.title for t in notes.topics),
             notes.intro, notes.summary, *notes.keywords, *notes.speakers]
    mapping: dict[str, str] = {}
    if details:
        heard = [run for text in texts for run in capitalised_runs(text)]
        heard += [name for name in notes.speakers if len(name.split()) > 1 and name not in heard]
        # a word heard as two is that word, before it is taken for a whole detail name
        mapping = split_word_respellings(heard, details, fold(transcript))
        mapping.update(respellings([run for run in heard if run not in mapping], details,
                                   transcript, voices=notes.speakers))
        single = [word for text in texts for word in _WORD.findall(text)]
        more = [word_respellings(single, details, transcript), phrase_respellings(texts, details)]
    else:
        more = []
    more.append(anchored_respellings([info.description], transcript))
    for found in more:
        for form, written in found.items():
            mapping.setdefault(form, written)
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
