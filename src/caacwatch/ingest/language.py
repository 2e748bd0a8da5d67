"""Language identification with py3langid (its model ships inside the package)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Enough text for a confident guess; classifying a whole 100 KB article only costs time.
_SAMPLE_CHARS = 5000
# Below this many letters the classifier guesses ("Hello" -> Breton), so we abstain.
_MIN_LETTERS = 12
# Normalised probability under which we would rather say "unknown" than guess.
_MIN_CONFIDENCE = 0.30
# py3langid's label for "no linguistic content" (digits, symbols).
_NO_LANGUAGE = {"zxx", "und"}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """Load the model once, on first use (it takes ~1 s; importing caacwatch must stay fast)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """Return the language of ``text`` as an ISO 639-1 code (``"en"``), or None if unsure.

    Languages without a two-letter code keep py3langid's three-letter ISO 639-3 code.
    """
    sample = text[:_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < _MIN_LETTERS:
        return None
    # py3langid works on UTF-8 bytes; a lone surrogate (possible in JSON input) must not crash it.
    encoded = sample.encode("utf-8", errors="replace")
    lang, confidence = _identifier().classify(encoded)
    if lang in _NO_LANGUAGE or confidence < _MIN_CONFIDENCE:
        return None
    return str(lang)
