"""Text comparison shared by grounding and the recorder's naming: tiers of match between what a step
names and what OCR read, tolerant of case, punctuation, '&' mnemonics and OCR confusions (l/1/I, O/0, rn/m,
and a capital F read as E: "Eile" in GTK 2's small menu font; so a fuzzy "East" finds a lone "Fast").
Numbers are never matched loosely: "Item 12" may be read as "Item l2", never as "Item 26"."""
from __future__ import annotations

import difflib
import enum
import re

_FUZZY_MIN = 0.8


class Tier(enum.IntEnum):
    """How a match was made; lower is better. Only the best tier present is ever a candidate."""

    EXACT = 0
    NORMALIZED = 1
    CONTAINS = 2
    FUZZY = 3
    ROLE = 4  # a role-only spec: every element of the role


_WORD = re.compile(r"(?:[^\W_]|&(?=[^\W_]))+")  # letters/digits; a '&' mnemonic inside a word is kept
_CONFUSABLE = str.maketrans({"I": "l", "1": "l", "|": "l", "0": "o", "O": "o", "E": "F"})
_AS_DIGITS = str.maketrans({"i": "1", "l": "1", "o": "0"})  # words are casefolded


def _words(text: str) -> list[tuple[str, int, int]]:
    """Casefolded words with their character spans; punctuation and '&' mnemonics dropped."""
    return [(m.group().replace("&", "").casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]


def key(text: str) -> tuple[str, ...]:
    return tuple(word for word, _, _ in _words(text))


def _folded(text: str) -> str:
    """Normalised text with OCR confusables merged (l/1/I, O/0, rn/m, E/F), for fuzzy comparison."""
    return " ".join(key(text.translate(_CONFUSABLE))).replace("rn", "m")


def _numbers(text: str) -> tuple[str, ...]:
    """The numbers in `text`: words of digits, OCR look-alikes read as digits (l2 is 12) when the word
    has a real digit. A fuzzy match never changes one: a number is read exactly or not at all."""
    found = []
    for word, _, _ in _words(text):
        digits = word.translate(_AS_DIGITS)
        if digits.isdigit() and any(c.isdigit() for c in word):
            found.append(digits)
    return tuple(found)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _folded(a), _folded(b)).ratio()


def score_text(query: str, text: str) -> tuple[Tier, float, tuple[int, int] | None] | None:
    """(tier, score, span of the phrase inside `text` for CONTAINS) or None when `text` doesn't match."""
    if not text.strip():
        return None
    if " ".join(text.split()) == " ".join(query.split()):
        return Tier.EXACT, 1.0, None
    wanted, words = key(query), _words(text)
    if not wanted:  # punctuation-only queries match exactly or not at all
        return None
    have = tuple(word for word, _, _ in words)
    if wanted == have:
        return Tier.NORMALIZED, 0.9, None
    n = len(wanted)
    for i in range(len(have) - n + 1):
        if have[i:i + n] == wanted:
            coverage = sum(map(len, wanted)) / sum(map(len, have))
            return Tier.CONTAINS, 0.5 + 0.2 * coverage, (words[i][1], words[i + n - 1][2])
    if _numbers(query) == _numbers(text):  # "Item 12" is never a misread "Item 26"
        ratio = similarity(query, text)
        if ratio >= _FUZZY_MIN:
            return Tier.FUZZY, 0.5 * ratio, None
    return _fuzzy_run(query, text, words, n)


def _fuzzy_run(query: str, text: str, words: list[tuple[str, int, int]], n: int,
               ) -> tuple[Tier, float, tuple[int, int] | None] | None:
    """A misread phrase inside a longer line ("Core fles" in "Core fles 12 MB"): the run of as many words
    most like the query, scored below a whole line's fuzzy match."""
    best: tuple[float, tuple[int, int]] | None = None
    for i in range(len(words) - n + 1 if len(words) > n else 0):
        span = (words[i][1], words[i + n - 1][2])
        run = text[span[0]:span[1]]
        if _numbers(query) != _numbers(run):
            continue
        ratio = similarity(query, run)
        if ratio >= _FUZZY_MIN and (best is None or ratio > best[0]):
            best = (ratio, span)
    return None if best is None else (Tier.FUZZY, 0.4 * best[0], best[1])
