"""Vector store interface (add / delete / search / save / load) and its FAISS implementation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Protocol

import numpy as np


class VectorStore(Protocol):
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def delete(self, ids: np.ndarray) -> None: ...
    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


class FaissStore:
    """Exact inner-product search over normalised vectors, keyed by int64 ids (IndexIDMap2)."""

    def __init__(self, dimension: int, index=None):
        import faiss

        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def delete(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) for one query vector; ids of -1 are dropped."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, ids = self._index.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors of `ids`, in that order."""
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> "FaissStore":
        import faiss

        index = faiss.read_index(str(path))
        return cls(index.d, index)

    def __len__(self) -> int:
        return self._index.ntotal


def make_store(kind: Literal["faiss"], dimension: int) -> VectorStore:
    if kind == "faiss":
        return FaissStore(dimension)
    raise ValueError(f"Unknown vector store {kind!r}. Valid choices: 'faiss'")


def load_store(kind: Literal["faiss"], path: Path) -> VectorStore:
    if kind == "faiss":
        return FaissStore.load(path)
    raise ValueError(f"Unknown vector store {kind!r}. Valid choices: 'faiss'")
