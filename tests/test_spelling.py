"""Names in the notes spelled as the episode's details spell them (recap.notes.spelling)."""

from __future__ import annotations

import pytest

from recap.notes.spelling import detail_names, likeness, respell, respellings

DETAILS = ["Harbour Hour: Ottilie Brandvold of Pelican Ferries on running a car ferry, and "
           "marine biologist Joakim Lindqvist answers your questions about jellyfish",
           "Harbour Hour"]


def test_the_details_names_are_their_runs_of_capitalised_words() -> None:
    assert detail_names(DETAILS) == ["Harbour Hour", "Ottilie Brandvold", "Pelican Ferries",
                                     "Joakim Lindqvist"]


def test_a_misheard_name_is_written_the_details_way_and_its_surname_alone_too() -> None:
    mapping = respellings(["Otilly Brandfold", "Pelikan Ferries", "Joachim Lindquist",
                           "City Council", "Harbour Hour"], detail_names(DETAILS))
    assert mapping == {"Otilly Brandfold": "Ottilie Brandvold", "Brandfold": "Brandvold",
                       "Pelikan Ferries": "Pelican Ferries",
                       "Joachim Lindquist": "Joakim Lindqvist", "Lindquist": "Lindqvist"}
    said = ("Otilly Brandfold runs Pelikan Ferries. Brandfold's team asked the City Council. "
            "Dr. Joachim Lindquist counts jellyfish; Lindquist says most are harmless.")
    assert respell(said, mapping) == (
        "Ottilie Brandvold runs Pelican Ferries. Brandvold's team asked the City Council. "
        "Dr. Joakim Lindqvist counts jellyfish; Lindqvist says most are harmless.")


@pytest.mark.parametrize(("heard", "written"), [
    ("Hannah Lloyd", "Henrik Aalto"),  # another person with the same initial
    ("Ben Adams", "Ben Abbore"),
    ("Daniel Craig", "David Cray"),
    ("Oscar Brandvold", "Ottilie Brandvold"),
])
def test_a_different_name_is_not_taken_for_a_misheard_one(heard: str, written: str) -> None:
    assert respellings([heard], [written]) == {} or likeness(heard, written) >= 0.7
    assert likeness(heard, written) < 0.7


def test_a_word_is_never_respelled_alone() -> None:
    """A title ("Mayor"), a word the details write ("Harbour") and one the transcript says in
    lower case ("Pier", "the pier") are words, not surnames: only the whole heard name is
    respelled."""
    mapping = respellings(["Olive Mayor", "Jo Harbour", "Ana Pier"],
                          ["Olive Major", "Jo Harber", "Harbour Hour", "Ana Pierre"],
                          said_lower="we met at the pier at noon")
    # "Jo Harbour": every word of it is written in the details, so it is a name they hold
    assert mapping == {"Olive Mayor": "Olive Major", "Ana Pier": "Ana Pierre"}
    assert respell("The Mayor came to the Pier.", mapping) == "The Mayor came to the Pier."


def test_the_notes_names_are_spelled_as_the_details_spell_them() -> None:
    """Bullets, titles, intro, description, keywords and speakers: every heard form of a name
    the details write otherwise; nothing without details that name someone."""
    from recap.models import Bullet, Info, Notes, Topic
    from recap.notes.spelling import respell_notes

    def notes() -> Notes:
        return Notes(topics=[Topic("Otilly Brandfold's ferry", [
            Bullet("Otilly Brandfold runs Pelikan Ferries with 3 boats.", 1.0, 2.0, [0]),
            Bullet("Brandfold's team sails at 6 in the morning.", 2.0, 3.0, [1])])],
            keywords=["Otilly Brandfold", "ferries"], summary="Otilly Brandfold on ferries.",
            intro="Otilly Brandfold runs Pelikan Ferries.", speakers=["Ben", "Otilly Brandfold"])

    info = Info(title=DETAILS[0], duration=60.0, audio_file="audio.mp3", source="a.mp3",
                description=DETAILS[0])
    written = notes()
    mapping = respell_notes(written, info, "the ferry sails at six")
    assert mapping == {"Otilly Brandfold": "Ottilie Brandvold", "Brandfold": "Brandvold",
                       "Pelikan Ferries": "Pelican Ferries"}
    assert written.topics[0].title == "Ottilie Brandvold's ferry"
    assert [b.text for b in written.topics[0].bullets] == [
        "Ottilie Brandvold runs Pelican Ferries with 3 boats.",
        "Brandvold's team sails at 6 in the morning."]
    assert written.keywords == ["Ottilie Brandvold", "ferries"]
    assert written.intro == "Ottilie Brandvold runs Pelican Ferries."
    assert written.summary == "Ottilie Brandvold on ferries."
    assert written.speakers == ["Ben", "Ottilie Brandvold"]
    bare = notes()
    assert respell_notes(bare, Info(title="episode 12", duration=60.0, audio_file="a.mp3",
                                    source="a.mp3"),
                         "") == {}
    assert bare.intro == "Otilly Brandfold runs Pelikan Ferries."
