"""`groundqa docs / add / remove / replace`: manage the documents of a folder of your own. Each change
is one incremental build (a new index generation, published atomically); removed files go to the
folder's .trash/."""

from __future__ import annotations

import argparse
import json
import sys

INDEX_HELP = ("where the index lives: a folder (default: under $GROUNDQA_HOME) or a postgresql:// URL, "
              "which several chat servers can share (or $GROUNDQA_STORE)")


def add_commands(commands) -> None:
    docs = commands.add_parser("docs", help="list the indexed documents: chunks, pages, when indexed")
    _where(docs, index=True)
    docs.add_argument("--json", action="store_true", help="print the list as JSON")
    docs.set_defaults(run=_docs)

    add = commands.add_parser("add", help="copy files into SOURCES/uploads/ and index them")
    add.add_argument("files", nargs="+", help="files to add (.txt .md .html .pdf .docx)")
    _where(add)
    add.add_argument("--keep-both", action="store_true",
                     help="keep an earlier upload of the same name (saved as 'name (2)') instead of replacing it")
    add.set_defaults(run=_add)

    remove = commands.add_parser("remove", help="take documents out of the index (moved to SOURCES/.trash/)")
    remove.add_argument("documents", nargs="+", help="document names as `groundqa docs` lists them")
    _where(remove)
    remove.set_defaults(run=_remove)

    replace = commands.add_parser("replace", help="make a file the new version of a document")
    replace.add_argument("document", help="document name as `groundqa docs` lists it")
    replace.add_argument("file", help="the new version (same type)")
    _where(replace)
    replace.set_defaults(run=_replace)


def _where(command: argparse.ArgumentParser, index: bool = False) -> None:
    command.add_argument("--sources", required=not index, help="your documents folder" +
                         (" (default: bundled corpus)" if index else ""))
    if index:
        command.add_argument("--index", "--store", dest="index_dir", help=INDEX_HELP)
    command.set_defaults(embedder=None)  # the index's own embedder (onnx-int8 unless built otherwise)


def _assistant(args):
    from groundqa import Assistant

    from .cli import _embedder

    if getattr(args, "index_dir", None):
        return Assistant(index_dir=args.index_dir, sources=args.sources, embedder=_embedder(args))
    return Assistant(sources=args.sources or None, embedder=_embedder(args))


def _docs(args) -> int:
    documents = _assistant(args).documents()
    if args.json:
        print(json.dumps([d.to_dict() for d in documents], ensure_ascii=False, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(documents)} documents", title_justify="left")
    for column in ("document", "title", "date", "chunks", "pages", "indexed (UTC)"):
        table.add_column(column)
    for d in documents:
        table.add_row(d.source, d.title, d.date or "–", str(d.chunks), str(d.pages or "–"), d.indexed_at)
    Console(highlight=False).print(table)
    return 0


def _add(args) -> int:
    return _print_report(_assistant(args).add_files(args.files, show_progress=sys.stderr.isatty(),
                                                    keep_both=args.keep_both))


def _remove(args) -> int:
    return _print_report(_assistant(args).remove(*args.documents, show_progress=sys.stderr.isatty()))


def _replace(args) -> int:
    return _print_report(_assistant(args).replace(args.document, args.file, show_progress=sys.stderr.isatty()))


def _print_report(report) -> int:
    for path, reason in report.skipped:
        print(f"warning: skipped {path}: {reason}", file=sys.stderr)
    print(f"{len(report.added)} added, {len(report.updated)} replaced, {len(report.removed)} removed, "
          f"{len(report.unchanged)} unchanged; {report.chunks_total} chunks in the index")
    for label, names in (("added", report.added), ("replaced", report.updated), ("removed", report.removed)):
        for name in names:
            print(f"  {label}: {name}")
    return 1 if report.skipped else 0
