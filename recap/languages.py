"""The languages a post can be written in: their names for the model, their first-person words
for the notes' checks, and the sentences recap itself adds to a post.

A language recap has no phrases for still gets notes in that language (the model is told to
write in it); only recap's own sentences fall back to English, and the first-person check is
skipped for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recap.errors import ConfigError

NAMES: dict[str, str] = {
    "en": "English", "de": "German (Deutsch)", "es": "Spanish (español)",
    "fr": "French (français)", "it": "Italian (italiano)", "nl": "Dutch (Nederlands)",
    "pt": "Portuguese (português)", "pl": "Polish (polski)", "sv": "Swedish (svenska)",
    "da": "Danish (dansk)", "no": "Norwegian (norsk)", "fi": "Finnish (suomi)",
    "cs": "Czech (čeština)", "tr": "Turkish (Türkçe)", "ru": "Russian (русский)",
    "uk": "Ukrainian (українська)", "hi": "Hindi (हिन्दी)", "ja": "Japanese (日本語)",
    "zh": "Chinese (中文)", "ko": "Korean (한국어)", "ar": "Arabic (العربية)",
}
"""ISO 639-1 code -> the name the model is told to write in (English name, own name)."""

_CODE = re.compile(r"^[a-z]{2,3}$")


def normalise(code: str | None) -> str | None:
    """'de-DE', 'DE', 'de_AT' -> 'de'; None stays None. A value that is no language code is a
    ConfigError naming what was given."""
    if code is None or not str(code).strip():
        return None
    base = re.split(r"[-_]", str(code).strip().lower())[0]
    if not _CODE.match(base):
        raise ConfigError(f"--post-language must be a language code such as en, de or es "
                          f"(got {code!r})")
    return base


def name(code: str) -> str:
    """What the model is told to write in."""
    return NAMES.get(code, code)


def instruction(post: str, source: str) -> str:
    """The sentence that tells the model which language to write in; empty for an English
    episode written in English (the prompt files are written for that case)."""
    if post == "en" and source == "en":
        return ""
    if post == source:
        return (f"Write everything in {name(post)}, the language of the episode, even though "
                f"these instructions and the example are in English.")
    return (f"The episode is in {name(source)}; write everything in {name(post)}, translating "
            f"what is said.")


_FIRST_PERSON_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("ich", "mich", "mir", "mein", "meine", "meinen", "meinem", "meiner", "meines", "wir",
           "uns", "unser", "unsere", "unseren", "unserem", "unserer", "unseres"),
    "es": ("yo", "mí", "conmigo", "mi", "mis", "nosotros", "nosotras", "nuestro", "nuestra",
           "nuestros", "nuestras"),
    "fr": ("je", "j", "moi", "mon", "ma", "mes", "nous", "notre", "nos"),
    "it": ("io", "mio", "mia", "miei", "mie", "noi", "nostro", "nostra", "nostri", "nostre"),
    "nl": ("ik", "mij", "mijn", "wij", "ons", "onze"),
    "pt": ("eu", "meu", "minha", "meus", "minhas", "nós", "nosso", "nossa", "nossos", "nossas"),
}
_FIRST_PERSON = {code: re.compile(r"(?<![\w'’])(?:" + "|".join(words) + r")(?![\w])",
                                  re.IGNORECASE)
                 for code, words in _FIRST_PERSON_WORDS.items()}


def first_person_words(text: str, code: str) -> list[str] | None:
    """The first-person words of `text` in a language other than English; None when recap does
    not know that language's pronouns (nothing can be said)."""
    pattern = _FIRST_PERSON.get(code)
    return None if pattern is None else [m.group(0) for m in pattern.finditer(text)]


def capitalises_nouns(code: str) -> bool:
    """Whether every noun starts with a capital (German, Luxembourgish): a capital word is then
    no sign of a name, and the notes' name check cannot be made."""
    return code in ("de", "lb")


@dataclass(frozen=True)
class Phrases:
    """The sentences recap writes into a post itself (the rest is the model's)."""

    full_episode: str
    """'The full episode: {link}, {minutes} minutes.'"""
    saving: str
    """'Here are my notes ... {reading} reading instead of {listen} minutes, ... `{saving}x` ...'"""
    reading_only: str
    minute: str
    minutes: str
    part: str
    """A section without a title: 'Part {number}'."""
    episode: str
    """The fallback intro: '“{title}” is a {minutes}-minute episode'."""
    by: str
    """' from {uploader}'."""


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        full_episode="The full episode: {link}, {minutes} minutes.",
        saving="Here are my notes from this talk - {reading} reading instead of {listen} minutes, "
               "{article} `{saving}x` saving for you.",
        reading_only="Here are my notes from this talk - {reading} reading.",
        minute="minute", minutes="minutes", part="Part {number}",
        episode="“{title}” is a {minutes}-minute episode", by=" from {uploader}"),
    "de": Phrases(
        full_episode="Die ganze Folge: {link}, {minutes} Minuten.",
        saving="Hier sind meine Notizen zu dieser Folge - {reading} Lesezeit statt {listen} "
               "Minuten Hören, `{saving}x` schneller für dich.",
        reading_only="Hier sind meine Notizen zu dieser Folge - {reading} Lesezeit.",
        minute="Minute", minutes="Minuten", part="Teil {number}",
        episode="„{title}“ ist eine Folge von {minutes} Minuten", by=" von {uploader}"),
    "es": Phrases(
        full_episode="El episodio completo: {link}, {minutes} minutos.",
        saving="Aquí están mis notas de este episodio: {reading} de lectura en lugar de "
               "{listen} minutos de audio, `{saving}x` más rápido para ti.",
        reading_only="Aquí están mis notas de este episodio: {reading} de lectura.",
        minute="minuto", minutes="minutos", part="Parte {number}",
        episode="«{title}» es un episodio de {minutes} minutos", by=" de {uploader}"),
    "fr": Phrases(
        full_episode="L'épisode complet : {link}, {minutes} minutes.",
        saving="Voici mes notes sur cet épisode : {reading} de lecture au lieu de {listen} "
               "minutes d'écoute, `{saving}x` plus rapide pour vous.",
        reading_only="Voici mes notes sur cet épisode : {reading} de lecture.",
        minute="minute", minutes="minutes", part="Partie {number}",
        episode="« {title} » est un épisode de {minutes} minutes", by=" de {uploader}"),
}


def phrases(code: str | None) -> Phrases:
    """recap's own sentences in `code`, English when it has none for that language."""
    return PHRASES.get(code or "en", PHRASES["en"])
