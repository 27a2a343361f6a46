"""A built index, opened read-only: chunks, documents, vectors and a BM25 view."""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path

import numpy as np

from groundqa.errors import CorruptIndexError, IndexMismatchError, InternalError
from groundqa.sources import Document

from .bm25 import BM25
from .chunking import Chunk
from .files import (
    CHUNKS,
    DAMAGED,
    DOCUMENTS,
    VECTORS,
    current_generation,
    current_generation_name,
    read_jsonl,
    read_manifest,
)
from .filters import Where
from .postgres import is_database
from .schema import check_chunk_row, check_document_row
from .store import SearchableStore, load_store

FILTERS_KEPT = 32


class Index:
    def __init__(self, manifest: dict, chunks: list[Chunk], documents: dict[str, Document], store: SearchableStore):
        self.manifest = manifest
        self.chunks = chunks
        self.documents = documents
        self.store = store
        self.by_vector_id = {chunk.vector_id: chunk for chunk in chunks}
        self.position = {chunk.id: i for i, chunk in enumerate(chunks)}
        self.verified_stats: dict[str, list[int]] = {}  # a file's new [size, mtime_ns] whose bytes hashed the same
        self._filtered: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def positions_where(self, where: Where) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `chunks`, vector ids) of the chunks whose document the filter allows;
        remembered for the last few filters, since a chat asks under the same one again and again."""
        key = str(where)
        if key not in self._filtered:
            allowed = set(self.sources_where(where))
            chosen = [(i, c.vector_id) for i, c in enumerate(self.chunks) if c.source in allowed]
            if len(self._filtered) >= FILTERS_KEPT:
                self._filtered.clear()
            self._filtered[key] = (np.array([i for i, _ in chosen], dtype=np.int64),
                                   np.array([v for _, v in chosen], dtype=np.int64))
        return self._filtered[key]

    def sources_where(self, where: Where) -> list[str]:
        return [source for source, document in self.documents.items() if where.allows(document)]

    def dense(self, vector: np.ndarray, k: int, where: Where | None = None) -> list[int]:
        """Positions in `chunks` of the k nearest chunks to `vector`, nearest first, from the
        documents `where` allows."""
        allowed = None if where is None else self.positions_where(where)[1]
        _, ids = self.store.search(vector, k, allowed)
        return [self.position[self.by_vector_id[int(i)].id] for i in ids]

    def keyword(self, query: str, k: int, where: Where | None = None) -> list[int]:
        """Positions in `chunks` of the k best BM25 matches for `query`, best first, from the
        documents `where` allows."""
        return self.bm25.top(query, k, None if where is None else self.positions_where(where)[0])

    @cached_property
    def bm25(self) -> BM25:
        return BM25([chunk.embedding_text for chunk in self.chunks])

    @cached_property
    def chunks_per_source(self) -> dict[str, int]:
        return dict(Counter(chunk.source for chunk in self.chunks))

    @property
    def source_root(self) -> str:
        return self.manifest.get("source_root", "")

    @property
    def generation(self) -> str:
        return self.manifest.get("built", "")


def read_rows(generation: Path) -> tuple[list[Chunk], dict[str, Document]]:
    """A generation's chunks and documents, checked (ValueError on damage)."""
    return checked_rows(read_jsonl(generation / DOCUMENTS), read_jsonl(generation / CHUNKS))


def checked_rows(document_rows: list, chunk_rows: list) -> tuple[list[Chunk], dict[str, Document]]:
    """Chunks and documents from their rows, each row checked for shape and every chunk against its
    document's text (ValueError on damage): what the citation invariant rests on."""
    documents = {}
    for row in document_rows:
        check_document_row(row)
        documents[row["source"]] = Document.from_row(row)
    chunks = []
    for row in chunk_rows:
        check_chunk_row(row)
        document = documents.get(row["source"])
        if document is None or document.text[row["start"]:row["end"]] != row["text"]:
            raise ValueError(f"chunk {row['id'][:20]!r} is not the text of its document")
        chunks.append(Chunk.from_dict(row))
    return chunks, documents


def open_index(index_dir: str | Path, model: str | None = None) -> Index:
    """Open the live generation of an index; `model` guards against a mismatched embedder.

    A build in another process may publish a new generation while this one is being read; if
    the read fails and `CURRENT` has moved meanwhile, the new generation is read instead."""
    if is_database(index_dir):
        from .postgres import open_database_index

        return open_database_index(str(index_dir), model)
    index_dir = Path(index_dir)
    for attempt in range(3):
        started_on = current_generation_name(index_dir)
        try:
            return _open_live_generation(index_dir, model)
        except CorruptIndexError:
            if attempt == 2 or current_generation_name(index_dir) == started_on:
                raise
    raise InternalError("open_index retried past its limit")


def _open_live_generation(index_dir: Path, model: str | None) -> Index:
    generation = current_generation(index_dir)
    if generation is None:
        raise CorruptIndexError(f"no index found at {index_dir}; run `groundqa index` first")
    manifest = read_manifest(generation)
    if model and manifest.get("model") != model:
        raise IndexMismatchError(f"index at {index_dir} was built with model {manifest.get('model')!r}, "
                                 f"but the assistant embeds with {model!r}; run `groundqa index --rebuild`")
    try:
        chunks, documents = read_rows(generation)
        store = load_store(manifest.get("store", "faiss"), generation / VECTORS)
    except DAMAGED as exc:
        raise CorruptIndexError(f"index at {index_dir} is corrupt ({exc}); run `groundqa index --rebuild`") from None
    if len(store) != len(chunks):
        raise CorruptIndexError(f"index at {index_dir} is corrupt ({len(store)} vectors for {len(chunks)} chunks); "
                                f"run `groundqa index --rebuild`")
    return Index(manifest, chunks, documents, store)
