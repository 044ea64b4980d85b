"""The clean-up pass: spoken first person turned into the third person, disfluencies removed.

Measured on the tuning episodes, the embedded 1.5B model asked to rewrite first-person notes gave
them back unchanged, and each request cost seconds of generation; so the rewrite is done in code:
"I" and "my" become the guest's name, "we" and "our" become "they" and "their" (the first "we"
names the guest's team), with the verb after a name made to agree ("I think" -> "Hale thinks").
The rewritten note is checked again like any other, and dropped if it still fails.
"""

from __future__ import annotations

import re

from recap.text.vocabulary import is_number_word

_FILLERS = re.compile(r"(?:(?<=^)|(?<=[\s,]))(?:um+|uh+|erm|you know|i mean|sort of|kind of|like,)"
                      r"(?:,\s*|\s+|(?=[.!?]))", re.IGNORECASE)
_REPEAT = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.IGNORECASE)
_I_VERB = re.compile(r"(?<![\w'’])I(?:['’]m| am)(?![\w'’])")
_I_WAS = re.compile(r"(?<![\w'’])I was(?![\w'’])")
_I_HAVE = re.compile(r"(?<![\w'’])I(?:['’]ve| have)(?![\w'’])")
_I_WOULD = re.compile(r"(?<![\w'’])I['’]d(?![\w'’])")
_I_WILL = re.compile(r"(?<![\w'’])I['’]ll(?![\w'’])")
_I_ADVERB = re.compile(r"(?<![\w'’])I (never|always|also|just|still|really|only|often|now) (\w+)")
_I_PLAIN = re.compile(r"(?<![\w'’])I (\w+)")
_I_ALONE = re.compile(r"(?<![\w'’])I(?![\w'’])")
_ME = re.compile(r"(?<![\w'’])(?:me|myself)(?![\w'’])", re.IGNORECASE)
_MY = re.compile(r"(?<![\w'’])(?:my|mine)(?![\w'’])", re.IGNORECASE)
_WE_ARE = re.compile(r"(?<![\w'’])we['’]re(?![\w'’])", re.IGNORECASE)
_WE_HAVE = re.compile(r"(?<![\w'’])we['’]ve(?![\w'’])", re.IGNORECASE)
_WE_WOULD = re.compile(r"(?<![\w'’])we['’]d(?![\w'’])", re.IGNORECASE)
_WE_WILL = re.compile(r"(?<![\w'’])we['’]ll(?![\w'’])", re.IGNORECASE)
_WE = re.compile(r"(?<![\w'’])we(?![\w'’])", re.IGNORECASE)
_OUR = re.compile(r"(?<![\w'’])our(?![\w'’])", re.IGNORECASE)
_OURS = re.compile(r"(?<![\w'’])ours(?![\w'’])", re.IGNORECASE)
_OURSELVES = re.compile(r"(?<![\w'’])ourselves(?![\w'’])", re.IGNORECASE)
_US = re.compile(r"(?<![\w'’])us(?![\w'’])")  # lower case only: "US" is a country
_UNCHANGED_VERBS = frozenset(
    "can could will would shall should may might must did had was were also never always "
    "just still really only".split())


# "£40, 000": a figure a small model wrote with a space after a thousands comma.
_SPLIT_FIGURE = re.compile(r"(?<![\d.,])\d{1,3}(?:, ?\d{3})+(?!\d)")


def join_split_figures(text: str, source: str) -> str:
    """"£40, 000" -> "£40,000", where the excerpt the note came from has that figure ("40,000" or
    "40000"); a list such as "rooms 4, 120 and 300" is left alone unless the excerpt says so."""
    def join(match: re.Match[str]) -> str:
        raw = match.group()
        joined = raw.replace(", ", ",")
        if joined == raw:
            return raw
        return joined if joined in source or joined.replace(",", "") in source else raw

    return _SPLIT_FIGURE.sub(join, text)


def clean_spoken(text: str) -> str:
    """Fillers and stammered repeats out ("today today", "we we", "um,")."""
    text = _FILLERS.sub("", text)
    text = _REPEAT.sub(_one_of_repeat, text)
    return " ".join(text.split())


def _one_of_repeat(match: re.Match[str]) -> str:
    """A stammered word once; a number said twice stays ("twenty twenty" is a year)."""
    return match.group() if is_number_word(match.group(1).lower()) else match.group(1)


def third_person(text: str, person: str) -> str:
    """`text` with first-person words replaced: "I"/"my" by `person`, "we"/"our" by "they" and
    "their" (the first "we" by `person`'s team when `person` is known)."""
    name = person or "the guest"
    owner = f"{name}'s" if person else "the guest's"
    text = _I_VERB.sub(f"{name} is", text)
    text = _I_WAS.sub(f"{name} was", text)
    text = _I_HAVE.sub(f"{name} has", text)
    text = _I_WOULD.sub(f"{name} would", text)
    text = _I_WILL.sub(f"{name} will", text)
    text = _I_ADVERB.sub(lambda m: f"{name} {m.group(1)} {_agree(m.group(2))}", text)
    text = _I_PLAIN.sub(lambda m: f"{name} {_agree(m.group(1))}", text)
    text = _I_ALONE.sub(name, text)
    text = _MY.sub(owner, text)
    text = _ME.sub(name, text)
    team = [False]

    def we(match: re.Match[str], rest: str) -> str:
        if person and not team[0]:
            team[0] = True
            return f"{owner} team{rest}"
        return f"they{rest}"

    text = _WE_ARE.sub(lambda m: we(m, " are"), text)
    text = _WE_HAVE.sub(lambda m: we(m, " have"), text)
    text = _WE_WOULD.sub(lambda m: we(m, " would"), text)
    text = _WE_WILL.sub(lambda m: we(m, " will"), text)
    text = _WE.sub(lambda m: we(m, ""), text)
    text = _OURSELVES.sub("themselves", text)
    text = _OURS.sub("theirs", text)
    text = _OUR.sub(lambda m: owner if person and not team[0] and _mark(team) else "their", text)
    text = _US.sub("them", text)
    return text[:1].upper() + text[1:] if text else text


def _mark(flag: list[bool]) -> bool:
    flag[0] = True
    return True


def _agree(verb: str) -> str:
    """The verb after a third-person singular subject: think -> thinks, go -> goes."""
    low = verb.lower()
    if low in _UNCHANGED_VERBS or low.endswith(("ed", "s")) or not verb.isalpha():
        return verb
    if low == "have":
        return "has"
    if low == "do":
        return "does"
    if low.endswith(("sh", "ch", "x", "o", "z")):
        return verb + "es"
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"
