"""`recap batch` against a real podcast feed on 127.0.0.1, real speech and a real process pool."""

from __future__ import annotations

import _thread
import datetime as dt
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from recap import batch
from recap.chunk import ChunkOptions
from recap.episode import STAGES, Episode
from recap.errors import ConfigError, InputError, WorkerError
from recap.executors import LocalExecutor, TranscriptionJob, create_executor
from recap.models import Info, Transcript
from recap.pipeline import RunOptions
from recap.transcribe import TranscribeOptions
from tests.conftest import DATA, SAMPLE, run_recap
from tests.faults import dying_job
from tests.servers import FeedItem, StaticServer, cut_clip, write_feed


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real speech: JFK (11 s) and a 15 s clip of the two-voice sample; plus 8 s of silence."""
    root = tmp_path_factory.mktemp("media")
    (root / "jfk.wav").write_bytes((DATA / "jfk.wav").read_bytes())
    cut_clip(SAMPLE, root / "bees.mp3", 5, 15)
    _silence(root / "silence.mp3", 8)
    return root


def _silence(target: Path, seconds: float) -> None:
    from recap.media import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(target)],
                   check=True, capture_output=True, timeout=60)


@pytest.fixture
def site(tmp_path: Path, media_dir: Path) -> Iterator[StaticServer]:
    root = tmp_path / "site"
    root.mkdir()
    for item in media_dir.iterdir():
        (root / item.name).write_bytes(item.read_bytes())
    with StaticServer(root) as server:
        yield server


def _feed(server: StaticServer, items: list[FeedItem]) -> str:
    return write_feed(server.root / "feed.xml", server.url, items, title="Bees and presidents")


GOOD_AND_BROKEN = [
    FeedItem("Ask not: JFK", "jfk.wav", "2024-03-01", 11, "The inaugural address.", "audio/wav"),
    FeedItem("Bees in the city", "bees.mp3", "2024-02-01", 15, "Urban beekeeping."),
    FeedItem("The lost episode", "lost.mp3", "2024-01-01", 60),
]


def _batch_json(root: Path) -> dict:
    return json.loads((root / "batch.json").read_text(encoding="utf-8"))


def _by_title(data: dict) -> dict[str, dict]:
    return {e["title"]: e for e in data["entries"]}


def _entry(root: Path, title: str) -> dict:
    """The entry's line in batch.json now ({} before the file or the entry is there)."""
    try:
        return _by_title(_batch_json(root)).get(title, {})
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------- listing and selection

def test_feed_is_listed_flat_without_downloading_media(site: StaticServer) -> None:
    url = _feed(site, GOOD_AND_BROKEN)
    listing = batch.expand(url)
    assert listing.title == "Bees and presidents"
    assert [e.title for e in listing.entries] == ["Ask not: JFK", "Bees in the city",
                                                  "The lost episode"]
    first = listing.entries[0]
    assert first.source == f"{site.url}/jfk.wav"  # yt-dlp's smuggled guid is not the identity
    assert first.upload_date == "2024-03-01"
    assert first.duration == 11
    assert first.transparent
    assert [path for method, path, _ in site.requests if method == "GET"] == ["/feed.xml"]


