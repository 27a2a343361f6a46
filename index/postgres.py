"""PostgreSQL + pgvector as the index's home, so several chat servers can share one index.

Three tables: `groundqa_meta` (one row: the manifest and a generation counter), `groundqa_documents`
and `groundqa_chunks` (each chunk's row and embedding). A build writes every change in one
transaction: a crash leaves the previous index whole, and a reader never sees half a document.
Dense search runs on an HNSW index (inner product). Keyword search stays the in-memory BM25 each
server builds from the chunks it loads (the reader needs their text and term statistics anyway):
Okapi BM25 computed in SQL from a postings table took 2.2 s a query at 1M chunks here.
Needs the `postgres` extra (psycopg; pgserver for a local server: `groundqa db start`).
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from groundqa.errors import (
    ConfigurationError,
    CorruptIndexError,
    IndexWriteError,
    InternalError,
    MissingDependencyError,
)

if TYPE_CHECKING:
    from .build import BuildReport, Generation, Plan
    from .chunking import Chunk
    from .loaded import Index
    from .store import VectorStore

DATABASE_SCHEMES = ("postgresql://", "postgres://")
BUILD_LOCK = 0x67716171  # pg_advisory_lock key: one build at a time per database
# pgvector's graph over 1M replicated bench chunks (README, At scale), recall@10 of the bench's 100 questions at
# ef_search 1,000 (the most pgvector 0.6 takes): 0.909 at m 32 / ef_construction 128, 0.949 at m 48 / 200, 0.950 at
# m 64 / 200, 1.000 and 0.970 in two builds with these (parallel builds differ). The misses were whole questions
# (0 of 10): the ~500 noisy copies of one chunk formed a cluster the graph never linked to, since each insert's
# candidate list (ef_construction) held only its own copies.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 48, 400, 1000
# A limit, not an allocation: the graph of 1M chunks (m 48 / 400) was built in 1,024 s with 8 GB; past the limit
# it spills to disk and builds far slower (m 32 / 128 with 2 GB: 1,365 s)
BUILD_MEMORY_PER_ROW, BUILD_MEMORY_MAX = 8 << 10, 8 << 30


def is_database(location: object) -> bool:
    return isinstance(location, str) and location.startswith(DATABASE_SCHEMES)


def shown(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)


def connect(url: str):
    try:
        import psycopg
    except ImportError:
        raise MissingDependencyError("a postgresql:// index needs the postgres extra: "
                                     "pip install 'groundqa[postgres]'") from None
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise ConfigurationError(f"cannot connect to {shown(url)} ({_first_line(exc)}); start the server "
                                 f"(`groundqa db start` for a local one) or fix the URL") from None


class DatabaseTarget:
    """Where `build_index` reads the previous index from and publishes the new one: a database."""

    kind = "pgvector"

    def __init__(self, url: str):
        self.url = url
        self.connection: Any = None  # open while locked

    def __str__(self) -> str:
        return shown(self.url)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.connection = connect(self.url)
        try:
            self.connection.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))
            yield
        finally:
            self.connection.close()
            self.connection = None

    def previous(self, settings: dict, rebuild: bool, report: BuildReport) -> Generation:
        from .build import Generation, settings_changed, unusable
        from .schema import check_manifest

        empty = Generation({}, {}, {}, PendingStore(settings["dimension"], fresh=True))
        if rebuild:
            report.rebuild_reason = "rebuild requested"
            return empty
        manifest = read_manifest(self.connection)
        if manifest is None:
            return empty
        try:
            check_manifest(manifest)
        except ValueError as exc:
            report.rebuild_reason = unusable(exc)
            return empty
        report.rebuild_reason = settings_changed(manifest, settings)
        if report.rebuild_reason:
            return empty
        try:
            chunks, documents = read_checked_rows(self.connection)
        except ValueError as exc:
            report.rebuild_reason = unusable(exc)
            return empty
        store = PendingStore(settings["dimension"], count=len(chunks), connection=self.connection)
        return Generation.of_rows(manifest, chunks, documents, store)

    def publish(self, plan: Plan, store: VectorStore, manifest: dict, report: BuildReport) -> None:
        """Every change in one transaction; the generation counter moves last, with the manifest."""
        if not isinstance(store, PendingStore):
            raise InternalError("a database index publishes the pending changes of its own build")
        connection = self.connection
        changed = report.added + report.updated
        try:
            with connection.transaction():
                live = read_manifest(connection)  # numbered on across rebuilds, so every server sees a new one
                generation = (live.get("generation", 0) if isinstance(live, dict) else 0) + 1
                if store.fresh:
                    create_tables(connection, manifest["dimension"])
                else:
                    gone = report.removed + report.updated
                    for table in ("groundqa_chunks", "groundqa_documents"):
                        connection.execute(f"DELETE FROM {table} WHERE source = ANY(%s)", (gone,))
                in_memory = [s for s in changed if s not in store.staged]
                copy_rows(connection, "groundqa_documents (source, row)", ("text", "jsonb"),
                          ((s, plan.documents[s]) for s in in_memory))
                copy_chunks(connection, [(position, chunk, store.added[chunk.vector_id]) for s in in_memory
                                         for position, chunk in enumerate(plan.chunks[s])])
                if store.staged:  # written by a Ray ingestion (ray_ingest.py), which clears its staging here
                    from .staging import publish_staged

                    publish_staged(connection, list(store.staged.values()))
                create_vector_index(connection, len(store))  # after the rows: a bulk load stays fast
                full = {**manifest, "format": 1, "checksums": {}, "generation": generation, "files": plan.files,
                        "vector_index": store.description, "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
                connection.execute("DELETE FROM groundqa_meta")
                connection.execute("INSERT INTO groundqa_meta (generation, manifest) VALUES (%s, %s)",
                                   (generation, json.dumps(full, ensure_ascii=False)))
        except _database_errors() as exc:
            raise IndexWriteError(f"cannot write the index to {shown(self.url)} ({_first_line(exc)}); "
                                  f"the previous index is kept") from None


def create_tables(connection, dimension: int) -> None:
    """Drop and create the tables (inside the build's transaction, so a failed rebuild drops nothing)."""
    connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    connection.execute("DROP TABLE IF EXISTS groundqa_meta, groundqa_documents, groundqa_chunks")
    connection.execute("CREATE TABLE groundqa_meta (generation bigint NOT NULL, manifest jsonb NOT NULL)")
    connection.execute("CREATE TABLE groundqa_documents (source text PRIMARY KEY, row jsonb NOT NULL)")
    connection.execute(f"CREATE TABLE groundqa_chunks (vector_id bigint PRIMARY KEY, source text NOT NULL, "
                       f"ord int NOT NULL, row jsonb NOT NULL, "
                       f"embedding vector({int(dimension)}) NOT NULL)")
    connection.execute("CREATE INDEX groundqa_chunks_source ON groundqa_chunks (source, ord)")


CHUNK_COLUMNS = ("int8", "text", "int4", "jsonb", "vector")  # vector_id, source, ord, row, embedding


def copy_chunks(connection, chunks: list[tuple[int, Chunk, np.ndarray]]) -> None:
    """(position in its document, chunk, vector) rows, by COPY."""
    copy_rows(connection, "groundqa_chunks (vector_id, source, ord, row, embedding)", CHUNK_COLUMNS,
              ((c.vector_id, c.source, position, c.to_dict(), vector) for position, c, vector in chunks))


def copy_rows(connection, table: str, types: tuple[str, ...], rows) -> None:
    """Binary COPY: no number or vector goes through text. `types` name the columns' types; vectors
    are float32 numpy arrays, jsonb values plain Python objects."""
    if "vector" in types:
        register_vector(connection)
    with connection.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def register_vector(connection) -> None:
    """Teach this connection pgvector's binary format (dimension, unused, big-endian float32s), which
    COPY uses for numpy arrays."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(connection, "vector")
    if info is None:
        raise InternalError("the vector extension is not installed in this database")
    info.register(connection)

    class VectorDumper(Dumper):
        format, oid = Format.BINARY, info.oid

        def dump(self, obj) -> bytes:
            vector = np.asarray(obj, dtype=">f4").ravel()
            return struct.pack(">HH", vector.size, 0) + vector.tobytes()

    connection.adapters.register_dumper(np.ndarray, VectorDumper)


def create_vector_index(connection, rows: int) -> None:
    memory = min(BUILD_MEMORY_MAX, max(64 << 20, rows * BUILD_MEMORY_PER_ROW))
    connection.execute(f"SET maintenance_work_mem = '{memory >> 20}MB'")
    connection.execute(f"CREATE INDEX IF NOT EXISTS groundqa_chunks_hnsw ON groundqa_chunks USING hnsw "
                       f"(embedding vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})")


def read_manifest(connection) -> dict | None:
    """The live manifest, or None when the database holds no index yet."""
    return _meta(connection, "manifest")


def _meta(connection, column: str):
    found = connection.execute("SELECT to_regclass('groundqa_meta') IS NOT NULL").fetchone()[0]
    row = connection.execute(f"SELECT {column} FROM groundqa_meta").fetchone() if found else None
    return row[0] if row else None


def read_checked_rows(connection):
    """Chunks (in index order) and documents, checked like the embedded store's files. Sources sort by
    code point, as Python sorts them for the embedded store, whatever the database's collation."""
    from .loaded import checked_rows

    by_code_point = 'source COLLATE "C"'
    documents = [row for (row,) in connection.execute(f"SELECT row FROM groundqa_documents ORDER BY {by_code_point}")]
    chunks = [row for (row,) in connection.execute(f"SELECT row FROM groundqa_chunks ORDER BY {by_code_point}, ord")]
    return checked_rows(documents, chunks)


def open_database_index(url: str, model: str | None = None) -> Index:
    from groundqa.errors import IndexMismatchError

    from .loaded import Index
    from .schema import check_manifest

    connection = connect(url)
    try:
        manifest = read_manifest(connection)
        if manifest is None:
            raise CorruptIndexError(f"no index in {shown(url)}; run `groundqa index DIR --store URL` first")
        if model and manifest.get("model") != model:
            raise IndexMismatchError(f"the index in {shown(url)} was built with model {manifest.get('model')!r}, but "
                                     f"the assistant embeds with {model!r}; run `groundqa index --rebuild`")
        check_manifest(manifest)
        chunks, documents = read_checked_rows(connection)
    except ValueError as exc:
        connection.close()
        raise CorruptIndexError(f"the index in {shown(url)} is corrupt ({exc}); "
                                f"run `groundqa index --rebuild`") from None
    except BaseException:
        connection.close()
        raise
    store = DatabaseStore(connection, manifest["dimension"], len(chunks))
    return Index(manifest, chunks, documents, store)


class DatabaseStore:
    """The read side: dense search in SQL over one connection (its threads take turns)."""

    kind = "pgvector-hnsw"

    def __init__(self, connection, dimension: int, count: int):
        self.connection = connection
        self.dimension = dimension
        self._count = count
        self._lock = threading.Lock()
        connection.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")

    @property
    def description(self) -> dict:
        return _description(self._count)

    def live_generation(self) -> int | None:
        """The database's generation number now (one small row), so a server notices another's build."""
        with self._lock:
            return _meta(self.connection, "generation")

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids). The HNSW scan returns at most ef_search rows, and pgvector 0.6 filters
        after it, so a filter (or k above ef_search) can come back short: then the rows are compared exactly."""
        k = min(k, self._count if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = _vector_text(vector)
        among, ids = ("", ()) if allowed is None else ("WHERE vector_id = ANY(%s)", ([int(i) for i in allowed],))
        select = f"SELECT vector_id, -(embedding <#> %s::vector) FROM groundqa_chunks {among} ORDER BY"
        with self._lock:
            rows = self.connection.execute(f"{select} embedding <#> %s::vector LIMIT %s",
                                           (query, *ids, query, k)).fetchall()
            if len(rows) < k:  # "+ 0": an order the HNSW index cannot serve, so every (allowed) row is compared
                rows = self.connection.execute(f"{select} (embedding <#> %s::vector) + 0 LIMIT %s",
                                               (query, *ids, query, k)).fetchall()
        return (np.asarray([r[1] for r in rows], dtype=np.float32), np.asarray([r[0] for r in rows], dtype=np.int64))

    def vectors(self, ids) -> np.ndarray:
        with self._lock:
            return _fetch_vectors(self.connection, ids, self.dimension)

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self.connection.close()


class PendingStore:
    """The write side during a build: deletions and additions are kept here and written by
    `DatabaseTarget.publish` in one transaction; `vectors` reads the live index, for reuse."""

    kind = "pgvector-hnsw"

    def __init__(self, dimension: int, count: int = 0, fresh: bool = False, connection=None):
        self.dimension, self.fresh, self.connection = dimension, fresh, connection
        self._count = count
        self.deleted: set[int] = set()
        self.added: dict[int, np.ndarray] = {}
        self.staged: dict[str, int] = {}  # source -> staged_id of rows a Ray ingestion wrote (staging.py)
        self.staged_chunks = 0

    @property
    def description(self) -> dict:
        return _description(len(self))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.added.update(zip((int(i) for i in ids), np.asarray(vectors, dtype=np.float32), strict=True))

    def delete(self, ids: np.ndarray) -> None:
        self.deleted.update(int(i) for i in ids)

    def vectors(self, ids) -> np.ndarray:
        return _fetch_vectors(self.connection, ids, self.dimension)

    def search(self, vector, k, allowed=None):
        raise NotImplementedError("a build's pending changes are not searched")

    def fit_to_size(self) -> None:
        """pgvector keeps its HNSW index itself."""

    def save(self, path) -> None:
        raise NotImplementedError("a database index is written by DatabaseTarget.publish")

    def __len__(self) -> int:
        return self._count - len(self.deleted) + len(self.added) + self.staged_chunks


def _description(vectors: int) -> dict:
    return {"kind": "pgvector-hnsw", "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION,
            "ef_search": HNSW_EF_SEARCH, "vectors": vectors}


def _fetch_vectors(connection, ids, dimension: int) -> np.ndarray:
    ids = [int(i) for i in ids]
    if not ids:
        return np.zeros((0, dimension), dtype=np.float32)
    rows = dict(connection.execute("SELECT vector_id, embedding::text FROM groundqa_chunks WHERE vector_id = ANY(%s)",
                                   (ids,)).fetchall())
    return np.vstack([np.asarray(json.loads(rows[i]), dtype=np.float32) for i in ids])


def _vector_text(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.8g}" for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"


def _first_line(exc: BaseException) -> str:
    return " ".join(str(exc).split("\n")[0].split())[:200]


def _database_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (psycopg.Error,)
