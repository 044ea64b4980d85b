"""The write stage's entry points: render the post, then write it without losing a hand edit."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from recap.episode import Episode, atomic_write_text, fingerprint_files, slugify
from recap.errors import ArtifactError
from recap.models import Info, Notes
from recap.progress import Reporter
from recap.write.context import Layout, build_context, layout_for, post_date
from recap.write.files import copy_if_changed, fingerprint_as, recorded_fingerprint, remove_own_leftover
from recap.write.options import WriteOptions, WriteResult
from recap.write.reading import (
    count_words,
    indefinite_article,
    reading_minutes,
    saving_factor,
    saving_figure,
    saving_line,
)
from recap.write.templates import PostTemplate, compose, front_matter_for, load_template, render_template

log = logging.getLogger("recap.write")

def render_post(episode: Episode, options: WriteOptions,
                template: PostTemplate | None = None
                ) -> tuple[str, dict[str, Any], Layout, Path | None]:
    """Render the post text; returns (text, stats, layout, hero source or None)."""
    info = Info.load(episode.info_path, f"recap fetch SOURCE -o {episode.root.parent}")
    notes = Notes.load(episode.notes_path, f"recap notes {episode.root}")
    if not any(b.text.strip() for t in notes.topics for b in t.bullets):
        raise ArtifactError(f"{episode.notes_path} has no notes to write; rebuild it with "
                            f"`recap notes {episode.root} --force`")
    template = template if template is not None else load_template(options)
    date, date_from = post_date(info)
    slug = slugify(episode.root.name)
    layout = layout_for(episode, options.format, slug, date)
    hero_source = episode.hero_path if episode.hero_path.is_file() else None
    context = build_context(info, notes, options, layout, date, date_from == "upload_date",
                            slug, hero_source is not None)
    listen = context["episode_minutes"]
    read = 1
    body = ""
    extra: dict[str, Any] = {}
    # The saving line is part of the body it measures. Its figures do not change the word count,
    # but its wording may ("1 minute reading instead of 2 minutes, a 2x saving" against "2
    # minutes reading."): a body on the edge between two minutes then flips between them, and
    # the post says the larger, in its text and its front matter alike.
    seen: set[int] = set()
    for _ in range(10):
        context.update(reading_minutes=read, saving=saving_factor(listen, read))
        context["saving_article"] = indefinite_article(context["saving"])
        context["saving_line"] = saving_line(context["language"], read, listen,
                                             saving_figure(listen, read))
        body, extra = render_template(template, context)
        settled = reading_minutes(count_words(body), options.words_per_minute)
        if settled == read or (read in seen and read > settled):
            break
        seen.add(read)
        read = max(settled, read) if settled in seen else settled
    words = count_words(body)
    meta = front_matter_for(options.format, info, notes, options, date, slug, layout,
                            hero_source is not None, read, listen)
    meta.update(extra)
    topics = context["topics"]
    stats = {
        "format": options.format,
        "words": words,
        "reading_minutes": read,
        "episode_minutes": listen,
        "saving": saving_figure(listen, read),
        "topics": len(topics),
        "bullets": sum(len(t.bullets) for t in topics),
        "hero": hero_source is not None,
        "date": date.isoformat(),
        "date_from": date_from,
    }
    return compose(meta, body), stats, layout, hero_source


def write(episode: Episode, options: WriteOptions, reporter: Reporter) -> WriteResult:
    """Write the post for `episode`; never overwrite a hand-edited post unless `options.force`.

    Args:
        episode: the episode folder (notes.json and info.json must exist).
        options: format, template, reading speed, draft flag.
        reporter: receives a message when a hand edit is kept.

    Returns:
        The file written and the post's figures (words, reading and episode minutes, saving...).
    """
    text, stats, layout, hero_source = render_post(episode, options)
    root = episode.root
    main_rel = layout.post.relative_to(root).as_posix()
    new_fp = fingerprint_as(layout.post, text)
    previous = episode.stage_record("write")
    prev_stats = previous.stats if previous and previous.status == "done" else {}
    ours = recorded_fingerprint(prev_stats, previous, main_rel)
    on_disk = fingerprint_files([layout.post]) if layout.post.is_file() else None
    edited = on_disk is not None and on_disk not in (ours, new_fp)

    if edited and not options.force:
        target = layout.beside
        stats["kept_edit"] = True
        # "-" when recap never wrote the file there: it stays foreign on later runs too.
        stats["main_fingerprint"] = ours or "-"
        reporter.message(
            f"{main_rel} was edited by hand since recap wrote it; kept it and wrote the new "
            f"version to {target.relative_to(root).as_posix()} (use --force to overwrite)")
        log.info("kept hand-edited %s", layout.post)
    else:
        target = layout.post
        stats["kept_edit"] = False
        stats["main_fingerprint"] = new_fp
        remove_own_leftover(root, layout.beside, previous)
    stats["main"] = main_rel
    atomic_write_text(target, text)
    if hero_source is not None:
        copy_if_changed(hero_source, layout.hero)
    return WriteResult(target, stats)
