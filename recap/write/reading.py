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


def saving_line(language: str, reading: int, listen: int, saving: int) -> str:
    """The sentence with the reading-time saving, in the post's language."""
    say = phrases(language)
    read = f"{reading} {say.minute if reading == 1 else say.minutes}"
    if saving > 1:
        return say.saving.format(reading=read, listen=listen, saving=saving,
                                 article=indefinite_article(saving))
    return say.reading_only.format(reading=read)
