"""The `groundqa` command. Imports stay inside the commands so `groundqa --help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from functools import partial

from groundqa.errors import InputError, one_line

from .manage import INDEX_HELP

EXAMPLE_QUESTION = "Who led the Russian delegation in Istanbul?"
_METRIC_NAMES = ("retrieval.hit@1/3/5/10", "retrieval.mrr", "retrieval.ndcg@10", "answer.exact_match", "answer.f1",
                 "answer.contains", "refusal.precision/recall/f1/accuracy", "grounding.citation_recall",
                 "grounding.citation_precision", "citations.span_validity", "citations.sentences_cited",
                 "run.errors", "latency.p50_s", "latency.p95_s")


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit codes: 0 done, 1 partial (files skipped, a metric under its floor),
    2 a `GroundQAError` (one line; `--debug` adds the traceback), 3 a bug (always a traceback)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    from groundqa.errors import REPORT_BUG, GroundQAError, InternalError
    from groundqa.sources.offline import force_offline

    force_offline()  # this process is groundqa's own: no library in it may reach a hub
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("groundqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `groundqa docs | head`: the reader left; nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except GroundQAError as exc:  # the one place our errors become one friendly line
        if args.debug or isinstance(exc, InternalError):
            traceback.print_exc()
        print(f"groundqa: error: {one_line(exc)}", file=sys.stderr)
        return 3 if isinstance(exc, InternalError) else 2
    except Exception as exc:
        traceback.print_exc()
        print(f"groundqa: internal error: {type(exc).__name__}: {exc} ({REPORT_BUG})", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groundqa", description="Answers questions only from your documents, "
                                     "citing the exact passages. Fully offline.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of every error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_DebugParser)

    index = commands.add_parser("index", help="build or update the index of a folder (incremental)")
    index.add_argument("path", nargs="?", help="folder of .txt/.md/.html/.pdf/.docx files (default: bundled corpus)")
    index.add_argument("--index", "--store", dest="index_dir", help=INDEX_HELP)
    index.add_argument("--rebuild", action="store_true", help="re-embed everything from scratch")
    index.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                       help="read, chunk and embed on Ray Data into a PostgreSQL --store (a local Ray on this "
                            "machine, or a cluster's ADDRESS such as auto); a stopped run resumes where it left off")
    _model_options(index, readers=False)
    index.set_defaults(run=_index)

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--sources", help="folder to answer from (default: bundled corpus); indexed on first use")
    ask.add_argument("--index", "--store", dest="index_dir", help=INDEX_HELP)
    ask.add_argument("--top-k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default extractive)")
    ask.add_argument("--llm-url", help="OpenAI-compatible endpoint for --mode llm (or $GROUNDQA_LLM_URL)")
    ask.add_argument("--llm-model", help="model name for --mode llm (or $GROUNDQA_LLM_MODEL)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--where", action="append", metavar="FIELD=VALUE",
                     help="answer only from documents matching it: source=GLOB, type=EXT, title=GLOB, date=, "
                          "date>=, date<… (YYYY[-MM[-DD]]); repeat to combine (the same field: either value)")
    _model_options(ask)
    ask.set_defaults(run=_ask)

    bench = commands.add_parser("bench", help="speed benchmark: ingestion vs plain llama-index, latency, cold start")
    bench.add_argument("--docs", type=int, default=2000, help="HaluEval paragraphs to ingest (default 2000)")
    bench.add_argument("--runs", type=int, default=3, help="runs per ingestion figure; the median is kept")
    bench.add_argument("--sizes", default="20000,100000,300000", help="extra index sizes for latency (comma-separated)")
    bench.add_argument("--queries", type=int, default=200, help="questions timed per size")
    bench.add_argument("--json", dest="json_path", default="bench.json", help="where to write the JSON")
    bench.add_argument("--no-llama-index", dest="llama", action="store_false",
                       help="skip the plain llama-index pipeline (it needs the [bench] extra)")
    bench.add_argument("--no-torch", dest="torch", action="store_false",
                       help="skip the ingestion run on the torch embedder (the 'before' figure)")
    bench.add_argument("--store", metavar="URL", help="also measure the PostgreSQL store in this database (its "
                       "groundqa tables are replaced): ingestion, and search at each size")
    bench.add_argument("--ray", action="store_true", help="also time ingestion on a local Ray into --store")
    bench.add_argument("--news", metavar="FILE", help="ingest the --docs first news articles of HaluEval's "
                       "summarization_data.jsonl.gz instead of its QA paragraphs")
    bench.set_defaults(run=_bench)

    train = commands.add_parser("train", help="fine-tune the learned reader and grounding judge on CPU (dev data only)",
                                description="Fine-tune the cross-encoder from the bundled MiniLM weights on HaluEval "
                                            "dev records, calibrate it on held-out dev records, and write the int8 "
                                            "ONNX artifact with its manifest and model card. Run it again to resume.")
    train.add_argument("--out", default="assistant/models/reader", help="artifact folder (default: the one "
                       "that ships, assistant/models/reader, when run from a checkout)")
    train.add_argument("--work", help="checkpoints (default: $GROUNDQA_HOME/training)")
    train.add_argument("--max-minutes", type=float, default=60.0, help="training budget in minutes (default 60)")
    train.add_argument("--seed", type=int, default=13)
    train.add_argument("--reader-records", type=int, default=7000, help="HaluEval dev records for reader pairs")
    train.add_argument("--judge-records", type=int, default=3000, help="HaluEval dev records for judge pairs")
    train.add_argument("--summary-pairs", type=int, default=1200, help="judge pairs from HaluEval summaries")
    train.add_argument("--null-span", action="store_true",
                       help="experiment: the span head also learns a null span for non-answers (reader 8; README)")
    train.add_argument("--calibrate-only", action="store_true",
                       help="keep the model in --out; fit its stacks and thresholds again on held-out dev data")
    train.set_defaults(run=_train)

    chat = commands.add_parser("chat", help="chat window in the browser, served on 127.0.0.1")
    chat.add_argument("--sources", help="folder to answer from (default: bundled corpus); indexed on first use")
    chat.add_argument("--index", "--store", dest="index_dir", help=INDEX_HELP)
    chat.add_argument("--port", type=int, default=7860, help="port on 127.0.0.1 (default 7860)")
    _model_options(chat)
    chat.set_defaults(run=_chat)

    evaluate = commands.add_parser("eval", help="run eval sets or a benchmark; write a report; gate on metrics",
                                   description="Score retrieval, answers, refusals and grounding with bootstrap "
                                               "95%% CIs. Metrics: " + ", ".join(_METRIC_NAMES))
    evaluate.add_argument("sets", nargs="*", help="JSONL eval sets (default: the bundled sets)")
    evaluate.add_argument("--report", metavar="DIR", help="write report.md, report.html, plots, results.jsonl, "
                          "summary.json into DIR")
    evaluate.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                          help="exit 1 when METRIC falls below VALUE (latency.*, run.errors: rises above); "
                               "repeatable")
    evaluate.add_argument("--sources", help="folder the eval sets ask about (default: bundled corpus)")
    evaluate.add_argument("--index", "--store", dest="index_dir", help=INDEX_HELP)
    evaluate.add_argument("--benchmark", choices=["halueval", "squad2", "clapnq", "rgb", "ragtruth"],
                          help="run a benchmark: halueval (vendored), or an external set: squad2/clapnq/rgb take "
                               "--data SET.jsonl --sources CORPUS_DIR, ragtruth takes --data ragtruth-qa.jsonl")
    evaluate.add_argument("--split", choices=["dev", "test"], default="test", help="HaluEval split (default test)")
    evaluate.add_argument("--limit", type=int, help="benchmark: only the first N questions of the split")
    evaluate.add_argument("--data", help="benchmark data file (HaluEval default: the vendored copy)")
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.add_argument("--refusal-curve", action="store_true",
                          help="run at refusal threshold 0 and show what every threshold would answer and refuse, "
                               "with the confidence AUC (how to choose refusal_threshold on a set of your own)")
    _model_options(evaluate, compare=True)
    evaluate.set_defaults(run=_eval)
    feedback = commands.add_parser("feedback", help="ratings given in the chat (👍/👎)")
    feedback_commands = feedback.add_subparsers(dest="action", metavar="ACTION", required=True,
                                                parser_class=_DebugParser)
    export = feedback_commands.add_parser("export", help="turn the ratings into an eval set for `groundqa eval`",
                                          description="👍 answers become cases that expect the same answer from "
                                                      "the same passage; 👍 refusals and 'Should have refused' expect "
                                                      "a refusal; 👎 with an expected answer expects that answer.")
    export.add_argument("--out", default="feedback-set.jsonl", help="eval set to write (default feedback-set.jsonl)")
    export.add_argument("--from", dest="source", help="feedback file (default $GROUNDQA_HOME/feedback.jsonl)")
    export.set_defaults(run=_feedback_export)
    from .database import add_database_commands
    from .manage import add_commands

    add_commands(commands)
    add_database_commands(commands)
    return parser


def _feedback_export(args) -> int:
    from pathlib import Path

    from groundqa.evals.feedback import export_cases, write_cases
    from groundqa.feedback import feedback_file, read_feedback

    source = Path(args.source) if args.source else feedback_file()
    ratings = read_feedback(source)
    if not ratings:
        raise InputError(f"no ratings in {source}: rate answers in `groundqa chat` with 👍/👎 first")
    cases, left_out = export_cases(ratings)
    for reason in left_out:
        print(f"left out: {reason}", file=sys.stderr)
    write_cases(cases, Path(args.out))
    print(f"{len(cases)} cases from {len(ratings)} ratings written to {args.out}; "
          f"check them with: groundqa eval {args.out} --sources YOUR_FOLDER")
    return 0


class _DebugParser(argparse.ArgumentParser):
    """A subcommand parser that also takes --debug after the command (`groundqa ask Q --debug`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the traceback of every error")


def _model_options(command: argparse.ArgumentParser, readers: bool = True, compare: bool = False) -> None:
    command.add_argument("--embedder", choices=["onnx-int8", "onnx", "torch"],
                         help="how the embedding model runs (default onnx-int8); an index remembers its "
                              "embedder and is rebuilt when it changes")
    if not readers:
        return
    both = ["both"] if compare else []
    command.add_argument("--reader", choices=["learned", "lexical", *both],
                         help="who picks the answer: the lexical scorer (default) or the learned cross-encoder "
                              "(better on others' text; README 'Measured')"
                              + ("; both: run each and report them side by side" if compare else ""))
    command.add_argument("--judge", choices=["learned", "lexical", *both],
                         help="grounding judge for llm mode and citation scoring: the learned support head "
                              "(default) or the lexical check" + ("; both: RAGTruth judged by each" if compare else ""))
    command.add_argument("--reader-model", metavar="DIR", help="a learned reader made by `groundqa train --out DIR` "
                         "(default: the one that ships); checked by SHA-256 like the shipped one")
    command.add_argument("--refusal-threshold", type=float, metavar="P",
                         help="refuse below this reader confidence, 0-1 (default: the reader's own; higher refuses "
                              "more; `groundqa eval --refusal-curve` shows what each value trades)")


def _embedder(args):
    from groundqa.index import Embedder, shared_embedder

    return Embedder(backend=args.embedder) if args.embedder else shared_embedder()


def _assistant(args):
    from groundqa import Assistant

    embedder, settings = _embedder(args), reader_settings(args)
    if args.sources and args.index_dir:
        return Assistant(index_dir=args.index_dir, sources=args.sources, embedder=embedder, **settings)
    if args.index_dir:
        return Assistant(index_dir=args.index_dir, embedder=embedder, **settings)
    return Assistant(sources=args.sources or None, embedder=embedder, **settings)


def reader_settings(args, reader: str | None = None) -> dict:
    """Assistant overrides for --reader / --judge ("both" is resolved by the caller)."""
    reader = reader or getattr(args, "reader", None)
    judge = getattr(args, "judge", None)
    chosen = (("reader", reader), ("judge", judge), ("reader_model", getattr(args, "reader_model", None)),
              ("refusal_threshold", getattr(args, "refusal_threshold", None)))
    return {k: v for k, v in chosen if v is not None and v not in ("", "both")}  # a threshold of 0 is a value


def _index(args) -> int:
    from groundqa import default_index_dir
    from groundqa.index import build_index
    from groundqa.sources import BUNDLED_CORPUS, iter_source_files

    path = args.path or BUNDLED_CORPUS
    if not iter_source_files(path):
        print(f"groundqa: error: no .txt/.md/.html/.pdf/.docx files found under {one_line(path)}", file=sys.stderr)
        return 2
    index_dir = args.index_dir or os.environ.get("GROUNDQA_STORE") or default_index_dir(path)
    if args.ray:
        from groundqa.index.ray_ingest import build_index_on_ray

        report = build_index_on_ray(path, str(index_dir), address=None if args.ray == "local" else args.ray,
                                    embedder=_embedder(args), show_progress=sys.stderr.isatty(), rebuild=args.rebuild)
    else:
        report = build_index(path, index_dir, embedder=_embedder(args), show_progress=sys.stderr.isatty(),
                             rebuild=args.rebuild)
    if report.rebuild_reason:
        print(f"note: {one_line(report.rebuild_reason)}", file=sys.stderr)
    for path_, reason in report.skipped:
        print(f"warning: skipped {one_line(path_)}: {one_line(reason)}", file=sys.stderr)
    rate = report.chunks_embedded / report.seconds if report.seconds else 0.0
    resumed = f"  {len(report.resumed)} changed files were already staged by a stopped run\n" if report.resumed else ""
    print(f"Indexed {path} -> {report.index_dir}\n"
          f"  {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
          f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped\n{resumed}"
          f"  {report.chunks_total} chunks in the index, {report.chunks_embedded} embedded "
          f"in {report.seconds:.2f} s ({rate:.1f} chunks/s)")
    return 1 if report.skipped else 0


def _ask(args) -> int:
    from groundqa.index import parse_where

    where = parse_where(args.where)  # a bad filter is reported before any indexing
    assistant = _assistant(args)
    assistant.settings = assistant.settings.override(top_k=args.top_k, mode=args.mode,
                                                     llm_url=args.llm_url, llm_model=args.llm_model)
    reply = assistant.ask(args.question, where=where)
    for warning in reply.warnings:
        print(f"warning: {one_line(warning)}", file=sys.stderr)
    if args.json:
        print(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(reply)
    return 0


def _print_answer(reply) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    style = "yellow" if reply.refused else "bold"
    console.print(escape(reply.text), style=style)
    if reply.citations:
        heading = "Closest passages (context only, not an answer)" if reply.refused else "Sources"
        console.print(f"\n[dim]{heading}[/dim]")
    for citation in reply.citations:
        console.print(f"[cyan][{citation.number}][/cyan] {escape(citation.title)} "
                      f"[dim]({escape(citation.location)}, chars {citation.start}–{citation.end})[/dim]")
        console.print(f"    “{escape(citation.quote)}”")
    for sentence in reply.removed_sentences:
        console.print(f"[red]removed (not supported by the sources):[/red] {escape(sentence)}")


def _bench(args) -> int:
    from groundqa.evals.bench import run_from_args

    return run_from_args(args)


def _train(args) -> int:
    from pathlib import Path

    from groundqa.evals.training import recalibrate, run_training
    from groundqa.index import groundqa_home

    for name in ("max_minutes", "reader_records", "judge_records"):
        if getattr(args, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive. Currently, it is {getattr(args, name)}")
    work = Path(args.work) if args.work else groundqa_home() / "training"
    manifest: dict | None
    if args.calibrate_only:
        manifest = recalibrate(Path(args.out))
    else:
        manifest = run_training(Path(args.out), work, args.max_minutes, args.seed, reader_records=args.reader_records,
                                judge_records=args.judge_records, summary_pairs=args.summary_pairs,
                                null_span=args.null_span)
        if manifest is None:
            print(f"training stopped at the {args.max_minutes:g}-minute budget; nothing was written to {args.out}. "
                  f"Run the same command again to resume from the checkpoint in {work}", file=sys.stderr)
            return 1
    print(f"wrote {args.out}: {manifest['name']} {manifest['version']}, {manifest['bytes'] / 2**20:.1f} MB, "
          f"threshold {manifest['calibration']['threshold']}; see {args.out}/CARD.md")
    return 0


def _chat(args) -> int:
    from groundqa.ui.app import launch

    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535. Currently, it is {args.port}")
    assistant = _assistant(args)
    say = partial(print, file=sys.stderr, flush=True)
    say("groundqa chat: loading the embedding model (the first run exports it to ONNX, about a minute)…")
    assistant.embedder.warm_up()
    prepare = None
    if assistant.sources is not None:
        def prepare():  # runs once the window is up; the page says "indexing…" meanwhile
            say(f"groundqa chat: indexing {assistant.sources}…")
            report = assistant.build(show_progress=sys.stderr.isatty())
            assistant.warm_up()
            say(f"groundqa chat: {len(assistant.documents())} documents, {report.chunks_total} chunks "
                f"({len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
                f"{len(report.skipped)} skipped); ready for questions")
            for path, reason in report.skipped:
                say(f"warning: skipped {one_line(path)}: {one_line(reason)}")
    say("groundqa chat: starting the window…")
    launch(assistant, port=args.port, prepare=prepare)
    return 0


def _eval(args) -> int:
    from groundqa.evals.summary import failing_thresholds, parse_thresholds

    thresholds = parse_thresholds(args.fail_under)  # a typo fails before the run, not after
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be at least 1. Currently, it is {args.limit}")
    if args.judge == "both" and args.benchmark != "ragtruth":
        raise InputError("--judge both compares the grounding judges on --benchmark ragtruth only")
    if args.benchmark == "ragtruth" and args.reader == "both":
        raise InputError("--benchmark ragtruth measures the grounding judge alone: compare with --judge both")
    if args.refusal_curve and (args.benchmark == "ragtruth" or thresholds or args.refusal_threshold is not None):
        raise InputError("--refusal-curve runs at refusal threshold 0: it takes no --fail-under, "
                         "--refusal-threshold or ragtruth")
    if args.benchmark == "ragtruth":
        from .benchmarks import run_ragtruth

        return run_ragtruth(args)
    from .benchmarks import compare_runs, eval_once, print_tables

    labels = ["learned", "lexical"] if args.reader == "both" else [args.reader or "default"]
    chosen = {label: reader_settings(args, label if label != "default" else None) for label in labels}
    curve = {"refusal_threshold": 0.0} if args.refusal_curve else {}
    results = {label: eval_once(args, settings | curve) for label, settings in chosen.items()}
    result = compare_runs(results)
    if args.refusal_curve:
        from .benchmarks import add_refusal_curves

        add_refusal_curves(results, chosen)
    for problem in result.problems:
        print(f"warning: {one_line(problem)}", file=sys.stderr)
    if not result.rows:
        raise InputError("no valid eval cases to run")
    if args.report:
        from groundqa.evals.report import write_report

        write_report(result, args.report)
    if args.json:
        print(json.dumps({"title": result.title, "summary": result.summary, **result.extra}, indent=2))
    else:
        for label, run in results.items():
            _print_summary(run, args.report if run is result else None, label if len(results) > 1 else None)
        print_tables({k: v for k, v in result.extra.get("tables", {}).items() if k.startswith("Refusal curve")})
    failures = failing_thresholds(result.summary, thresholds)
    for failure in failures:
        print(f"groundqa: FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


def _print_summary(result, report_dir, label: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from groundqa.evals.report import summary_table

    table = Table(title=result.title + (f" — reader: {label}" if label else ""), title_justify="left")
    for column in ("metric", "value", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in summary_table(result.summary):
        table.add_row(*row[:4])
    console = Console(highlight=False)
    console.print(table)
    errors = sum(1 for row in result.rows if row.get("error"))
    console.print(f"{result.summary['cases']} cases in {result.summary['total_s']} s; "
                  f"{len(result.failures())} with failures, {errors} raised an error. Judge: {result.judge}.")
    calibration = result.extra.get("judge_calibration")
    if calibration:
        for label, block in (("all pairs", calibration), ("length-matched", calibration["length_matched"])):
            accuracy = block["accuracy"]
            console.print(f"judge on HaluEval pairs ({label}, {block['pairs']}): accuracy {accuracy['value']} "
                          f"(95% CI {accuracy['low']}–{accuracy['high']}), unsupported precision "
                          f"{block['unsupported_precision']}, recall {block['unsupported_recall']}")
    if report_dir:
        console.print(f"report: {report_dir}/report.html")


if __name__ == "__main__":
    sys.exit(main())
