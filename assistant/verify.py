"""Citation verification: a citation stands only if its quote is the source text at its offsets,
and (for generated sentences) the quote supports the sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from groundqa.index import Embedder, Index, sentence_spans
from groundqa.index.text import words

from .compose import render
from .errors import InternalError
from .evidence import numbers_consistent, term_coverage
from .types import Answer, Citation


def quote_holds(index: Index, citation: Citation) -> bool:
    """The quote is exactly the indexed source text at [start, end)."""
    document = index.documents.get(citation.source)
    return document is not None and document.text[citation.start:citation.end] == citation.quote


def verify_citations(index: Index, citations: list[Citation]) -> list[Citation]:
    """Raise if any citation's quote does not match its source; return them unchanged otherwise."""
    for citation in citations:
        if not quote_holds(index, citation):
            raise InternalError(f"citation [{citation.number}] does not match {citation.source}"
                                 f"[{citation.start}:{citation.end}]")
    return citations


MARKER = re.compile(r"\[(\d+)\]")
LEXICAL_SUPPORT_THRESHOLD = 0.9  # chosen on the HaluEval dev split
COVERAGE_WEIGHT = 0.9


def bare_claim(sentence: str) -> str:
    """A sentence without its [n] markers: "Medinsky led it [1]." -> "Medinsky led it." """
    return re.sub(r"\s+([.!?,;:])", r"\1", " ".join(MARKER.sub("", sentence).split()))


def cited_numbers(sentence: str) -> list[int]:
    """The [n] markers of a sentence, in order, each once: "x [2][1][2]." -> [2, 1]."""
    return list(dict.fromkeys(int(n) for n in MARKER.findall(sentence)))


def sentences_cited(text: str, citations: list[Citation], refused: bool) -> bool:
    """Every sentence of an answer carries a [n] marker of a real citation; a refusal carries none."""
    if refused:
        return not MARKER.search(text)
    numbers = {c.number for c in citations if not c.context_only}
    for start, end in sentence_spans(text):
        markers = set(cited_numbers(text[start:end]))
        if not markers or not markers <= numbers:
            return False
    return True


def verify_answer(index: Index, answer: Answer) -> None:
    """The engine's last step: raise rather than return an answer that breaks the invariants: every
    quote is the source text at its offsets; an answer is its claims, each citing real passages; a
    refusal makes no claims."""
    verify_citations(index, answer.citations)
    if answer.refused:
        if answer.claims or MARKER.search(answer.text):
            raise InternalError(f"a refusal carries claims or markers: {answer.text!r:.200}")
        return
    support = {c.number for c in answer.citations if not c.context_only}
    for claim in answer.claims:
        if not claim.citations or not set(claim.citations) <= support:
            raise InternalError(f"an answer sentence cites {list(claim.citations)}, not one of {sorted(support)}: "
                                f"{claim.text!r:.200}")
    if not answer.claims or answer.text != render(answer.claims):
        raise InternalError(f"an answer's text is not the rendering of its claims: {answer.text!r:.200}")


@dataclass(frozen=True)
class Judgement:
    supported: bool
    score: float
    coverage: float
    numbers_ok: bool


def judge_support(claim: str, passage: str, index: Index, cosine: float, threshold: float) -> Judgement:
    """Lexical-entailment judge: does `passage` support `claim`?

    Score = 0.9 * IDF-weighted term coverage + 0.1 * embedding cosine; any number in the claim
    that is missing from the passage makes the claim unsupported. The weights and the default
    threshold (0.9) were chosen on the HaluEval dev split (right vs hallucinated answers).
    """
    coverage = term_coverage(claim, passage, index.bm25)
    numbers_ok = numbers_consistent(claim, passage)
    score = COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * max(cosine, 0.0)
    return Judgement(numbers_ok and score >= threshold, round(score, 4), round(coverage, 4), numbers_ok)


class GroundingJudge:
    """`judge_support` (the check LLM sentences must pass) as the eval suite uses it: the cosine
    comes from the bundled embedding model, with vectors cached per text.

    >>> from groundqa import Assistant
    >>> bot = Assistant()
    >>> judge = GroundingJudge(bot.index, bot.embedder)
    >>> quote = "the Russian delegation led by Presidential Aide Vladimir Medinsky"
    >>> judge.judge("Medinsky led the Russian delegation", [quote]).supported
    True
    >>> judge.judge("Medinsky led the Ukrainian delegation", [quote]).supported
    False
    """

    def __init__(self, index: Index, embedder: Embedder, threshold: float | None = None):
        self.index, self.embedder = index, embedder
        self.threshold = LEXICAL_SUPPORT_THRESHOLD if threshold is None else threshold
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def description(self) -> str:
        return (f"lexical entailment: {COVERAGE_WEIGHT:g} x IDF-weighted term coverage + "
                f"{1 - COVERAGE_WEIGHT:.1f} x all-MiniLM-L6-v2 cosine >= {self.threshold:g}, and every number "
                f"in the claim appears in the passages")

    def prepare(self, texts: list[str]) -> None:
        """Embed many texts in one batch ahead of `judge` calls."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self.embedder.embed(missing), strict=True))

    def judge(self, claim: str, passages: list[str]) -> Judgement:
        passage = " ".join(passages)
        if not passages or not passage.strip():
            return Judgement(False, 0.0, 0.0, True)
        self.prepare([claim, passage])
        cosine = float(self._vectors[claim] @ self._vectors[passage])
        return judge_support(claim, passage, self.index, cosine, self.threshold)

    def judge_answer(self, question: str, answer: str, passages: list[str]) -> Judgement:
        """Judge what an answer adds beyond its question: words already in the question are given,
        so "First for Women was started first" is judged on "was started", not on the magazine."""
        return self.judge(answer_claim(question, answer), passages)

    def judge_each(self, claim: str, passages: list[str]) -> list[Judgement]:
        """`claim` against each passage on its own."""
        self.prepare([claim, *passages])
        return [self.judge(claim, [passage]) for passage in passages]


class Judge(Protocol):
    """A grounding judge: the lexical `GroundingJudge` or the learned one (`groundqa.learned`)."""

    threshold: float

    @property
    def description(self) -> str: ...
    def prepare(self, texts: list[str]) -> None: ...
    def judge(self, claim: str, passages: list[str]) -> Judgement: ...
    def judge_answer(self, question: str, answer: str, passages: list[str]) -> Judgement: ...
    def judge_each(self, claim: str, passages: list[str]) -> list[Judgement]: ...


def answer_claim(question: str, answer: str) -> str:
    """The answer's words that the question does not already contain (the whole answer if none)."""
    given = set(words(question))
    novel = [token for token in answer.split() if not set(words(token)) <= given]
    return " ".join(novel) or answer
