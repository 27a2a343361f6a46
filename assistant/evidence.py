"""Lexical evidence shared by the reader and the grounding judge."""

from __future__ import annotations

import re

from index.bm25 import BM25
from index.text import terms

_NUMBER = re.compile(r"\d[\d,.]*")


PROPER_NOUN_WEIGHT = 3.0
_PROPER = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’-]+")


def term_coverage(claim: str, passage: str, bm25: BM25) -> float:
    """IDF-weighted share of the claim's content terms found in the passage.

    Prefix matches (first five letters) count 0.7; names (capitalised words inside the claim)
    weigh PROPER_NOUN_WEIGHT times more, because a passage about another entity answers nothing.
    """
    claim_terms = set(terms(claim))
    proper = set(terms(" ".join(_PROPER.findall(claim.strip()))))
    if not claim_terms:
        return 0.0
    passage_terms = set(terms(passage))
    prefixes = {t[:5] for t in passage_terms if len(t) >= 5}
    found = total = 0.0
    for term in claim_terms:
        weight = bm25.idf_of(term) * (PROPER_NOUN_WEIGHT if term in proper else 1.0)
        total += weight
        if term in passage_terms:
            found += weight
        elif len(term) >= 5 and term[:5] in prefixes:
            found += 0.7 * weight
    return found / total if total else 0.0


def numbers_consistent(claim: str, passage: str) -> bool:
    """Every number in the claim appears in the passage (6,000 and 6000 count as equal)."""
    present = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(passage)}
    return all(n.replace(",", "").rstrip(".") in present for n in _NUMBER.findall(claim))


def missing_names(claim: str, passage: str) -> set[str]:
    """Names (capitalised words inside the claim) that the passage never mentions."""
    names = set(terms(" ".join(_PROPER.findall(claim.strip()))))
    passage_terms = set(terms(passage))
    prefixes = {t[:5] for t in passage_terms if len(t) >= 5}
    return {n for n in names if n not in passage_terms and not (len(n) >= 5 and n[:5] in prefixes)}
