"""Names in the notes spelled as the episode's details spell them (recap.notes.spelling)."""

from __future__ import annotations

import pytest

from recap.notes.spelling import (
    anchored_respellings,
    detail_names,
    likeness,
    phrase_respellings,
    respell,
    respellings,
    word_respellings,
)

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
                       "Joachim Lindquist": "Joakim Lindqvist", "Lindquist": "Lindqvist",
                       "Otilly": "Ottilie", "Pelikan": "Pelican", "Joachim": "Joakim"}
    said = ("Otilly Brandfold runs Pelikan Ferries. Brandfold's team asked the City Council. "
            "Dr. Joachim Lindquist counts jellyfish; Lindquist says most are harmless.")
    assert respell(said, mapping) == (
        "Ottilie Brandvold runs Pelican Ferries. Brandvold's team asked the City Council. "
        "Dr. Joakim Lindqvist counts jellyfish; Lindqvist says most are harmless.")


def test_a_name_with_accents_is_taken_whole_and_never_cut_at_its_accent() -> None:
    """"Le Petit Café" and "Søren Müller" are names of the details as written; the notes'
    unaccented "Le Petit Cafe" is that name already, never respelled to a name cut at its first
    accented letter ("Le Petit Caf"); a heard "Soren Muller" is written the details' way."""
    details = detail_names(["Ilse Brenner visits Le Petit Café in Dorne, run by Søren Müller"])
    assert details == ["Ilse Brenner", "Le Petit Café", "Søren Müller"]
    mapping = respellings(["Le Petit Cafe", "Soren Muller", "Ilse Brener"], details)
    assert mapping == {"Soren Muller": "Søren Müller", "Soren": "Søren",
                       "Ilse Brener": "Ilse Brenner", "Brener": "Brenner"}
    assert respell("Le Petit Cafe opened in 2019.", mapping) == "Le Petit Cafe opened in 2019."


def test_a_name_with_a_particle_is_one_name_of_the_details() -> None:
    """"Verrerie des Saules" and "Jan de Vries" are names whole, their lower-case particle
    inside: a heard "Very Ree" is the first one's first word, a heard "Jan de Fries" the other."""
    from recap.notes.spelling import split_word_respellings

    details = detail_names(["Ilse Brenner visits the Verrerie des Saules, a glassworks run by "
                            "Jan de Vries"])
    assert details == ["Ilse Brenner", "Verrerie des Saules", "Jan de Vries"]
    assert split_word_respellings(["Very Ree"], details) == {"Very Ree": "Verrerie"}
    assert respellings(["Jan de Fries"], details) == {"Jan de Fries": "Jan de Vries",
                                                      "Fries": "Vries"}


