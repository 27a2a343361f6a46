"""Staging tables for a Ray ingestion: each batch of documents is committed here as it is written, so
a killed job keeps its finished work, while the live tables change only when the build publishes.

`groundqa_staged_documents` holds one row per file a batch processed (its manifest entry, its
document row, or the reason it was skipped); `groundqa_staged_chunks` the chunks and vectors of
those files, under the same `staged_id`. Rows are tagged with the build settings they were made
with, so a job resumed with another model or chunking starts over.
"""

from __future__ import annotations

import hashlib
import json

DOCUMENTS = "groundqa_staged_documents"
CHUNKS = "groundqa_staged_chunks"
DOCUMENT_COLUMNS = ("int8", "text", "text", "text", "jsonb", "jsonb", "text")


def settings_key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


class Staging:
    """The staging tables as one build sees them: prepared for `settings`, read, published, cleared."""

    def __init__(self, connection, settings: dict):
        self.connection, self.key = connection, settings_key(settings)
        connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        other = connection.execute(f"SELECT 1 FROM {DOCUMENTS} WHERE settings <> %s LIMIT 1", (self.key,)).fetchone() \
            if _exists(connection, DOCUMENTS) else None
        if other:  # made with another model or chunking: of no use, and its vectors may have another dimension
            connection.execute(f"DROP TABLE {DOCUMENTS}, {CHUNKS}")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {DOCUMENTS} (staged_id bigint PRIMARY KEY, "
                           f"settings text NOT NULL, source text NOT NULL, sha256 text NOT NULL, entry jsonb NOT NULL, "
                           f"row jsonb, reason text, staged_at timestamptz NOT NULL DEFAULT clock_timestamp())")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {CHUNKS} (staged_id bigint NOT NULL, "
                           f"vector_id bigint NOT NULL, source text NOT NULL, ord int NOT NULL, row jsonb NOT NULL, "
                           f"embedding vector({int(settings['dimension'])}) NOT NULL)")

    def done(self) -> set[tuple[str, str]]:
        """(source, sha256) of every file already staged: a resumed job does not process them again."""
        return {(source, digest) for source, digest in
                self.connection.execute(f"SELECT source, sha256 FROM {DOCUMENTS}").fetchall()}

    def latest(self, sources: list[str]) -> dict[str, tuple[int, dict, str | None]]:
        """The newest staged (staged_id, entry, reason) of each source: a file edited between a killed
        job and its resumption is staged twice, and the later one is what the job read last."""
        rows = self.connection.execute(f"SELECT DISTINCT ON (source) source, staged_id, entry, reason FROM {DOCUMENTS} "
                                       f"WHERE source = ANY(%s) ORDER BY source, staged_at DESC", (sources,)).fetchall()
        return {source: (staged_id, entry, reason) for source, staged_id, entry, reason in rows}

    def clear(self) -> None:
        publish_staged(self.connection, [])


def stage_batch(connection, documents: list[tuple], chunks: list[tuple]) -> None:
    """One batch in one transaction: (staged_id, settings, source, sha256, entry, row, reason) rows and
    (staged_id, vector_id, source, ord, row, vector) rows, by binary COPY."""
    from .postgres import CHUNK_COLUMNS, copy_rows

    with connection.transaction():
        copy_rows(connection, f"{DOCUMENTS} (staged_id, settings, source, sha256, entry, row, reason)",
                  DOCUMENT_COLUMNS, documents)
        copy_rows(connection, f"{CHUNKS} (staged_id, vector_id, source, ord, row, embedding)",
                  ("int8", *CHUNK_COLUMNS), chunks)


def publish_staged(connection, staged_ids: list[int]) -> None:
    """Copy the chosen staged files into the live tables and empty the staging tables (inside the
    build's publishing transaction, so both happen or neither)."""
    if staged_ids:
        connection.execute(f"INSERT INTO groundqa_documents (source, row) SELECT source, row FROM {DOCUMENTS} "
                           f"WHERE staged_id = ANY(%s)", (staged_ids,))
        connection.execute(f"INSERT INTO groundqa_chunks (vector_id, source, ord, row, embedding) "
                           f"SELECT vector_id, source, ord, row, embedding FROM {CHUNKS} WHERE staged_id = ANY(%s)",
                           (staged_ids,))
    for table in (DOCUMENTS, CHUNKS):
        if _exists(connection, table):
            connection.execute(f"TRUNCATE {table}")


def _exists(connection, table: str) -> bool:
    return connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]