def test_selection_by_limit_date_and_title() -> None:
    entries = [
        batch.Entry("https://example.com/a.mp3", "Alpha and Bees", upload_date="2024-05-01"),
        batch.Entry("https://example.com/b.mp3", "Beta", upload_date="2023-12-31"),
        batch.Entry("https://example.com/c.mp3", "Gamma BEES"),
        batch.Entry("https://example.com/a.mp3", "Alpha again"),
        batch.Entry("https://example.com/d.mp3", "Delta bees", upload_date="2024-01-01"),
    ]
    chosen = batch.select(entries, since=batch.parse_since("2024-01-01"))
    assert [e.title for e in chosen.entries] == ["Alpha and Bees", "Gamma BEES", "Delta bees"]
    assert "1 duplicate entry dropped" in chosen.remarks
    assert "1 entry dated before 2024-01-01 skipped" in chosen.remarks
    assert "1 entry without a date kept" in chosen.remarks
    assert [e.title for e in batch.select(entries, match="bees").entries] == [
        "Alpha and Bees", "Gamma BEES", "Delta bees"]
    assert [e.title for e in batch.select(entries, limit=2, match="BEES").entries] == [
        "Alpha and Bees", "Gamma BEES"]
    with pytest.raises(ConfigError, match="--since must be a date"):
        batch.parse_since("last tuesday")
    with pytest.raises(ConfigError, match="--limit must be at least 1"):
        batch.select(entries, limit=0)
    assert batch.parse_since("20240102") == dt.date(2024, 1, 2)


