"""Per-case metrics: answers (SQuAD normalisation) and retrieval ranks."""

from __future__ import annotations

import math
import re
import string
from collections import Counter


def normalize(text: str) -> str:
    text = text.lower().replace("“", "").replace("”", "").replace("’", "'")
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: list[str]) -> float:
    return float(any(normalize(prediction) == normalize(g) for g in golds))


def token_f1(prediction: str, golds: list[str]) -> float:
    best = 0.0
    predicted = normalize(prediction).split()
    for gold in golds:
        expected = normalize(gold).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_gold(prediction: str, golds: list[str]) -> float:
    text = f" {normalize(prediction)} "
    return float(any(normalize(g) and f" {normalize(g)} " in text for g in golds))


RETRIEVAL_KS = (1, 3, 5, 10)


def retrieval_scores(relevant: list[bool], relevant_total: int) -> dict:
    """hit@k, reciprocal rank and nDCG@10 (binary relevance) of one ranked list.

    `relevant[i]` says whether the chunk at rank i+1 is relevant; `relevant_total` is how many
    relevant chunks the whole index holds (the ideal ranking for nDCG).

    >>> retrieval_scores([False, True, False], relevant_total=1)["mrr"]
    0.5
    """
    first = next((rank for rank, hit in enumerate(relevant, start=1) if hit), None)
    scores: dict[str, float | None] = {f"hit@{k}": float(first is not None and first <= k) for k in RETRIEVAL_KS}
    scores["mrr"] = 1.0 / first if first else 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(relevant[:10], start=1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(relevant_total, 10) + 1))
    scores["ndcg@10"] = dcg / ideal if ideal else 0.0
    scores["first_relevant_rank"] = first
    return scores
