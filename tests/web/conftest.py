"""Studio fixtures: a real episode folder (fetched and transcribed by recap from jfk.wav, notes
written by the test with bullets citing segments, the post by `recap write`) and the app."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, run_recap

NOTES = {
    "topics": [
        {"title": "Ask not", "bullets": [
            {"text": "Kennedy asks Americans not to ask what their country can do for them.",
             "start": 0.0, "end": 8.0, "segment_ids": [0]}]},
        {"title": "Ask what you can do", "bullets": [
            {"text": "He asks what they can do for their country instead.",
             "start": 8.0, "end": 11.0, "segment_ids": [1]}]},
    ],
    "keywords": ["Kennedy"], "summary": "", "intro": "A short speech.", "speakers": [],
}
HOSTILE_NOTES = {
    "topics": [{"title": "<img src=x onerror=alert(1)> Ask not", "bullets": [
        {"text": "<script>alert(2)</script> Ask what you can do for your country.",
         "start": 0.0, "end": 10.0, "segment_ids": [0]}]}],
    "summary": "A speech.", "intro": "<iframe src=//evil></iframe> President Kennedy speaks.",
}


def write_notes(folder: Path, notes: dict[str, Any]) -> Path:
    """notes.json written by hand, then the real `recap write`; returns the post."""
    (folder / "notes.json").write_text(json.dumps(notes), encoding="utf-8")
    written = run_recap("write", str(folder), check=True)
    return Path(written.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def jfk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Once per session: `recap fetch` + `recap transcribe` of jfk.wav, notes, `recap write`."""
    out = tmp_path_factory.mktemp("studio-template")
    source = out.parent / "jfk-source" / "jfk.wav"
    source.parent.mkdir(exist_ok=True)
    shutil.copy(DATA / "jfk.wav", source)
    fetched = run_recap("fetch", str(source), "-o", str(out), check=True)
    folder = Path(fetched.stdout.strip().splitlines()[-1])
    run_recap("transcribe", str(folder), check=True)
    write_notes(folder, NOTES)
    return folder


@pytest.fixture
def output_root(tmp_path: Path, jfk_template: Path) -> Path:
    """A fresh output root holding a copy of the jfk episode (as `jfk`)."""
    root = tmp_path / "output"
    root.mkdir()
    shutil.copytree(jfk_template, root / "jfk")
    return root


@pytest.fixture
def client(output_root: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from recap.web.app import create_app

    app = create_app(output_root)
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def csrf_of(client: Any) -> str:
    """The CSRF token the app's pages carry."""
    return client.app.state.csrf
