"""`groundqa train`: fine-tune the cross-encoder reader and grounding judge on CPU from the bundled
MiniLM weights, on dev data only, and write the shipped artifact (int8 ONNX + manifest + card).

    groundqa train [--out assistant/models/reader] [--work DIR] [--max-minutes 60]

Steps: build examples (examples.py) -> train with checkpoints (loop.py; run it again to resume) ->
validate and calibrate on held-out dev records -> export int8 ONNX (export.py) -> choose the
refusal threshold end to end on held-out dev questions (calibrate.py) -> write manifest and card.
A run the time budget stops writes nothing but its checkpoint (`run_training` returns None).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np

from ..refusal_curve import auc

VERSION = "2.1"  # 2.1: reader 2's weights, calibration refitted on the features today's code computes
NULL_SPAN_VERSION = "8"  # `groundqa train --null-span`: an experiment, not the shipped model
TRAIN_RECORDS = 7000  # HaluEval QA dev records 1-7,000 train; 7,001-8,000 validate
SUMMARY_RECORDS = 1500
TRAIN_ARTICLES = 1200  # summarization dev records 1-1,200 train; 1,201-1,500 validate


def run_training(out: Path, work: Path, max_minutes: float | None = 60.0, seed: int = 13, log=print,
                 reader_records: int = TRAIN_RECORDS, judge_records: int = 3000, summary_pairs: int = 1200,
                 null_span: bool = False) -> dict | None:
    import torch

    from groundqa.index.embedder import bundled_model_path

    from . import examples as data
    from .calibrate import fit_reader, platt
    from .export import export_int8, write_artifact
    from .loop import Hyperparameters, predict, train
    from .network import CrossEncoderNet, encode, tokenizer
    from .questions import summary_questions

    torch.manual_seed(seed)
    work.mkdir(parents=True, exist_ok=True)
    records = data.dev_records()
    train_records, valid_records = records[:TRAIN_RECORDS], records[TRAIN_RECORDS:]
    rng = random.Random(seed)
    articles = data.load_summaries(SUMMARY_RECORDS)
    train_articles, valid_articles = articles[:TRAIN_ARTICLES], articles[TRAIN_ARTICLES:]
    single_hop = [r for r in train_records[:reader_records] if data.single_hop(r)]
    training = (data.reader_examples(single_hop, rng) + data.cloze_examples(train_articles, rng, per_article=3)
                + summary_questions(train_articles, rng)
                + data.judge_examples(train_records[:judge_records], rng, train_articles, summary_pairs))
    validation = (data.reader_examples([r for r in valid_records if data.single_hop(r)], random.Random(seed + 1))
                  + data.cloze_examples(valid_articles, random.Random(seed + 3))
                  + summary_questions(valid_articles, random.Random(seed + 4))
                  + data.judge_examples(valid_records, random.Random(seed + 2)))
    log(f"{len(training):,} training examples, {len(validation):,} validation examples")
    model_path = bundled_model_path()
    tokens = tokenizer(model_path)
    net = CrossEncoderNet(model_path, null_span)
    settings = Hyperparameters(seed=seed, null_span=null_span)
    facts = train(net, encode(tokens, training, null_span), work, settings, max_minutes, log)
    if facts["steps"] < facts["planned_steps"]:  # a half-trained model must never replace the one in `out`
        return None
    outputs = predict(net, encode(tokens, validation))
    metrics, calibration = validate(validation, outputs, platt)
    log(f"validation: {json.dumps(metrics)}")
    facts |= {"train_records": TRAIN_RECORDS, "summary_records": SUMMARY_RECORDS, "cpu": _cpu(),
              "examples_by_kind": dict(Counter(f"{e.task}: {e.kind}" for e in training)), "validation": metrics}
    model = export_int8(net, out)
    provisional = calibration | {"threshold": 0.5, "how": "provisional, until the end-to-end check below"}
    version = NULL_SPAN_VERSION if null_span else VERSION
    write_artifact(out, model, Path(model_path) / "tokenizer.json", provisional, facts, version)
    calibration |= fit_reader(out, valid_records, valid_articles, log)
    return write_artifact(out, model, Path(model_path) / "tokenizer.json", calibration, facts, version)


def recalibrate(out: Path, log=print) -> dict:
    """Fit the stacks and thresholds again for an exported model (same weights, new calibration)."""
    from groundqa.cross_encoder import CrossEncoder

    from . import examples as data
    from .calibrate import fit_reader

    manifest = CrossEncoder(out).manifest
    calibration = dict(manifest["calibration"])
    articles = data.load_summaries(SUMMARY_RECORDS)[TRAIN_ARTICLES:]
    calibration |= fit_reader(out, data.dev_records()[TRAIN_RECORDS:], articles, log)
    calibration["refitted"] = "by `groundqa train --calibrate-only`, on the same weights"
    from .export import write_artifact

    return write_artifact(out, out / manifest["file"], out / "tokenizer.json", calibration, manifest["training"],
                          manifest["version"])


def validate(validation, outputs: dict, fit) -> tuple[dict, dict]:
    """Validation metrics and the calibration (Platt scaling of the answer logit; the support
    threshold that best separates right from hallucinated answers)."""
    read = [i for i, e in enumerate(validation) if e.task == "read"]
    judged = [i for i, e in enumerate(validation) if e.task == "judge"]
    logits = np.array([outputs["answer"][i] for i in read])
    labels = np.array([validation[i].label for i in read])
    a, b = fit(logits, labels)
    probabilities = 1 / (1 + np.exp(-(a * logits + b)))
    support = 1 / (1 + np.exp(-np.array([outputs["support"][i] for i in judged])))
    truth = np.array([validation[i].label for i in judged])
    thresholds = np.linspace(0.05, 0.95, 91)
    accuracy = [float(np.mean((support >= t) == truth)) for t in thresholds]
    support_threshold = float(thresholds[int(np.argmax(accuracy))])
    metrics = {
        "reader pairs": len(read),
        "reader accuracy at p 0.5": round(float(np.mean((probabilities >= 0.5) == labels)), 4),
        "reader AUC": round(auc(probabilities[labels == 1], probabilities[labels != 1]) or 0.0, 4),
        "judge pairs": len(judged),
        "judge accuracy (all pairs)": round(max(accuracy), 4),
        "judge accuracy (right vs hallucinated only)": round(_pairs_accuracy(validation, judged, support,
                                                                             support_threshold), 4),
    }
    return metrics, {"a": round(a, 6), "b": round(b, 6), "support_threshold": round(support_threshold, 3),
                     "support_how": "the value that best separates supported from unsupported validation "
                                    "claims (accuracy)."}


def _pairs_accuracy(validation, judged: list[int], support: np.ndarray, threshold: float) -> float:
    kinds = [validation[i].kind for i in judged]
    keep = [k in ("qa-right", "qa-hallucinated") for k in kinds]
    truth = np.array([validation[i].label for i in judged])[keep]
    return float(np.mean((support[keep] >= threshold) == truth))


def _cpu() -> str:
    """"AMD EPYC, 2 cores": the CPU the model card names, as the bench reads it."""
    from ..bench import machine

    info = machine()
    return f"{info['cpu']}, {info['cores']} cores"
