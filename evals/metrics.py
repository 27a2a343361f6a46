"""Answer metrics with SQuAD normalisation."""

from __future__ import annotations

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
