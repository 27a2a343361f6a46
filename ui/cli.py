"""The `groundqa` command. Imports stay inside the commands so `groundqa --help` is instant."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLE_QUESTION = "Who led the Russian delegation in Istanbul?"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("groundqa: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place exceptions become one friendly line
        from sources import GroundQAError

        if isinstance(exc, (GroundQAError, ValueError, ImportError, OSError)):
            print(f"groundqa: error: {exc}", file=sys.stderr)
            return 2
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groundqa", description="Answers questions only from your documents, "
                                     "citing the exact passages. Fully offline.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", help="build or update the index of a folder (incremental)")
    index.add_argument("path", nargs="?", help="folder of .txt/.md/.html/.pdf/.docx files (default: bundled corpus)")
    index.add_argument("--index", dest="index_dir", help="where to keep the index (default: under $GROUNDQA_HOME)")
    index.add_argument("--rebuild", action="store_true", help="re-embed everything from scratch")
    index.set_defaults(run=_index)

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--sources", help="folder to answer from (default: bundled corpus); indexed on first use")
    ask.add_argument("--index", dest="index_dir", help="an index built by `groundqa index --index DIR`")
    ask.add_argument("--top-k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default extractive)")
    ask.add_argument("--llm-url", help="OpenAI-compatible endpoint for --mode llm (or $GROUNDQA_LLM_URL)")
    ask.add_argument("--llm-model", help="model name for --mode llm (or $GROUNDQA_LLM_MODEL)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(run=_ask)

    chat = commands.add_parser("chat", help="chat window in the browser (coming with the UI)")
    chat.set_defaults(run=_chat)

    evaluate = commands.add_parser("eval", help="run eval sets and print answer/refusal/citation metrics")
    evaluate.add_argument("sets", nargs="*", help="JSONL eval sets (default: the bundled set)")
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.set_defaults(run=_eval)
    return parser


def _assistant(args):
    from assistant import Assistant

    if args.sources and args.index_dir:
        return Assistant(index_dir=args.index_dir, sources=args.sources)
    if args.index_dir:
        return Assistant(index_dir=args.index_dir)
    return Assistant(sources=args.sources) if args.sources else Assistant()


def _index(args) -> int:
    from assistant import default_index_dir
    from index import build_index
    from sources import BUNDLED_CORPUS, iter_source_files

    path = args.path or BUNDLED_CORPUS
    if not iter_source_files(path):
        print(f"groundqa: error: no .txt/.md/.html/.pdf/.docx files found under {path}", file=sys.stderr)
        return 2
    index_dir = args.index_dir or default_index_dir(path)
    report = build_index(path, index_dir, show_progress=sys.stderr.isatty(), rebuild=args.rebuild)
    if report.rebuild_reason:
        print(f"note: {report.rebuild_reason}", file=sys.stderr)
    for path_, reason in report.skipped:
        print(f"warning: skipped {path_}: {reason}", file=sys.stderr)
    rate = report.chunks_embedded / report.seconds if report.seconds else 0.0
    print(f"Indexed {path} -> {report.index_dir}\n"
          f"  {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
          f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped\n"
          f"  {report.chunks_total} chunks in the index, {report.chunks_embedded} embedded "
          f"in {report.seconds:.2f} s ({rate:.1f} chunks/s)")
    return 1 if report.skipped else 0


def _ask(args) -> int:
    assistant = _assistant(args)
    assistant.settings = assistant.settings.override(top_k=args.top_k, mode=args.mode,
                                                     llm_url=args.llm_url, llm_model=args.llm_model)
    reply = assistant.ask(args.question)
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
        where = f"{citation.source}" + (f", p. {citation.page}" if citation.page else "")
        console.print(f"[cyan][{citation.number}][/cyan] {escape(citation.title)} "
                      f"[dim]({escape(where)}, chars {citation.start}–{citation.end})[/dim]")
        console.print(f"    “{escape(citation.quote)}”")
    for sentence in reply.removed_sentences:
        console.print(f"[red]removed (not supported by the sources):[/red] {escape(sentence)}")


def _chat(args) -> int:
    print("groundqa: error: the chat window is not built yet; use `groundqa ask \"...\"`", file=sys.stderr)
    return 2


def _eval(args) -> int:
    from evals import BUNDLED_SETS, run_eval

    sets = args.sets or sorted(str(p) for p in BUNDLED_SETS.glob("*.jsonl"))
    for set_path in sets:
        rows, summary = run_eval(set_path)
        for problem in summary["malformed_lines"]:
            print(f"warning: skipped malformed line {problem}", file=sys.stderr)
        if args.json:
            print(json.dumps({"set": set_path, **summary}, indent=2))
        else:
            print(f"{set_path}: {len(rows)} cases")
            for key, value in summary.items():
                if key != "malformed_lines":
                    print(f"  {key:24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
