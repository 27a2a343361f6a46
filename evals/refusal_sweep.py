"""Refusal calibration on data nobody here wrote: HaluEval QA, dev split only (records 1–8,000).

    python -m evals.refusal_sweep [--docs 300] [--questions 200]

Indexes the knowledge of `--docs` random dev records; asks `--questions` of those records
(answerable) and `--questions` records whose knowledge is not indexed (unanswerable), then
prints refusal accuracy and answer containment for a range of refusal thresholds.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from .halueval import DATA, load_records, split_records
from .metrics import contains_gold

THRESHOLDS = (0.40, 0.45, 0.50, 0.545, 0.60, 0.65, 0.70)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--halueval", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.halueval.exists():
        raise SystemExit(f"HaluEval data not found at {args.halueval}; pass --halueval PATH")

    from groundqa import Assistant

    records = [record for _, record in split_records(load_records(args.halueval), "dev")]
    random.Random(0).shuffle(records)
    indexed, absent = records[: args.docs], records[args.docs: args.docs + args.questions]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "docs"
        folder.mkdir()
        for number, record in enumerate(indexed):
            (folder / f"k{number:05d}.txt").write_text(record["knowledge"], encoding="utf-8")
        bot = Assistant(index_dir=Path(scratch) / "idx", sources=folder, refusal_threshold=0.0).warm_up()
        results = []
        for record, answerable in [(r, True) for r in indexed[: args.questions]] + [(r, False) for r in absent]:
            reply = bot.ask(record["question"])
            results.append((answerable, reply.confidence, bool(contains_gold(reply.text, [record["right_answer"]]))))
    answerable_count = sum(a for a, _, _ in results)
    print(f"HaluEval dev: {args.docs} knowledge texts indexed, {answerable_count} answerable and "
          f"{len(results) - answerable_count} unanswerable questions")
    print("threshold  refusal-acc  answered(answerable)  refused(unanswerable)  gold-in-answer(answerable)")
    for threshold in THRESHOLDS:
        accuracy = sum((c >= threshold) == a for a, c, _ in results) / len(results)
        answered = sum(a and c >= threshold for a, c, _ in results) / answerable_count
        refused = sum(not a and c < threshold for a, c, _ in results) / (len(results) - answerable_count)
        correct = sum(a and c >= threshold and g for a, c, g in results) / answerable_count
        print(f"{threshold:9.3f}  {accuracy:11.3f}  {answered:20.3f}  {refused:21.3f}  {correct:26.3f}")


if __name__ == "__main__":
    main()
