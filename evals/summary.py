"""Aggregate per-case rows into metrics with bootstrap 95% confidence intervals, and gate on them.

Every metric is a statistic of one per-case column over the cases where it applies (None = does
not apply), so one resampling of the cases serves all metrics at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from groundqa.errors import InputError

RESAMPLES = 1000


@dataclass(frozen=True)
class Metric:
    name: str
    column: str
    statistic: str = "mean"      # "mean" | "p50" | "p95"
    description: str = ""


METRICS = (
    Metric("retrieval.hit@1", "hit@1", description="a relevant chunk is ranked first (answerable cases)"),
    Metric("retrieval.hit@3", "hit@3", description="a relevant chunk is in the top 3"),
    Metric("retrieval.hit@5", "hit@5", description="a relevant chunk is in the top 5"),
    Metric("retrieval.hit@10", "hit@10", description="a relevant chunk is in the top 10"),
    Metric("retrieval.mrr", "mrr", description="mean reciprocal rank of the first relevant chunk"),
    Metric("retrieval.ndcg@10", "ndcg@10", description="normalised discounted cumulative gain, binary relevance"),
    Metric("answer.exact_match", "exact_match", description="SQuAD exact match of the short answer"),
    Metric("answer.f1", "f1", description="SQuAD token F1 of the short answer"),
    Metric("answer.contains", "contains", description="a gold alias appears in the answer (refusal = 0)"),
    Metric("refusal.precision", "refusal_precision", description="refused cases that were unanswerable"),
    Metric("refusal.recall", "refusal_recall", description="unanswerable cases that were refused"),
    Metric("refusal.accuracy", "refusal_correct", description="answered iff answerable"),
    Metric("grounding.citation_recall", "citation_recall", description="answer sentences their citations support"),
    Metric("grounding.citation_precision", "citation_precision", description="citations that are needed/support"),
    Metric("citations.span_validity", "span_validity", description="quotes equal to the source at their offsets"),
    Metric("citations.sentences_cited", "sentences_cited", description="answer sentences carrying a citation"),
    Metric("run.errors", "error", description="cases whose answer raised an error (each also scores as a failure)"),
    Metric("latency.p50_s", "seconds", "p50", "seconds per question, median"),
    Metric("latency.p95_s", "seconds", "p95", "seconds per question, 95th percentile"),
)
CEILINGS = ("latency.", "run.errors")  # metrics where higher is worse: --fail-under gives their ceiling
DERIVED = {"refusal.f1": ("refusal.precision", "refusal.recall")}
NAMES = tuple(m.name for m in METRICS) + tuple(DERIVED)


def summarize(rows: list[dict], resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """{metric name: {"value", "low", "high", "n"}} plus "cases" and "total_s".

    `value` is the statistic over the applicable cases; `low`/`high` the 2.5th and 97.5th
    percentiles of the same statistic over `resamples` bootstrap resamples of all cases.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(rows), size=(resamples, len(rows))) if rows else np.zeros((0, 0), int)
    summary: dict = {"cases": len(rows), "total_s": round(sum(r.get("seconds", 0.0) for r in rows), 3)}
    resampled = {}
    for metric in METRICS:
        values = np.array([_number(r.get(metric.column)) for r in rows], dtype=float)
        value = _statistic(values[None, :], metric.statistic)[0] if rows else np.nan
        resampled[metric.name] = _statistic(values[draws], metric.statistic) if rows else np.array([])
        summary[metric.name] = _entry(value, resampled[metric.name], int(np.sum(~np.isnan(values))))
    for name, (precision, recall) in DERIVED.items():
        value = _f1(np.array([summary[precision]["value"]], float), np.array([summary[recall]["value"]], float))[0]
        summary[name] = _entry(value, _f1(resampled[precision], resampled[recall]),
                               min(summary[precision]["n"], summary[recall]["n"]))
    return summary


def mean_with_ci(values: list[float], resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """{"value", "low", "high", "n"} of a mean with its bootstrap 95% CI (None values are skipped)."""
    array = np.array([_number(v) for v in values], dtype=float)
    if not array.size:
        return _entry(np.nan, np.array([]), 0)
    draws = np.random.default_rng(seed).integers(0, array.size, size=(resamples, array.size))
    return _entry(_statistic(array[None, :], "mean")[0], _statistic(array[draws], "mean"),
                  int(np.sum(~np.isnan(array))))


def failing_thresholds(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """Messages for every metric below its floor (latency metrics: above their ceiling)."""
    failures = []
    for name, floor in thresholds.items():
        _check_name(name)
        value = summary[name]["value"]
        ceiling = name.startswith(CEILINGS)
        if value is None or (value > floor if ceiling else value < floor):
            relation = "above the ceiling" if ceiling else "under"
            failures.append(f"{name} = {value} is {relation} {floor}")
    return failures


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    """["answer.contains=0.9", ...] -> {"answer.contains": 0.9}"""
    thresholds = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--fail-under takes metric=value, e.g. answer.contains=0.9. "
                             f"Currently, it is {spec!r}") from None
        _check_name(name.strip())
    return thresholds


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise InputError(f"unknown metric {name!r} in --fail-under; choose from: {', '.join(NAMES)}")


def _number(value) -> float:
    if value is None:
        return np.nan
    return float(value)


def _statistic(matrix: np.ndarray, statistic: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resamples: the metric does not apply
        if statistic == "mean":
            return np.nanmean(matrix, axis=1)
        return np.nanpercentile(matrix, {"p50": 50, "p95": 95}[statistic], axis=1)


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    return np.where((precision + recall) == 0, 0.0, f1)


def _entry(value, resampled: np.ndarray, n: int) -> dict:
    finite = resampled[~np.isnan(resampled)] if resampled.size else resampled
    low, high = (np.percentile(finite, [2.5, 97.5]) if finite.size else (np.nan, np.nan))
    return {"value": _round(value), "low": _round(low), "high": _round(high), "n": n}


def _round(value) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 4)