def test_list_file_and_folder_sources(site: StaticServer, tmp_path: Path,
                                      media_dir: Path) -> None:
    feed = _feed(site, GOOD_AND_BROKEN[:2])
    local = tmp_path / "lists" / "clips" / "jfk.wav"
    local.parent.mkdir(parents=True)
    local.write_bytes((media_dir / "jfk.wav").read_bytes())
    sources = tmp_path / "lists" / "sources.txt"
    sources.write_text(f"# my podcasts\n\n{feed}\n   clips/jfk.wav\n# the end\n",
                       encoding="utf-8")
    listing = batch.expand(str(sources))
    assert [e.title for e in listing.entries] == ["Ask not: JFK", "Bees in the city", "jfk"]
    assert listing.entries[2].source == str(local.resolve())
    assert listing.entries[2].duration == pytest.approx(11, abs=0.5)

    folder = batch.expand(str(media_dir))
    assert sorted(Path(e.source).name for e in folder.entries) == ["bees.mp3", "jfk.wav",
                                                                    "silence.mp3"]
    with pytest.raises(InputError, match="does not exist"):
        batch.expand(str(tmp_path / "nope.txt"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no audio"):
        batch.expand(str(empty))


# ---------------------------------------------------------------- the batch, end to end

def test_feed_with_a_broken_link_then_reruns(site: StaticServer, tmp_path: Path) -> None:
    url = _feed(site, GOOD_AND_BROKEN)
    out = tmp_path / "out"
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    first = run_recap("batch", url, "-o", str(out), "--stop-after", "chunk", env=env)
    assert first.returncode == 1, first.stderr
    assert "1 of 3 episodes failed" in first.stderr
    assert "Traceback" not in first.stderr
    assert "lost.mp3 was not found (HTTP 404)" in first.stdout  # the summary table
    data = _batch_json(out)
    entries = _by_title(data)
    assert data["counts"] == {"done": 2, "failed": 1}
    assert entries["The lost episode"]["status"] == "failed"
    assert "HTTP 404" in entries["The lost episode"]["error"]
    for title in ("Ask not: JFK", "Bees in the city"):
        entry = entries[title]
        assert entry["status"] == "done"
        assert entry["stages"] == {"fetch": "done", "transcribe": "done", "chunk": "done"}
        episode = Episode(out / entry["folder"])
        info = Info.load(episode.info_path)
        assert info.title == title  # the feed's title, not the enclosure's file name
        assert info.upload_date in ("2024-03-01", "2024-02-01")
        assert info.duration > 10
        assert Transcript.load(episode.transcript_path).segments
        assert episode.chunks_path.exists()
    jfk = Episode(out / entries["Ask not: JFK"]["folder"])
    assert "country" in Transcript.load(jfk.transcript_path).text.lower()
    transcribed = {t: Episode(out / entries[t]["folder"]).stage_record("transcribe")
                   for t in ("Ask not: JFK", "Bees in the city")}
    downloads = site.fetched("jfk.wav") + site.fetched("bees.mp3")

    # Rerun: nothing is downloaded or transcribed again; the broken link fails again.
    second = run_recap("batch", url, "-o", str(out), "--stop-after", "chunk", env=env)
    assert second.returncode == 1
    entries = _by_title(_batch_json(out))
    for title, record in transcribed.items():
        assert entries[title]["status"] == "skipped"
        assert entries[title]["stages"]["transcribe"] == "skipped"
        assert Episode(out / entries[title]["folder"]).stage_record("transcribe") == record
    assert site.fetched("jfk.wav") + site.fetched("bees.mp3") == downloads
    assert "up to date" in second.stdout

    # The link is fixed: only that episode runs, and the batch succeeds.
    (site.root / "lost.mp3").write_bytes((site.root / "bees.mp3").read_bytes())
    third = run_recap("batch", url, "-o", str(out), "--stop-after", "chunk", env=env)
    assert third.returncode == 0, third.stderr
    entries = _by_title(_batch_json(out))
    assert entries["The lost episode"]["status"] == "done"
    assert entries["Ask not: JFK"]["status"] == "skipped"
    assert not list(out.rglob(".*.tmp-*"))


def test_one_episode_without_speech_fails_alone(site: StaticServer, tmp_path: Path) -> None:
    url = _feed(site, [FeedItem("Silence", "silence.mp3", "2024-01-02"),
                       FeedItem("JFK", "jfk.wav", "2024-01-01", mime="audio/wav")])
    listing = batch.expand(url)
    run_options = RunOptions(stop_after="transcribe")
    with create_executor("local", 1) as executor:
        result = batch.run_batch(listing.source, listing.entries, tmp_path / "out",
                                 batch.BatchOptions(), run_options, executor)
    outcome = {r.title: r for r in result.records}
    assert outcome["Silence"].status == "failed", outcome
    assert "no speech" in (outcome["Silence"].error or "")
    assert outcome["Silence"].stage == "transcribe"
    assert outcome["JFK"].status == "done", outcome
    assert [r.title for r in result.failed] == ["Silence"]
    failed = Episode(tmp_path / "out" / str(outcome["Silence"].folder)).stage_record("transcribe")
    assert failed is not None and failed.status == "failed"


def test_dry_run_prints_the_plan_and_does_no_work(site: StaticServer, tmp_path: Path) -> None:
    url = _feed(site, GOOD_AND_BROKEN)
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    proc = run_recap("batch", url, "-o", str(out), "--dry-run", "--stop-after", "chunk",
                     "--since", "2024-02-01", env={"XDG_CACHE_HOME": str(cache)})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Ask not: JFK" in text and "Bees in the city" in text
    assert "The lost episode" not in text  # dated before --since
    assert "entries: 2 (2 to do, 0 up to date)" in text
    assert "audio: 26s" in text
    assert "x real time (measured on this machine" in text
    assert not out.exists()
    assert [p for m, p, _ in site.requests if m == "GET"] == ["/feed.xml"]
    speeds = json.loads((cache / "recap" / "speed.json").read_text())
    (measured,) = speeds.values()
    assert measured["speed"] > 0 and measured["model"] == "tiny.en"


def test_plan_estimates_tokens_and_cost_for_a_known_model(tmp_path: Path) -> None:
    from recap.llm import LLMSettings

    entries = [batch.Entry("https://example.com/a.mp3", "A", duration=3600.0),
               batch.Entry("https://example.com/b.mp3", "B")]
    settings = LLMSettings(base_url="https://api.openai.com/v1", model="gpt-4o-mini")
    options = RunOptions(stop_after="notes", llm=settings,
                         chunk=ChunkOptions(context_tokens=128_000, model="gpt-4o-mini"))
    plan = batch.make_plan("feed", batch.Selection(entries), tmp_path, options, speed=12.0)
    assert plan.unknown_durations == 1
    assert plan.total_seconds == 3600
    assert plan.transcribe_wall_seconds == pytest.approx(300)
    words = 60 * batch.WORDS_PER_MINUTE
    assert words * batch.TOKENS_PER_WORD < plan.prompt_tokens < 2 * words * batch.TOKENS_PER_WORD
    assert plan.completion_tokens > 0
    assert plan.llm_model == "gpt-4o-mini"
    assert plan.cost_usd is not None and 0 < plan.cost_usd < 1
    local = RunOptions(stop_after="notes", llm=LLMSettings(), chunk=ChunkOptions())
    assert batch.make_plan("feed", batch.Selection(entries), tmp_path, local, None).cost_usd \
        is None


# ---------------------------------------------------------------- the local executor

def _job(audio: Path) -> TranscriptionJob:
    return TranscriptionJob(label="jfk", options=TranscribeOptions(), audio_path=audio,
                            suffix=audio.suffix, duration=11.0)


def test_pool_is_rebuilt_when_a_worker_dies(tmp_path: Path, media_dir: Path) -> None:
    marker = tmp_path / "killed"
    with LocalExecutor(jobs=1, attempts=2, task=partial(dying_job, str(marker))) as executor:
        transcript = executor.transcribe(_job(media_dir / "jfk.wav"))
    assert marker.exists()  # the first attempt's worker process did die
    assert executor.rebuilds == 1
    assert "country" in transcript.text.lower()


def test_worker_deaths_past_the_limit_fail_the_episode(tmp_path: Path, media_dir: Path) -> None:
    task = partial(dying_job, str(tmp_path / "killed"))
    with LocalExecutor(jobs=1, attempts=1, task=task) as executor, \
            pytest.raises(WorkerError, match="died 1 times on jfk"):
        executor.transcribe(_job(media_dir / "jfk.wav"))


def test_executor_registry_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown executor 'x'; expected one of: local, dask"):
        create_executor("x")
    proc = run_recap("batch", "https://example.com/feed.xml", "--executor", "x")
    assert proc.returncode == 1
    assert "unknown executor 'x'; expected one of: local, dask" in proc.stderr
    proc = run_recap("batch", "https://example.com/feed.xml", "--download-jobs", "0")
    assert "--download-jobs must be at least 1" in proc.stderr


# ---------------------------------------------------------------- interruption

@pytest.mark.slow
@pytest.mark.timeout(600)  # transcribes 11 s + 90 s + 117 s of audio, part of it twice
def test_interrupted_batch_resumes(site: StaticServer, tmp_path: Path) -> None:
    cut_clip(SAMPLE, site.root / "long.mp3", 0, 90)
    url = _feed(site, [FeedItem("First", "jfk.wav", mime="audio/wav"),
                       FeedItem("Second", "long.mp3"), FeedItem("Third", "bees.mp3")])
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "RECAP_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "recap", "batch", url, "-o", str(out),
                             "--stop-after", "transcribe", "--download-jobs", "1"],
                            env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The state to interrupt: the first episode done, the second one transcribing (batch.json
        # names the stage each running entry is in), not a moment that usually comes after it.
        deadline = time.monotonic() + 300
        while not (_entry(out, "First").get("status") == "done"
                   and _entry(out, "Second").get("stage") == "transcribe"):
            assert proc.poll() is None, f"recap exited ({proc.returncode}) too soon"
            assert time.monotonic() < deadline, f"never transcribing the second: {_entry(out, 'Second')}"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    entries = _by_title(_batch_json(out))
    assert entries["First"]["status"] == "done"
    # batch.json says where the second stopped, and its manifest agrees.
    assert (entries["Second"]["status"], entries["Second"]["stage"], entries["Second"]["error"]) \
        == ("interrupted", "transcribe", "interrupted during transcribe")
    assert entries["Third"]["status"] in ("pending", "interrupted"), entries["Third"]
    for artifact in out.rglob("*.json"):  # every artifact is complete: none half-written
        json.loads(artifact.read_text(encoding="utf-8"))
    interrupted = Episode(out / "second").stage_record("transcribe")
    assert interrupted is not None and interrupted.status == "interrupted"
    assert not Episode(out / "second").transcript_path.exists()
    first_record = Episode(out / "first").stage_record("transcribe")

    again = run_recap("batch", url, "-o", str(out), "--stop-after", "transcribe", env=env)
    assert again.returncode == 0, again.stderr
    statuses = {e["title"]: e["status"] for e in _batch_json(out)["entries"]}
    assert statuses == {"First": "skipped", "Second": "done", "Third": "done"}
    assert Episode(out / "first").stage_record("transcribe") == first_record
    assert Transcript.load(Episode(out / "second").transcript_path).segments
    assert not list(out.rglob(".*.tmp-*"))


class _HeldExecutor(LocalExecutor):
    """One transcription slot whose job never finishes until the batch cancels it (a fault:
    a long transcription), so the next episode waits for the slot as long as the test likes."""

    def __init__(self) -> None:
        super().__init__(jobs=1)
        self.started = threading.Event()
        self.cancelled = threading.Event()

    def transcribe(self, job: TranscriptionJob) -> Transcript:
        self.started.set()
        self.cancelled.wait(300)
        raise WorkerError("the transcription pool was shut down")

    def cancel(self) -> None:
        self.cancelled.set()
        super().cancel()


def test_an_interrupted_batch_says_where_each_episode_stopped(site: StaticServer,
                                                              tmp_path: Path) -> None:
    url = _feed(site, [FeedItem("First", "jfk.wav", mime="audio/wav"),
                       FeedItem("Second", "bees.mp3")])
    listing = batch.expand(url)
    out = tmp_path / "out"
    executor = _HeldExecutor()

    def interrupt_when_the_second_waits() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # First transcribing, Second fetched and queued
            if executor.started.is_set() and _entry(out, "Second").get("stages", {}).get("fetch"):
                break
            time.sleep(0.02)
        _thread.interrupt_main()  # what Ctrl-C does to the batch's thread

    threading.Thread(target=interrupt_when_the_second_waits, daemon=True).start()
    # One download at a time: First is fetched, then takes the slot, before Second is fetched.
    with executor, pytest.raises(KeyboardInterrupt):
        batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(download_jobs=1),
                        RunOptions(stop_after="transcribe"), executor)
    entries = _by_title(_batch_json(out))
    assert [(entries[t]["status"], entries[t]["stage"], entries[t]["error"])
            for t in ("First", "Second")] == [
        ("interrupted", "transcribe", "interrupted during transcribe"),
        ("interrupted", "transcribe", "interrupted before transcribe began")]
    # And each manifest agrees: the stage that ran is marked, the one that never began is absent.
    first = Episode(out / entries["First"]["folder"]).stage_record("transcribe")
    assert first is not None and first.status == "interrupted"
    assert Episode(out / entries["Second"]["folder"]).stage_record("transcribe") is None



class _StuckExecutor(_HeldExecutor):
    """A fault: a transcription that does not stop when cancelled (a worker slow to die)."""

    def cancel(self) -> None:
        LocalExecutor.cancel(self)  # the job ignores it, and outlives the batch's grace period

    def transcribe(self, job: TranscriptionJob) -> Transcript:
        self.started.set()
        self.cancelled.wait(12)
        raise WorkerError("the transcription pool was shut down")


def test_a_step_slow_to_stop_still_leaves_a_manifest_that_agrees(site: StaticServer,
                                                                 tmp_path: Path) -> None:
    url = _feed(site, [FeedItem("First", "jfk.wav", mime="audio/wav")])
    listing = batch.expand(url)
    out = tmp_path / "out"
    executor = _StuckExecutor()

    def interrupt_when_transcribing() -> None:
        executor.started.wait(240)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_when_transcribing, daemon=True).start()
    with executor, pytest.raises(KeyboardInterrupt):
        batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(download_jobs=1),
                        RunOptions(stop_after="transcribe"), executor)
    (entry,) = _batch_json(out)["entries"]
    assert (entry["status"], entry["error"]) == ("interrupted", "interrupted during transcribe")
    record = Episode(out / entry["folder"]).stage_record("transcribe")
    assert record is not None and record.status == "interrupted"
    assert not Episode(out / entry["folder"]).transcript_path.exists()


