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
        (the moment in a seekable source, else None) and `.timestamp` ("12:03").
    reading_minutes, episode_minutes, saving (int), saving_article ("a" | "an"),
    words_per_minute (int).
    language (str): the post's language code (notes.language; "en" when unknown).
    saving_line (str): "Here are my notes from this talk - 9 minutes reading instead of 169
        minutes, an `18x` saving for you." in the post's language (recap/languages.py).
    full_episode_line (str): "The full episode: [title](url), 169 minutes." (empty without a URL).
    source_url (str | None): the episode's http(s) URL. seekable (bool). names (list[str]).
    links (dict): `source` and `hero`.
    Filters: `md` (escape + bold names + backtick figures), `escape` (escape only),
    `timestamp` (seconds -> "h:mm:ss"), `seek` (seconds -> link into the source, or None).
    A template may `{% set front_matter = {...} %}` at top level to add or replace front-matter
    keys (dumped as YAML like the others).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from recap.episode import Episode, atomic_write_bytes, atomic_write_text, fingerprint_files, slugify
from recap.errors import ArtifactError, ConfigError, OutputError, unknown_choice
from recap.languages import capitalises_nouns, phrases
from recap.models import Info, Notes
from recap.progress import Reporter
from recap.text.clock import timestamp
from recap.text.marking import mark_figures

log = logging.getLogger("recap.write")

FORMATS = ("hugo", "jekyll", "markdown")
DEFAULT_CATEGORIES = ("Podcast Recap",)
JEKYLL_PERMALINK = "/:slugified_categories/:year/:month/:day/:title:output_ext"
"""Jekyll's default (`date`) permalink with slugified categories: /podcast-recap/2024/05/14/slug.html."""


@dataclass
class WriteOptions:
    """How to write the post."""

    format: str = "hugo"
    """hugo (page bundle post/index.md), jekyll (post/_posts/DATE-slug.md) or markdown."""
    template: Path | None = None
    """A Jinja2 template replacing the built-in one for the format."""
    words_per_minute: int = 200
    """Reading speed behind the reading time and the saving figure."""
    force: bool = False
    """Overwrite a post that was edited by hand since recap wrote it."""
    draft: bool = True
    """Mark the post a draft (Hugo `draft`, Jekyll `published: false`)."""
    categories: list[str] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    """Front-matter categories."""

    def template_text(self) -> str:
        """The template source in use (the user's file or the built-in one)."""
        if self.format not in FORMATS:
            raise unknown_choice("format", self.format, FORMATS)
        if self.template is None:
            return _builtin_template(self.format).read_text(encoding="utf-8")
        try:
            return Path(self.template).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"cannot read template {self.template}: {reason}") from None

    def params(self) -> dict[str, Any]:
        """What the post depends on besides its inputs; a new template makes it stale."""
        return {
            "format": self.format,
            "words_per_minute": self.words_per_minute,
            "draft": self.draft,
            "categories": list(self.categories),
            "template_sha256": hashlib.sha256(self.template_text().encode("utf-8")).hexdigest(),
        }


@dataclass
class WriteResult:
    path: Path
    """The file written: the post, or the new version beside a hand-edited one."""
    stats: dict[str, Any]


# ---------------------------------------------------------------- reading time

def count_words(markdown: str) -> int:
    """Whitespace-separated words of a post body.

    This is how the reference post counts its 1,793 words (markup included), so the same body
    gets the same reading time here as there.
    """
    return len(markdown.split())


def reading_minutes(words: int, words_per_minute: int = 200) -> int:
    """Whole minutes to read `words`, rounded half up, at least 1."""
    return max(1, int(words / words_per_minute + 0.5))


def episode_minutes(duration_seconds: float) -> int:
    """The episode's length in whole minutes, rounded half up, at least 1."""
    return max(1, int(duration_seconds / 60 + 0.5))


def saving_factor(listen_minutes: int, read_minutes: int) -> int:
    """How many times faster reading is than listening, rounded down."""
    return listen_minutes // max(1, read_minutes)


def indefinite_article(number: int) -> str:
    """'an' before numbers said with a vowel sound (8, 11, 18, 80, 800...), else 'a'."""
    digits = str(abs(number))
    lead = digits[: len(digits) % 3 or 3]
    return "an" if lead.startswith("8") or lead in ("11", "18") else "a"


# ---------------------------------------------------------------- markdown text

