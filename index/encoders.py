"""Backends that turn a batch of texts into normalised sentence vectors: ONNX Runtime (fp32 or int8)
or sentence-transformers on torch. One factory, `make_encoder`, picks by name."""

from __future__ import annotations

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
    the same vectors as sentence-transformers without importing torch."""

    def __init__(self, model_path: str, quantized: bool):
        from tokenizers import Tokenizer

        max_length = check_mean_pooled(model_path)
        self._session = _session(model_path, quantized)
        self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        padding = self._tokenizer.padding or {}
        self._tokenizer.enable_padding(pad_id=padding.get("pad_id", 0), pad_token=padding.get("pad_token", "[PAD]"))
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), batch_size):
            encodings = self._tokenizer.encode_batch(texts[start:start + batch_size])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            parts.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(parts)


def session_options():
    """ONNX Runtime options for every groundqa model: quiet, and no spinning threads."""
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    # Idle worker threads would otherwise spin after each call and starve FAISS's OpenMP threads
    # (measured: flat search at 100k vectors took 15 ms right after an embedding instead of 6 ms).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _session(model_path: str, quantized: bool):
    from groundqa.sources.offline import import_onnxruntime

    onnxruntime = import_onnxruntime()

    options = session_options()
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
