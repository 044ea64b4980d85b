"""Reading time and the saving figure: words, minutes, how many times faster reading is."""

from __future__ import annotations

from recap.languages import phrases


def count_words(markdown: str) -> int:
    """Whitespace-separated words of a post body.

    This is how the reference post counts its 1,793 words (markup included), so the same body
    gets the same reading time here as there.
    """
    return len(markdown.split())


def reading_minutes(words: int, words_per_minute: int = 200) -> int:
    """Whole minutes to read `words`, rounded half up, at least 1."""
    return max(1, int(words / words_per_minute + 0.5))


def episode_minutes(duration_seconds: float) -> int:
    """The episode's length in whole minutes, rounded half up, at least 1."""
    return max(1, int(duration_seconds / 60 + 0.5))


def saving_factor(listen_minutes: int, read_minutes: int) -> int:
    """How many times faster reading is than listening, rounded down."""
    return listen_minutes // max(1, read_minutes)


def indefinite_article(number: int) -> str:
    """'an' before numbers said with a vowel sound (8, 11, 18, 80, 800...), else 'a'."""
    digits = str(abs(number))
    lead = digits[: len(digits) % 3 or 3]
    return "an" if lead.startswith("8") or lead in ("11", "18") else "a"


SMALLEST_SAVING = 1.2
"""Below this many times faster, reading is not called a saving (the line gives the reading
time alone)."""


def saving_figure(listen_minutes: int, read_minutes: int) -> int | float:
    """How many times faster reading is, as the post states it: whole times from 2 up, as the
    reference post gives them (169 / 9 -> 18), tenths below 2, rounded down (9 / 5 -> 1.8): a
    dense episode of a few minutes reads in over half its time, and "a 1x saving" says nothing.
    Under `SMALLEST_SAVING` times, the whole times (1 or 0): no saving is claimed."""
    ratio = listen_minutes / max(1, read_minutes)
    if ratio >= 2 or ratio < SMALLEST_SAVING:
        return saving_factor(listen_minutes, read_minutes)
    tenths = int(ratio * 10 + 1e-9) / 10
    return int(tenths) if tenths == int(tenths) else tenths


def saving_line(language: str, reading: int, listen: int, saving: int | float) -> str:
    """The sentence with the reading-time saving, in the post's language (`saving`: times
    faster, `saving_figure`; a decimal comma outside English)."""
    say = phrases(language)
    read = f"{reading} {say.minute if reading == 1 else say.minutes}"
    if saving > 1:
        shown = f"{saving:g}" if (language or "en") == "en" else f"{saving:g}".replace(".", ",")
        return say.saving.format(reading=read, listen=listen, saving=shown,
                                 article=indefinite_article(int(saving)))
    return say.reading_only.format(reading=read)
