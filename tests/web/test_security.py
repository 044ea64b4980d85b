"""The studio's security rules: Host, Origin + CSRF, the access token off loopback, and nothing
outside the output root served (traversal, symlinks)."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.web.studio_process import running_studio
from tests.web.test_api import page_csrf

OWN = "http://127.0.0.1:8765"


@pytest.mark.parametrize("method,url,body", [
    ("POST", "/api/runs", {"source": "/nowhere.mp3"}),
    ("PUT", "/api/episodes/jfk/post", {"markdown": "# pwned"}),
    ("POST", "/api/episodes/jfk/rerun", {}),
    ("POST", "/api/batches", {"source": "/nowhere"}),
])
def test_another_sites_origin_is_refused(client: Any, output_root: Path, method: str, url: str,
                                         body: dict[str, Any]) -> None:
    before = (output_root / "jfk/post/index.md").read_bytes()
    answer = client.request(method, url, json=body, headers={
        "Origin": "https://evil.example", "X-CSRF-Token": page_csrf(client)})
    assert answer.status_code == 403
    # the server's own origin without the page's token: refused too
    answer = client.request(method, url, json=body, headers={"Origin": OWN})
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert (output_root / "jfk/post/index.md").read_bytes() == before
    assert client.app.state.runs.all() == []


def test_a_script_without_origin_is_accepted_on_loopback(client: Any, output_root: Path) -> None:
    answer = client.put("/api/episodes/jfk/post", json={"markdown": "# Mine\n"})
    assert answer.status_code == 200
    assert (output_root / "jfk/post/index.md").read_text() == "# Mine\n"


def test_a_foreign_host_header_is_refused(client: Any) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name."""
    assert client.get("/api/episodes", headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/api/episodes", headers={"Host": "localhost:8765"}).status_code == 200


def test_pages_carry_a_strict_content_security_policy(client: Any) -> None:
    policy = client.get("/episodes/jfk").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("url", [
    "/episodes/..%2F..%2Fetc/audio", "/episodes/%2e%2e/audio", "/episodes/../etc/passwd",
    "/static/..%2F..%2Fwrite.py", "/static/../app.py", "/episodes/.uploads/audio",
    "/api/episodes/..", "/episodes/jfk%2F..%2F..%2Fx/hero.jpg",
])
def test_nothing_outside_the_root_is_served(client: Any, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 404, (url, answer.status_code, answer.text[:200])


def test_symlinks_are_not_followed(client: Any, output_root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "info.json").write_text('{"title": "secret", "audio_file": "key.wav"}')
    (secret / "key.wav").write_bytes(b"RIFF secret")
    os.symlink(secret, output_root / "linked")
    assert [e["slug"] for e in client.get("/api/episodes").json()] == ["jfk"]
    assert client.get("/episodes/linked").status_code == 404
    assert client.get("/episodes/linked/audio").status_code == 404
    assert client.get("/api/episodes/linked").status_code == 404
    # a symlinked audio file inside a real episode
    audio = output_root / "jfk" / "audio.wav"
    audio.unlink()
    os.symlink(secret / "key.wav", audio)
    assert client.get("/episodes/jfk/audio").status_code == 404


def test_off_loopback_the_access_token_is_required(output_root: Path) -> None:
    from starlette.testclient import TestClient

    from recap.errors import ConfigError
    from recap.web.app import create_app

    with pytest.raises(ConfigError):
        create_app(output_root, bind_host="0.0.0.0")
    app = create_app(output_root, bind_host="0.0.0.0", access_token="s3cret-token")
    with TestClient(app, base_url="http://192.0.2.10:8765", follow_redirects=False) as remote:
        assert remote.get("/api/episodes").status_code == 401
        assert remote.get("/api/episodes?token=wrong").status_code == 401
        assert remote.post("/api/runs", json={"source": "x"}).status_code == 401
        first = remote.get("/episodes/jfk?token=s3cret-token")
        assert first.status_code == 303 and first.headers["location"] == "/episodes/jfk"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert remote.get("/episodes/jfk").status_code == 200  # the cookie from now on
    with TestClient(app, base_url="http://192.0.2.10:8765") as script:
        bearer = {"Authorization": "Bearer s3cret-token"}
        assert script.get("/api/episodes", headers=bearer).status_code == 200


def test_the_real_server_binds_loopback_and_checks_origin(output_root: Path) -> None:
    with running_studio(output_root) as studio:
        base, port = studio.base, studio.port
        assert studio.token is None
        with urllib.request.urlopen(f"{base}/api/episodes/jfk") as answer:
            assert b'"stages"' in answer.read()
        request = urllib.request.Request(f"{base}/api/episodes/jfk/post", method="PUT",
                                         data=b'{"markdown": "x"}',
                                         headers={"Origin": "https://evil.example",
                                                  "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 403
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        local = [line.split()[3] for line in listening.splitlines() if line.strip()]
        assert local == [f"127.0.0.1:{port}"], listening


def test_another_host_prints_a_token_that_is_required(output_root: Path) -> None:
    with running_studio(output_root, "--host", "0.0.0.0") as studio:
        announced = studio.stderr.lines[0]
        assert re.search(r"at http://0\.0\.0\.0:\d+/\?token=[\w-]+$", announced), announced
        assert studio.token and len(studio.token) >= 20
        base = studio.base
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/episodes")
        assert refused.value.code == 401
        request = urllib.request.Request(f"{base}/api/episodes",
                                         headers={"Authorization": f"Bearer {studio.token}"})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
