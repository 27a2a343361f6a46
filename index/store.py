"""Vector store interface (add / delete / search / save / load) and its FAISS implementation."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from groundqa.errors import ConfigurationError


class SearchableStore(Protocol):
    """What an opened index searches: the embedded FAISS store or a database."""

    def search(self, vector: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...
    def vectors(self, ids) -> np.ndarray: ...
    def __len__(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def description(self) -> dict: ...


class VectorStore(SearchableStore, Protocol):
    """What a build changes: vectors added and deleted by id, then saved."""

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def delete(self, ids: np.ndarray) -> None: ...
    def fit_to_size(self) -> None: ...  # choose the index structure for the vectors it now holds
    def save(self, path: Path) -> None: ...


# Exact (flat) search is exact but linear: 5.8 ms at 100k 384-d vectors on one 2-core machine, 28 ms
# on another of the same kind. So from HNSW_CONSIDER_FROM vectors on, `save` times flat search on
# this machine and builds HNSW (under 0.5 ms, recall@10 0.99 at 150k) when it is slower than
# FLAT_BUDGET_MS; from HNSW_MIN_VECTORS on it always does.
HNSW_CONSIDER_FROM = 20_000
FLAT_BUDGET_MS = 3.0
HNSW_MIN_VECTORS = 150_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512  # recall@10 0.988 at 300k vectors (256: 0.958), still under a millisecond


def ef_search_for(vectors: int) -> int:
    """efSearch grows with the index: at 1M (replicated bench vectors) 512 gives recall@10 0.881,
    1024 0.941, 2048 0.984 in 3.4 ms."""
    return max(HNSW_EF_SEARCH, min(4096, vectors // 500))


class FaissStore:
    """Inner-product search over normalised vectors keyed by int64 ids (IndexIDMap2): exact (flat)
    while that is fast enough here, HNSW beyond (see FLAT_BUDGET_MS; a fixed `hnsw_min` overrides
    the measurement). The switch happens on `save`, so a saved index records which kind it is;
    deleting from an HNSW index first turns it back into a flat one (HNSW cannot remove), and the
    next `save` rebuilds the graph."""

    def __init__(self, dimension: int, index=None, hnsw_min: int | None = None):
        import faiss

        self.dimension = dimension
        self.hnsw_min = hnsw_min  # None: measured
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        if self.kind == "hnsw":
            self._inner().hnsw.efSearch = ef_search_for(len(self))

    @property
    def kind(self) -> Literal["flat", "hnsw"]:
        return "hnsw" if type(self._inner()).__name__ == "IndexHNSWFlat" else "flat"

    @property
    def description(self) -> dict:
        """Build metadata for the manifest."""
        if self.kind == "hnsw":
            return {"kind": "hnsw", "M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION,
                    "ef_search": self._inner().hnsw.efSearch, "vectors": len(self)}
        return {"kind": "flat", "vectors": len(self)}

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def delete(self, ids: np.ndarray) -> None:
        if len(ids):
            if self.kind == "hnsw":
                self._index = self._rebuilt(flat=True)
            # faiss's Python wrapper turns an id array into a selector (its stubs only list IDSelector)
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) for one query vector, among the `allowed` ids when given; ids of -1
        are dropped. Filtered search is exact on a flat index; on HNSW the graph search skips the
        ids not allowed, and when a selective filter leaves it short of k the allowed vectors are
        compared one by one instead."""
        import faiss

        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if allowed is None:
            scores, ids = self._index.search(query, k)
        else:
            allowed = np.asarray(allowed, dtype=np.int64)
            selector = faiss.IDSelectorBatch(allowed)
            # faiss's stubs lack the search parameters' fields (faiss 1.15 has them)
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=self._inner().hnsw.efSearch)  # type: ignore[attr-defined]
                      if self.kind == "hnsw" else faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]
            scores, ids = self._index.search(query, k, params=params)
            if (ids[0] >= 0).sum() < k:
                return _exact(query[0], allowed, self.vectors(allowed), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors of `ids`, in that order."""
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def fit_to_size(self) -> None:
        """Build the HNSW graph when exact search has become too slow (`save` calls this)."""
        if self.kind == "flat" and self.wants_hnsw():
            self._index = self._rebuilt(flat=False)

    def wants_hnsw(self) -> bool:
        if self.hnsw_min is not None:
            return len(self) >= self.hnsw_min
        return len(self) >= HNSW_MIN_VECTORS or (len(self) >= HNSW_CONSIDER_FROM
                                                 and self.flat_search_ms() > FLAT_BUDGET_MS)

    def flat_search_ms(self, queries: int = 15) -> float:
        """Median time of one exact top-10 search here, querying with stored vectors."""
        import faiss

        ids = faiss.vector_to_array(self._index.id_map)
        picked = ids[np.linspace(0, len(ids) - 1, queries).astype(int)]
        vectors = self.vectors(picked)
        self.search(vectors[0], 10)  # warm
        samples = []
        for vector in vectors:
            started = time.perf_counter()
            self.search(vector, 10)
            samples.append(time.perf_counter() - started)
        return float(np.median(samples) * 1000)

    def save(self, path: Path) -> None:
        import faiss

        self.fit_to_size()
        faiss.write_index(self._index, str(path))
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        import faiss

        index = faiss.read_index(str(path))
        return cls(index.d, index)

    def __len__(self) -> int:
        return self._index.ntotal

    def _inner(self):
        import faiss

        return faiss.downcast_index(self._index.index)

    def _rebuilt(self, flat: bool):
        """The same (id, vector) pairs in a new flat or HNSW index."""
        import faiss

        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = self._inner().reconstruct_n(0, len(ids)) if len(ids) else np.zeros((0, self.dimension), np.float32)
        if flat:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        else:
            graph = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            graph.hnsw.efSearch = ef_search_for(len(ids))
            index = faiss.IndexIDMap2(graph)
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        return index


def _exact(query: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = vectors @ query
    best = np.argsort(-scores, kind="stable")[:k]
    return scores[best].astype(np.float32), ids[best]


def make_store(kind: Literal["faiss"], dimension: int) -> VectorStore:
    if kind == "faiss":
        return FaissStore(dimension)
    raise ConfigurationError(f"Unknown vector store {kind!r}. Valid choices: 'faiss'")


def load_store(kind: Literal["faiss"], path: Path) -> VectorStore:
    if kind == "faiss":
        return FaissStore.load(path)
    raise ConfigurationError(f"Unknown vector store {kind!r}. Valid choices: 'faiss'")
