"""Word-level helpers the notes checks share: content words, crude stems, first person, copies."""

from __future__ import annotations

import re

from recap.text.names import STOPWORDS, without_accents
from recap.text.vocabulary import is_number_word

_WORD = re.compile(r"[a-z0-9]+(?:[.,'’][a-z0-9]+)*")

# "I", "I'm"... are case-sensitive (the pronoun is always capitalised); the others are not, but
# "US" (the country) is not "us".
_FIRST_PERSON_I = re.compile(r"(?<![\w'’])I(?:['’](?:m|ve|d|ll))?(?![\w'’])")
_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:me|my|mine|myself|we|we['’](?:re|ve|d|ll)|our|ours|ourselves)(?![\w'’])",
    re.IGNORECASE)
_US = re.compile(r"(?<![\w'’])us(?![\w'’])")
QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
"""A quotation in a note: what a named speaker said, in their words."""
WRITTEN_WORD = re.compile(r"[A-Za-z][\w'’-]*")
"""A word as written, its capital kept (names told from other words)."""


def words(text: str) -> list[str]:
    """Lower-case words (numbers with their separators kept), accents folded ("café" is
    "cafe", as Whisper mostly writes it)."""
    return _WORD.findall(without_accents(text.lower().replace("’", "'")))


def bare_words(text: str) -> set[str]:
    """The text's words, a possessive's "'s" taken off ("team's" -> "team", "Quillam's" ->
    "quillam")."""
    return {re.sub(r"['’]s$", "", w) for w in words(text)}


# British spellings in their American form, which Whisper writes (a note may follow the
# episode's title or description instead): "neighbourhood", "organised", "centre", "litres".
_OUR = re.compile(r"(?<=[a-z]{2}[bhilmnv])our")
_ISE = re.compile(r"(?<=[a-z]{3})is(?=(?:e|ed|es|ing|ation|ations)$)")
_TRE = re.compile(r"(?<=[a-z]{2}[tb])re(?=s?$)")


def _american(word: str) -> str:
    if len(word) < 6:
        return word
    return _TRE.sub("er", _ISE.sub("iz", _OUR.sub("or", word)))


def stem(word: str) -> str:
    """A crude stem, enough to match 'hives'/'hive', 'started'/'starts', 'funding'/'funded',
    and a British spelling with its American one ('neighbourhood'/'neighborhood',
    'organised'/'organized', 'litres'/'liters')."""
    word = _american(word.replace("'s", "").rstrip("'"))
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed",
                   "es", "ly", "s"):
        if (len(word) > len(suffix) + 2 and word.endswith(suffix)
                and not (suffix == "s" and word.endswith("ss"))):  # "glass" is no plural
            # "agreed", "trees": the "e" before the ending is the word's ("agree", "tree")
            word = word[:-1] if suffix in ("ed", "es") and word[-len(suffix) - 1] == "e" \
                else word[: -len(suffix)]
            break
    # a final "e" off (not a double one), so that "cave" meets "caves", "price" "priced" and
    # "make" "making"
    return word[:-1] if len(word) > 3 and word.endswith("e") and not word.endswith("ee") else word


