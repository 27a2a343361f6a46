"""Backends that turn a batch of texts into normalised sentence vectors: ONNX Runtime (fp32 or int8)
or sentence-transformers on torch. One factory, `make_encoder`, picks by name."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from groundqa.errors import ConfigurationError

from .onnx_export import check_mean_pooled, discard, exported_model

Backend = Literal["onnx-int8", "onnx", "torch"]


class Encoder(Protocol):
    dimension: int

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...
BACKENDS = ("onnx-int8", "onnx", "torch")


class TorchEncoder:
    def __init__(self, model_path: str):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model_path, device="cpu")
        get_dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dimension = get_dimension()
        if dimension is None:
            raise ConfigurationError(f"{model_path} does not state its embedding dimension; use backend='onnx-int8'")
        self.dimension = int(dimension)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)


class OnnxEncoder:
    """Tokenizer (Rust `tokenizers`) -> ONNX transformer -> mean pooling over real tokens -> L2 norm:
    the same vectors as sentence-transformers without importing torch.

    Texts go to the model in batches of at most `TOKEN_BUDGET` padded tokens, longest first, and
    one batch per core runs at a time, each on one thread. Profiled on 2 cores, that beat one batch
    on both cores: attention over long padded batches spills the cache, and a single short text
    cannot keep two threads busy (README, Speed)."""

    def __init__(self, model_path: str, quantized: bool):
        from tokenizers import Tokenizer

        max_length = check_mean_pooled(model_path)
        self._session = _session(model_path, quantized)
        self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()
        self._pool = ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="groundqa-embed")
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        batches = token_budget_batches([len(e.ids) for e in encodings], batch_size)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled = self._pool.map(lambda batch: self._pooled([encodings[i] for i in batch]), batches)
        for batch, rows in zip(batches, pooled, strict=True):
            vectors[batch] = rows
        return vectors

    def _pooled(self, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            types[row, :len(encoding.ids)] = encoding.type_ids
            mask[row, :len(encoding.ids)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


# Padded tokens per model call. On 2 cores of an Intel Xeon (AVX-512 VNNI), 800 HaluEval paragraphs
# (129 tokens on average) embedded at 139 texts/s with 256, 122 with 384, 107 with 8 texts per call.
TOKEN_BUDGET = 256


def token_budget_batches(lengths: list[int], max_texts: int, budget: int = TOKEN_BUDGET) -> list[list[int]]:
    """Indices of texts grouped longest first, so that each group padded to its longest text stays
    within `budget` tokens (a longer text goes alone) and holds at most `max_texts` texts.

    >>> token_budget_batches([10, 200, 60, 60, 5], max_texts=8)
    [[1], [2, 3, 0, 4]]
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for index in order:
        batch = batches[-1] if batches else None
        if batch and len(batch) < max_texts and lengths[batch[0]] * (len(batch) + 1) <= budget:
            batch.append(index)
        else:
            batches.append([index])
    return batches


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def session_options(threads: int = 0):
    """ONNX Runtime options for every groundqa model: quiet, no spinning threads, and `threads` per
    call (0: one per core)."""
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    # Idle worker threads would otherwise spin after each call and starve FAISS's OpenMP threads
    # (measured: flat search at 100k vectors took 15 ms right after an embedding instead of 6 ms).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _session(model_path: str, quantized: bool):
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    options = session_options(threads=1)  # OnnxEncoder runs one call per core at once
    for attempt in (1, 2):
        path = exported_model(model_path, quantized)
        try:
            return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file (onnxruntime raises its own exception types): export again
            if attempt == 2:
                raise
            discard(path)


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigurationError(f"Unknown embedding backend {backend!r}. "
                                 f"Valid choices: {', '.join(map(repr, BACKENDS))}")


def make_encoder(backend: Backend, model_path: str) -> Encoder:
    check_backend(backend)
    if backend == "torch":
        return TorchEncoder(model_path)
    return OnnxEncoder(model_path, quantized=backend == "onnx-int8")
