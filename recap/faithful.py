"""Faithful notes: check bullets against the transcript, measure coverage, score posts.

- `check_bullet` / `verify_bullets`: every figure in a bullet must occur in its source text
  (compared through `recap.text.figures`, so "twenty two kilograms" supports "22 kg"), and every proper
  name must occur in the source or in the episode metadata. The notes stage repairs or drops the
  bullets that fail.
- `coverage`: the share of the transcript's figures and names that reach the notes, per chunk.
- `quality_report`: what `recap check` prints; `evaluate`: what `recap eval` prints.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recap.errors import ArtifactError, InputError, LLMError
from recap.models import Bullet, Chunk, Chunks, Info, Notes, Transcript
from recap.text.figures import canonical_words, extract_figures
from recap.text.markdown import strip_front_matter
from recap.text.quantity import Figure, find_match
from recap.text.vocabulary import is_number_word, is_unit_word

log = logging.getLogger("recap.faithful")

# ---------------------------------------------------------------- proper names

# Capitalised words that are not names: function words, sentence openers that survive a
# missed sentence break, months and days (ordinary words for this purpose), titles.
_NOT_NAMES = set("""
a about above after again against all also although always am an and another any are as at
be because been before being below between both but by can could did do does doing done down
during each either even ever every few for from further had has have having he her here hers
him his how however i i'd i'll i'm i've if in into is it it's its itself just last least less
let let's like many may me might more most much must my near neither never next no nor not now
of off often on once one only or other our ours out over own per perhaps please quite rather
really same she should since so some still such than that that's the their theirs them then
there there's these they they're this those though through thus to today together tomorrow too
under until up upon us very was we we're well were what what's when where whether which while
who whom whose why will with within without would yes yesterday yet you you're your yours
mr mrs ms dr prof sir madam st ok okay hello hi oh
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
""".split())
# Acronyms common enough in notes that a transcript rarely spells them the same way.
_COMMON_ACRONYMS = {"ai", "tv", "ceo", "cto", "cfo", "faq", "diy", "ok", "pdf", "id", "vs",
                    "etc", "eg", "ie", "am", "pm", "usa", "us", "uk", "eu", "un", "q&a"}

# Lowercase words inside a name: "Jan de Vries", "Ludwig van Beethoven".
_NAME_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "du", "la", "le", "del", "bin",
                   "al", "ter", "ten"}
_NAME_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MASK_RE = re.compile(r"\]\([^)]*\)|https?://\S+|www\.\S+|`[^`]*://[^`]*`")
# Time markers that chunk texts carry before each segment: "[0:01:23]".
_TIME_MARK_RE = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\]")
_OPENERS = set(" \t\"'“‘([{*_#>")
_SENTENCE_ENDS = set(".!?:;…")


@dataclass(frozen=True)
class _Name:
    word: str
    start: int
    end: int


def _fold(word: str) -> str:
    """Lowercase ASCII-ish form: 'Zürich's' -> 'zurich'."""
    text = unicodedata.normalize("NFKD", word)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("’", "'")
    return re.sub(r"'s?$", "", text)


def _without_time_marks(text: str) -> str:
    return _TIME_MARK_RE.sub(" ", text)


def _masked(text: str) -> str:
    """Blank out URLs and link targets (keeping offsets) so their words are not read."""
    return _MASK_RE.sub(lambda m: " " * len(m.group()), text)


def _at_sentence_start(text: str, position: int) -> bool:
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


def _looks_like_name(word: str) -> bool:
    base = re.sub(r"['’]s?$", "", word)
    if not base or _fold(base) in _NOT_NAMES:
        return False
    letters = base.replace("-", "").replace("'", "").replace("’", "")
    if len(letters) > 1 and letters.isupper():
        return _fold(base) not in _COMMON_ACRONYMS
    return base[0].isupper() or any(c.isupper() for c in base[1:])


def proper_names(text: str) -> list[str]:
    """Proper names in `text`: capitalised words not at a sentence start, and bold names.

    A capitalised word at a sentence start counts only when a capitalised word follows it
    ("Priya Natarajan keeps..."), so that ordinary sentence openers are never taken for names.
    """
    return [name.word for name in _find_names(text)]


def _find_names(text: str) -> list[_Name]:
    masked = _masked(text)
    bold = [(m.start(), m.end()) for m in _BOLD_RE.finditer(masked)]
    words = list(_NAME_RE.finditer(masked))
    names: list[_Name] = []
    for index, match in enumerate(words):
        word = match.group()
        if not _looks_like_name(word) or is_unit_word(word) or is_number_word(word):
            continue
        in_bold = any(start <= match.start() < end for start, end in bold)
        if _at_sentence_start(masked, match.start()) and not in_bold:
            following = words[index + 1] if index + 1 < len(words) else None
            if following is None or masked[match.end():following.start()].strip() or not (
                    following.group()[0].isupper() and _looks_like_name(following.group())):
                continue
        names.append(_Name(re.sub(r"['’]s?$", "", word), match.start(), match.end()))
    return names


