"""The quality bench's own measures: the sections' subjects against marks made by hand, and the
parts of a multi-part episode. The bench reports them; a wrong count there would mislead every
decision taken on it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from recap.models import Bullet, Notes, Topic

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_quality",
                                                  ROOT / "bench" / "bench_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module
    spec.loader.exec_module(module)
    return module


def _notes(*sections: list[float]) -> Notes:
    return Notes(topics=[Topic(f"Section {i}", [Bullet(f"Note at {t}.", t, t + 4) for t in times])
                         for i, times in enumerate(sections)])


def _marks(tmp_path: Path, marks: list[tuple[float, str]]) -> Path:
    path = tmp_path / "harbour.subjects.json"
    path.write_text(json.dumps({"name": "harbour", "subjects": [
        {"start": start, "subject": subject} for start, subject in marks]}), encoding="utf-8")
    return path


def test_subject_mix_counts_notes_outside_their_sections_main_subject(
        bench: ModuleType, tmp_path: Path) -> None:
    marks = _marks(tmp_path, [(0.0, "show talk"), (20.0, "the lighthouse"), (100.0, "the ferry"),
                              (200.0, "the fish market")])
    # one section per subject: nothing off its subject, nothing mixed
    clean = _notes([5.0, 25.0, 40.0, 60.0], [110.0, 130.0], [210.0, 250.0])
    assert bench.subject_mix(clean, marks) == {"off_subject": 0, "mixed_subjects": 0}
    # the ferry's two notes in the lighthouse's section: two off, one section mixed; one fish
    # market note with the ferry is off but mixes nothing (a single note)
    mixed = _notes([25.0, 40.0, 60.0, 110.0, 130.0], [150.0, 210.0], [250.0, 260.0])
    assert bench.subject_mix(mixed, marks) == {"off_subject": 3, "mixed_subjects": 1}
    # show talk counts for neither side
    talk = _notes([1.0, 3.0, 25.0], [110.0])
    assert bench.subject_mix(talk, marks) == {"off_subject": 0, "mixed_subjects": 0}


def test_subject_mix_gives_a_note_starting_just_before_its_turn_to_that_turn(
        bench: ModuleType, tmp_path: Path) -> None:
    """The recogniser's segment may start a fraction of a second before the script's turn."""
    marks = _marks(tmp_path, [(0.0, "the lighthouse"), (100.0, "the ferry")])
    assert bench.subject_mix(_notes([99.8, 120.0]), marks) == {"off_subject": 0,
                                                               "mixed_subjects": 0}
    assert bench.subject_mix(_notes([99.0, 120.0]), marks) == {"off_subject": 1,
                                                               "mixed_subjects": 0}


def test_part_starts_and_sections_across_them(bench: ModuleType, tmp_path: Path) -> None:
    turns = tmp_path / "quay.turns.tsv"
    turns.write_text("\n".join([
        "0.0\t10.0\tHOST\tWelcome to Quay Talk.",
        "10.0\t30.0\tOSKAR\tThe quay was built in 1890.",
        "30.0\t40.0\tHOST\tNow, your letters.",
        "40.0\t50.0\tHOST\tOur first letter is from Ines.",
        "50.0\t70.0\tMAREN\tNets last about 4 years.",
        "70.0\t80.0\tOSKAR\tAnd the ropes 2.",
    ]), encoding="utf-8")
    assert bench.part_starts(turns) == [30.0]
    assert bench.part_starts(tmp_path / "missing.tsv") == []
    across = _notes([12.0, 55.0], [60.0, 72.0])
    assert bench.mixed_sections(across, [30.0]) == 1


def test_every_marked_episode_has_sorted_marks_and_a_show_talk_label(bench: ModuleType) -> None:
    """The marks of every bench episode read as `subject_mix` reads them: starts in order, one
    label each, and show talk spelled as the bench spells it."""
    files = sorted((ROOT / "bench" / "episodes").glob("*.subjects.json"))
    assert len(files) >= 10
    for path in files:
        marks = json.loads(path.read_text(encoding="utf-8"))["subjects"]
        starts = [float(m["start"]) for m in marks]
        assert starts == sorted(starts), path.name
        assert all(isinstance(m["subject"], str) and m["subject"] for m in marks), path.name
        assert any(m["subject"] == bench.SHOW_TALK for m in marks), path.name
