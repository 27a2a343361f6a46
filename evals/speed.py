"""Quick speed check: indexing throughput and warm `ask` latency.

    python -m evals.speed [--docs 2000] [--halueval PATH]

Indexing uses HaluEval knowledge paragraphs (real text written by others) when the file is
found, else a reproducible synthetic corpus. The full benchmark harness is a later issue.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from .halueval import DATA, load_records


def write_corpus(folder: Path, docs: int, halueval: Path) -> str:
    if halueval.exists():
        texts = list(dict.fromkeys(record["knowledge"] for record in load_records(halueval)))[:docs]
        origin = f"HaluEval knowledge ({halueval})"
    else:
        rng = random.Random(0)
        vocabulary = [f"word{i}" for i in range(5000)]
        texts = [". ".join(" ".join(rng.choices(vocabulary, k=12)).capitalize() for _ in range(5)) + "."
                 for _ in range(docs)]
        origin = "synthetic (seed 0)"
    for number, text in enumerate(texts):
        (folder / f"doc{number:05d}.txt").write_text(text, encoding="utf-8")
    return origin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--halueval", type=Path, default=DATA)
    args = parser.parse_args()

    from assistant import Assistant
    from evals import BUNDLED_SETS, load_cases
    from index import build_index, shared_embedder

    embedder = shared_embedder()
    embedder.warm_up()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "docs"
        folder.mkdir()
        origin = write_corpus(folder, args.docs, args.halueval)
        report = build_index(folder, Path(scratch) / "idx", embedder=embedder)
        megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"cores: {os.cpu_count()}")
        print(f"indexing: {len(report.added)} docs from {origin}, {report.chunks_total} chunks, "
              f"{megabytes:.2f} MB in {report.seconds:.1f} s -> {report.chunks_total / report.seconds:.0f} chunks/s, "
              f"{megabytes / report.seconds:.2f} MB/s")

        bot = Assistant(index_dir=Path(scratch) / "bundled-idx", embedder=embedder,
                        sources=Path(__file__).resolve().parent.parent / "sources" / "corpus").warm_up()
        cases, _ = load_cases(BUNDLED_SETS / "istanbul.jsonl")
        timings = []
        for _ in range(3):
            for case in cases:
                started = time.perf_counter()
                bot.ask(case.question, case.history)
                timings.append(time.perf_counter() - started)
        timings.sort()
        print(f"ask (warm, bundled corpus, {len(timings)} questions): p50 {1000 * statistics.median(timings):.0f} ms, "
              f"p95 {1000 * timings[int(0.95 * len(timings)) - 1]:.0f} ms")


if __name__ == "__main__":
    main()
