"""Refusal calibration on data nobody here wrote: HaluEval QA, dev split only (records 1–8,000).

    python -m groundqa.evals.refusal_sweep [--docs 300] [--questions 200] [--reader learned]
        [--withhold | --adversarial] [--held-out]

Indexes the knowledge of `--docs` random dev records; asks `--questions` of those records
(answerable) and `--questions` records whose knowledge is not indexed (unanswerable), then
prints refusal accuracy and answer containment for a range of refusal thresholds. With
`--withhold`, the unanswerable questions are on topic: their records' knowledge is indexed too,
less every sentence that holds the right answer (on-topic distractors, though not the questions
written to look answerable that SQuAD 2.0 holds). With `--adversarial`, they are those: the
indexed answerable questions made unanswerable by negation, an antonym, or a name or number swapped
(`training/adversarial.py`), refusal reported by kind. With `--held-out`, only records 7,001–8,000,
which the learned reader was not trained on (its threshold was chosen on them).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from .halueval import DATA, load_records, split_records
from .metrics import contains_gold
from .training import TRAIN_RECORDS
from .training.adversarial import KINDS, adversarial
from .training.examples import answer_sentence, knowledge_sentences, single_hop

THRESHOLDS = {"lexical": (0.40, 0.45, 0.50, 0.545, 0.60, 0.65, 0.70),
              "learned": (0.05, 0.10, 0.15, 0.22, 0.30, 0.40, 0.50)}


def without_answer(knowledge: str, answer: str) -> str | None:
    """The knowledge less every sentence that holds `answer` anywhere in it (stricter than training's
    whole-word match, so nothing left answers); None when no sentence holds it."""
    sentences = [s for paragraph in knowledge_sentences(knowledge) for s in paragraph]
    kept = [s for s in sentences if answer.lower() not in s.lower()]
    return " ".join(kept) if len(kept) < len(sentences) else None


def adversarial_questions(records: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    """[(kind, question)]: every kind that applies to each single-hop record's question."""
    made = []
    for record in filter(single_hop, records):
        made += adversarial(record["question"], answer_sentence(record) or "", record["knowledge"], rng)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--halueval", type=Path, default=DATA)
    parser.add_argument("--reader", choices=sorted(THRESHOLDS), default="lexical")
    parser.add_argument("--reader-model", help="a model folder `groundqa train --out` wrote (with --reader learned)")
    asked_instead = parser.add_mutually_exclusive_group()
    asked_instead.add_argument("--withhold", action="store_true", help="on-topic unanswerables (see above)")
    asked_instead.add_argument("--adversarial", action="store_true", help="SQuAD 2.0-style unanswerables (see above)")
    parser.add_argument("--held-out", action="store_true", help="only the records the learned reader did not train on")
    args = parser.parse_args()
    if not args.halueval.exists():
        raise SystemExit(f"HaluEval data not found at {args.halueval}; pass --halueval PATH")

    from groundqa import Assistant

    first = TRAIN_RECORDS + 1 if args.held_out else 1
    records = [record for number, record in split_records(load_records(args.halueval), "dev") if number >= first]
    random.Random(0).shuffle(records)
    indexed, absent = records[: args.docs], records[args.docs: args.docs + args.questions]
    texts = [record["knowledge"] for record in indexed]
    unanswerable = [("absent", r["question"]) for r in absent]
    if args.withhold:
        cut = [(r, without_answer(r["knowledge"], r["right_answer"])) for r in absent]
        unanswerable = [("withheld", r["question"]) for r, text in cut if text is not None]
        texts += [text for _, text in cut if text is not None]
    if args.adversarial:
        unanswerable = adversarial_questions(indexed[: args.questions], random.Random(1))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "docs"
        folder.mkdir()
        for number, text in enumerate(texts):
            (folder / f"k{number:05d}.txt").write_text(text, encoding="utf-8")
        bot = Assistant(index_dir=Path(scratch) / "idx", sources=folder, refusal_threshold=0.0,
                        reader=args.reader, reader_model=args.reader_model).warm_up()
        thresholds = tuple(sorted({*THRESHOLDS[args.reader], bot.own_refusal_threshold()}))
        results, kinds = [], []
        for record in indexed[: args.questions]:
            reply = bot.ask(record["question"])
            results.append((True, reply.confidence, bool(contains_gold(reply.text, [record["right_answer"]]))))
        for kind, question in unanswerable:
            results.append((False, bot.ask(question).confidence, False))
            kinds.append(kind)
    answerable_count = sum(a for a, _, _ in results)
    records_used = f" records {first:,}-8,000" if args.held_out else ""
    print(f"HaluEval dev{records_used}, {args.reader} reader: {len(texts)} knowledge texts indexed, "
          f"{answerable_count} answerable and {len(results) - answerable_count} unanswerable questions"
          f"{' (on topic: their answer sentences withheld)' if args.withhold else ''}"
          f"{' (adversarial, made from the answerable ones)' if args.adversarial else ''}")
    print("threshold  refusal-acc  answered(answerable)  refused(unanswerable)  gold-in-answer(answerable)")
    for threshold in thresholds:
        accuracy = sum((c >= threshold) == a for a, c, _ in results) / len(results)
        answered = sum(a and c >= threshold for a, c, _ in results) / answerable_count
        refused = sum(not a and c < threshold for a, c, _ in results) / (len(results) - answerable_count)
        correct = sum(a and c >= threshold and g for a, c, g in results) / answerable_count
        print(f"{threshold:9.3f}  {accuracy:11.3f}  {answered:20.3f}  {refused:21.3f}  {correct:26.3f}")
    if args.adversarial:
        print_by_kind(kinds, [c for a, c, _ in results if not a], thresholds)


def print_by_kind(kinds: list[str], confidences: list[float], thresholds: tuple[float, ...]) -> None:
    present = [k for k in KINDS if k in kinds]
    print("threshold  " + "  ".join(f"refused {k} ({kinds.count(k)})" for k in present))
    for threshold in thresholds:
        rates = [sum(c < threshold for k, c in zip(kinds, confidences, strict=True) if k == kind) / kinds.count(kind)
                 for kind in present]
        print(f"{threshold:9.3f}  " + "  ".join(f"{r:{len(f'refused {k} ({kinds.count(k)})')}.3f}"
                                                 for k, r in zip(present, rates, strict=True)))


if __name__ == "__main__":
    main()
