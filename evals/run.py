"""Run eval sets through the assistant and score retrieval, answers, refusals and grounding."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from groundqa import Answer, Assistant, Citation
from groundqa.errors import GroundQAError
from groundqa.index import Index
from groundqa.index.filters import split_conditions
from groundqa.sources import read_text
from groundqa.verify import Judge, bare_claim, sentences_cited

from .cases import BUNDLED_SETS, Case, load_cases
from .grounding import citation_grounding
from .metrics import contains_gold, exact_match, normalize, retrieval_scores, token_f1
from .summary import summarize

RETRIEVAL_DEPTH = 10
log = logging.getLogger("groundqa")


@dataclass
class EvalResult:
    """Per-case rows, the aggregate summary (overall and per set) and problems (skipped lines,
    cases whose relevance cannot be judged)."""

    rows: list[dict]
    summary: dict
    by_set: dict[str, dict]
    problems: list[str] = field(default_factory=list)
    judge: str = ""
    title: str = "groundqa evaluation"
    reader: str = ""
    extra: dict = field(default_factory=dict)

    def failures(self) -> list[dict]:
        return [row for row in self.rows if row["failures"]]


def run_eval(sets: str | Path | list[str | Path] | None = None, assistant: Assistant | None = None, *,
             report_dir: str | Path | None = None, show_progress: bool = False) -> EvalResult:
    """Run one or more JSONL eval sets (default: the bundled ones) and optionally write a report.

    >>> from groundqa.evals import BUNDLED_SETS, run_eval
    >>> result = run_eval(BUNDLED_SETS / "istanbul.jsonl")
    >>> result.summary["answer.contains"]["value"], result.summary["refusal.accuracy"]["n"]
    (1.0, 41)
    """
    if sets is None:
        sets = sorted(BUNDLED_SETS.glob("*.jsonl"))
    sets = [sets] if isinstance(sets, (str, Path)) else list(sets)
    cases, problems = [], []
    for set_path in sets:
        loaded, skipped = load_cases(set_path)
        cases += loaded
        problems += skipped
    result = evaluate(cases, assistant or Assistant(), show_progress=show_progress, problems=problems,
                      title=f"groundqa evaluation: {', '.join(Path(s).name for s in sets)}")
    if report_dir is not None:
        from .report import write_report

        write_report(result, report_dir)
    return result


def evaluate(cases: list[Case], assistant: Assistant, *, show_progress: bool = False,
             problems: list[str] | None = None, title: str = "groundqa evaluation") -> EvalResult:
    """Ask every case, score it, and aggregate with bootstrap confidence intervals."""
    from tqdm import tqdm

    assistant.embedder.forget()  # latency starts cold, not on sentence vectors an earlier run remembered
    assistant.warm_up()
    index = assistant.index
    judge = assistant.grounding_judge()
    relevance = Relevance(index)
    sources = SourceTexts(index.source_root)
    rows, problems = [], list(problems or [])
    for case in tqdm(cases, desc="eval", unit="q", disable=not show_progress):
        started = time.perf_counter()
        try:
            where = split_conditions(case.where)
            answer = assistant.ask(case.question, case.history, where=where)
            seconds = time.perf_counter() - started
            hits = assistant.retrieve(answer.standalone_question or case.question, top_k=RETRIEVAL_DEPTH, where=where)
            ranked = [relevance.is_relevant(case, hit.chunk) for hit in hits]
            relevant_total = relevance.total(case)
            if case.answerable and (case.support or case.source) and not relevant_total:
                problems.append(f"{case.set}/{case.id}: no indexed chunk contains its support quote or comes "
                                f"from its source, so its retrieval is not scored")
            rows.append(score_case(case, answer, seconds, judge, sources, ranked, relevant_total))
        except Exception as exc:  # one bad case must not end the run: it is scored as failed, with its reason
            log.exception("eval case %s/%s raised", case.set, case.id)
            rows.append(error_row(case, exc, time.perf_counter() - started))
    by_set = {name: summarize([r for r in rows if r["set"] == name]) for name in dict.fromkeys(r["set"] for r in rows)}
    readers = sorted({r["reader"] for r in rows if r.get("reader")})
    return EvalResult(rows, summarize(rows), by_set, problems, judge.description, title, ", ".join(readers))


def score_case(case: Case, answer: Answer, seconds: float, judge: Judge, sources: SourceTexts,
               ranked: list[bool] | None = None, relevant_total: int = 0) -> dict:
    """One results.jsonl row: the case, the answer, and every per-case metric (None = not applicable)."""
    answered = not answer.refused
    row: dict = {
        "id": case.id, "set": case.set, "question": case.question, "history": case.history, "where": case.where,
        "answerable": case.answerable, "gold": case.answers, "refused": answer.refused,
        "answer": answer.text, "short_answer": answer.short_answer,
        "standalone_question": answer.standalone_question, "confidence": answer.confidence, "reader": answer.reader,
        "seconds": round(seconds, 4),
        "citations": [{"number": c.number, "source": c.source, "quote": c.quote, "start": c.start, "end": c.end,
                       "page": c.page, "context_only": c.context_only, "valid": sources.holds(c)}
                      for c in answer.citations],
        "refusal_correct": float(answer.refused != case.answerable),
        "refusal_precision": float(not case.answerable) if answer.refused else None,
        "refusal_recall": float(answer.refused) if not case.answerable else None,
        "sentences_cited": float(sentences_cited(answer.text, answer.citations, answer.refused)),
    }
    row["span_validity"] = (sum(c["valid"] for c in row["citations"]) / len(row["citations"])
                            if row["citations"] else None)
    prediction = (answer.short_answer or bare_claim(answer.text)) if answered else ""
    for name, metric in (("exact_match", exact_match), ("f1", token_f1)):
        row[name] = metric(prediction, case.answers) if case.answerable else None
    row["contains"] = (contains_gold(answer.text, case.answers) if answered else 0.0) if case.answerable else None
    offered = " ".join([answer.text if answered else ""] + [c.quote for c in answer.citations])
    row["right_if_answered"] = bool(case.answerable and contains_gold(offered, case.answers))
    grounding = citation_grounding(answer, judge)
    row["citation_recall"], row["citation_precision"] = grounding["citation_recall"], grounding["citation_precision"]
    row["grounding"] = grounding["sentences"]
    scores = retrieval_scores(ranked, relevant_total) if case.answerable and ranked is not None and relevant_total \
        else {}
    for key in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "first_relevant_rank"):
        row[key] = scores.get(key)
    row["error"] = 0.0
    row["failures"] = _failures(row)
    return row


def error_row(case: Case, exc: Exception, seconds: float) -> dict:
    """The row of a case whose answer raised: a failure on every metric that applies to it."""
    row: dict = {
        "id": case.id, "set": case.set, "question": case.question, "history": case.history, "where": case.where,
        "answerable": case.answerable, "gold": case.answers, "refused": None, "answer": None,
        "short_answer": None, "standalone_question": None, "confidence": None, "seconds": round(seconds, 4),
        "citations": [], "refusal_correct": 0.0, "refusal_precision": None,
        "refusal_recall": None if case.answerable else 0.0, "sentences_cited": None, "span_validity": None,
        "exact_match": 0.0 if case.answerable else None, "f1": 0.0 if case.answerable else None,
        "contains": 0.0 if case.answerable else None, "citation_recall": None, "citation_precision": None,
        "grounding": [], "error": 1.0, "failures": [f"raised {type(exc).__name__}: {exc}"],
    }
    for key in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "first_relevant_rank"):
        row[key] = None
    return row


class Relevance:
    """A chunk is relevant to a case when it contains the case's `support` quote (SQuAD-normalised);
    without a quote, when it comes from the case's `source` document."""

    def __init__(self, index: Index):
        self.chunks = index.chunks
        self._per_source = index.chunks_per_source
        self._normalized: dict[str, str] = {}

    def is_relevant(self, case: Case, chunk) -> bool:
        if case.support:
            if chunk.id not in self._normalized:
                self._normalized[chunk.id] = f" {normalize(chunk.text)} "
            return f" {normalize(case.support)} " in self._normalized[chunk.id]
        return case.source is not None and chunk.source == case.source

    def total(self, case: Case) -> int:
        if case.support:
            return sum(self.is_relevant(case, chunk) for chunk in self.chunks)
        return self._per_source.get(case.source, 0) if case.source else 0


class SourceTexts:
    """Source files read from disk (once each) to check that quotes equal the text at their offsets."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._texts: dict[str, str | None] = {}

    def holds(self, citation: Citation) -> bool:
        if citation.source not in self._texts:
            try:
                self._texts[citation.source] = read_text(self.root / citation.source)
            except (OSError, GroundQAError):  # a vanished or unreadable file cannot vouch for the quote
                self._texts[citation.source] = None
        text = self._texts[citation.source]
        return text is not None and text[citation.start:citation.end] == citation.quote


def _failures(row: dict) -> list[str]:
    reasons = []
    if row["answerable"] and row["refused"]:
        reasons.append("refused an answerable question")
    elif row["answerable"] and not row["contains"]:
        reasons.append("gold answer not in the answer")
    if not row["answerable"] and not row["refused"]:
        reasons.append("answered an unanswerable question")
    if row["citation_recall"] is not None and row["citation_recall"] < 1:
        reasons.append("an answer sentence is not supported by its citations")
    if row["span_validity"] is not None and row["span_validity"] < 1:
        reasons.append("a citation does not match the source text at its offsets")
    if not row["sentences_cited"]:
        reasons.append("an answer sentence carries no citation")
    return reasons
