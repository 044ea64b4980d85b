"""Word-level helpers the notes checks share: content words, crude stems, first person, copies."""

from __future__ import annotations

import re

from recap.text.names import STOPWORDS

_WORD = re.compile(r"[a-z0-9]+(?:[.,'’][a-z0-9]+)*")

# "I", "I'm"... are case-sensitive (the pronoun is always capitalised); the others are not, but
# "US" (the country) is not "us".
_FIRST_PERSON_I = re.compile(r"(?<![\w'’])I(?:['’](?:m|ve|d|ll))?(?![\w'’])")
_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:me|my|mine|myself|we|we['’](?:re|ve|d|ll)|our|ours|ourselves)(?![\w'’])",
    re.IGNORECASE)
_US = re.compile(r"(?<![\w'’])us(?![\w'’])")
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


def words(text: str) -> list[str]:
    """Lower-case words (numbers with their separators kept)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def stem(word: str) -> str:
    """A crude stem, enough to match 'hives'/'hive', 'started'/'starts', 'funding'/'funded'."""
    word = word.replace("'s", "").rstrip("'")
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed",
                   "es", "ly", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry content (no function words)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def content_words(text: str) -> set[str]:
    """Lower-case words without the commonest function words."""
    return {w for w in words(text) if w not in STOPWORDS}


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def first_person(text: str, language: str = "en") -> list[str]:
    """The first-person words of `text` outside quotes ("I", "we", "our"...; "ich", "wir"... in
    another language recap knows; none in one it does not)."""
    bare = _QUOTED.sub(" ", text)
    if language != "en":
        from recap.languages import first_person_words

        return first_person_words(bare, language) or []
    found = [m.group(0) for m in _FIRST_PERSON_I.finditer(bare)]
    found += [m.group(0) for m in _FIRST_PERSON.finditer(bare)]
    found += [m.group(0) for m in _US.finditer(bare)]
    return found


def longest_copied_run(text: str, source_words: list[str]) -> int:
    """The longest run of consecutive words of `text` that also occurs in `source_words`."""
    mine = words(text)
    if not mine or not source_words:
        return 0
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(source_words):
        positions.setdefault(word, []).append(i)
    best = 0
    previous: dict[int, int] = {}
    for word in mine:
        current: dict[int, int] = {}
        for j in positions.get(word, ()):
            current[j] = previous.get(j - 1, 0) + 1
            best = max(best, current[j])
        previous = current
    return best


def sentences(text: str) -> list[str]:
    """The sentences of `text`, split after . ! or ? followed by a space."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def one_line(value: object) -> str:
    """Model text as one line without a list marker."""
    text = " ".join(str(value or "").split())
    return re.sub(r"^(?:[-*•]\s*|\d+[.)]\s+)", "", text).strip()


def clean_title(value: object, episode_title: str = "") -> str:
    """A heading as the model gave it, without markup; a long one with a colon keeps its head
    ("Studio beginnings: an old bus depot, two founders and a kiln" -> "Studio beginnings").
    A head that only repeats the episode's title is dropped: under a post titled "Glass
    Works", "Glass Works: Energy costs" is headed "Energy costs"."""
    title = one_line(value).strip("#*:\"' ").strip()
    head, colon, tail = _split_heading(title)
    if colon and episode_title and content_stems(tail) and content_stems(head) and \
            content_stems(head) <= content_stems(episode_title):
        tail = tail.strip("#*:\"'-–— ").strip()
        return tail[:1].upper() + tail[1:]
    head, colon, _ = title.partition(":")
    if colon and len(title.split()) > 7 and 2 <= len(head.split()) <= 5:
        title = head.strip()
    return title


def _split_heading(title: str) -> tuple[str, str, str]:
    """A heading's head, separator and tail, at its first colon or spaced dash."""
    match = re.search(r":|\s[-–—]\s", title)
    if not match:
        return title, "", ""
    return title[:match.start()], match.group(), title[match.end():]


def unique_strings(values: object, limit: int) -> list[str]:
    out: dict[str, str] = {}
    for value in values if isinstance(values, list) else []:
        text = one_line(value).strip(".,;")
        if text and text.lower() not in out:
            out[text.lower()] = text
    return list(out.values())[:limit]
