"""Run an eval set through the assistant and score answers, refusals and citations."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from assistant import Answer, Assistant
from assistant.verify import sentences_cited
from sources import read_text

from .cases import Case, load_cases
from .metrics import contains_gold, exact_match, token_f1


def citations_valid(answer: Answer, source_root: str | Path) -> bool:
    """Every citation's quote is the source file's normalised text at its offsets."""
    return all(read_text(Path(source_root) / c.source)[c.start:c.end] == c.quote for c in answer.citations)


def score_case(case: Case, answer: Answer, source_root: str | Path, seconds: float) -> dict:
    short = answer.short_answer or ""
    row = {
        "id": case.id, "question": case.question, "answerable": case.answerable, "refused": answer.refused,
        "refusal_correct": answer.refused != case.answerable, "answer": answer.text, "short_answer": short,
        "gold": case.answers, "standalone_question": answer.standalone_question,
        "confidence": answer.confidence, "citation_valid": citations_valid(answer, source_root),
        "sentences_cited": sentences_cited(answer.text, answer.citations, answer.refused), "seconds": round(seconds, 4),
        "citations": [c.quote for c in answer.citations],
    }
    if case.answerable:
        answered = not answer.refused
        row["correct"] = answered and bool(contains_gold(answer.text, case.answers))
        row["short_correct"] = answered and bool(contains_gold(short, case.answers))
        row["exact_match"] = exact_match(short, case.answers) if answered else 0.0
        row["f1"] = token_f1(short or answer.text, case.answers) if answered else 0.0
        if case.support:
            row["support_cited"] = any(case.support in c.quote or c.quote in case.support
                                       for c in answer.citations if not c.context_only)
    return row


def run_eval(set_path: str | Path, assistant: Assistant | None = None) -> tuple[list[dict], dict]:
    """(per-case rows, summary) for one eval set.

    >>> rows, summary = run_eval("evals/sets/istanbul.jsonl")   # doctest: +SKIP
    """
    assistant = assistant or Assistant()
    cases, problems = load_cases(set_path)
    assistant.warm_up()
    source_root = assistant.index.source_root
    rows = []
    for case in cases:
        started = time.perf_counter()
        answer = assistant.ask(case.question, case.history)
        rows.append(score_case(case, answer, source_root, time.perf_counter() - started))
    return rows, summarize(rows, problems)


def summarize(rows: list[dict], problems: list[str] | None = None) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    seconds = sorted(r["seconds"] for r in rows)

    def share(items, key):
        return round(sum(bool(r.get(key)) for r in items) / len(items), 4) if items else None

    return {
        "cases": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "answer_accuracy": share(answerable, "correct"),
        "short_answer_accuracy": share(answerable, "short_correct"),
        "exact_match": round(statistics.fmean(r["exact_match"] for r in answerable), 4) if answerable else None,
        "f1": round(statistics.fmean(r["f1"] for r in answerable), 4) if answerable else None,
        "refusal_accuracy": share(rows, "refusal_correct"),
        "refused_unanswerable": share(unanswerable, "refused"),
        "answered_answerable": round(1 - share(answerable, "refused"), 4) if answerable else None,
        "support_cited": share([r for r in answerable if "support_cited" in r], "support_cited"),
        "citation_validity": share(rows, "citation_valid"),
        "sentences_cited": share(rows, "sentences_cited"),
        "latency_p50_s": round(statistics.median(seconds), 4) if seconds else None,
        "latency_p95_s": round(seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 4) if seconds else None,
        "malformed_lines": problems or [],
    }
