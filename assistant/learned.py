"""The learned reader and grounding judge: the cross-encoder (cross_encoder.py) reranks the
sentences the lexical reader pre-filters, and its calibrated probability decides whether to answer."""

from __future__ import annotations

import re

import numpy as np

from groundqa.index import Embedder, Index

from .cross_encoder import CrossEncoder, candidate_text, claim_text
from .evidence import missing_names, numbers_consistent, numbers_in, term_coverage
from .reader import Reader, Reading, Sentence, previous_sentence
from .retrieval import Hit
from .spans import Span, _with_unit, answer_type, best_span

PREFILTER = 12  # candidates the cross-encoder reads per question (the lexical reader's best)
SECOND_SENTENCE_SHARE = 0.8  # a second supporting sentence needs this share of the best probability
MIN_SPAN_SCORE = 0.25  # p(start) * p(end) below this: no short answer rather than a doubtful one


FEATURES = ("answer_logit", "span_score", "lexical", "cosine", "coverage", "chunk_coverage", "prior",
            "missing_names", "missing_numbers", "typed", "typed_span")
NULL_SPAN_FEATURES = (*FEATURES, "null_margin")  # for a model trained with the null span


class LearnedReader:
    """Same interface as the lexical `Reader`: `read(question, hits, query_vector)` -> Reading.

    The lexical reader pre-filters the candidates (cheap); the cross-encoder reads each against the
    question; a logistic layer fitted on held-out dev questions (the manifest's `stack`) weighs the
    cross-encoder's logit with the lexical evidence into the probability that the sentence answers."""

    def __init__(self, index: Index, embedder: Embedder, encoder: CrossEncoder, threshold: float):
        self.lexical = Reader(index, embedder)
        self.index = index
        self.encoder = encoder
        self.threshold = threshold
        self.stack = encoder.manifest["calibration"].get("stack")

    def candidates(self, hits: list[Hit]):
        return self.lexical.candidates(hits)

    def read(self, question: str, hits: list[Hit], query_vector: np.ndarray, max_sentences: int = 2) -> Reading:
        found = self.candidate_features(question, hits, query_vector)
        if not found:
            return Reading([], None, 0.0)
        ranked = sorted(((self.probability(f), e, s, offset) for e, s, offset, f in found), key=lambda x: -x[0])
        best_probability, best, best_scored, offset = ranked[0]
        sentences = [_rescored(best.sentence, best_probability)]
        for probability, evidence, _, _ in ranked[1:]:
            if len(sentences) >= max_sentences:
                break
            if probability >= max(self.threshold, SECOND_SENTENCE_SHARE * best_probability):
                sentences.append(_rescored(evidence.sentence, probability))
        span = _short_answer(best.sentence.text, best_scored.span, offset, best_scored.span_score)
        if span is None and (kind := answer_type(question)):
            span = best_span(best.sentence.text, question, kind)  # the typed rule when the model is unsure
        return Reading(sentences, span, round(best_probability, 4))

    def candidate_features(self, question: str, hits: list[Hit], query_vector: np.ndarray):
        """[(evidence, cross-encoder output, where the sentence starts in its candidate text, features)]
        for the pre-filtered candidates."""
        evidence = self.lexical.evidence(question, hits, query_vector)[:PREFILTER]
        texts, offsets = [], []
        for item in evidence:
            sentence = item.sentence
            document = self.index.documents[sentence.source]
            text = candidate_text(sentence.text, document.section_at(sentence.start),
                                  previous_sentence(self.index, sentence))
            texts.append(text)
            offsets.append(len(text) - len(sentence.text))
        scored = self.encoder.read(question, texts)
        kind = answer_type(question)
        question_numbers = set(numbers_in(question))
        found = []
        for item, score, offset in zip(evidence, scored, offsets, strict=True):
            features = {
                "answer_logit": score.raw, "span_score": score.span_score, "null_margin": score.null_margin,
                "lexical": item.sentence.score,
                "cosine": item.cosine, "coverage": item.coverage,
                "chunk_coverage": term_coverage(question, item.chunk, self.index.bm25), "prior": item.prior,
                "missing_names": float(len(missing_names(question, item.chunk))),
                "missing_numbers": float(len(question_numbers - set(numbers_in(item.chunk)))),
                "typed": float(kind is not None),
                "typed_span": float(kind is not None and best_span(item.sentence.text, question, kind) is not None),
            }
            found.append((item, score, offset, features))
        return found

    def probability(self, features: dict[str, float]) -> float:
        """The stack's probability; without one, the cross-encoder's calibrated probability."""
        if not self.stack:
            return self.encoder.calibrate(features["answer_logit"])
        return _stacked(self.stack, features)


