"""Numbers written as digits or words ("276", "1,200", "twelve", "twenty-five", "two hundred", "3 million"),
shared by victims, quantities and dates."""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100, "hundred": 100, "a dozen": 12, "dozen": 12,
}  # fmt: skip
ARTICLES = {"a": 1, "an": 1}
MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_UNITS = [w for w, v in NUMBER_WORDS.items() if v < 20 and "dozen" not in w]
_TENS = [w for w, v in NUMBER_WORDS.items() if 20 <= v < 100]
_UNITS_ALT = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_ALT = "|".join(_TENS)
# "twenty-five", "twenty five", "seven", "a hundred", "two hundred", "three thousand" (a bare "a" is no number).
WORD_NUMBER = (
    rf"(?:(?:{_TENS_ALT})(?:[- ](?:{_UNITS_ALT}))?|{_UNITS_ALT}|a|an)(?:\s+(?:hundred|thousand|million))+"
    rf"|(?:{_TENS_ALT})(?:[- ](?:{_UNITS_ALT}))?|{_UNITS_ALT}"
)
# "1,200", "276", "1.5 million", "3 thousand".
DIGIT_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s+(?:thousand|million)|\d+"
NUMBER = rf"{DIGIT_NUMBER}|{WORD_NUMBER}"
_SPLIT = re.compile(r"[\s-]+")


def parse_number(word: str) -> int | None:
    """The value of a number written in digits (with thousands commas) or in words; None otherwise."""
    word = " ".join(word.lower().split())
    if word.replace(",", "").isdigit():
        return int(word.replace(",", ""))
    simple = NUMBER_WORDS.get(word, ARTICLES.get(word))
    if simple is not None:
        return simple
    return _compound(word)


def _compound(word: str) -> int | None:
    """ "twenty-five" -> 25, "two hundred" -> 200, "1.5 million" -> 1500000; None when not a number."""
    total, current = 0, 0
    seen = False
    for part in _SPLIT.split(word):
        if not part:
            continue
        if part in MULTIPLIERS:
            current = (current or 1) * MULTIPLIERS[part]
            if MULTIPLIERS[part] > 100:
                total, current = total + current, 0
        elif part in NUMBER_WORDS and NUMBER_WORDS[part] < 100 and part != "dozen":
            current += NUMBER_WORDS[part]
        elif part in ARTICLES and not seen:
            current += 1
        elif re.fullmatch(r"\d+(?:\.\d+)?", part) and not seen:
            value = float(part)
            current += value  # type: ignore[assignment]
        else:
            return None
        seen = True
    result = total + current
    return int(result) if seen else None
