"""Security: keys never leak, titles and pages from the internet are untrusted, yt-dlp takes no
options from input, no shell anywhere. (The embedded server's loopback-only bind is tested in
tests/llm/test_embedded.py.)"""

from __future__ import annotations

import ast
import html
import json
import shutil
from pathlib import Path

import pytest
import yaml

from recap.fetch import FetchOptions, ydl_options
from tests.conftest import DATA, ROOT
from tests.fake_openai import error, fake_openai
from tests.reliability.helpers import (
    KEY,
    assert_error,
    assert_nothing_half_written,
    fake_model,
    fast_retries,
    llm_args,
    recap,
)
from tests.servers import FeedItem, StaticServer, write_feed

NOTES = {
    "topics": [{"title": "<img src=x onerror=alert(1)> Ask not", "bullets": [
        {"text": "<script>alert(2)</script> Ask what you can do for your country.",
         "start": 0.0, "end": 10.0, "segment_ids": [0]}]}],
    "summary": "A speech.", "intro": "<iframe src=//evil></iframe> President Kennedy speaks.",
}


def page(root: Path, name: str, title: str, src: str = "jfk.wav",
         description: str = "") -> str:
    """An HTML page with an <audio> element and the given (untrusted) title."""
    meta = (f'<meta property="og:description" content="{html.escape(description)}">'
            if description else "")
    (root / name).write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"{meta}</head><body><audio controls src=\"{html.escape(src)}\"></audio></body></html>",
        encoding="utf-8")
    return name


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "jfk.wav", root / "jfk.wav")
    with StaticServer(root) as server:
        yield server


# ---------------------------------------------------------------- API keys

@pytest.mark.slow
@pytest.mark.timeout(600)  # six recap commands, one batch, a transcription
def test_the_api_key_is_never_written_or_printed(site: StaticServer, tmp_path: Path) -> None:
    url = f"{site.url}/{page(site.root, 'episode.html', 'Key check')}"
    out = tmp_path / "out"
    env = {**fast_retries(tmp_path), "OPENAI_API_KEY": KEY}
    printed: list[str] = []

    def run(*args: str, debug: bool = False, ok: bool = True) -> None:
        proc = recap(*args, env=env, debug=debug)
        printed.extend([proc.stdout, proc.stderr])
        assert (proc.returncode == 0) == ok, proc.stderr

    with fake_openai() as server:
        fake_model(server)
        echo = f"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}"
        server.script(error(401, echo))
        run("run", url, "-o", str(out), *llm_args(server), ok=False)
        server.script(*[error(500, echo)] * 3)
        run("run", url, "-o", str(out), *llm_args(server), debug=True, ok=False)
        run("run", url, "-o", str(out), *llm_args(server), debug=True)
        run("notes", str(out / "key-check-1"), *llm_args(server), "--force", debug=True)
        (tmp_path / "list.txt").write_text(url + "\n")
        run("batch", str(tmp_path / "list.txt"), "-o", str(out), *llm_args(server))
        run("status", str(out), debug=True)
        used = {h.get("authorization") for h in server.headers}
    assert used == {f"Bearer {KEY}"}  # the key really was in play
    assert any("DEBUG" in text for text in printed)  # and debug logging really was on

    written = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"manifest.json", "batch.json", "notes.json", "index.md"} <= names
    assert any(".cache" in p.parts for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), f"the key leaked into {path}"
        assert b"LEAKCHECK" not in path.read_bytes(), f"part of the key leaked into {path}"
    for text in printed:
        assert "LEAKCHECK" not in text, text


# ---------------------------------------------------------------- untrusted titles

def front_matter(post: Path) -> tuple[dict, str]:
    text = post.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text[:200]
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