# Code spans are kept verbatim only without braces: Hugo shortcodes and Jekyll Liquid run even
# inside them, so `{{<` or `{%` from untrusted text must go through the escaping below.
_PROTECTED = re.compile(r"`[^`\n{}]+`|\*\*[^*\n]+?\*\*|https?://[^\s<>\"'`\[\](){}]+")
_GENERIC_SPEAKER = re.compile(
    r"^(?:host|co-?host|guest|speaker\s*\w?\d*|spk_?\d+|narrator|interviewer|interviewee|"
    r"unknown|voice\s*\d*|moderator|audience)$",
    re.IGNORECASE,
)
_CAPITALISED_RUN = re.compile(r"(?<![\w'’])[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|[A-Z]\.))*[ -][A-Z][a-z]+")
_SENTENCE_WORDS = frozenset(
    "A An And As At But By For From He Her His How I If In It Its My No Not Of On Or Our She So "
    "That The Their Then There These They This Those To We What When Where Which While Who Why "
    "With You Your Yes After Before Also Here Now Today Yesterday Tomorrow Every Each Some Many "
    "Most Both All Any One Two Three Join Start Plant Let Lets Let's Ask Thank Thanks Welcome "
    "Hello Hi Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March "
    "April May June July August September October November December".split()
)


def escape_text(text: str) -> str:
    """Untrusted text as inert markdown: one line, no raw HTML, no links or images."""
    return _escape_plain(" ".join(str(text).split()))


def _escape_plain(text: str) -> str:
    return re.sub(r"^([#>+=|-])", r"\\\1", _escape_inner(text))


def emphasise(text: str, names: Iterable[str] = ()) -> str:
    """Escape untrusted text, put known names in **bold** and figures in `backticks`.

    Spans already in backticks or bold and URLs are left as they are (no double marking).
    """
    text = " ".join(str(text).split())
    name_re = _names_pattern(names)
    out: list[str] = []
    pos = 0
    for match in _PROTECTED.finditer(text):
        out.append(_mark_plain(text[pos : match.start()], name_re))
        span = match.group(0)
        if span.startswith("**"):
            out.append("**" + _escape_inner(span[2:-2]) + "**")
        elif span.startswith("`"):
            out.append(span)  # a code span shows its text literally: nothing to escape
        else:
            out.append(span)  # a URL: escaping would break it, and it cannot hold `<`
        pos = match.end()
    out.append(_mark_plain(text[pos:], name_re))
    marked = "".join(out)
    return re.sub(r"^([#>+=|-])", r"\\\1", marked)


def _mark_plain(text: str, name_re: re.Pattern[str] | None) -> str:
    pieces: list[str] = []
    pos = 0
    matches = list(name_re.finditer(text)) if name_re else []
    for match in matches:
        pieces.append(_mark_figures(text[pos : match.start()]))
        pieces.append("**" + _escape_inner(match.group(0)) + "**")
        pos = match.end()
    pieces.append(_mark_figures(text[pos:]))
    return "".join(pieces)


def _mark_figures(text: str) -> str:
    return mark_figures(text, _escape_inner)


def _escape_inner(text: str) -> str:
    """No raw HTML (`<`, `&`), no links or images (`[`), no code spans, shortcodes or Liquid."""
    text = html.escape(text, quote=False)
    text = re.sub(r"([\\`\[\]])", r"\\\1", text)
    # Hugo shortcodes ({{<, {{%) and Liquid ({{, {%) run before markdown; entities defeat both.
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not unique:
        return None
    alternatives = "|".join(re.escape(n) for n in unique)
    # A plural or possessive "s" may follow: **GB300**s, **Tesla**'s.
    return re.compile(rf"(?<![\w*])(?:{alternatives})(?!(?!s\b)[\w*])")


