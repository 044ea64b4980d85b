"""`recap batch` on a Dask distributed cluster: worker resources, a worker killed mid-task."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from recap import batch
from recap.episode import Episode
from recap.errors import ConfigError
from recap.executors import TRANSCRIBE_RESOURCE, DaskExecutor
from recap.models import Transcript
from recap.pipeline import RunOptions
from tests import faults
from tests.conftest import DATA, SAMPLE, run_recap
from tests.servers import FeedItem, StaticServer, cut_clip, write_feed

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

pytestmark = [pytest.mark.dask, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    root = tmp_path_factory.mktemp("site")
    (root / "jfk.wav").write_bytes((DATA / "jfk.wav").read_bytes())
    cut_clip(SAMPLE, root / "bees.mp3", 5, 15)
    cut_clip(SAMPLE, root / "more-bees.mp3", 40, 12)
    with StaticServer(root) as server:
        write_feed(root / "feed.xml", server.url, [
            FeedItem("Ask not", "jfk.wav", "2024-03-01", mime="audio/wav"),
            FeedItem("Bees in the city", "bees.mp3", "2024-02-01"),
            FeedItem("More bees", "more-bees.mp3", "2024-01-15"),
            FeedItem("The lost episode", "lost.mp3", "2024-01-01"),
        ])
        yield server


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """Two worker processes with the transcribe resource; the first transcription task to run
    kills its own worker (as an OOM kill would) and the scheduler must retry it elsewhere."""
    marker = tmp_path / "worker-killed"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  resources={TRANSCRIBE_RESOURCE: 1},
                                  dashboard_address=None) as local:
        yield local.scheduler_address, marker


def _statuses(result: batch.BatchResult) -> dict[str, str]:
    return {r.title: r.status for r in result.records}


def test_batch_survives_a_worker_killed_mid_task(site: StaticServer, tmp_path: Path,
                                                 cluster: tuple[str, Path]) -> None:
    address, marker = cluster
    listing = batch.expand(f"{site.url}/feed.xml")
    out = tmp_path / "out"
    # Episodes are transcribed on the workers from the bytes the client sends; the client
    # writes the folders (the workers never see `out`). The task kills the worker that first
    # runs it; the workers get it by value, as they would not import the tests.
    cloudpickle.register_pickle_by_value(faults)
    with DaskExecutor(address, task=partial(faults.dying_job, str(marker))) as executor:
        assert executor.slots == 2
        result = batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(),
                                 RunOptions(stop_after="chunk"), executor)
    assert marker.exists(), "no worker was killed: the fault was not injected"
    assert _statuses(result) == {"Ask not": "done", "Bees in the city": "done",
                                 "More bees": "done", "The lost episode": "failed"}, \
        [(r.title, r.error) for r in result.records]
    for record in result.records[:3]:
        episode = Episode(out / str(record.folder))
        transcript = Transcript.load(episode.transcript_path)
        assert transcript.segments
        ids = [s.id for s in transcript.segments]
        assert ids == list(range(len(ids)))  # nothing duplicated, nothing lost
        stage = episode.stage_record("transcribe")
        assert stage is not None and stage.status == "done"
        assert stage.stats["executor"] == "dask"
        assert episode.chunks_path.exists()
    jfk = Transcript.load(Episode(out / str(result.records[0].folder)).transcript_path)
    assert "country" in jfk.text.lower()

    # Rerun on the cluster: nothing to transcribe again.
    with DaskExecutor(address) as executor:
        again = batch.run_batch(listing.source, listing.entries, out, batch.BatchOptions(),
                                RunOptions(stop_after="chunk"), executor)
    assert _statuses(again)["Ask not"] == "skipped"
    assert {r.stages.get("transcribe") for r in again.records[:3]} == {"skipped"}


def test_cli_runs_on_a_cluster_given_by_address(site: StaticServer, tmp_path: Path) -> None:
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  resources={TRANSCRIBE_RESOURCE: 1},
                                  dashboard_address=None) as local:
        proc = run_recap("batch", f"{site.url}/feed.xml", "-o", str(tmp_path / "out"),
                         "--stop-after", "transcribe", "--match", "bees",
                         env={"RECAP_CLUSTER": local.scheduler_address})
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "out" / "batch.json").read_text())
    assert data["options"]["executor"] == "dask"
    assert data["counts"] == {"done": 2}


def test_cluster_without_the_transcribe_resource_is_a_clear_error() -> None:
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as local, \
            pytest.raises(ConfigError, match="no worker .* offers the 'transcribe' resource"):
        DaskExecutor(local.scheduler_address).__enter__()


def test_missing_dask_is_one_line(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['distributed'] = None\n"
            "sys.argv = ['recap', 'batch', 'https://example.com/feed.xml', '--cluster', "
            "'tcp://127.0.0.1:8786']\n"
            "from recap.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("recap: error: Dask is not installed: "
                                   "`pip install 'recap[dask]'` to use a cluster")


class _ScatterFailsOnce:
    """A Dask client stand-in whose first scatter meets a worker that has just died (the
    connection closes while the audio is uploaded), and whose tasks then succeed."""

    def __init__(self, transcript: dict[str, object]) -> None:
        self.transcript, self.scatters = transcript, 0

    def scatter(self, data: bytes, hash: bool = False) -> object:
        from distributed.comm.core import CommClosedError

        self.scatters += 1
        if self.scatters == 1:
            raise CommClosedError("in <TCP (closed) ConnectionPool.update_data>: Stream is closed")
        return _Held(data)

    def submit(self, *args: object, **kwargs: object) -> object:
        return _Held(self.transcript)


class _Held:
    def __init__(self, value: object) -> None:
        self.value = value

    def result(self) -> object:
        return self.value

    def release(self) -> None:
        pass


def test_a_scatter_to_a_worker_that_died_is_sent_again() -> None:
    """The audio scattered to a worker that dies as it arrives closes the connection
    (CommClosedError from the upload): the job is sent again, not failed as an unexpected
    error (a CI run lost an episode of the killed-worker batch above so)."""
    from recap.executors import TranscriptionJob
    from recap.transcribe import TranscribeOptions

    said = Transcript(language="en", duration=2.0, model="tiny.en", segments=[])
    executor = DaskExecutor("tcp://127.0.0.1:1", attempts=2)
    executor.client = client = _ScatterFailsOnce(said.to_dict())
    job = TranscriptionJob("more-bees", TranscribeOptions(), audio_bytes=b"audio")
    assert executor.transcribe(job) == said
    assert client.scatters == 2 and executor.resubmits == 1
