"""Coverage-guided fuzz target for the span code (atheris): text -> analysis, every span consistent.

The fuzzer's bytes choose words from a vocabulary of violation, party, place, reporting and hedge words
(so inputs reach the parser and the rules) mixed with raw Unicode; the analyser runs without the
pre-filter so every input is parsed. The property: analysis never raises, and every span in the
analysis is ``[start, end)`` with ``0 <= start < end <= len(text)``; where the record carries the text
of its span, ``text[start:end]`` is exactly that text.

    .venv/bin/python fuzz/fuzz_spans.py fuzz/corpus/spans -max_total_time=60   # scripts/fuzz.sh does this
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["caacwatch"]):
    from caacwatch.extract.analyzer import Analyzer
    from caacwatch.records import Document, span_problems

WORDS = (
    "children", "child", "boys", "girls", "pupils", "students", "14", "three", "dozens", "16-year-old",
    "abducted", "kidnapped", "recruited", "killed", "maimed", "wounded", "raped", "attacked", "shelled",
    "bombed", "blocked", "denied", "aid", "school", "hospital", "clinic", "convoy", "militia", "rebels",
    "army", "soldiers", "gunmen", "Hamas", "Russia", "Israel", "al-Shabaab", "Boko", "Haram", "M23",
    "Gaza", "Kharkiv", "Borno", "Zamfara", "Sudan", "Darfur", "said", "told", "reporters", "according",
    "to", "UNICEF", "the", "a", "an", "of", "in", "on", "by", "from", "was", "were", "allegedly",
    "reportedly", "denied", "claimed", "officials", "witness", "he", "she", "they", "Monday", "March",
    "2024", "last", "week", ",", ".", "“", "”", "\"", "'", "(", ")", "\n", "\n\n", "?", ":", "-", "—",
)


def build_text(data: bytes) -> str:
    provider = atheris.FuzzedDataProvider(data)
    pieces: list[str] = []
    while provider.remaining_bytes() and len(pieces) < 120:
        choice = provider.ConsumeIntInRange(0, 9)
        if choice == 0:
            pieces.append(provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(1, 12)))
        else:
            pieces.append(WORDS[provider.ConsumeIntInRange(0, len(WORDS) - 1)])
    return " ".join(pieces)


ANALYZER: Analyzer | None = None


def test_one_input(data: bytes) -> None:
    text = build_text(data)
    if not text.strip():
        return
    analysis = ANALYZER.analyze(Document(text=text)) if ANALYZER else None
    assert analysis is not None
    dumped = analysis.to_json_dict()
    assert dumped["document"]["text"] == text
    problems = span_problems(dumped, text)
    assert not problems, problems
    for boilerplate in dumped["document"]["boilerplate"]:
        start, end = boilerplate["span"]
        assert text[start:end] == boilerplate["text"]


def main() -> None:
    global ANALYZER
    ANALYZER = Analyzer(prefilter=False)  # loaded once, before fuzzing starts
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