def find_names(notes: Notes, info: Info) -> list[str]:
    """Names to bold: speakers, the uploader, proper-noun keywords and capitalised names in the text."""
    texts = [notes.intro, notes.summary]
    texts += [b.text for t in notes.topics for b in t.bullets]
    body = "\n".join(texts)
    names: set[str] = set()
    for speaker in [*notes.speakers, info.uploader]:
        speaker = " ".join(str(speaker).split())
        if speaker and not _GENERIC_SPEAKER.match(speaker) and re.search(r"[^\W\d_]", speaker):
            names.add(speaker)
    if capitalises_nouns(notes.language or "en"):
        return sorted(names)  # every German noun is capitalised: only known names are bold
    for keyword in notes.keywords:
        keyword = " ".join(keyword.split())
        if len(keyword) < 3 or not re.search(r"[A-Z]", keyword):
            continue
        words = keyword.split()
        inner_capital = any(re.search(r"[A-Z]", w[1:]) for w in words)
        all_capitalised = len(words) > 1 and all(w[:1].isupper() for w in words)
        if inner_capital or all_capitalised or _capitalised_mid_sentence(keyword, body):
            names.add(keyword)
    for text in texts:
        for match in _CAPITALISED_RUN.finditer(text):
            words = re.split(r"([ -])", match.group(0))
            while len(words) > 2 and words[0] in _SENTENCE_WORDS:
                words = words[2:]
            if len(words) >= 3 and not all(w in _SENTENCE_WORDS for w in words[::2]):
                names.add("".join(words))
    return sorted(n for n in names if n.strip())


def _capitalised_mid_sentence(word: str, text: str) -> bool:
    return re.search(rf"[a-z0-9,;]\s+{re.escape(word)}(?!\w)", text) is not None


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable as a markdown link destination, else None."""
    if not url:
        return None
    url = str(url).strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def seek_url(url: str, seconds: float) -> str:
    """`url` opened at `seconds` (`&t=123s`, or `?t=123s` when the URL has no query)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
    query.append(("t", f"{int(max(0.0, seconds))}s"))
    return urlunsplit(parts._replace(query=urlencode(query, safe=":/")))




# ---------------------------------------------------------------- template context


@dataclass
class BulletView:
    text: str
    start: float
    end: float
    link: str | None
    timestamp: str


@dataclass
class TopicView:
    title: str
    start: float
    link: str | None
    bullets: list[BulletView]


@dataclass
class Layout:
    """Where a format puts the post and its image, and how the post refers to the image."""

    post: Path
    beside: Path
    hero: Path
    hero_ref: str
    hero_front_matter: str


def layout_for(episode: Episode, fmt: str, slug: str, date: dt.date) -> Layout:
    """The file layout of `fmt` inside the episode's post/ folder."""
    post_dir = episode.post_dir
    if fmt == "hugo":
        return Layout(post_dir / "index.md", post_dir / "index.new.md", post_dir / "hero.jpg",
                      "./hero.jpg", "hero.jpg")
    if fmt == "jekyll":
        name = f"{date.isoformat()}-{slug}"
        # A second dated file in _posts would be published twice; Jekyll never builds _drafts.
        return Layout(post_dir / "_posts" / f"{name}.md", post_dir / "_drafts" / f"{name}.new.md",
                      post_dir / "assets" / slug / "hero.jpg", f"/assets/{slug}/hero.jpg",
                      f"/assets/{slug}/hero.jpg")
    if fmt == "markdown":
        return Layout(post_dir / f"{slug}.md", post_dir / f"{slug}.new.md", post_dir / "hero.jpg",
                      "hero.jpg", "hero.jpg")
    raise unknown_choice("format", fmt, FORMATS)


def _post_date(info: Info) -> tuple[dt.date, str]:
    if info.upload_date:
        try:
            return dt.date.fromisoformat(str(info.upload_date)[:10]), "upload_date"
        except ValueError:
            log.warning("info.json has an unreadable upload date %r", info.upload_date)
    today = dt.date.today()
    log.warning("the episode has no upload date; dating the post today (%s)", today.isoformat())
    return today, "today"


def _speakers(notes: Notes) -> list[str]:
    return [s for s in (" ".join(x.split()) for x in notes.speakers)
            if s and not _GENERIC_SPEAKER.match(s)]


