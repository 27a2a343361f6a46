"""Lexical evidence shared by the reader and the grounding judge."""

from __future__ import annotations

import re
from functools import lru_cache

from groundqa.index.bm25 import BM25
from groundqa.index.text import stem, terms

_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’-]+")
NAME_WEIGHT = 3.0
PREFIX_LENGTH = 5


def term_coverage(claim: str, passage: str, bm25: BM25) -> float:
    """IDF-weighted share of the claim's content terms found in the passage.

    Prefix matches (first five letters) count 0.7; names (capitalised words inside the claim)
    weigh NAME_WEIGHT times more, because a passage about another entity answers nothing.
    """
    claim_terms, names = _claim(claim)
    if not claim_terms:
        return 0.0
    passage_terms, prefixes = _vocabulary(passage)
    found = total = 0.0
    for term in claim_terms:
        weight = bm25.idf_of(term) * (NAME_WEIGHT if term in names else 1.0)
        total += weight
        if term in passage_terms:
            found += weight
        elif _prefix_match(term, prefixes):
            found += 0.7 * weight
    return found / total if total else 0.0


def missing_names(claim: str, passage: str) -> set[str]:
    """Names (capitalised words inside the claim) that the passage never mentions."""
    passage_terms, prefixes = _vocabulary(passage)
    return {n for n in _claim(claim)[1] if n not in passage_terms and not _prefix_match(n, prefixes)}


def numbers_in(text: str) -> list[str]:
    """The numbers of a text, normalised: "6,000" and "6000." are both "6000"."""
    return [n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)]


_WORDS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty").split()
# "one" is left out: "which one", "one of the", "no one" are not counts
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(_WORDS, start=2)}
_NUMBER_WORDS |= {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
                  "ninety": "90"}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)


def _counts(text: str) -> list[str]:
    return numbers_in(text) + [_NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)]


def numbers_consistent(claim: str, passage: str) -> bool:
    """Every number in the claim appears in the passage (6,000 and 6000 count as equal, and so do
    "five" and 5).

    >>> numbers_consistent("Staff may work from home five days a week.", "up to 3 days per week")
    False
    >>> numbers_consistent("Staff may work from home three days a week.", "up to 3 days per week")
    True
    """
    present = set(_counts(passage))
    return all(n in present for n in _counts(claim))


# A question is held against each of its dozen candidates and their chunks, which repeat, so the
# terms of both are remembered: pure functions of the text; 512 news chunks of 1,500 characters
# hold about 9 MB of term sets.
@lru_cache(maxsize=1024)
def _claim(claim: str) -> tuple[frozenset[str], frozenset[str]]:
    """The claim's content terms, and those of its names."""
    return frozenset(terms(claim)), frozenset(terms(" ".join(_NAME.findall(claim.strip()))))


@lru_cache(maxsize=512)
def _vocabulary(passage: str) -> tuple[frozenset[str], frozenset[str]]:
    passage_terms = set(terms(passage))
    passage_terms |= {stem(part) for term in passage_terms if "-" in term for part in term.split("-")}  # DE-155 -> 155
    return frozenset(passage_terms), frozenset(t[:PREFIX_LENGTH] for t in passage_terms if len(t) >= PREFIX_LENGTH)


def _prefix_match(term: str, prefixes: frozenset[str]) -> bool:
    return len(term) >= PREFIX_LENGTH and term[:PREFIX_LENGTH] in prefixes