@pytest.mark.parametrize(("heard", "written"), [
    ("Hannah Lloyd", "Henrik Arvola"),  # another person with the same initial
    ("Ben Adams", "Ben Ashworth"),
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
                       "Pelikan Ferries": "Pelican Ferries", "Otilly": "Ottilie",
                       "Pelikan": "Pelican"}
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


def test_a_speaker_with_a_detail_names_first_name_and_initial_is_that_person() -> None:
    """However unlike the surnames sound ("Ashby" heard for "Abernethy"), a speaker whose first
    name and surname initial are those of a name in the details is that person, and the heard
    surname alone is theirs too; a name only mentioned, or one that two detail names fit, is
    left."""
    details = ["Tova Abernethy", "Pelican Ferries"]
    assert likeness("Tova Ashby", "Tova Abernethy") < 0.7
    assert respellings(["Tova Ashby"], details, voices=["Tova Ashby", "Ravi"]) == {
        "Tova Ashby": "Tova Abernethy", "Ashby": "Abernethy"}
    assert respellings(["Tova Ashby"], details, voices=["Ravi"]) == {}
    assert respellings(["Tova Ashby"], [*details, "Tova Arkwright"],
                       voices=["Tova Ashby"]) == {}
    # a speaker already goes by the detail name: the other one is someone else
    assert respellings(["Tova Ashby"], details,
                       voices=["Tova Ashby", "Tova Abernethy"]) == {}


def test_a_misheard_first_name_alone_is_written_the_details_way() -> None:
    """The notes call a guest by the first name Whisper heard ("Henrick" for "Henrik") as well
    as by the whole name; the first name alone follows the whole name, unless another heard
    name starts with it."""
    mapping = respellings(["Henrick Arvola"], ["Henrik Arvola"])
    assert mapping == {"Henrick Arvola": "Henrik Arvola", "Henrick": "Henrik"}
    assert respell("Henrick Arvola digs. Henrick says so.", mapping) == (
        "Henrik Arvola digs. Henrik says so.")
    assert respellings(["Henrick Arvola", "Henrick Olsen"], ["Henrik Arvola"]) == {
        "Henrick Arvola": "Henrik Arvola"}


def test_a_single_misheard_word_of_a_detail_name_is_written_its_way() -> None:
    details = ["Larkspur Press", "Joakim Lindqvist"]
    assert word_respellings(["Larkspire", "Press", "Lindquist", "Harbour"], details) == {
        "Larkspire": "Larkspur", "Lindquist": "Lindqvist"}
    # short words, a detail word with an ending, and a word said in lower case are left
    assert word_respellings(["Lark", "Larkspurs", "Lindquist"], details,
                            said_lower="the lindquist method") == {}


def test_a_speaker_and_a_single_word_are_respelled_in_the_notes() -> None:
    from recap.models import Bullet, Info, Notes, Topic
    from recap.notes.spelling import respell_notes

    notes = Notes(topics=[Topic("Small presses", [
        Bullet("Tova Ashby started Larkspire in 2011.", 1.0, 2.0, [0]),
        Bullet("Ashby prints 40 books a year.", 2.0, 3.0, [1])])],
        keywords=["Tova Ashby"], summary="Tova Ashby on printing.",
        intro="Tova Ashby talks with Ravi.", speakers=["Ravi", "Tova Ashby"])
    info = Info(title="Print run", duration=60.0, audio_file="audio.mp3", source="a.mp3",
                description="Tova Abernethy of Larkspur Press talks with Ravi.")
    mapping = respell_notes(notes, info, "we print books")
    assert mapping == {"Tova Ashby": "Tova Abernethy", "Ashby": "Abernethy",
                       "Larkspire": "Larkspur"}
    assert [b.text for b in notes.topics[0].bullets] == [
        "Tova Abernethy started Larkspur in 2011.", "Abernethy prints 40 books a year."]
    assert notes.speakers == ["Ravi", "Tova Abernethy"]
    assert notes.intro == "Tova Abernethy talks with Ravi."


def test_a_long_detail_name_heard_in_lower_case_with_one_word_wrong_is_written_its_way() -> None:
    details = ["Marlow Agricultural College", "Pelican Ferries"]
    notes = ["Arvola teaches at the marrow agricultural college.",
             "Marlow Agricultural College is 90 years old.",
             "The marlow agricultural school opened in 1931.",  # two words unlike: left
             "Pelikan ferries sail at 6."]  # two words: the capitalised runs' rule
    mapping = phrase_respellings(notes, details)
    assert mapping == {"marrow agricultural college": "Marlow Agricultural College"}
    assert respell(notes[0], mapping) == "Arvola teaches at the Marlow Agricultural College."


def test_a_name_the_description_and_the_opening_say_in_the_same_words_is_written_its_way() -> None:
    """A description tells what the opening says: the words around a name there are the
    transcript's around the name as heard, however unlike the two look."""
    description = ("Sam Reed meets Ada Quillfeather, who brews the beer at the Brasserie des "
                   "Monts, a brewery in the hills above Lorne.")
    said = ("I'm Sam Reed. Today I meet Ada Quill Feather, who brews the beer at the Brass Airy "
            "Day Moan, a brewery in the hills, so let's go.")
    assert anchored_respellings([description], said) == {
        "Ada Quill Feather": "Ada Quillfeather", "Brass Airy Day Moan": "Brasserie des Monts"}
    # only common words after the name, or the name heard in lower case: nothing to go on
    assert anchored_respellings(["Ada runs Harbour Ales in the town."],
                                "Ada runs Hardly Sails in the town.") == {}
    assert anchored_respellings([description], "who brews the beer at the brass airy day moan, "
                                                "a brewery in the hills") == {}


def test_a_name_after_the_descriptions_words_is_written_its_way_where_the_words_after_differ(
        ) -> None:
    """A description often says the opening's words up to a name and then goes its own way
    ("…the ferry office in Skarnholm, Vestby" beside "…the ferry office in Scarn Home, a village
    near Western"): four words shared before the name and a name that looks alike are enough.
    Not a name unlike the description's, nor one after fewer shared words."""
    description = "Tove Lind talks to Ada Brenner, who runs the ferry office in Skarnholm, Vestby."
    said = ("Welcome. My guest is Ada Brenner, who runs the ferry office in Scarn Home, a village "
            "near Western.")
    assert anchored_respellings([description], said) == {"Scarn Home": "Skarnholm"}
    unlike = said.replace("Scarn Home", "Port Lewis")
    assert anchored_respellings([description], unlike) == {}
    short = "Tove Lind meets Ada Brenner, in Skarnholm, Vestby."
    assert anchored_respellings([short], "Ada Brenner is in Scarn Home, near Western.") == {}

def test_a_word_heard_as_two_is_written_the_details_way() -> None:
    """Whisper writes a word it does not know as two it does: two capitalised words whose letters
    together are one word of a detail name are that word, in the notes too. Not where either
    word alone is a detail word, nor where the transcript says the detail word itself."""
    from recap.models import Bullet, Info, Notes, Topic
    from recap.notes.spelling import respell_notes, split_word_respellings

    details = ["the Glendarrow Mill", "Ines Varga", "Newark Players"]
    assert split_word_respellings(["Glen Darrow", "Ines Varga", "Green Hill"], details) == {
        "Glen Darrow": "Glendarrow"}
    assert split_word_respellings(["New York"], details, "they toured newark and new york") == {}
    notes = Notes(topics=[Topic("The mill", [
        Bullet("The Glen Darrow mill grinds 3 tons of flour a week.", 1.0, 2.0, [0])])],
        keywords=[], summary="", intro="", speakers=["Ines Varga"])
    info = Info(title="Flour", duration=60.0, audio_file="audio.mp3", source="a.mp3",
                description="Ines Varga runs the Glendarrow Mill.")
    assert respell_notes(notes, info, "the glen darrow mill grinds three tons") == {
        "Glen Darrow": "Glendarrow"}
    assert notes.topics[0].bullets[0].text == "The Glendarrow mill grinds 3 tons of flour a week."


def test_notes_that_say_the_same_once_respelled_are_one() -> None:
    """The de-duplication ran on the notes as heard: "Ines Morrow chairs the Kwayside Rowing
    Club…" and "Morrow is the chair of the Quayside Rowing Club." differ there. Spelled as the
    details spell them, the shorter is dropped; a section left empty goes with its title."""
    from recap.models import Bullet, Notes, Topic
    from recap.notes.assemble import _without_repeats
    from recap.notes.verify import Candidate
    from recap.notes.windows import Line, Window

    window = Window(0, 0, (Line(0, 0.0, 5.0, "the club rows at dawn"),))
    texts = [["Ines Morrow chairs the Quayside Rowing Club, which has 40 rowers.",
              "The club rows at dawn from April."],
             ["Ines Morrow chairs the Quayside Rowing Club."],
             ["The boats are 8 metres long."]]
    sections = [[Candidate(t, window) for t in section] for section in texts]
    notes = Notes(topics=[Topic(f"Part {i}", [Bullet(t, i, i + 1.0, [i]) for t in section])
                          for i, section in enumerate(texts)])
    assert _without_repeats(notes, sections, 0.6) == 1
    assert [t.title for t in notes.topics] == ["Part 0", "Part 2"]
    assert [b.text for b in notes.topics[0].bullets] == texts[0]
    # nothing said twice: nothing dropped
    again = Notes(topics=[Topic("Part 0", [Bullet(t, 0, 1.0, [0]) for t in texts[0]])])
    assert _without_repeats(again, sections[:1], 0.6) == 0
    assert len(again.topics[0].bullets) == 2