def _join_words(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def saving_line(language: str, reading: int, listen: int, saving: int) -> str:
    """The sentence with the reading-time saving, in the post's language."""
    say = phrases(language)
    read = f"{reading} {say.minute if reading == 1 else say.minutes}"
    if saving > 1:
        return say.saving.format(reading=read, listen=listen, saving=saving,
                                 article=indefinite_article(saving))
    return say.reading_only.format(reading=read)


def _intro_paragraphs(info: Info, notes: Notes, date: dt.date | None, minutes: int,
                      names: list[str]) -> list[str]:
    if notes.intro.strip():
        paragraphs = re.split(r"\n\s*\n", notes.intro.strip())
        return [emphasise(p, names) for p in paragraphs if p.strip()]
    language = notes.language or "en"
    say = phrases(language)
    opening = say.episode.format(title=" ".join(info.title.split()), minutes=minutes)
    if info.uploader.strip():
        opening += say.by.format(uploader=" ".join(info.uploader.split()))
    # The date is written as a date, not marked as a figure.
    published = (f", published on {date.strftime('%B')} {date.day}, {date.year}"
                 if date and language == "en" else f", {date.isoformat()}" if date else "")
    rest = "."
    speakers = _speakers(notes)
    if speakers and language == "en":
        rest += f" It features {_join_words(speakers)}."
    if notes.summary.strip():
        rest += " " + notes.summary.strip()
    elif info.description.strip():
        first = re.split(r"\n\s*\n", info.description.strip())[0]
        rest += " " + (first if len(first) <= 400 else first[:400].rsplit(" ", 1)[0] + "…")
    return [emphasise(opening, names) + escape_text(published) + emphasise(rest, names)]


def _description(info: Info, notes: Notes) -> str:
    if notes.summary.strip():
        return notes.summary.strip()
    if info.description.strip():
        first = re.split(r"\n\s*\n", info.description.strip())[0].strip()
        return first if len(first) <= 300 else first[:300].rsplit(" ", 1)[0] + "…"
    who = f" from {info.uploader}" if info.uploader.strip() else ""
    return f"Notes from “{info.title}”{who}"


def build_context(info: Info, notes: Notes, options: WriteOptions, layout: Layout,
                  date: dt.date, date_known: bool, slug: str, hero: bool) -> dict[str, Any]:
    """Everything a template sees except the reading-time figures."""
    names = find_names(notes, info)
    language = notes.language or "en"
    say = phrases(language)
    source_url = safe_url(info.webpage_url) or safe_url(info.source)
    seekable = bool(source_url) and info.seekable

    def seek(seconds: float) -> str | None:
        return seek_url(source_url, seconds) if seekable and source_url else None

    topics: list[TopicView] = []
    for number, topic in enumerate(notes.topics, 1):
        bullets = [
            BulletView(emphasise(b.text, names), b.start, b.end, seek(b.start), timestamp(b.start))
            for b in topic.bullets if b.text.strip()
        ]
        if not bullets:
            continue
        title = escape_text(topic.title) or say.part.format(number=number)
        title = re.sub(r"#+$", lambda m: "\\" + "\\".join(m.group(0)), title)
        topics.append(TopicView(title, topic.start, seek(topic.start), bullets))
    minutes = episode_minutes(info.duration)
    hero_ref = layout.hero_ref if hero else None
    return {
        "title": info.title,
        "title_md": escape_text(info.title),
        "info": info,
        "notes": notes,
        "date": date,
        "slug": slug,
        "format": options.format,
        "hero": hero_ref,
        "intro": _intro_paragraphs(info, notes, date if date_known else None, minutes, names),
        "language": language,
        "full_episode_line": say.full_episode.format(
            link=f"[{escape_text(info.title)}]({source_url})", minutes=minutes)
        if source_url else "",
        "topics": topics,
        "episode_minutes": minutes,
        "words_per_minute": options.words_per_minute,
        "source_url": source_url,
        "seekable": seekable,
        "names": names,
        "links": {"source": source_url, "hero": hero_ref},
    }


# ---------------------------------------------------------------- templates


def _builtin_template(fmt: str) -> Any:
    return resources.files("recap") / "templates" / f"{fmt}.md.j2"


@dataclass
class PostTemplate:
    """A loaded Jinja2 template and the name errors show for it."""

    template: Any
    shown: str


def load_template(options: WriteOptions) -> PostTemplate:
    """The Jinja2 template for `options`; a syntax error is a one-line ConfigError."""
    import jinja2

    if options.template is not None:
        path = Path(options.template)
        loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(path.parent.resolve()))
        name, shown = path.name, str(path)
    else:
        builtin = _builtin_template(options.format)
        name, shown = builtin.name, f"built-in {builtin.name}"

        def load_builtin(template_name: str) -> tuple[str, str, Any]:
            resource = _builtin_template(template_name.removesuffix(".md.j2"))
            if not resource.is_file():
                raise jinja2.TemplateNotFound(template_name)
            return resource.read_text(encoding="utf-8"), str(resource), lambda: True

        loader = jinja2.FunctionLoader(load_builtin)
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(escape=escape_text, timestamp=timestamp,
                       md=jinja2.pass_context(_md_filter), seek=jinja2.pass_context(_seek_filter))
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template {shown} line {exc.lineno}: {_first_line(exc)}") from None
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"template {shown}: cannot find {exc.name}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read template {shown}: {_first_line(exc)}") from None
    return PostTemplate(template, shown)