# ---------------------------------------------------------------- the whole pipeline

@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.timeout(900)  # two episodes through SmolLM2 on the CPU
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="needs llama-cpp-python (the .venv)")
def test_full_pipeline_on_a_two_episode_feed(site: StaticServer, tmp_path: Path) -> None:
    """Every stage, against the embedded llama.cpp server (SmolLM2), shared by the episodes."""
    from recap.llm import LLMSettings, open_llm
    from recap.notes import NotesOptions
    from recap.write import WriteOptions

    settings = LLMSettings(embedded_model="smollm2-135m", jobs=2, timeout=300.0)
    notes = NotesOptions.create(None, settings)
    notes.verify = False  # a 135M model's bullets fail any faithfulness check; not tested here
    # Greedy, but with two calls decoded together a reply still depends on which call shares its
    # steps: a window's reply may or may not run past the limit (its finished notes are kept).
    notes.temperature = 0.0
    # Few, short calls: what is tested is the stages and the shared server, and a 135M model
    # writes until it is stopped.
    notes.gap_words, notes.extract_max_tokens = 0, 200
    notes.speakers_max_tokens, notes.titles_max_tokens, notes.intro_max_tokens = 80, 100, 160
    options = RunOptions(chunk=ChunkOptions(context_tokens=settings.context_window(),
                                            model=settings.model_name()),
                         notes=notes, write=WriteOptions(format="markdown"), llm=settings)
    opened: list[object] = []

    def llm_factory() -> object:
        opened.append(True)
        return open_llm(settings)

    cut_clip(SAMPLE, site.root / "part1.mp3", 0, 20)  # short: what is tested is the stages and
    cut_clip(SAMPLE, site.root / "part2.mp3", 45, 20)  # the one shared server, not the notes
    listing = batch.expand(_feed(site, [FeedItem("City bees, part one", "part1.mp3"),
                                        FeedItem("City bees, part two", "part2.mp3")]))
    out = tmp_path / "out"
    with create_executor("local", 1) as executor:
        result = batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(),
                                 options, executor, llm_factory=llm_factory)
    assert [(r.status, r.error) for r in result.records] == [("done", None)] * 2
    assert len(opened) == 1  # one client (one embedded server) for the whole batch
    for record in result.records:
        assert record.stages == dict.fromkeys(STAGES, "done")
        written = Episode(out / str(record.folder)).stage_record("write")
        assert written is not None
        post = out / str(record.folder) / written.stats["post"]
        assert post.is_file() and record.title in post.read_text(encoding="utf-8")
    opened.clear()
    with create_executor("local", 1) as executor:
        again = batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(),
                                options, executor, llm_factory=llm_factory)
    assert [r.status for r in again.records] == ["skipped", "skipped"]
    assert opened == []  # nothing to ask: the LLM client is never opened


@pytest.mark.parametrize(("flag", "file", "expected"), [
    (None, {}, 3),  # the embedded server decodes three calls together
    (None, {"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "m"}, 2),  # another endpoint
    (None, {"llm_jobs": 5}, 5),  # the config's setting is not overridden by a default
    (1, {"llm_jobs": 5}, 1),
])
def test_the_batch_takes_as_many_llm_calls_as_the_endpoint_serves(
        flag: int | None, file: dict[str, object], expected: int) -> None:
    from recap.batch.settings import BatchSettings
    from recap.config import Config

    settings = BatchSettings.resolve(llm_jobs=flag, config=Config(file, {}))
    assert settings.options.llm_jobs == expected
    assert settings.run_options.llm is not None and settings.run_options.llm.jobs == expected
