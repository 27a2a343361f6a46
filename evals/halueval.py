"""HaluEval QA as an external benchmark (data written by others; see evals/data/halueval/README.md).

1. End to end: every distinct knowledge text becomes a document (~10k); each question of the
   split runs through the same metrics, with the record's own knowledge as the relevant document
   and `right_answer` as gold.
2. The grounding judge on (knowledge, right_answer) vs (knowledge, hallucinated_answer) pairs:
   accuracy and precision/recall of "unsupported", overall and on length-matched pairs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from pathlib import Path

from groundqa import Assistant
from groundqa.errors import InputError
from groundqa.index import Embedder, groundqa_home, shared_embedder
from groundqa.index.text import words
from groundqa.verify import Judge

from .cases import Case
from .report import format_value
from .run import EvalResult, evaluate
from .summary import mean_with_ci

DATA = Path(__file__).parent / "data" / "halueval" / "qa_data.jsonl.gz"
DEV_RECORDS = 8000
SPLITS = ("dev", "test")
FIELDS = ("knowledge", "question", "right_answer", "hallucinated_answer")
SWEEP = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
_PARAGRAPH_JOIN = re.compile(r"(?<=[a-z0-9)\]\"'%]\.)(?=[A-Z])")  # "...period.Next paragraph"


def load_records(data: str | Path = DATA) -> list[dict]:
    data = Path(data)
    if not data.exists():
        raise InputError(f"HaluEval data not found at {data}")
    records = []
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                records.append(_record(line, f"{data}:{number}"))
    return records


def _record(line: str, where: str) -> dict:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise InputError(f"{where}: not a JSON line ({exc})") from None
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in FIELDS):
        raise InputError(f"{where}: a HaluEval record needs the text fields {', '.join(FIELDS)}")
    return record


def split_records(records: list[dict], split: str) -> list[tuple[int, dict]]:
    """(line number, record) of a split: dev = lines 1-8,000, test = the rest."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {SPLITS}. Currently, split is {split!r}")
    numbered = list(enumerate(records, start=1))
    return [(n, r) for n, r in numbered if (n <= DEV_RECORDS) == (split == "dev")]


def write_corpus(records: list[dict], folder: Path) -> dict[str, str]:
    """One file per distinct knowledge text, paragraphs split apart; returns knowledge -> file name."""
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for record in records:
        knowledge = record["knowledge"]
        if knowledge in names:
            continue
        names[knowledge] = f"k{len(names):05d}.txt"
        path = folder / names[knowledge]
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.write_text(_PARAGRAPH_JOIN.sub("\n\n", knowledge), encoding="utf-8")
            os.replace(partial, path)
    return names


def run_halueval(split: str = "test", limit: int | None = None, data: str | Path = DATA, *,
                 report_dir: str | Path | None = None, show_progress: bool = False,
                 embedder: Embedder | None = None, **settings) -> EvalResult:
    """Index the whole HaluEval corpus (cached under $GROUNDQA_HOME; about a minute the first
    time), then evaluate one split: `run_halueval("dev", limit=200).summary["answer.contains"]`.
    The splits are fixed by record number:

    >>> records = load_records()
    >>> len(split_records(records, "dev")), len(split_records(records, "test"))
    (8000, 2000)
    """
    records = load_records(data)
    selected = split_records(records, split)[: limit if limit else None]
    if not selected:
        raise InputError(f"the {split} split of {data} is empty: the file has {len(records)} records and the "
                         f"test split starts at record {DEV_RECORDS + 1:,}")
    digest = hashlib.sha256(Path(data).read_bytes()).hexdigest()[:10]
    home = groundqa_home() / "benchmarks" / f"halueval-{digest}"
    names = write_corpus(records, home / "docs")
    embedder = embedder or shared_embedder()
    # One cached index per embedder, so comparing backends does not rebuild on every switch.
    assistant = Assistant(index_dir=home / f"index-{embedder.backend}", sources=home / "docs", embedder=embedder,
                          **settings)
    assistant.build(show_progress=show_progress)
    cases = [Case(f"line-{number}", record["question"], [record["right_answer"]], True,
                  source=names[record["knowledge"]], set=f"halueval-{split}") for number, record in selected]
    result = evaluate(cases, assistant, show_progress=show_progress,
                      title=f"HaluEval QA, {split} split ({len(cases)} questions, {len(names)} documents)")
    judge = assistant.grounding_judge()
    calibration = judge_calibration([r for _, r in selected], judge, sweep=split == "dev")
    result.extra = {"judge_calibration": calibration, "tables": calibration_tables(calibration)}
    if report_dir is not None:
        from .report import write_report

        write_report(result, report_dir)
    return result


def judge_calibration(records: list[dict], judge: Judge, sweep: bool = False) -> dict:
    """How well the judge tells right answers (supported) from hallucinated ones (unsupported)."""
    judge.prepare([r["knowledge"] for r in records])
    scored = []  # (answer words, truly unsupported, judged unsupported, score)
    for record in records:
        for answer, hallucinated in ((record["right_answer"], False), (record["hallucinated_answer"], True)):
            judgement = judge.judge_answer(record["question"], answer, [record["knowledge"]])
            score = judgement.score if judgement.numbers_ok else -1.0
            scored.append((len(words(answer)), hallucinated, not judgement.supported, score))
    matched = [pair for i in range(0, len(scored), 2) if abs(scored[i][0] - scored[i + 1][0]) <= 1
               for pair in scored[i: i + 2]]
    result = {"judge": judge.description, "threshold": judge.threshold, "pairs": len(records),
              **_judge_scores(scored), "length_matched": {"pairs": len(matched) // 2, **_judge_scores(matched)}}
    if sweep:
        result["sweep"] = {str(t): _judge_scores([(n, h, s < t, s) for n, h, _, s in scored])["accuracy"]["value"]
                           for t in SWEEP}
    return result


def calibration_tables(calibration: dict) -> dict:
    """Report tables for the judge calibration (report.py renders them)."""
    header = ["pairs", "judgements", "accuracy (95% CI)", "precision(unsupported)", "recall(unsupported)"]
    rows = []
    for label, block in (("all pairs", calibration), ("length-matched pairs (±1 word)", calibration["length_matched"])):
        accuracy = block["accuracy"]
        interval = f"{format_value(accuracy['low'])}–{format_value(accuracy['high'])}"
        rows.append([f"{label}: {block['pairs']}", str(accuracy["n"]),
                     f"{format_value(accuracy['value'])} ({interval})",
                     format_value(block["unsupported_precision"]), format_value(block["unsupported_recall"])])
    tables = {f"Grounding judge on HaluEval pairs (threshold {calibration['threshold']})": (header, rows)}
    if "sweep" in calibration:
        tables["Judge threshold sweep (dev split only)"] = (["threshold", "accuracy"],
                                                            [[t, str(a)] for t, a in calibration["sweep"].items()])
    return tables


def _judge_scores(scored: list[tuple]) -> dict:
    correct = [float(truth == judged) for _, truth, judged, _ in scored]
    flagged = [truth for _, truth, judged, _ in scored if judged]
    hallucinated = [judged for _, truth, judged, _ in scored if truth]
    return {"accuracy": mean_with_ci(correct),
            "unsupported_precision": round(sum(flagged) / len(flagged), 4) if flagged else None,
            "unsupported_recall": round(sum(hallucinated) / len(hallucinated), 4) if hallucinated else None}