def render_template(loaded: PostTemplate, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Render the body; returns it with the front-matter keys the template set."""
    import jinja2

    template = loaded.template

    env = template.environment
    ctx = template.new_context(context)
    try:
        try:
            body = env.concat(template.root_render_func(ctx))
        except Exception:
            env.handle_exception()  # rewrites the traceback onto template lines, then re-raises
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, AttributeError,
            KeyError, IndexError) as exc:
        line = _template_line(exc, template.filename)
        where = f" line {line}" if line else ""
        raise ConfigError(f"template {loaded.shown}{where}: {_first_line(exc)}") from None
    extra = ctx.get_exported().get("front_matter") or {}
    if not isinstance(extra, dict):
        raise ConfigError(f"template {loaded.shown}: front_matter must be a mapping")
    return body, extra


def _md_filter(ctx: Any, text: Any) -> str:
    return emphasise(str(text), ctx.get("names") or ())


def _seek_filter(ctx: Any, seconds: float) -> str | None:
    source = ctx.get("source_url")
    return seek_url(source, float(seconds)) if source and ctx.get("seekable") else None


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    if getattr(exc, "lineno", None):
        return int(exc.lineno)  # type: ignore[attr-defined]
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if filename and frame.f_code.co_filename == filename:
            line = lineno
    return line


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:200]


# ---------------------------------------------------------------- front matter


def _yaml_dumper() -> Any:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Safe dumper that keeps every string on one line (no value can look like `---`)."""

    def represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
        one_line = not re.search(r"[\n\r\x85\u2028\u2029]", value)
        style = None if one_line and value == value.strip() else '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def front_matter_for(fmt: str, info: Info, notes: Notes, options: WriteOptions, date: dt.date,
                     slug: str, layout: Layout, hero: bool, read_min: int,
                     listen_min: int) -> dict[str, Any]:
    """The front matter of `fmt` (empty for plain markdown)."""
    if fmt == "markdown":
        return {}
    source = safe_url(info.webpage_url) or safe_url(info.source)
    keywords = list(dict.fromkeys(k.strip() for k in notes.keywords if k.strip()))
    meta: dict[str, Any]
    if fmt == "hugo":
        meta = {"title": info.title, "date": date, "slug": slug, "draft": options.draft,
                "description": _description(info, notes), "categories": list(options.categories)}
        if hero:
            meta["images"] = [layout.hero_front_matter]
        meta["keywords"] = keywords
    else:
        meta = {"layout": "post", "title": info.title, "date": date, "slug": slug,
                "description": _description(info, notes),
                "categories": list(options.categories), "tags": keywords}
        # Jekyll's default permalink puts the categories in the path as they are written, so
        # "Podcast Recap" would give the reader a URL with a space; the same shape, slugified.
        meta["permalink"] = JEKYLL_PERMALINK
        if options.draft:
            meta["published"] = False
        if hero:
            meta["image"] = layout.hero_front_matter
    if source:
        meta["source"] = source
    meta["duration"] = listen_min
    meta["reading_time"] = read_min
    return meta


def compose(meta: dict[str, Any], body: str) -> str:
    """The post file: YAML front matter (when any) and the body."""
    import frontmatter

    body = body.strip() + "\n"
    if not meta:
        return body
    post = frontmatter.Post(body, **meta)
    return frontmatter.dumps(post, Dumper=_yaml_dumper(), sort_keys=False,
                             width=float("inf")) + "\n"


