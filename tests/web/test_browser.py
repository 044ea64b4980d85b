"""The studio in a real browser: Debian's chromium, driven by Selenium through chromedriver
(no browser download). A real `recap studio` server on 127.0.0.1; notes from a fake
OpenAI-compatible server (scripted replies), so the test is fast and needs no model."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, run_recap
from tests.fake_openai import FakeOpenAI, fake_openai
from tests.test_faithful_e2e import respond
from tests.web.studio_process import running_studio

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.is_file() and CHROMEDRIVER.is_file(), \
        "the browser tests need Debian's chromium and chromium-driver (apt-get install)"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1400,1000",
                "--mute-audio"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def studio(output_root: Path) -> Iterator[str]:
    """`recap studio OUTPUT --port N` in its own process; yields its address once it answers."""
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    with running_studio(output_root, env=env) as server:
        yield server.base


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with fake_openai() as fake:
        fake.responder = respond
        yield fake


def wait_until(check: Callable[[], Any], seconds: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def open_page(browser: Any, url: str, ready: str) -> None:
    """Open `url` and wait until the page shows `ready` (a CSS selector); a page that never
    does fails with what the browser shows instead."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    try:
        wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ready), what=ready)
    except AssertionError:
        body = browser.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(f"{url} never showed {ready}: the browser is at "
                             f"{browser.current_url} showing {body[:500]!r}") from None


def test_review_click_a_bullet_edit_and_save(browser: Any, studio: str, output_root: Path,
                                             tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, f"{studio}/episodes/jfk", "#post h2")
    sections = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#post h2")]
    assert sections == ["Ask not", "Ask what you can do"]
    bullets = browser.find_elements(By.CSS_SELECTOR, "#post li.bullet")
    assert [b.find_element(By.CSS_SELECTOR, "button.range").text for b in bullets] == \
        ["0:00–0:08", "0:08–0:11"]
    shot = Path(os.environ.get("STUDIO_SCREENSHOT") or tmp_path / "studio.png")
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    wait_until(lambda: browser.execute_script(
        "return document.getElementById('player').readyState >= 1"), what="audio metadata")
    bullets[1].click()
    position = wait_until(lambda: browser.execute_script(
        "const a = document.getElementById('player'); return a.seeking ? null : a.currentTime"
        " || null"), what="the player to seek")
    assert abs(position - 8.0) <= 1.0, position
    cited = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, ".cited")]
    assert cited == ["seg-1"]
    bullets = browser.find_elements(By.CSS_SELECTOR, "#post li.bullet")
    bullets[0].click()
    position = wait_until(lambda: browser.execute_script(
        "const a = document.getElementById('player'); return a.seeking ? null : "
        "[a.currentTime]"), what="the player to seek back")[0]
    assert abs(position - 0.0) <= 1.0, position

    browser.find_element(By.ID, "edit").click()
    area = browser.find_element(By.ID, "markdown")
    browser.execute_script(
        "arguments[0].value = arguments[0].value.replace('A short speech.', "
        "'Edited in the studio.')", area)
    browser.find_element(By.ID, "save").click()
    wait_until(lambda: "saved" in browser.find_element(By.ID, "post-message").text, what="save")
    post = output_root / "jfk" / "post" / "index.md"
    assert "Edited in the studio." in post.read_text(encoding="utf-8")

    proc = run_recap("write", str(output_root / "jfk"))
    assert proc.returncode == 0, proc.stderr
    assert "Edited in the studio." in post.read_text(encoding="utf-8")
    assert "A short speech." in (post.parent / "index.new.md").read_text(encoding="utf-8")
    open_page(browser, f"{studio}/episodes/jfk", "#post h2")
    assert "Edited in the studio." in browser.find_element(By.ID, "post").text
    assert "index.new.md" in browser.find_element(By.CSS_SELECTOR, ".notice").text


@pytest.mark.slow  # transcribes fresh audio with the real Whisper model
def test_paste_a_file_and_watch_the_stages_complete(browser: Any, studio: str, llm: FakeOpenAI,
                                                    tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    source = tmp_path / "media" / "kennedy.wav"
    source.parent.mkdir()
    shutil.copy(DATA / "jfk.wav", source)
    open_page(browser, studio, "#source")
    browser.find_element(By.ID, "source").send_keys(str(source))
    browser.find_element(By.CSS_SELECTOR, "details.settings summary").click()
    browser.find_element(By.NAME, "llm_base_url").send_keys(llm.base_url)
    browser.find_element(By.NAME, "llm_model").send_keys("fake-model")
    browser.find_element(By.ID, "start").click()
    end = wait_until(lambda: browser.find_element(By.ID, "progress-end").text, 240,
                     "the run to end")
    assert end == "Done.", end
    states = {li.get_attribute("data-stage"): li.get_attribute("class")
              for li in browser.find_elements(By.CSS_SELECTOR, "#stages li")}
    assert all(cls == "stage done" for cls in states.values()), states
    browser.find_element(By.ID, "open-review").click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "#post h2"), what="review page")
    assert browser.current_url.endswith("/episodes/kennedy")
    assert browser.find_elements(By.CSS_SELECTOR, "#post li.bullet")


def test_bad_input_is_one_clear_message_in_the_page(browser: Any, studio: str,
                                                   tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, studio, "#source")
    browser.find_element(By.ID, "source").send_keys("/nowhere/episode.mp3")
    browser.find_element(By.ID, "start").click()
    message = wait_until(lambda: "exist" in browser.find_element(By.ID, "message").text
                         and browser.find_element(By.ID, "message").text, what="message")
    assert message == "/nowhere/episode.mp3 does not exist (give a URL or a media file on this " \
        "computer)"
    assert "error" in browser.find_element(By.ID, "message").get_attribute("class")

    text = tmp_path / "notes.txt"
    text.write_text("not a recording")
    open_page(browser, studio, "#file")
    browser.find_element(By.ID, "file").send_keys(str(text))
    browser.find_element(By.ID, "start").click()
    message = wait_until(lambda: "audio" in browser.find_element(By.ID, "message").text
                         and browser.find_element(By.ID, "message").text, what="message")
    assert message.startswith("notes.txt is not an audio or video file (accepted: mp3"), message
    assert "Traceback" not in browser.page_source