def content_stems(text: str, forms: frozenset[str] = frozenset()) -> set[str]:
    """Stems of the words that carry content (no function words, no word of `forms`)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and w not in forms}


def claim_stems(text: str, free: frozenset[str], forms: frozenset[str] = frozenset()) -> set[str]:
    """The content stems a statement's support is measured on: not `free` words (stems: names,
    roles, framing), not `forms` (words as written: reporting verbs, whose stems a noun may share,
    "notes" the verb and "a note"), not figures or number words."""
    return {s for s in content_stems(text, forms)
            if s not in free and not any(c.isdigit() for c in s) and not is_number_word(s)}


def content_words(text: str) -> set[str]:
    """Lower-case words without the commonest function words."""
    return {w for w in words(text) if w not in STOPWORDS}


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def first_person(text: str, language: str = "en") -> list[str]:
    """The first-person words of `text` outside quotes ("I", "we", "our"...; "ich", "wir"... in
    another language recap knows; none in one it does not)."""
    bare = QUOTED.sub(" ", text)
    if language != "en":
        from recap.languages import first_person_words

        return first_person_words(bare, language) or []
    found = [m.group(0) for m in _FIRST_PERSON_I.finditer(bare)]
    found += [m.group(0) for m in _FIRST_PERSON.finditer(bare)]
    found += [m.group(0) for m in _US.finditer(bare)]
    return found


_MY_ME = re.compile(r"(?<![\w'’])(?:[Mm]y|[Mm]e|[Mm]yself)(?![\w'’])")


def speaks_as_i(text: str) -> bool:
    """Whether `text` is in the first person singular ("I", "I'm", "my", "me", "myself"), as an
    answer speaking of its speaker is; "we" is not."""
    return bool(_FIRST_PERSON_I.search(text) or _MY_ME.search(text))


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
    """The sentences of `text`, split after . ! or ? followed by a space (not after a title
    such as "Dr." or "Mr.", which a name follows)."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


_SENTENCE_END = re.compile(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\bMrs\.)"
                           r"(?<!\bProf\.)(?<=[.!?])\s+")


def one_line(value: object) -> str:
    """Model text as one line without a list marker."""
    text = " ".join(str(value or "").split())
    return re.sub(r"^(?:[-*•]\s*|\d+[.)]\s+)", "", text).strip()


_SHOW_WORDS = frozenset(stem(w) for w in "podcast episode show section heading title part".split())
"""A heading's head made of these says where it is, not what: "Podcast: Colour blind players"."""


def clean_title(value: object, episode_title: str = "") -> str:
    """A heading as the model gave it, without markup; a long one with a colon keeps its head
    ("Studio beginnings: an old bus depot, two founders and a kiln" -> "Studio beginnings").
    A head that only repeats the episode's title is dropped: under a post titled "Glass
    Works", "Glass Works: Energy costs" is headed "Energy costs"; so is one that only says
    where the heading is ("Podcast: Energy costs", "Section 2: Energy costs"). "Vance's team's
    ferries" is "Vance's ferries"."""
    title = one_line(value).strip("#*:\"' ").strip()
    # the notes' "Vance's team" for the guest's "we", made a heading's owner: "Vance's team's
    # delivery times" says "Vance's delivery times" twice over
    title = re.sub(r"\b([A-Z][\w-]*)(['’])s team['’]s ", r"\1\2s ", title)
    head, colon, tail = _split_heading(title)
    if colon and content_stems(tail) and content_stems(head) and \
            content_stems(head) <= content_stems(episode_title) | _SHOW_WORDS:
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


# Articles, possessives and quantifiers: they open a noun phrase, and so a verb's object (a
# preposition may follow a noun as well: "shelves in the cellar").
DETERMINERS = frozenset("""
a an the this that these those its their his her our your my every each some any no several
many few both all more most another such
""".split())
# Words after which English puts a noun phrase: the determiners, a few adjectives that carry no
# content, prepositions ("to" is left out: a verb follows it); and the verbs that follow a
# sentence's opening noun phrase.
PHRASE_OPENERS = DETERMINERS | frozenset("""
other new own same first last next of in on at for with from into onto about by over under
between through across after before without per like than
""".split())
AFTER_SUBJECT = frozenset(
    "is are was were has have had can could will would may might must should".split())
# Common verbs that end neither in -ed nor, with an object after them, in -s ("the gas kiln
# cost", "the milk goes into").
COMMON_VERBS = frozenset("""
cost went took gave sold kept left paid built bought brought found grew ran began won lost spent
sent told held set put cut became came saw knew wrote felt meant thought stood sat led fell
goes comes runs works lives sits stands lies stays moves falls rises grows happens belongs
depends starts ends leads turns looks seems gets takes gives keeps brings puts pays relies
focuses helps wants uses means includes involves requires offers provides allows sells buys
owns fixes
""".split())