def _vocabulary(texts: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        for match in _NAME_RE.finditer(text or ""):
            folded = _fold(match.group())
            words.add(folded)
            words.update(part for part in re.split(r"[-']", folded) if part)
    return words


def _name_supported(word: str, vocabulary: set[str]) -> bool:
    folded = _fold(word)
    candidates = {folded, folded + "s", folded.removesuffix("s")}
    if candidates & vocabulary:
        return True
    parts = [p for p in re.split(r"[-']", folded) if p]
    return len(parts) > 1 and all(p in vocabulary for p in parts)


# ---------------------------------------------------------------- checking bullets

@dataclass
class BulletProblem:
    """Why a bullet is not supported by its source."""

    unsupported_figures: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for a repair prompt or a report."""
        parts = []
        if self.unsupported_figures:
            parts.append("figures not in the transcript: " + ", ".join(self.unsupported_figures))
        if self.unsupported_names:
            parts.append("names not in the transcript or the episode details: "
                         + ", ".join(self.unsupported_names))
        return "; ".join(parts)

    @property
    def message(self) -> str:
        return self.describe()

    def __str__(self) -> str:
        return self.describe()

    def __bool__(self) -> bool:
        return bool(self.unsupported_figures or self.unsupported_names)


@dataclass
class _Inspection:
    figures: int = 0
    figures_found: int = 0
    names: int = 0
    names_found: int = 0
    problem: BulletProblem = field(default_factory=BulletProblem)


class _Source:
    """A source text read once: its figures (as heard) and its vocabulary for names."""

    def __init__(self, text: str, known_names: Iterable[str] = ()):
        self.text = _without_time_marks(text or "")
        self.lowered = self.text.lower()
        self.figures = extract_figures(self.text, heard=True)
        self.vocabulary = _vocabulary([self.text, *known_names])

    def inspect(self, bullet_text: str) -> _Inspection:
        result = _Inspection()
        for figure in extract_figures(_masked(bullet_text)):
            if figure.soft:
                continue
            result.figures += 1
            if find_match(figure, self.figures) or figure.text.lower() in self.lowered:
                result.figures_found += 1
            else:
                result.problem.unsupported_figures.append(figure.text)
        missing: list[_Name] = []
        for name in _find_names(bullet_text):
            result.names += 1
            if _name_supported(name.word, self.vocabulary):
                result.names_found += 1
            else:
                missing.append(name)
        result.problem.unsupported_names.extend(_group_names(bullet_text, missing))
        return result


def _group_names(text: str, names: list[_Name]) -> list[str]:
    """Adjacent unsupported words reported as one name: 'Jan de Vries', not three words."""
    groups: list[list[_Name]] = []
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


def check_bullet(text: str, source_text: str,
                 known_names: Iterable[str] = ()) -> BulletProblem | None:
    """The bullet's unsupported figures and names, or None when the source supports it all.

    Args:
        text: The bullet (markdown allowed).
        source_text: The transcript text the bullet rests on.
        known_names: Episode metadata (title, uploader, description, chapter titles) where
            names may also occur.
    """
    problem = _Source(source_text, known_names).inspect(text).problem
    return problem if problem else None


def count_support(text: str, source_text: str,
                  known_names: Iterable[str] = ()) -> tuple[int, int, int, int]:
    """(figures, figures found, names, names found) of a bullet against its source."""
    found = _Source(source_text, known_names).inspect(text)
    return found.figures, found.figures_found, found.names, found.names_found


RepairFn = Callable[[Bullet, BulletProblem], Bullet | None]


def verify_bullets(bullets: list[Bullet], source_text: str, known_names: list[str],
                   repair: RepairFn | None) -> tuple[list[Bullet], dict[str, Any]]:
    """Keep the bullets the source supports; repair or drop the others.

    A failing bullet goes to `repair(bullet, problem)` (one LLM retry, done by the caller); the
    repaired bullet is checked again and dropped if it still fails or if `repair` returns None.

    Returns:
        The kept bullets, in order, and stats: checked, verified (passed as written), repaired,
        dropped, figures_checked / figures_verified and names_checked / names_verified (over the
        bullets as written), dropped_bullets (texts), repaired_bullets ({"before", "after"}) and
        problems ({"text", "problem", "outcome"}). `merge_checks` adds such stats together.
    """
    source = _Source(source_text, known_names)
    stats = empty_checks()
    kept: list[Bullet] = []
    for bullet in bullets:
        found = source.inspect(bullet.text)
        stats["checked"] += 1
        stats["figures_checked"] += found.figures
        stats["figures_verified"] += found.figures_found
        stats["names_checked"] += found.names
        stats["names_verified"] += found.names_found
        if not found.problem:
            stats["verified"] += 1
            kept.append(bullet)
            continue
        fixed = _try_repair(repair, bullet, found.problem)
        if fixed is not None and fixed.text.strip() and not source.inspect(fixed.text).problem:
            if not fixed.segment_ids and bullet.segment_ids:
                fixed = replace(fixed, start=bullet.start, end=bullet.end,
                                segment_ids=list(bullet.segment_ids))
            kept.append(fixed)
            stats["repaired"] += 1
            stats["repaired_bullets"].append({"before": bullet.text, "after": fixed.text})
            outcome = "repaired"
        else:
            stats["dropped"] += 1
            stats["dropped_bullets"].append(bullet.text)
            outcome = "dropped"
        stats["problems"].append({"text": bullet.text, "problem": found.problem.describe(),
                                  "outcome": outcome})
        log.info("bullet %s (%s): %s", outcome, found.problem.describe(), bullet.text)
    return kept, stats


def _try_repair(repair: RepairFn | None, bullet: Bullet, problem: BulletProblem) -> Bullet | None:
    if repair is None:
        return None
    try:
        return repair(bullet, problem)
    except LLMError as exc:
        log.warning("repair failed, dropping the bullet: %s", exc)
        return None


_COUNTS = ("checked", "verified", "repaired", "dropped", "figures_checked", "figures_verified",
           "names_checked", "names_verified")
_LISTS = ("dropped_bullets", "repaired_bullets", "problems")


def empty_checks() -> dict[str, Any]:
    """Stats of checking no bullets."""
    return {**dict.fromkeys(_COUNTS, 0), **{key: [] for key in _LISTS}}


def merge_checks(*parts: dict[str, Any]) -> dict[str, Any]:
    """Add up the stats of several `verify_bullets` calls (one per chunk, say)."""
    total = empty_checks()
    for part in parts:
        for key in _COUNTS:
            total[key] += int(part.get(key) or 0)
        for key in _LISTS:
            total[key].extend(part.get(key) or [])
    return total


# ---------------------------------------------------------------- grounding

def known_names(info: Info | None) -> list[str]:
    """Episode metadata in which names may occur: title, uploader, description, chapters."""
    if info is None:
        return []
    return [info.title, info.uploader, info.description, *(c.title for c in info.chapters)]


def bullet_source(bullet: Bullet, transcript: Transcript) -> str:
    """The transcript text a bullet rests on: its segments, else those in its time range."""
    wanted = set(bullet.segment_ids)
    segments = [s for s in transcript.segments if s.id in wanted]
    if not segments:
        segments = [s for s in transcript.segments
                    if s.end > bullet.start - 0.5 and s.start < bullet.end + 0.5]
    return " ".join(s.text.strip() for s in segments)


# ---------------------------------------------------------------- coverage

def coverage(notes: Notes, chunks: list[Chunk]) -> dict[str, Any]:
    """How much of the transcript's specifics reach the notes.

    For each chunk: its distinct figures and names, how many of them occur anywhere in the notes,
    and how many bullets rest on it. Overall: the share of distinct source figures (and names)
    that appear in the notes. `uncovered_chunks` lists the chunks that have figures or names of
    which none reaches the notes.
    """
    notes_text = "\n".join(_notes_texts(notes))
    notes_figures = extract_figures(notes_text)
    notes_vocabulary = _vocabulary([notes_text])
    bullets = [b for t in notes.topics for b in t.bullets]
    texts = [_without_time_marks(c.text) for c in chunks]
    total_words = sum(len(t.split()) for t in texts) or 1
    rows: list[dict[str, Any]] = []
    all_figures: dict[Any, bool] = {}
    all_names: dict[str, bool] = {}
    for chunk, text in zip(chunks, texts, strict=True):
        figures = _distinct(f for f in extract_figures(text, heard=True) if not f.soft)
        found_figures = [f for f in figures if find_match(f, notes_figures)]
        names = list(dict.fromkeys(_fold(n) for n in proper_names(text)))
        found_names = [n for n in names if _name_supported(n, notes_vocabulary)]
        for figure in figures:
            all_figures[figure.key] = all_figures.get(figure.key, False) or figure in found_figures
        for name in names:
            all_names[name] = all_names.get(name, False) or name in found_names
        grounded = sum(1 for b in bullets if _rests_on(b, chunk))
        words = len(text.split())
        rows.append({
            "index": chunk.index, "start": chunk.start, "end": chunk.end, "words": words,
            "word_share": round(words / total_words, 3), "bullets": grounded,
            "figures": len(figures), "figures_in_notes": len(found_figures),
            "names": len(names), "names_in_notes": len(found_names),
            "missing_figures": [f.text for f in figures if f not in found_figures],
            "missing_names": [n for n in names if n not in found_names],
        })
    bullet_total = sum(r["bullets"] for r in rows) or 1
    for row in rows:
        row["bullet_share"] = round(row["bullets"] / bullet_total, 3)
    uncovered = [r["index"] for r in rows
                 if (r["figures"] or r["names"]) and not r["figures_in_notes"]
                 and not r["names_in_notes"]]
    return {
        "figures": len(all_figures),
        "figures_in_notes": sum(all_figures.values()),
        "figure_coverage": _ratio(sum(all_figures.values()), len(all_figures)),
        "names": len(all_names),
        "names_in_notes": sum(all_names.values()),
        "name_coverage": _ratio(sum(all_names.values()), len(all_names)),
        "chunks": rows,
        "uncovered_chunks": uncovered,
    }


def _notes_texts(notes: Notes) -> list[str]:
    texts = [notes.intro, notes.summary]
    for topic in notes.topics:
        texts.append(topic.title)
        texts.extend(b.text for b in topic.bullets)
    return [t for t in texts if t]


def _distinct(figures: Iterable[Figure]) -> list[Figure]:
    seen: dict[Any, Figure] = {}
    for figure in figures:
        seen.setdefault(figure.key, figure)
    return list(seen.values())


def _rests_on(bullet: Bullet, chunk: Chunk) -> bool:
    if bullet.segment_ids:
        return bool(set(bullet.segment_ids) & set(chunk.segment_ids))
    return bullet.start < chunk.end and bullet.end > chunk.start


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# ---------------------------------------------------------------- quality report

def quality_report(folder: Path) -> dict[str, Any]:
    """Everything `recap check` reports about an episode's notes and post.

    Reads notes.json, transcript.json, chunks.json (when present), info.json and the manifest.
    Re-checks every bullet of notes.json against the transcript, so a hand-edited file is
    checked too.
    """
    from recap.episode import Episode

    episode = Episode.open(folder)
    root = episode.root
    notes = Notes.load(episode.notes_path, f"recap notes {root}")
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {root}")
    info = _load_optional_info(episode.info_path)
    chunks = _load_chunks(episode.chunks_path, transcript)
    manifest = episode.read_manifest()
    notes_record = manifest.stages.get("notes")
    write_record = manifest.stages.get("write")
    checks = _find_checks(notes_record.stats if notes_record else {}) or _find_checks(notes.checks)
    write_stats = write_record.stats if write_record else {}

    names = [*known_names(info), *notes.speakers]  # speakers: grounded in the opening
    unsupported = []
    figures = figures_found = bullets = 0
    for topic in notes.topics:
        for bullet in topic.bullets:
            bullets += 1
            found = _Source(bullet_source(bullet, transcript), names).inspect(bullet.text)
            figures += found.figures
            figures_found += found.figures_found
            if found.problem:
                unsupported.append({
                    "topic": topic.title, "text": bullet.text, "start": bullet.start,
                    "end": bullet.end, "problem": found.problem.describe(),
                    "unsupported_figures": found.problem.unsupported_figures,
                    "unsupported_names": found.problem.unsupported_names,
                })
    post = write_stats.get("post")
    return {
        "episode": str(root),
        "title": info.title if info else root.name,
        "topics": len(notes.topics),
        "bullets": bullets,
        "checked": checks.get("checked"),
        "verified": checks.get("verified"),
        "repaired": checks.get("repaired"),
        "dropped": checks.get("dropped"),
        "figures_checked": checks.get("figures_checked"),
        "figures_verified": checks.get("figures_verified"),
        "dropped_bullets": checks.get("dropped_bullets") or [],
        "coverage": coverage(notes, chunks),
        "post": str(root / post) if post else None,
        "reading_minutes": write_stats.get("reading_minutes"),
        "episode_minutes": write_stats.get("episode_minutes"),
        "saving": write_stats.get("saving"),
        "recheck": {
            "bullets": bullets,
            "supported": bullets - len(unsupported),
            "figures": figures,
            "figures_supported": figures_found,
            "unsupported": unsupported,
        },
    }


def _find_checks(stats: dict[str, Any]) -> dict[str, Any]:
    """The verify_bullets stats inside a stage's stats, flat or under a key of their own."""
    if not isinstance(stats, dict):
        return {}
    if "figures_checked" in stats or "dropped" in stats:
        return stats
    for value in stats.values():
        if isinstance(value, dict) and ("figures_checked" in value or "dropped" in value):
            return value
    return {}


def _load_optional_info(path: Path) -> Info | None:
    try:
        return Info.load(path)
    except ArtifactError:
        return None


def _load_chunks(path: Path, transcript: Transcript) -> list[Chunk]:
    if path.exists():
        return Chunks.load(path, f"recap chunk {path.parent}").chunks
    return [Chunk(index=0, start=0.0, end=transcript.duration,
                  segment_ids=[s.id for s in transcript.segments], text=transcript.text,
                  tokens=0)]


# ---------------------------------------------------------------- evaluation

@dataclass
class Fact:
    """An expected fact: found when any of its phrasings occurs in the post.

    A phrasing may hold parts separated by "..." that must all occur in one paragraph or bullet
    ("lost 6 ... 40 hive").
    """

    id: str
    phrasings: list[str]


def load_facts(path: Path) -> list[Fact]:
    """Read a facts file: a JSON list of facts, each a list of phrasings or {"id", "any": [...]}."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"facts file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read facts file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"facts file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"facts file {path} must hold a non-empty JSON list of facts")
    facts = []
    for number, item in enumerate(data, 1):
        if isinstance(item, dict):
            phrasings, fact_id = item.get("any"), str(item.get("id") or f"fact {number}")
        else:
            phrasings, fact_id = item, ""
        if isinstance(phrasings, str):
            phrasings = [phrasings]
        if (not isinstance(phrasings, list) or not phrasings
                or not all(isinstance(p, str) and p.strip() for p in phrasings)):
            raise InputError(f"facts file {path}: fact {number} must be a list of phrasings "
                             'or {"id": ..., "any": [phrasings]}')
        facts.append(Fact(fact_id or phrasings[0], phrasings))
    return facts


def score_facts(text: str, facts: list[Fact]) -> dict[str, Any]:
    """Fact recall of `text`: which facts occur, compared with numbers and case normalised."""
    blocks = [canonical_words(block) for block in _blocks(strip_front_matter(text))]
    results: list[dict[str, Any]] = []
    for fact in facts:
        matched = next((p for p in fact.phrasings if _phrasing_found(p, blocks)), None)
        results.append({"id": fact.id, "found": matched is not None, "matched": matched})
    found = sum(r["found"] for r in results)
    return {"total": len(facts), "found": found, "score": _ratio(found, len(facts)) or 0.0,
            "facts": results}


def _phrasing_found(phrasing: str, blocks: list[list[str]]) -> bool:
    parts = [canonical_words(p) for p in re.split(r"\.\.\.|…", phrasing)]
    parts = [p for p in parts if p]
    return bool(parts) and any(all(_contains(block, part) for part in parts) for block in blocks)


def _contains(words: list[str], part: list[str]) -> bool:
    size = len(part)
    return any(words[i:i + size] == part for i in range(len(words) - size + 1))


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items: the span within which a phrasing's parts must co-occur."""
    pieces = re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s|#)", text)
    return [p for p in pieces if p.strip()]



def post_text(folder: Path) -> tuple[str, Path]:
    """The episode's post (or, before `recap write`, its notes) as text, and the file read."""
    from recap.episode import Episode

    episode = Episode.open(folder)
    record = episode.stage_record("write")
    candidates = []
    if record is not None and record.stats.get("post"):
        candidates.append(episode.root / str(record.stats["post"]))
    candidates.append(episode.post_dir / "index.md")
    for path in candidates:
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8"), path
            except (OSError, UnicodeDecodeError) as exc:
                raise ArtifactError(f"cannot read {path}: {exc}") from None
    if episode.notes_path.exists():
        notes = Notes.load(episode.notes_path, f"recap notes {episode.root}")
        return "\n\n".join(_notes_texts(notes)), episode.notes_path
    raise ArtifactError(f"{episode.root} has no post and no notes.json; "
                        f"make them with `recap run` or `recap notes {episode.root}`")


def evaluate(folder: Path, facts_path: Path) -> dict[str, Any]:
    """Score an episode's post against expected facts (what `recap eval` prints)."""
    facts = load_facts(facts_path)
    text, path = post_text(folder)
    return {"episode": str(folder), "post": str(path), "facts_file": str(facts_path),
            **score_facts(text, facts)}
