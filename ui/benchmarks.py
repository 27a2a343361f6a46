"""`groundqa eval` runs: eval sets, HaluEval, the external sets (SQuAD 2.0, ClapNQ, RGB: groundqa's eval
format plus their corpus folder) and RAGTruth (the grounding judge alone); readers side by side."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from groundqa.errors import InputError

EXTERNAL = {"squad2": "SQuAD 2.0 dev sample", "clapnq": "ClapNQ dev", "rgb": "RGB English fact set"}


def eval_once(args, settings: dict):
    """One evaluation with the given reader/judge settings (no report written)."""
    from groundqa import Assistant
    from groundqa.evals import run_eval

    from .cli import _embedder

    progress = sys.stderr.isatty()
    if args.limit and args.benchmark != "halueval":
        raise InputError("--limit applies to --benchmark halueval and ragtruth only")
    if args.benchmark == "halueval":
        if args.sets or args.sources or args.index_dir:
            raise InputError("--benchmark halueval runs on its own corpus; drop the eval sets, --sources and --index")
        from groundqa.evals.halueval import DATA, run_halueval

        return run_halueval(args.split, args.limit, args.data or DATA, show_progress=progress,
                            embedder=_embedder(args), **settings)
    if args.benchmark in EXTERNAL:
        if not args.data or not args.sources or args.sets:
            raise InputError(f"--benchmark {args.benchmark} takes --data SET.jsonl and --sources CORPUS_DIR "
                             f"(e.g. ../shared/benchmarks/external/squad2-dev500.jsonl and its -corpus folder)")
        sets: list[str | Path] | None = [args.data]
        assistant = Assistant(sources=args.sources, embedder=_embedder(args), **settings)
    else:
        missing = [s for s in args.sets if not os.path.isfile(s)]
        if missing:
            raise InputError(f"eval set not found: {', '.join(missing)}")
        from .cli import _assistant

        sets, assistant = args.sets or None, _assistant(args)
        assistant.settings = assistant.settings.override(**settings)
    result = run_eval(sets, assistant, show_progress=progress)
    if args.benchmark in EXTERNAL:
        result.title = f"{EXTERNAL[args.benchmark]}: {result.title.split(': ', 1)[-1]}"
    return result


def compare_runs(results: dict):
    """The first run, with a side-by-side table of all runs when there are several."""
    from groundqa.evals.report import comparison_table

    first = next(iter(results.values()))
    if len(results) > 1:
        labelled = {f"{label} ({run.reader})": run for label, run in results.items()}
        first.extra.setdefault("tables", {})["Readers side by side (95% CIs)"] = comparison_table(labelled)
    return first


def add_refusal_curves(results: dict, settings: dict) -> None:
    """Each run's refusal curve (it ran at threshold 0) and confidence AUC into the first run's report
    tables; with two readers, their paired AUC difference."""
    from groundqa import Assistant
    from groundqa.evals.refusal_curve import (
        THRESHOLDS,
        auc_interval,
        confidence_auc,
        curve_table,
        paired_auc_difference,
        refusal_curve,
    )

    first = next(iter(results.values()))
    tables, aucs = first.extra.setdefault("tables", {}), []
    for label, run in results.items():
        own = Assistant(**settings[label]).own_refusal_threshold()
        tables[f"Refusal curve — {run.reader}, own threshold {own:g} (from a run at threshold 0; answered and "
               f"gold in answer: of the answerable questions; refused: of the unanswerable ones)"] = \
            curve_table(refusal_curve(run.rows, (*THRESHOLDS, own)), own)
        auc, interval = confidence_auc(run.rows), auc_interval(run.rows)
        aucs.append([run.reader, "n/a (needs both kinds of question)" if auc is None or not interval
                     else f"{auc:.3f} (95% CI {interval[0]:.3f}–{interval[1]:.3f})"])
    if len(results) == 2:
        (a, b) = results.values()
        if difference := paired_auc_difference(a.rows, b.rows):
            aucs.append([f"{a.reader} minus {b.reader}", f"{difference[0]:+.3f} (paired bootstrap 95% CI "
                                                         f"{difference[1]:+.3f} to {difference[2]:+.3f})"])
    tables["Refusal curve: confidence AUC (answerable with the gold found vs unanswerable)"] = \
        (["reader", "AUC"], aucs)


def print_tables(tables: dict[str, tuple[list[str], list[list[str]]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    for heading, (header, rows) in tables.items():
        table = Table(title=heading, title_justify="left")
        for column in header:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)


def run_ragtruth(args) -> int:
    """Judge every RAGTruth response sentence against its passages; print and write the scores."""
    from groundqa import Assistant
    from groundqa.evals.ragtruth import judge_ragtruth, load_ragtruth, passages_of, ragtruth_tables

    from .cli import reader_settings

    if not args.data:
        raise InputError("--benchmark ragtruth takes --data ragtruth-qa.jsonl")
    records = load_ragtruth(args.data)[: args.limit or None]
    judges = ["learned", "lexical"] if args.judge == "both" else [None]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "passages"  # the lexical judge weighs words by their IDF in these passages
        folder.mkdir()
        for number, record in enumerate(records):
            (folder / f"r{number:04d}.txt").write_text("\n\n".join(passages_of(record)), encoding="utf-8")
        for judge in judges:
            settings = reader_settings(args) | ({"judge": judge} if judge else {})
            assistant = Assistant(index_dir=Path(scratch) / "index", sources=folder, **settings)
            results.append(judge_ragtruth(records, assistant.grounding_judge(), sys.stderr.isatty()))
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    for result in results:
        tables |= ragtruth_tables(result)
    print_tables(tables)
    if args.report:
        report = Path(args.report)
        report.mkdir(parents=True, exist_ok=True)
        (report / "summary.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        lines = [f"# RAGTruth QA: {len(records)} responses", ""]
        for heading, (header, rows) in tables.items():
            lines += [f"## {heading}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
        (report / "report.md").write_text("\n".join(lines), encoding="utf-8")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0