_BE_HAVE_DO = frozenset("""
is are was were be been being am has have had do does did can could will would shall should may
might must isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't can't couldn't
won't wouldn't shouldn't
""".split())
_SUBJECT_CONTRACTIONS = re.compile(
    r"^(?:it|that|there|here|he|she|what|who|they|we|you|i)['’](?:s|re|ve|d|ll|m)$")
# Verbs in the form a plural subject takes ("the crew run a night boat"), which neither ends in
# -s nor is in COMMON_VERBS; with -s added (`_BASE_VERBS_S`), the verbs that often end a
# sentence ("sitting in the same room matters").
_BASE_VERBS = frozenset("""
cost run make sell buy keep pay go come take give get need want use work live grow say think know
see feel try call carry bring hold build plan hope expect train teach fix put sit stand lose win
spend send tell mean become begin find leave show stay move rise fall start end lead turn look
seem depend belong happen help allow offer provide include involve require own produce employ
serve visit share agree believe prefer earn save collect deliver charge cover reach open close
matter exist count change differ remain fail succeed improve continue appear arrive return
""".split())
_BASE_VERBS_S = frozenset(
    w + "es" if w.endswith(("s", "sh", "ch", "x", "o")) else w[:-1] + "ies"
    if w.endswith("y") and w[-2:-1] not in "aeiou" else w + "s" for w in _BASE_VERBS)
_SUBJECT_PRONOUNS = frozenset("i we you he she it they who".split())
_TOKENS = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*")


def verb_form(word: str) -> bool:
    """Whether `word`, right after its subject, reads as its verb: a form of "be", "have" or
    "do", a modal, a common verb, a base verb or its form in -s, or a word in -ed ("The guest
    keeps…", "… started…"; not the nouns of "the guest agent", "the guest house")."""
    low = word.lower().replace("’", "'")
    return (low in _BE_HAVE_DO or low in COMMON_VERBS or low in _BASE_VERBS
            or low in _BASE_VERBS_S
            or (low.endswith("ed") and len(low) > 4 and not low.endswith("eed")))


def has_verb(text: str) -> bool:
    """Whether a note reads as a clause: it has a form of "be", "have" or "do", a modal, a
    common verb, a word in -ed, or a word in -s after a word that is not a determiner, a number
    or a preposition, with an object after it ("Copper gives a nutty taste", not "25,000 visitors",
    "the United States" or "spruce boards from the forest"). A note
    without one is a fragment of the note before it ("Mostly to Japan and the United States.")."""
    tokens = _TOKENS.findall(text)
    lows = [t.lower() for t in tokens]
    if len(lows) > 2 and lows[0] in DETERMINERS and lows[1] not in STOPWORDS \
            and lows[2].endswith("s") and not lows[2].endswith(("ss", "'s", "us")):
        return True  # "The team consists of volunteers": a subject and its verb
    for i, token in enumerate(tokens):
        low = token.lower().replace("’", "'")
        before = tokens[i - 1].lower() if i else ""
        if (low in _BE_HAVE_DO or low in COMMON_VERBS or low in _BASE_VERBS
                or low in _BASE_VERBS_S or _SUBJECT_CONTRACTIONS.match(low)):
            return True
        if before in _SUBJECT_PRONOUNS and low not in STOPWORDS:  # "they prefer"
            return True
        if not i or token[:1].isupper() or before in PHRASE_OPENERS or before[:1].isdigit():
            continue
        if low.endswith("ed") and len(low) > 4 and not low.endswith("eed"):
            return True
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if low.endswith("s") and not low.endswith(("ss", "'s", "us", "is")) and len(low) > 3 \
                and before not in ("and", "or") and _opens_an_object(after):
            return True
    return False


# What follows a verb and seldom a noun: "goes to", "ends up".
PARTICLES = frozenset("to up out down off back away".split())


def _opens_an_object(token: str) -> bool:
    """What may follow a verb in -s: a determiner, a number, a particle, a content word."""
    return bool(token) and (token in DETERMINERS or token[:1].isdigit() or is_number_word(token)
                            or token in PARTICLES
                            or (token not in STOPWORDS and token not in PHRASE_OPENERS))
