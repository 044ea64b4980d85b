"""The post's template and front matter: loading and rendering Jinja2, the YAML front matter, the file."""

from __future__ import annotations

import datetime as dt
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recap.errors import ConfigError
from recap.models import Info, Notes
from recap.text.clock import timestamp
from recap.write.context import Layout, description
from recap.write.escape import emphasise, escape_text, safe_url, seek_url
from recap.write.options import JEKYLL_PERMALINK, WriteOptions, builtin_template


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
        builtin = builtin_template(options.format)
        name, shown = builtin.name, f"built-in {builtin.name}"

        def load_builtin(template_name: str) -> tuple[str, str, Any]:
            resource = builtin_template(template_name.removesuffix(".md.j2"))
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
                "description": description(info, notes), "categories": list(options.categories)}
        if hero:
            meta["images"] = [layout.hero_front_matter]
        meta["keywords"] = keywords
    else:
        meta = {"layout": "post", "title": info.title, "date": date, "slug": slug,
                "description": description(info, notes),
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
