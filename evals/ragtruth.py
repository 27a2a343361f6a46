"""RAGTruth QA (817 real LLM responses with human-marked hallucination spans; test data, report only):
the grounding judge reads each response sentence against the record's passages.

A response is hallucinated when any of its sentences is judged unsupported; a sentence is truly
hallucinated when it overlaps a human-marked span (spans marked `implicit_true` — true, but not in
the passages — count: a claim the passages do not support is what the judge must catch). Reported:
response-level and sentence-level precision/recall/F1 of "hallucinated", with bootstrap 95% CIs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from groundqa.index import sentence_spans
from groundqa.verify import Judge

from .summary import RESAMPLES

_PASSAGE = re.compile(r"(?:^|\n\n)passage \d+:", re.I)


def load_ragtruth(path: str | Path) -> list[dict]:
    from groundqa.errors import InputError

    try:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read RAGTruth data at {path} ({exc}); pass --data ragtruth-qa.jsonl") from None
    for row in rows:
        if not all(isinstance(row.get(k), str) for k in ("response", "passages")):
            raise InputError(f"{path}: a RAGTruth record needs 'response' and 'passages' text")
    return rows


def passages_of(record: dict) -> list[str]:
    return [p.strip() for p in _PASSAGE.split(record["passages"]) if p.strip()]


def judge_ragtruth(records: list[dict], judge: Judge, show_progress: bool = False) -> dict:
    """Per-sentence judgements and the response- and sentence-level scores."""
    from tqdm import tqdm

    sentences, responses = [], []
    for record in tqdm(records, desc="ragtruth", unit="response", disable=not show_progress):
        passages = passages_of(record)
        spans = [(s["start"], s["end"]) for s in record.get("hallucination_spans", [])]
        flagged_any = truly_any = False
        for start, end in sentence_spans(record["response"]):
            claim = record["response"][start:end]
            if not re.search(r"\w{3}", claim):
                continue
            judged = not judge.judge(claim, passages).supported
            truth = any(a < end and b > start for a, b in spans)
            sentences.append((truth, judged))
            flagged_any |= judged
            truly_any |= truth
        responses.append((bool(spans) or truly_any, flagged_any))
    return {"judge": judge.description, "responses": len(responses), "sentences": len(sentences),
            "response_level": _scores(responses), "sentence_level": _scores(sentences)}


def _scores(pairs: list[tuple[bool, bool]], seed: int = 0) -> dict:
    truth = np.array([t for t, _ in pairs], dtype=bool)
    judged = np.array([j for _, j in pairs], dtype=bool)
    point = _prf(truth, judged)
    draws = np.random.default_rng(seed).integers(0, len(pairs), size=(RESAMPLES, len(pairs)))
    resampled = np.array([_prf(truth[d], judged[d]) for d in draws])
    low, high = np.nanpercentile(resampled, [2.5, 97.5], axis=0)
    names = ("precision", "recall", "f1")
    return {name: {"value": round(point[i], 4), "low": round(float(low[i]), 4), "high": round(float(high[i]), 4)}
            for i, name in enumerate(names)} | {"positives": int(truth.sum()), "n": len(pairs)}


def _prf(truth: np.ndarray, judged: np.ndarray) -> tuple[float, float, float]:
    hits = float(np.sum(truth & judged))
    precision = hits / judged.sum() if judged.sum() else float("nan")
    recall = hits / truth.sum() if truth.sum() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def ragtruth_tables(result: dict) -> dict:
    rows = []
    for level in ("response_level", "sentence_level"):
        block = result[level]
        rows.append([level.replace("_", " "), str(block["n"]), str(block["positives"])]
                    + [f"{block[m]['value']:.3f} ({block[m]['low']:.3f}–{block[m]['high']:.3f})"
                       for m in ("precision", "recall", "f1")])
    return {f"RAGTruth QA hallucination detection — {result['judge']}":
            (["level", "n", "hallucinated", "precision (95% CI)", "recall (95% CI)", "F1 (95% CI)"], rows)}