def _stacked(stack: dict, features: dict[str, float]) -> float:
    """A manifest stack's probability: sigmoid(bias + weights · features)."""
    z = stack["bias"] + sum(w * features[name] for name, w in zip(stack["features"], stack["weights"], strict=True))
    return float(1.0 / (1.0 + np.exp(-z)))


def _rescored(sentence: Sentence, probability: float) -> Sentence:
    return Sentence(sentence.source, sentence.start, sentence.end, sentence.text, sentence.page,
                    round(probability, 4))


def _short_answer(sentence: str, span: tuple[int, int] | None, offset: int, score: float) -> Span | None:
    """The model's span when it lies inside the sentence and is confident, with a number's unit."""
    if span is None or score < MIN_SPAN_SCORE:
        return None
    start, end = span[0] - offset, span[1] - offset
    if start < 0 or end > len(sentence) or end <= start or end - start >= len(sentence) - 1:
        return None
    if re.fullmatch(r"[$€£]?\d[\d,.]*", sentence[start:end]):
        start, end = _with_unit(sentence, start, end)
    return Span(start, end, sentence[start:end], score)


JUDGE_FEATURES = ("support_logit", "coverage", "cosine", "numbers_ok", "novel_names")


class LearnedJudge:
    """The grounding judge on the cross-encoder's support head (same interface as the lexical
    `GroundingJudge`). A logistic layer fitted on dev claims (the manifest's `judge_stack`) weighs
    the support logit (best of each passage and of the passages together) with lexical evidence;
    a claim with a number the passages do not contain is never supported."""

    def __init__(self, encoder: CrossEncoder, index: Index, embedder: Embedder, threshold: float | None = None):
        self.encoder, self.index, self.embedder = encoder, index, embedder
        self.stack = encoder.manifest["calibration"].get("judge_stack")
        self.threshold = encoder.support_threshold if threshold is None else threshold

    @property
    def description(self) -> str:
        how = "support head + lexical evidence (logistic layer)" if self.stack else "support head"
        return (f"learned: {self.encoder.name} {how} >= {self.threshold:g}, and every number in the claim "
                f"appears in the passages")

    def prepare(self, texts: list[str]) -> None:
        """Nothing to precompute (kept for the lexical judge's interface)."""

    def judge(self, claim: str, passages: list[str]):
        return self._judge(claim, claim, passages)

    def judge_answer(self, question: str, answer: str, passages: list[str]):
        """The cross-encoder reads the question with its answer; the lexical evidence looks at what the
        answer adds to the question (as the lexical judge does)."""
        from .verify import answer_claim

        return self._judge(claim_text(question, answer), answer_claim(question, answer), passages)

    def judge_each(self, claim: str, passages: list[str]):
        return [self._judge(claim, claim, [passage]) for passage in passages]

    def features(self, claim: str, lexical_claim: str, passages: list[str]) -> dict[str, float]:
        joined = " ".join(passages)
        logits = self.encoder.support_logits(claim, passages + ([joined] if len(passages) > 1 else []))
        vectors = self.embedder.embed([lexical_claim, joined])
        return {"support_logit": max(logits), "coverage": term_coverage(lexical_claim, joined, self.index.bm25),
                "cosine": float(vectors[0] @ vectors[1]),
                "numbers_ok": float(numbers_consistent(lexical_claim, joined)),  # the question's numbers are no claim
                "novel_names": float(len(missing_names(lexical_claim, joined)))}

    def probability(self, features: dict[str, float]) -> float:
        if not self.stack:
            return float(1.0 / (1.0 + np.exp(-features["support_logit"])))
        return _stacked(self.stack, features)

    def _judge(self, claim: str, lexical_claim: str, passages: list[str]):
        from .verify import Judgement

        passages = [p for p in passages if p and p.strip()]
        if not passages:
            return Judgement(False, 0.0, 0.0, True)
        features = self.features(claim, lexical_claim, passages)
        probability = self.probability(features)
        numbers_ok = bool(features["numbers_ok"])
        return Judgement(numbers_ok and probability >= self.threshold, round(probability, 4),
                         round(features["coverage"], 4), numbers_ok)
