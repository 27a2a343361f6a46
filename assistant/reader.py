"""The offline extractive reader: pick the sentences that answer, and a short answer inside them.

Each candidate sentence from the retrieved chunks is scored by
``DENSE_WEIGHT * cosine(question, sentence) + (1 - DENSE_WEIGHT) * term_coverage`` (of the sentence
before too, when it opens with a reference) plus a small retrieval prior; the best score is the
answer's confidence, compared with the refusal threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from groundqa.index import Embedder, Index

from .cross_encoder import STARTS_WITH_REFERENCE, candidate_text
from .evidence import missing_names, term_coverage
from .injection import looks_like_instruction
from .retrieval import Hit
from .spans import Span, answer_type, best_span

DENSE_WEIGHT = 0.55
PRIOR_WEIGHT = 0.05
MISSING_NAME_PENALTY = 0.15  # per name in the question that the answer's chunk never mentions
TYPE_MISS_PENALTY = 0.2  # a "when"/"how many"/"who" question whose best sentences have no such span


@dataclass(frozen=True)
class Sentence:
    source: str
    start: int
    end: int
    text: str
    page: int | None
    score: float


@dataclass(frozen=True)
class Reading:
    sentences: list[Sentence]   # supporting sentences, best first
    short_answer: Span | None   # offsets relative to sentences[0]
    confidence: float


@dataclass(frozen=True)
class Evidence:
    """A candidate sentence (scored lexically) and what the lexical score is made of."""

    sentence: Sentence
    cosine: float
    coverage: float  # IDF-weighted share of the question's terms in the sentence
    prior: float  # its chunk's retrieval score, relative to the best
    chunk: str


def read_with_referent(index: Index, sentence: Sentence) -> str:
    """The sentence, after the one before it when it opens with a reference ("It reaches the North
    Sea …" is about the Rhine of the sentence before), so its words count for the question."""
    previous = previous_sentence(index, sentence) if STARTS_WITH_REFERENCE.match(sentence.text) else None
    return candidate_text(sentence.text, previous=previous)  # joined as the cross-encoder reads it


def previous_sentence(index: Index, sentence: Sentence) -> str | None:
    """The sentence before `sentence` in its document (same line), if any."""
    text = index.documents[sentence.source].text
    line_start = text.rfind("\n", 0, sentence.start) + 1
    before = text[line_start:sentence.start].strip()
    if not before:
        return None
    parts = re.split(r"(?<=[.!?])\s+", before)
    return parts[-1] if parts else None


class Reader:
    def __init__(self, index: Index, embedder: Embedder):
        self.index = index
        self.embedder = embedder

    def candidates(self, hits: list[Hit]) -> list[tuple[Sentence, float, str]]:
        """Every distinct sentence of the hits with its chunk's normalised retrieval score and text;
        sentences addressed to an AI are left out (they are never evidence)."""
        seen, found = set(), []
        top = max((h.score for h in hits), default=1.0) or 1.0
        for hit in hits:
            document = self.index.documents[hit.chunk.source]
            for start, end in hit.chunk.sentences:
                if (hit.chunk.source, start) in seen or looks_like_instruction(document.text[start:end]):
                    continue
                seen.add((hit.chunk.source, start))
                found.append((Sentence(hit.chunk.source, start, end, document.text[start:end],
                                       document.page_at(start), 0.0), hit.score / top, hit.chunk.text))
        return found

    def evidence(self, question: str, hits: list[Hit], query_vector: np.ndarray) -> list[Evidence]:
        """Every candidate sentence with its lexical evidence, best lexical score first."""
        candidates = self.candidates(hits)
        if not candidates:
            return []
        vectors = self.embedder.embed_each([s.text for s, _, _ in candidates])
        dense = np.clip(vectors @ query_vector, 0.0, 1.0)
        found = []
        for (sentence, prior, chunk_text), cosine in zip(candidates, dense, strict=True):
            coverage = term_coverage(question, read_with_referent(self.index, sentence), self.index.bm25)
            score = DENSE_WEIGHT * float(cosine) + (1 - DENSE_WEIGHT) * coverage + PRIOR_WEIGHT * prior
            rescored = Sentence(sentence.source, sentence.start, sentence.end, sentence.text, sentence.page,
                                round(min(score, 1.0), 4))
            found.append(Evidence(rescored, float(cosine), coverage, prior, chunk_text))
        found.sort(key=lambda e: (-e.sentence.score, e.sentence.source, e.sentence.start))
        return found

    def read(self, question: str, hits: list[Hit], query_vector: np.ndarray, max_sentences: int = 2) -> Reading:
        found = self.evidence(question, hits, query_vector)
        if not found:
            return Reading([], None, 0.0)
        scored = [e.sentence for e in found]
        context = {(e.sentence.source, e.sentence.start): e.chunk for e in found}
        kind = answer_type(question)
        best, span = scored[0], None
        if kind:
            # prefer the highest-scoring sentence that contains an answer of the expected type
            for sentence in scored[:3]:
                span = best_span(sentence.text, question, kind)
                if span and sentence.score >= scored[0].score - 0.1:
                    best = sentence
                    break
                span = None
        confidence = best.score - (TYPE_MISS_PENALTY if kind and span is None else 0.0)
        confidence -= MISSING_NAME_PENALTY * len(missing_names(question, context[(best.source, best.start)]))
        support = [best] + [s for s in scored if s is not best and s.score >= 0.92 * best.score][: max_sentences - 1]
        return Reading(support, span, round(max(confidence, 0.0), 4))
