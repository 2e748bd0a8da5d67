"""Numbers written as digits or words ("276", "1,200", "twelve", "a dozen"), shared by victims and dates."""

from __future__ import annotations

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100, "hundred": 100, "a dozen": 12, "dozen": 12,
}  # fmt: skip
ARTICLES = {"a": 1, "an": 1}


def parse_number(word: str) -> int | None:
    """The value of a number written in digits (with thousands commas) or in words; None otherwise."""
    word = " ".join(word.lower().split())
    if word.replace(",", "").isdigit():
        return int(word.replace(",", ""))
    return NUMBER_WORDS.get(word, ARTICLES.get(word))
