"""Write stage: notes.json + info.json -> a markdown post (Hugo bundle, Jekyll post or plain file).

The post body comes from a Jinja2 template (`recap/templates/<format>.md.j2`, or the user's
`--template FILE`); recap adds the front matter itself with a YAML dumper, so no title can break
it. Every piece of text from the internet or the LLM is escaped before it reaches the template.

Template context:
    title (str): the episode title as fetched (raw; use `title_md` in the body).
    title_md (str): the title escaped for markdown.
    info (recap.models.Info), notes (recap.models.Notes): the raw artifacts (escape with `| md`).
    date (datetime.date): the upload date (today when unknown). slug (str). format (str).
    hero (str | None): the featured image's path as the post refers to it.
    intro (list[str]): markdown paragraphs (notes.intro, else built from the metadata).
    topics (list[TopicView]): `.title` (markdown), `.start`, `.link`, `.bullets`; each bullet has
        `.text` (markdown: names **bold**, figures in `backticks`), `.start`, `.end`, `.link`
        (the moment in a seekable source, else None), `.timestamp` ("12:03") and `.under`
        (True when it goes on from the bullet before, opening on a pronoun and resting on the
        same answer: shown as its sub-bullet in English posts).
    reading_minutes, episode_minutes, saving (int), saving_article ("a" | "an"),
    words_per_minute (int).
    language (str): the post's language code (notes.language; "en" when unknown).
    saving_line (str): "Here are my notes from this talk - 9 minutes reading instead of 169
        minutes, an `18x` saving for you." in the post's language (recap/languages.py); under
        two times faster in tenths ("a `1.8x` saving"; `saving` is then 1), under 1.2 times the
        reading time alone.
    full_episode_line (str): "The full episode: [title](url), 169 minutes." (empty without a URL).
    source_url (str | None): the episode's http(s) URL. seekable (bool). names (list[str]).
    links (dict): `source` and `hero`.
    Filters: `md` (escape + bold names + backtick figures), `escape` (escape only),
    `timestamp` (seconds -> "h:mm:ss"), `seek` (seconds -> link into the source, or None).
    A template may `{% set front_matter = {...} %}` at top level to add or replace front-matter
    keys (dumped as YAML like the others).
"""

from recap.write.context import BulletView, Layout, TopicView, build_context, find_names, layout_for
from recap.write.escape import emphasise, escape_text, safe_url, seek_url
from recap.write.files import PostFile, bundle_files, read_post, save_post
from recap.write.options import (
    DEFAULT_CATEGORIES,
    FORMATS,
    JEKYLL_PERMALINK,
    WriteOptions,
    WriteResult,
)
from recap.write.reading import (
    count_words,
    episode_minutes,
    indefinite_article,
    reading_minutes,
    saving_factor,
    saving_figure,
    saving_line,
)
from recap.write.stage import render_post, write
from recap.write.templates import PostTemplate, compose, front_matter_for, load_template, render_template

__all__ = [
    "DEFAULT_CATEGORIES", "FORMATS", "JEKYLL_PERMALINK", "BulletView", "Layout", "PostFile",
    "PostTemplate", "TopicView", "WriteOptions", "WriteResult", "build_context", "bundle_files",
    "compose", "count_words", "emphasise", "episode_minutes", "escape_text", "find_names",
    "front_matter_for", "indefinite_article", "layout_for", "load_template", "read_post",
    "reading_minutes", "render_post", "render_template", "safe_url", "save_post", "saving_factor",
    "saving_figure", "saving_line", "seek_url", "write",
]
