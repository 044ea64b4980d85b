"""The words figures are made of: number words, scales, multipliers and units, in one place.

The figure reader (`recap.text.figures`), the faithfulness check and write's figure marker
(`recap.text.marking`) all read these tables, so that what counts as a unit is decided once.
Words are matched lowercased.
"""

from __future__ import annotations

from decimal import Decimal

ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
DECADES = {
    "tens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
    "seventies": 70, "eighties": 80, "nineties": 90,
}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
    "thousandth": 1000, "millionth": 10**6, "billionth": 10**9,
}
SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
# Glued to digits: "330k", "1.2bn". A bare "m" is handled apart (million or metres).
SCALE_SUFFIXES = {"k": 10**3, "mn": 10**6, "mio": 10**6, "bn": 10**9, "b": 10**9, "tn": 10**12}
MULTIPLIERS = {"twice": 2, "thrice": 3}
TENS_VALUES = {Decimal(v) for v in range(20, 100, 10)}


def _unit_aliases(*units: tuple[str, ...]) -> dict[str, str]:
    """alias -> canonical unit, from (canonical, alias, alias, ...) rows."""
    return {alias: canonical for canonical, *aliases in units for alias in aliases}


UNIT_ALIASES: dict[str, str] = _unit_aliases(
    ("%", "%", "percent", "per cent", "pct", "percentage", "percentage point", "percentage points"),
    ("EUR", "€", "eur", "euro", "euros"),
    ("USD", "$", "usd", "dollar", "dollars", "bucks"),
    # "pounds" is money or weight; one unit for both keeps "£5" = "five pounds" = "5 lb".
    ("pound", "£", "gbp", "pound", "pounds", "quid", "lb", "lbs"),
    ("JPY", "¥", "yen", "jpy"),
    ("CNY", "yuan"),
    ("cent", "cent", "cents"),
    ("kg", "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes"),
    ("g", "g", "gram", "grams", "gramme", "grammes"),
    ("mg", "mg", "milligram", "milligrams"),
    ("oz", "oz", "ounce", "ounces"),
    ("t", "t", "tonne", "tonnes", "ton", "tons"),
    ("m", "m", "meter", "meters", "metre", "metres"),
    ("km", "km", "kilometer", "kilometers", "kilometre", "kilometres"),
    ("cm", "cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    ("mm", "mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    ("mile", "mile", "miles", "mi"),
    ("ft", "ft", "foot", "feet"),
    ("inch", "inch", "inches"),
    ("l", "l", "litre", "litres", "liter", "liters"),
    ("ml", "ml", "millilitre", "millilitres", "milliliter", "milliliters"),
    ("mph", "mph"),
    ("km/h", "km/h", "kph"),
    ("ns", "nanosecond", "nanoseconds"),
    ("µs", "microsecond", "microseconds"),
    ("ms", "ms", "millisecond", "milliseconds"),
    ("second", "seconds", "sec", "secs"),
    ("min", "min", "mins", "minute", "minutes"),
    ("h", "h", "hr", "hrs", "hour", "hours"),
    ("day", "day", "days"),
    # Parts of a day counted like days ("a course of eight evenings"): "8 hours" is not them.
    ("morning", "morning", "mornings"),
    ("evening", "evening", "evenings"),
    ("night", "night", "nights"),
    ("week", "week", "weeks"),
    ("month", "month", "months"),
    ("year", "year", "years", "yr", "yrs"),
    ("decades", "decade", "decades"),
    ("century", "century", "centuries"),
    ("x", "x", "×", "times", "fold"),
    ("deg", "°", "°c", "°f", "degree", "degrees"),
    ("B", "byte", "bytes"),
    ("KB", "kb", "kilobyte", "kilobytes"),
    ("MB", "mb", "megabyte", "megabytes"),
    ("GB", "gb", "gigabyte", "gigabytes"),
    ("TB", "tb", "terabyte", "terabytes"),
    ("PB", "pb", "petabyte", "petabytes"),
    ("W", "w", "watt", "watts"),
    ("kW", "kw", "kilowatt", "kilowatts"),
    ("MW", "mw", "megawatt", "megawatts"),
    ("GW", "gw", "gigawatt", "gigawatts"),
    ("TW", "tw", "terawatt", "terawatts"),
    ("kWh", "kwh"),
    ("MWh", "mwh"),
    ("GWh", "gwh"),
    ("TWh", "twh"),
    ("V", "v", "volt", "volts"),
    ("kV", "kv", "kilovolt", "kilovolts"),
    ("MV", "megavolt", "megavolts"),
    ("Hz", "hz", "hertz"),
    ("kHz", "khz", "kilohertz"),
    ("MHz", "mhz", "megahertz"),
    ("GHz", "ghz", "gigahertz"),
)
# Phrases and symbols the reader meets token by token ("per" + "cent", "km" + "/h", "°" + "C")
# are listed whole too: the figure marker matches them as written.

# Aliases that are only a unit when glued to the digits ("5x", "2h", "12V"): as a separate word
# they are a letter ("5 x 3", "plan 2 h"), or a word in another language ("mi").
GLUED_ONLY = {"x", "t", "h", "l", "w", "v", "mi"}
# Capital letters that are units ("5L", "100W", "12V"); any other ("5G", "4K") is not one.
CAPITAL_LETTER_UNITS = {"L", "W", "V"}
CURRENCY_SYMBOLS = {"$", "€", "£", "¥"}
# Metric units compared in a base unit, so that "500 g" = "0.5 kg".
BASE_UNITS = {
    "kg": ("g", Decimal(1000)), "mg": ("g", Decimal("0.001")), "t": ("g", Decimal(10**6)),
    "km": ("m", Decimal(1000)), "cm": ("m", Decimal("0.01")), "mm": ("m", Decimal("0.001")),
    "ml": ("l", Decimal("0.001")),
}
ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}
SENTENCE_END = {".", "!", "?", ":", ";", "•", "*", "#", "…"}
RANGE_SYMBOLS = {"-", "–", "—", "~"}


def is_number_word(word: str) -> bool:
    """True for words that spell a number: 'twenty', 'second', 'million'."""
    low = word.lower()
    return any(low in table for table in (ONES, TENS, ORDINALS, SCALES, DECADES, MULTIPLIERS))


def is_unit_word(word: str) -> bool:
    """True for unit names and symbols: 'kg', 'euros', 'percent'."""
    return word.lower() in UNIT_ALIASES
