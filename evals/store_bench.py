"""`groundqa bench --store URL`: the PostgreSQL + pgvector store beside the embedded one, on the same
chunks and vectors: bulk load, HNSW build, dense and hybrid retrieval p50, recall@10."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import numpy as np


def database_figures(url: str, index, query_vectors: np.ndarray, questions: list[str], embedder,
                     k: int = 10) -> dict:
    """Load `index` (chunks and vectors) into the database at `url` (its groundqa tables are replaced)
    and time search there; recall@k of the HNSW search against the exact top-k."""
    from groundqa.index import Index
    from groundqa.index.postgres import DatabaseStore, connect, copy_chunks, create_tables, create_vector_index
    from groundqa.retrieval import Retriever

    from .bench import percentiles, time_queries

    ids = np.array([c.vector_id for c in index.chunks], dtype=np.int64)
    vectors = index.store.vectors(ids)
    connection = connect(url)
    started = time.perf_counter()
    with connection.transaction():
        create_tables(connection, vectors.shape[1])
        copy_chunks(connection, [(i, c, v) for i, (c, v) in enumerate(zip(index.chunks, vectors, strict=True))])
    loaded = time.perf_counter()
    create_vector_index(connection, len(ids))
    built = time.perf_counter()
    figures: dict[str, Any] = {"chunks": len(ids), "load_s": loaded - started,
                               "rows_per_s": len(ids) / (loaded - started), "hnsw_build_s": built - loaded}
    store = DatabaseStore(connection, vectors.shape[1], len(ids))
    samples, recalls = [], []
    for vector in query_vectors:
        started = time.perf_counter()
        found = store.search(vector, k)[1]
        samples.append(time.perf_counter() - started)
        exact = ids[np.argsort(-(vectors @ vector), kind="stable")[:k]]
        recalls.append(len(set(found.tolist()) & set(exact.tolist())) / k)
    figures["dense_search"], figures[f"recall@{k}"] = percentiles(samples), float(np.mean(recalls))

    retriever = Retriever(Index(index.manifest, index.chunks, index.documents, store), embedder)
    figures["hybrid_retrieve"] = time_queries(SimpleNamespace(retrieve=retriever.retrieve), questions, full=False)
    connection.close()
    return figures
