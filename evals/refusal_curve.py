"""What every refusal threshold would trade, from one eval run at threshold 0 (`groundqa eval
--refusal-curve`): how many answerable questions keep their gold answer and how many unanswerable
ones are refused. It is how to choose `refusal_threshold` on a labelled set of your own, and how to
compare readers whatever threshold each chose (the AUC ranks by confidence alone).

A question the engine refused even at threshold 0 (no candidate sentence, an answer that failed
verification, an error) counts as refused at every threshold.
"""

from __future__ import annotations

import numpy as np

THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
BOOTSTRAP_SAMPLES = 2000


def answer_score(row: dict) -> float:
    """The confidence a question was answered with; -1 when it was refused or raised.

    >>> answer_score({"refused": False, "confidence": 0.7}), answer_score({"refused": True, "confidence": 0.7})
    (0.7, -1.0)
    """
    if row.get("refused") is not False or row.get("confidence") is None:
        return -1.0
    return float(row["confidence"])


def _arrays(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, answerable, gold in the answer given at threshold 0) per question."""
    score = np.array([answer_score(r) for r in rows])
    answerable = np.array([bool(r["answerable"]) for r in rows])
    gold = np.array([bool(r.get("contains")) for r in rows]) & (score >= 0)
    return score, answerable, gold


def refusal_curve(rows: list[dict], thresholds=THRESHOLDS) -> list[dict]:
    """For each threshold: answerable questions answered, and answered with the gold; unanswerable
    ones refused; refusal accuracy; and the mean of gold-in-answer and refused (what `groundqa train`
    maximises when it chooses a threshold on dev data)."""
    score, answerable, gold = _arrays(rows)
    curve = []
    for threshold in sorted(set(thresholds)):
        answered = score >= threshold
        point = {"threshold": float(threshold),
                 "answered": _share(answered[answerable]),
                 "gold_in_answer": _share((answered & gold)[answerable]),
                 "refused": _share(~answered[~answerable]),
                 "refusal_accuracy": _share(answered == answerable)}
        both = [point["gold_in_answer"], point["refused"]]
        point["balanced"] = None if None in both else round(sum(both) / 2, 3)  # type: ignore[arg-type]
        curve.append(point)
    return curve


def confidence_auc(rows: list[dict]) -> float | None:
    """The chance that an answerable question whose gold the reader finds gets a higher confidence
    than an unanswerable one (ties count half); None without both kinds.

    >>> rows = [{"refused": False, "confidence": c, "answerable": a, "contains": a} for c, a in
    ...         ((0.9, True), (0.6, True), (0.7, False), (0.2, False))]
    >>> confidence_auc(rows)
    0.75
    """
    score, answerable, gold = _arrays(rows)
    return _picked_auc(score, answerable, gold, np.arange(len(score)))


def auc_interval(rows: list[dict], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float] | None:
    """95% bootstrap interval of `confidence_auc` (questions resampled)."""
    score, answerable, gold = _arrays(rows)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(samples):
        value = _picked_auc(score, answerable, gold, rng.integers(0, len(score), len(score)))
        if value is not None:
            values.append(value)
    return (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))) if values else None


def paired_auc_difference(first: list[dict], second: list[dict], samples: int = BOOTSTRAP_SAMPLES,
                          seed: int = 0) -> tuple[float, float, float] | None:
    """AUC of `first` minus AUC of `second` on the same questions (matched by set and id), with the
    95% interval of a paired bootstrap; None when they share no questions of both kinds."""
    by_key = {(r["set"], r["id"]): r for r in second}
    pairs = [(r, by_key[(r["set"], r["id"])]) for r in first if (r["set"], r["id"]) in by_key]
    if not pairs:
        return None
    a_score, answerable, a_gold = _arrays([a for a, _ in pairs])
    b_score, _, b_gold = _arrays([b for _, b in pairs])
    difference = _difference(a_score, a_gold, b_score, b_gold, answerable, np.arange(len(pairs)))
    if difference is None:
        return None
    rng = np.random.default_rng(seed)
    values = [d for _ in range(samples)
              if (d := _difference(a_score, a_gold, b_score, b_gold, answerable,
                                   rng.integers(0, len(pairs), len(pairs)))) is not None]
    return (round(difference, 3), round(float(np.percentile(values, 2.5)), 3),
            round(float(np.percentile(values, 97.5)), 3))


def curve_table(curve: list[dict], own: float | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) for the report and the terminal; the reader's own threshold is marked. Answered
    and gold in answer are shares of the answerable questions, refused of the unanswerable ones."""
    header = ["threshold", "answered", "gold in answer", "refused", "refusal accuracy", "mean of gold and refused"]
    rows = [[f"{p['threshold']:.3g}" + (" (own)" if own is not None and abs(p["threshold"] - own) < 1e-9 else ""),
             *(_shown(p[k]) for k in ("answered", "gold_in_answer", "refused", "refusal_accuracy", "balanced"))]
            for p in curve]
    return header, rows


def _difference(a_score, a_gold, b_score, b_gold, answerable, pick) -> float | None:
    first, second = _picked_auc(a_score, answerable, a_gold, pick), _picked_auc(b_score, answerable, b_gold, pick)
    return None if first is None or second is None else first - second


def _picked_auc(score: np.ndarray, answerable: np.ndarray, gold: np.ndarray, pick: np.ndarray) -> float | None:
    """`auc` over the questions at `pick` (a bootstrap sample, or all of them)."""
    score, answerable, gold = score[pick], answerable[pick], gold[pick]
    return auc(score[answerable & gold], score[~answerable])


def auc(positives: np.ndarray, negatives: np.ndarray) -> float | None:
    """The chance that a positive scores above a negative (ties count half); None without both.

    >>> auc(np.array([0.9, 0.5]), np.array([0.5, 0.1]))
    0.875
    """
    if not len(positives) or not len(negatives):
        return None
    above = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (positives[:, None] == negatives[None, :]).sum()
    return float(above / (len(positives) * len(negatives)))


def _share(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 3) if len(values) else None


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
