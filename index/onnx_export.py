"""Export a sentence-transformers model to ONNX once (optionally int8-quantized) and cache the file.

torch and transformers are imported only here, on the first run; afterwards the cached file is all
the ONNX encoder needs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from groundqa.errors import ConfigurationError

from .home import models_home

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Bumped when the exported graph changes, so caches made by an older groundqa are exported again.
# 2: eager attention (see _export).
EXPORT_VERSION = 2


def check_mean_pooled(model_path: str | Path) -> int:
    """The max sequence length of a Transformer -> mean Pooling -> Normalize model (the layout the
    ONNX encoder reproduces); ConfigurationError for any other layout."""
    model_path = Path(model_path)
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((model_path / "modules.json").read_text())]
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
        max_length = json.loads((model_path / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"{model_path} is not a sentence-transformers model folder ({exc}); "
                         f"use backend='torch'") from None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modules != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"]:
        raise ConfigurationError(f"the ONNX backend supports Transformer + mean pooling + Normalize models; "
                         f"{model_path} has {modules} with {modes}; use backend='torch'")
    return int(max_length)


def exported_model(model_path: str | Path, quantized: bool) -> Path:
    """Path of the cached ONNX export of `model_path`, exporting it first if needed."""
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    model_path = Path(model_path)
    weights = model_path / "model.safetensors"
    if not weights.is_file():
        raise ConfigurationError(f"the ONNX backend exports from model.safetensors, which {model_path} lacks; "
                         f"use backend='torch'")
    stat = weights.stat()
    key = hashlib.sha256(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|"
                         f"{onnxruntime.__version__}|{EXPORT_VERSION}".encode()).hexdigest()[:12]
    folder = models_home() / f"{model_path.name}-{key}"
    exported = folder / ("model.int8.onnx" if quantized else "model.onnx")
    target = exported.with_suffix(".optimized.onnx")
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        plain = folder / "model.onnx"
        if not plain.exists():
            _atomic(plain, lambda tmp: _export(model_path, tmp))
        if quantized and not exported.exists():
            _atomic(exported, lambda tmp: quantize_int8(plain, tmp))
        _atomic(target, lambda tmp: _optimize(exported, tmp))
    return target


def discard(path: Path) -> None:
    """Remove a cached export that failed to load, and what it was made from (the plain export
    excepted), so the next call makes them again."""
    path.unlink(missing_ok=True)
    if path.name == "model.int8.optimized.onnx":
        path.with_name("model.int8.onnx").unlink(missing_ok=True)


def _optimize(model: Path, target: Path) -> None:
    """Save `model` with ONNX Runtime's graph optimizations applied, so later processes skip them (a
    session started in 78 ms from the plain file and in 30 ms from this one, on a 2-core Xeon). The
    extended level leaves out layouts tuned to this CPU, so the file suits any machine the cache
    folder is shared with."""
    from groundqa.sources.offline import import_onnxruntime

    from .encoders import session_options  # imported here: encoders imports this module

    onnxruntime = import_onnxruntime()
    options = session_options()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def _atomic(target: Path, write) -> None:
    """Write via a temp file in the same folder + fsync + rename: a killed export leaves no half file."""
    handle, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".onnx", dir=target.parent)
    os.close(handle)
    os.chmod(tmp, 0o644)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _export(model_path: Path, target: Path) -> None:
    import warnings

    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # Eager attention exports as plain MatMul / Add / Softmax. The default (SDPA) exports a masked
    # softmax guarded by IsNaN / Where that ONNX Runtime cannot fuse: on an Intel Xeon (AVX-512 VNNI)
    # Softmax, Where and IsNaN took 42% of int8 embedding time, and eager export embedded HaluEval
    # paragraphs 25-50% faster, with the same vectors.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    # Trace with padding in the batch so the exported attention honours the mask.
    sample = torch.ones(2, 8, dtype=torch.long)
    mask = sample.clone()
    mask[1, 4:] = 0
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(model), (sample, mask, torch.zeros_like(sample)), str(target),
                          input_names=list(INPUTS), output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def quantize_int8(plain: Path, target: Path) -> None:
    """int8 weights (dynamic quantization, per channel), as every groundqa ONNX model ships."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs "please consider pre-processing" on the root logger
    try:
        quantize_dynamic(str(plain), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def prune_attention_guards(model: Path, target: Path) -> int:
    """Save `model` without the guards a default (SDPA) attention export adds, and return how many
    nodes went: the `Where(IsNaN(p), 0, p)` after each attention softmax (NaN only for a row with
    every key masked, and a row always keeps at least its [CLS] key), and each layer's repeat of
    the same mask `Where`. The outputs stay bit-identical; on a 2-core Xeon the learned reader's
    time per question (12 candidates) fell from 126-162 to 91-116 ms."""
    import onnx
    from onnx import numpy_helper

    graph_model = onnx.load(str(model))
    graph = graph_model.graph
    made_by = {output: node for node in graph.node for output in node.output}
    tensors = {i.name: i for i in graph.initializer}  # read only for a Where's inputs, not every weight
    tensors |= {n.output[0]: n.attribute[0].t for n in graph.node
                if n.op_type == "Constant" and n.attribute[0].name == "value"}

    def value(name: str) -> tuple:
        array = numpy_helper.to_array(tensors[name])
        return array.dtype.str, array.shape, array.tobytes()

    replaced: dict[str, str] = {}  # output name -> the equal output that stands in for it
    dropped: set[int] = set()
    first_mask: dict[tuple, str] = {}
    outputs = {output.name for output in graph.output}
    for node in graph.node:
        if node.op_type != "Where" or node.output[0] in outputs:
            continue
        guard = made_by.get(node.input[0])
        if guard is not None and guard.op_type == "IsNaN" and guard.input[0] == node.input[2]:
            replaced[node.output[0]] = node.input[2]
            dropped |= {id(node), id(guard)}
        elif node.input[1] in tensors and node.input[2] in tensors:
            key = (node.input[0], value(node.input[1]), value(node.input[2]))
            if key in first_mask:
                replaced[node.output[0]] = first_mask[key]
                dropped.add(id(node))
            else:
                first_mask[key] = node.output[0]
    kept = [node for node in graph.node if id(node) not in dropped]
    for node in kept:
        node.input[:] = [replaced.get(name, name) for name in node.input]
    del graph.node[:]
    graph.node.extend(kept)
    onnx.checker.check_model(graph_model)
    onnx.save(graph_model, str(target))
    return len(dropped)