@pytest.mark.parametrize("title", [
    "../../etc/passwd", "---\ntitle: x\n---", "<script>alert(1)</script>", "L" * 5000, "",
    "/absolute/path: \"quoted\" 'single' # not a comment",
], ids=["dot-dot", "yaml-break", "script", "5000-chars", "empty", "colons-quotes"])
def test_untrusted_titles_stay_inside_and_stay_text(site: StaticServer, tmp_path: Path,
                                                    jfk_episode: Path, title: str) -> None:
    url = f"{site.url}/{page(site.root, 'p.html', title, description=title)}"
    out = tmp_path / "out"
    fetched = recap("fetch", url, "-o", str(out))
    assert fetched.returncode == 0, fetched.stderr
    folder = Path(fetched.stdout.strip().splitlines()[-1])
    assert folder.resolve().parent == out.resolve()
    assert len(folder.name) <= 80 and folder.name.strip("-.") == folder.name
    info = json.loads((folder / "info.json").read_text())
    if title.strip():
        assert " ".join(title.split())[:100] in info["title"]  # yt-dlp folds whitespace

    for name in ("transcript.json", "chunks.json"):
        shutil.copy(jfk_episode / name, folder / name)
    (folder / "notes.json").write_text(json.dumps(NOTES))
    written = recap("write", str(folder))
    assert written.returncode == 0, written.stderr
    post = Path(written.stdout.strip().splitlines()[-1])
    assert post.resolve().is_relative_to(folder.resolve())
    matter, body = front_matter(post)
    assert matter["title"] == info["title"]
    lowered = body.lower()
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in lowered, body
    assert_nothing_half_written(out)


@pytest.mark.parametrize("target", ["/etc/passwd", str(DATA / "jfk.wav")],
                         ids=["passwd", "real-audio"])
def test_a_page_pointing_at_a_local_file_is_not_followed(site: StaticServer, tmp_path: Path,
                                                         target: str) -> None:
    url = f"{site.url}/{page(site.root, 'local.html', 'Local', src=f'file://{target}')}"
    out = tmp_path / "out"
    assert_error(recap("fetch", url, "-o", str(out)), "file://", "never follows")
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_hostile_feed_metadata_is_only_ever_text(site: StaticServer, tmp_path: Path) -> None:
    """A feed's titles and descriptions reach yt-dlp's neighbourhood as text: no output
    template expands them, no shell runs them, no path in them is followed."""
    marker = tmp_path / "pwned"
    hostile = [f"../../%(title)s/%(id)s $(touch {marker}); touch {marker}",
               f"/etc/cron.d/x `touch {marker}` %(uploader)s"]
    shutil.copy(site.root / "jfk.wav", site.root / "jfk2.wav")  # two enclosures, two episodes
    feed = write_feed(site.root / "feed.xml", site.url,
                      [FeedItem(title, name, mime="audio/wav", description=title)
                       for title, name in zip(hostile, ("jfk.wav", "jfk2.wav"), strict=True)])
    out = tmp_path / "feeds" / "out"
    proc = recap("batch", feed, "-o", str(out), "--stop-after", "fetch")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    outside = [p for p in everything if not (p.is_relative_to(out) or p.is_relative_to(site.root))]
    assert outside == []
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2
    titles = []
    for folder in folders:
        assert folder.name.strip("-.") == folder.name and "%" not in folder.name, folder.name
        assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == \
            ["audio.wav", "info.json", "manifest.json"]
        info = json.loads((folder / "info.json").read_text())
        titles.append(info["title"])
        assert info["description"] == info["title"]
    assert sorted(titles) == sorted(hostile)  # kept verbatim, as text


def test_ytdlp_options_take_nothing_from_input(tmp_path: Path) -> None:
    options = ydl_options(tmp_path, FetchOptions(), None)
    assert options["enable_file_urls"] is False
    assert options["restrictfilenames"] is True and options["noplaylist"] is True
    for key in ("postprocessors", "exec_cmd", "exec", "external_downloader",
                "external_downloader_args", "postprocessor_args", "postprocessor_hooks",
                "cookiefile", "cookiesfrombrowser", "netrc_cmd", "download_archive", "paths",
                "load_info_filename", "plugin_dirs"):
        assert key not in options, key
    for template in options["outtmpl"].values():
        assert Path(template).parent == tmp_path
    assert len(options["progress_hooks"]) == 1


# ---------------------------------------------------------------- no shell

def _shell_calls(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                               and keyword.value.value is False):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}(shell=...)")
        if name in ("os.system", "os.popen", "subprocess.getoutput",
                    "subprocess.getstatusoutput", "os.execl", "os.execlp", "os.spawnl"):
            found.append(f"{path.relative_to(root)}:{node.lineno} {name}()")
    return found


def test_no_shell_anywhere_in_recap() -> None:
    modules = sorted((ROOT / "recap").rglob("*.py"))
    assert len(modules) > 20
    found = [hit for module in modules for hit in _shell_calls(module)]
    assert found == []


def test_the_shell_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os, subprocess\nsubprocess.run('ls', shell=True)\nos.system('ls')\n"
                   "subprocess.run(['ls'], shell=False)\nsubprocess.run('ls', shell=1 > 0)\n")
    assert len(_shell_calls(bad, tmp_path)) == 3
