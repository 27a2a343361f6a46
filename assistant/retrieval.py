"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groundqa.index import Chunk, Embedder, Index, Where


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float              # fused RRF score
    dense_rank: int | None    # 1-based, None when not in the dense candidates
    bm25_rank: int | None


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, candidates: int = 20, rrf_k: int = 60):
        self.index = index
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, query: str, top_k: int = 5, query_vector: np.ndarray | None = None,
                 where: Where | None = None) -> list[Hit]:
        """The `top_k` best chunks for `query`, best first; only from documents `where` allows."""
        if not self.index.chunks or (where is not None and not len(self.index.positions_where(where)[0])):
            return []
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        dense = self.index.dense(query_vector, self.candidates, where)
        lexical = self.index.keyword(query, self.candidates, where)
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, position in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + 1.0 / (self.rrf_k + rank)
        best = sorted(fused, key=lambda p: (-fused[p], p))[:top_k]
        dense_rank = {p: r for r, p in enumerate(dense, start=1)}
        bm25_rank = {p: r for r, p in enumerate(lexical, start=1)}
        return [Hit(self.index.chunks[p], fused[p], dense_rank.get(p), bm25_rank.get(p)) for p in best]
