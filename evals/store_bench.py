"""`groundqa bench --store URL`: the PostgreSQL + pgvector store beside the embedded one, on the same
chunks and vectors: bulk load, HNSW build, dense and hybrid retrieval p50, recall@10, and the same
reciprocal rank fusion done in one SQL statement (PostgreSQL full text in place of BM25) for comparison."""

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
    figures["server_rrf"] = server_rrf_figures(connection, retriever, questions, query_vectors, k)
    connection.close()
    return figures


# Retriever's fusion in one statement: the HNSW top candidates and the full-text top candidates (ts_rank_cd over
# an OR of the question's lexemes, the nearest PostgreSQL has to BM25), each ranked, fused by 1 / (rrf_k + rank).
SERVER_RRF = """
WITH dense AS (
    SELECT vector_id, row_number() OVER (ORDER BY distance, vector_id) AS rank
    FROM (SELECT vector_id, embedding <#> %(vector)s::vector AS distance FROM groundqa_chunks
          ORDER BY embedding <#> %(vector)s::vector LIMIT %(candidates)s) nearest),
keyword AS (
    SELECT vector_id, row_number() OVER (ORDER BY score DESC, vector_id) AS rank
    FROM (SELECT vector_id, ts_rank_cd(words, query) AS score
          FROM groundqa_bench_words,
               (SELECT replace(plainto_tsquery('english', %(text)s)::text, '&', '|')::tsquery) AS question(query)
          WHERE words @@ query ORDER BY score DESC LIMIT %(candidates)s) matching)
SELECT vector_id FROM dense FULL JOIN keyword USING (vector_id)
ORDER BY coalesce(1.0 / (%(rrf_k)s + dense.rank), 0) + coalesce(1.0 / (%(rrf_k)s + keyword.rank), 0) DESC, vector_id
LIMIT %(k)s"""


def server_rrf_figures(connection, retriever, questions: list[str], query_vectors: np.ndarray, k: int) -> dict:
    """Time SERVER_RRF over a side table of tsvectors (GIN-indexed; built here, dropped after) and how many of
    its top-k the in-Python fusion of pgvector and the in-memory BM25 also returns."""
    from groundqa.index.postgres import _vector_text

    from .bench import percentiles

    started = time.perf_counter()
    connection.execute("DROP TABLE IF EXISTS groundqa_bench_words")
    connection.execute("CREATE UNLOGGED TABLE groundqa_bench_words AS SELECT vector_id, "
                       "to_tsvector('english', row->>'text') AS words FROM groundqa_chunks")
    connection.execute("CREATE INDEX ON groundqa_bench_words USING gin (words)")
    connection.execute("ANALYZE groundqa_bench_words")
    figures: dict[str, Any] = {"full_text_build_s": time.perf_counter() - started}
    samples, overlaps = [], []
    for question, vector in zip(questions, query_vectors, strict=True):
        parameters = {"vector": _vector_text(vector), "text": question, "candidates": retriever.candidates,
                      "rrf_k": retriever.rrf_k, "k": k}
        started = time.perf_counter()
        fused = {row[0] for row in connection.execute(SERVER_RRF, parameters).fetchall()}
        samples.append(time.perf_counter() - started)
        ours = {hit.chunk.vector_id for hit in retriever.retrieve(question, k, query_vector=vector)}
        overlaps.append(len(fused & ours) / k)
    connection.execute("DROP TABLE groundqa_bench_words")
    figures["fused"] = percentiles(samples)
    figures[f"overlap@{k}"] = float(np.mean(overlaps))
    return figures
