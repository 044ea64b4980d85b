"""Real-client check: Debian's `jekyll` builds a site from the generated Jekyll post, and the
reader gets a clean URL (no space from the "Podcast Recap" category)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from recap.progress import Reporter
from recap.write import WriteOptions, write
from tests.test_write import CITY_BEES_INFO, CITY_BEES_NOTES, HERO_JPEG, make_episode

pytestmark = pytest.mark.jekyll

LAYOUT = """<!doctype html>
<html><head><title>{{ page.title }}</title></head>
<body><h1 class="title">{{ page.title }}</h1>
<p class="description">{{ page.description }}</p>
<article>{{ content }}</article></body></html>
"""


def jekyll_binary() -> str:
    found = shutil.which("jekyll")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("jekyll is not installed (CI must have it: .ci/run installs the Debian package)")
    pytest.skip("jekyll is not installed (apt-get install jekyll)")


def build_site(tmp_path: Path, post_dir: Path, unpublished: bool = True) -> Path:
    """A minimal Jekyll site holding recap's post/ folder (_posts/ and assets/); returns _site/."""
    jekyll = jekyll_binary()
    site = tmp_path / ("site" if unpublished else "site-published")
    (site / "_layouts").mkdir(parents=True)
    (site / "_layouts" / "post.html").write_text(LAYOUT, "utf-8")
    (site / "_config.yml").write_text("title: recap test site\n", "utf-8")
    shutil.copytree(post_dir, site, dirs_exist_ok=True)
    proc = subprocess.run(
        [jekyll, "build", *(["--unpublished"] if unpublished else []), "--source", str(site),
         "--destination", str(site / "_site"), "--disable-disk-cache"],
        capture_output=True, text=True, timeout=180, cwd=site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    return site / "_site"


def test_jekyll_builds_the_post_at_a_clean_url(tmp_path: Path) -> None:
    episode = make_episode(tmp_path / "out")
    result = write(episode, WriteOptions(format="jekyll"), Reporter())
    assert result.path == episode.root / "post" / "_posts" / "2024-05-14-city-bees.md"
    public = build_site(tmp_path, episode.root / "post")

    pages = sorted(p.relative_to(public).as_posix() for p in public.rglob("*.html"))
    # The URL a reader gets: the category slugified, as Jekyll's default permalink shapes it.
    assert pages == ["podcast-recap/2024/05/14/city-bees.html"]
    assert not [p for p in public.rglob("*") if " " in p.name]
    page = (public / pages[0]).read_text("utf-8")
    title = html.escape(CITY_BEES_INFO["title"], quote=False)
    assert f"<title>{title}</title>" in page
    assert f'<p class="description">{CITY_BEES_NOTES["summary"]}</p>' in page
    assert '<img src="/assets/city-bees/hero.jpg" alt="Featured Image" />' in page
    assert (public / "assets" / "city-bees" / "hero.jpg").read_bytes() == HERO_JPEG
    h2 = [html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page)]
    assert h2 == [t["title"] for t in CITY_BEES_NOTES["topics"]]
    assert page.count("<li>") == sum(len(t["bullets"]) for t in CITY_BEES_NOTES["topics"])
    assert re.search(r"<code[^>]*>22 kilograms</code>", page)  # kramdown adds classes
    # A draft (`published: false`) by default: a build without --unpublished leaves it out.
    published = build_site(tmp_path, episode.root / "post", unpublished=False)
    assert not list(published.rglob("city-bees.html"))
