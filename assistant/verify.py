"""Citation verification: a citation stands only if its quote is the source text at its offsets,
and (for generated sentences) the quote supports the sentence."""

from __future__ import annotations

from dataclasses import dataclass

from index import Index

from .evidence import numbers_consistent, term_coverage
from .types import Citation


def quote_holds(index: Index, citation: Citation) -> bool:
    """The quote is exactly the indexed source text at [start, end)."""
    document = index.documents.get(citation.source)
    return document is not None and document.text[citation.start:citation.end] == citation.quote


def verify_citations(index: Index, citations: list[Citation]) -> list[Citation]:
    """Raise if any citation's quote does not match its source; return them unchanged otherwise."""
    for citation in citations:
        if not quote_holds(index, citation):
            raise AssertionError(f"citation [{citation.number}] does not match {citation.source}"
                                 f"[{citation.start}:{citation.end}]")
    return citations


@dataclass(frozen=True)
class Judgement:
    supported: bool
    score: float
    coverage: float
    numbers_ok: bool


def judge_support(claim: str, passage: str, index: Index, cosine: float, threshold: float) -> Judgement:
    """Lexical-entailment judge: does `passage` support `claim`?

    Score = 0.6 * IDF-weighted term coverage + 0.4 * embedding cosine; any number in the claim
    that is missing from the passage makes the claim unsupported.
    """
    coverage = term_coverage(claim, passage, index.bm25)
    numbers_ok = numbers_consistent(claim, passage)
    score = 0.6 * coverage + 0.4 * max(cosine, 0.0)
    return Judgement(numbers_ok and score >= threshold, round(score, 4), round(coverage, 4), numbers_ok)