# ---------------------------------------------------------------- the stage


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
    date, date_from = _post_date(info)
    slug = slugify(episode.root.name)
    layout = layout_for(episode, options.format, slug, date)
    hero_source = episode.hero_path if episode.hero_path.is_file() else None
    context = build_context(info, notes, options, layout, date, date_from == "upload_date",
                            slug, hero_source is not None)
    listen = context["episode_minutes"]
    read = 1
    body = ""
    extra: dict[str, Any] = {}
    # The saving line is part of the body it measures; its figures do not change the word count,
    # so this settles on the second pass.
    for _ in range(5):
        context.update(reading_minutes=read, saving=saving_factor(listen, read))
        context["saving_article"] = indefinite_article(context["saving"])
        context["saving_line"] = saving_line(context["language"], read, listen,
                                             context["saving"])
        body, extra = render_template(template, context)
        settled = reading_minutes(count_words(body), options.words_per_minute)
        if settled == read:
            break
        read = settled
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
        "saving": saving_factor(listen, read),
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
    new_fp = _fingerprint_as(layout.post, text)
    previous = episode.stage_record("write")
    prev_stats = previous.stats if previous and previous.status == "done" else {}
    ours = _recorded_fingerprint(prev_stats, previous, main_rel)
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
        _remove_own_leftover(root, layout.beside, previous)
    stats["main"] = main_rel
    atomic_write_text(target, text)
    if hero_source is not None:
        _copy_if_changed(hero_source, layout.hero)
    return WriteResult(target, stats)


def _fingerprint_as(path: Path, text: str) -> str:
    """The fingerprint `path` would have if it held `text` (fingerprints include the file name)."""
    digest = hashlib.sha256()
    digest.update(path.name.encode() + b"\0")
    digest.update(text.encode("utf-8"))
    digest.update(b"\0")
    return digest.hexdigest()[:32]


def _recorded_fingerprint(prev_stats: dict[str, Any], previous: Any, main_rel: str) -> str | None:
    """The fingerprint of what recap last wrote to the post itself, if it wrote it."""
    if prev_stats.get("main") == main_rel and prev_stats.get("main_fingerprint"):
        return str(prev_stats["main_fingerprint"])
    if previous is not None and prev_stats.get("post") == main_rel:
        return str(previous.output_fingerprint) or None
    return None


def _remove_own_leftover(root: Path, beside: Path, previous: Any) -> None:
    """Drop the beside-version recap wrote earlier, unless someone has edited it since."""
    if previous is None or not beside.is_file():
        return
    if previous.stats.get("post") != beside.relative_to(root).as_posix():
        return
    if fingerprint_files([beside]) == previous.output_fingerprint:
        try:
            beside.unlink()
        except OSError as exc:
            raise OutputError(f"cannot remove {beside}: {exc.strerror}") from None


def _copy_if_changed(source: Path, target: Path) -> None:
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return
    atomic_write_bytes(target, data)


# ---------------------------------------------------------------- the post as a file

@dataclass
class PostFile:
    """The episode's post as recap last wrote it (or as someone edited it since)."""

    path: Path
    """The post itself (post/index.md for Hugo)."""
    text: str
    pending: Path | None
    """recap's newer version, written beside a hand-edited post (index.new.md), if any."""


def read_post(episode: Episode) -> PostFile | None:
    """The post named by the manifest's last write, or None before the first `recap write`."""
    record = episode.stage_record("write")
    if record is None or record.status != "done":
        return None
    main = record.stats.get("main") or record.stats.get("post")
    if not main:
        return None
    path = episode.root / str(main)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    written = record.stats.get("post")
    pending = episode.root / str(written) if written and written != main else None
    return PostFile(path, text, pending if pending is not None and pending.is_file() else None)


def save_post(episode: Episode, text: str) -> Path:
    """Replace the post with a hand-edited version, atomically.

    The manifest keeps the fingerprint of what recap wrote, so the post now reads as `edited`:
    a later `recap write` keeps it and writes its own version beside it (index.new.md), exactly
    as when the file is edited in an editor.
    """
    if "\x00" in text:
        raise ArtifactError("the edited post contains a NUL character")
    with episode.lock():
        post = read_post(episode)
        if post is None:
            raise ArtifactError(f"{episode.root} has no post yet; run `recap write {episode.root}` "
                                "first")
        atomic_write_text(post.path, text.replace("\r\n", "\n"))
    return post.path


def bundle_files(episode: Episode) -> list[tuple[str, Path]]:
    """(name in the bundle, file) for the page bundle: the post and its featured image."""
    post = read_post(episode)
    if post is None:
        raise ArtifactError(f"{episode.root} has no post yet; run `recap write {episode.root}` first")
    files = [(post.path.name, post.path)]
    hero = post.path.parent / "hero.jpg"
    hero = hero if hero.is_file() else episode.hero_path
    if hero.is_file():
        files.append(("hero.jpg", hero))
    return files
