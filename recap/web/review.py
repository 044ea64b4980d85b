"""What the review page shows: the post as HTML (each bullet tied to its moment), the transcript,
the stage states and the check report, all read through the library's loaders."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recap.episode import Episode
from recap.errors import RecapError
from recap.text.markdown import strip_front_matter


@dataclass
class EpisodeView:
    slug: str
    title: str
    stages: list[dict[str, str]]
    error: str | None
    post: str | None = None
    post_file: str | None = None
    pending_post: str | None = None
    """recap's newer version beside a hand-edited post (relative path), if any."""

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "title": self.title, "stages": self.stages,
                "error": self.error, "post": self.post, "post_file": self.post_file,
                "pending_post": self.pending_post}


@dataclass
class Review:
    episode: EpisodeView
    post_html: str
    segments: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    report_error: str | None = None
    has_audio: bool = False
    has_hero: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    """What the episode was last run with, to start a rerun from."""


def episode_views(root: Path) -> list[EpisodeView]:
    """Every episode folder under `root` (symlinked ones left out), with its stage states."""
    from recap.status import collect_status

    return [_view(row) for row in collect_status(root) if not (root / row.slug).is_symlink()]


def episode_view(folder: Path, with_post: bool = True) -> EpisodeView:
    """One episode's stage states (as `recap status` says them) and its post."""
    from recap.status import episode_status
    from recap.write import read_post

    row = episode_status(folder)
    if row is None:
        raise RecapError(f"{folder.name} is not an episode folder")
    view = _view(row)
    if with_post:
        post = read_post(Episode(folder))
        if post is not None:
            view.post = post.text
            view.post_file = post.path.relative_to(folder).as_posix()
            if post.pending is not None:
                view.pending_post = post.pending.relative_to(folder).as_posix()
    return view


def _view(row: Any) -> EpisodeView:
    return EpisodeView(row.slug, row.title, [{"name": k, "state": v} for k, v in row.stages.items()],
                       row.error)


def review(folder: Path) -> Review:
    """Everything the review page shows for the episode in `folder`."""
    from recap.models import Notes, Transcript
    from recap.quality.report import quality_report

    episode = Episode(folder)
    view = episode_view(folder)
    segments: list[dict[str, Any]] = []
    try:
        transcript = Transcript.load(episode.transcript_path)
        segments = [{"id": s.id, "start": s.start, "end": s.end, "text": s.text.strip()}
                    for s in transcript.segments]
    except RecapError:
        pass
    notes = None
    try:
        notes = Notes.load(episode.notes_path)
    except RecapError:
        pass
    report, report_error = None, None
    if notes is not None:
        try:
            report = quality_report(folder)
        except RecapError as exc:
            report_error = str(exc)
    html = render_post(view.post or "", notes, folder.name) if view.post else ""
    try:
        has_audio = episode.audio_path().is_file()
    except RecapError:
        has_audio = False
    return Review(view, html, segments, report, report_error, has_audio,
                  episode.hero_path.is_file(), recorded_settings(episode))


def recorded_settings(episode: Episode) -> dict[str, str]:
    """The page's settings as the manifest recorded them, so a rerun changes only what the user
    changes (an empty endpoint would mean the embedded model, and redo the notes)."""
    values: dict[str, str] = {}
    notes = episode.stage_record("notes")
    if notes is not None and notes.params.get("base_url") not in (None, "embedded"):
        values["llm_base_url"] = str(notes.params["base_url"])
        if notes.params.get("model"):
            values["llm_model"] = str(notes.params["model"])
    transcribe = episode.stage_record("transcribe")
    if transcribe is not None and transcribe.params.get("model"):
        values["whisper_model"] = str(transcribe.params["model"])
    write = episode.stage_record("write")
    if write is not None and write.params.get("format"):
        values["format"] = str(write.params["format"])
    return values


# ---------------------------------------------------------------- the post as HTML

def render_post(markdown: str, notes: Any, slug: str) -> str:
    """The post's markdown as HTML (raw HTML in it shown as text), with each list item under a
    section tied to the notes bullet it came from: data-start, data-end, data-segments."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    tokens = md.parse(strip_front_matter(markdown))
    sections = _sections(notes)
    section = -1
    item_in_section = 0
    for n, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            section += 1
            item_in_section = 0
        elif token.type == "list_item_open" and 0 <= section < len(sections):
            text = _item_text(tokens, n)
            bullet = _match(sections[section], item_in_section, text)
            item_in_section += 1
            if bullet is not None:
                token.attrSet("class", "bullet")
                token.attrSet("data-start", f"{bullet.start:.2f}")
                token.attrSet("data-end", f"{bullet.end:.2f}")
                token.attrSet("data-segments", " ".join(str(i) for i in bullet.segment_ids))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "image":
                    src = str(child.attrGet("src") or "")
                    child.attrSet("src", f"/episodes/{slug}/hero.jpg" if src.endswith("hero.jpg")
                                  else "")
    return md.renderer.render(tokens, md.options, {})


def _sections(notes: Any) -> list[list[Any]]:
    """The notes' topics as the post shows them: topics without text left out, as write does."""
    if notes is None:
        return []
    sections = []
    for topic in notes.topics:
        bullets = [b for b in topic.bullets if b.text.strip()]
        if bullets:
            sections.append(bullets)
    return sections


def _item_text(tokens: list[Any], start: int) -> str:
    for token in tokens[start + 1:]:
        if token.type == "inline":
            return token.content
        if token.type == "list_item_close":
            break
    return ""


def _plain(text: str) -> str:
    text = re.sub(r"\(\[[0-9:]+\]\([^)]*\)\)\s*$", "", text)  # the post's timestamp link
    text = re.sub(r"[*`\\]", "", text)
    return " ".join(text.lower().split())


def _match(bullets: list[Any], position: int, text: str) -> Any:
    """The bullet a post list item shows: the one at its position when the text still agrees
    (a hand edit may change it), else the most similar one in the section."""
    plain = _plain(text)

    def similarity(bullet: Any) -> float:
        return difflib.SequenceMatcher(None, plain, _plain(bullet.text)).ratio()

    if position < len(bullets) and similarity(bullets[position]) >= 0.5:
        return bullets[position]
    best = max(bullets, key=similarity, default=None)
    return best if best is not None and similarity(best) >= 0.6 else None
