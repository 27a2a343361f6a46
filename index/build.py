"""Incremental index build: unchanged files keep their vectors, changed files are re-chunked,
deleted files disappear, bad files are skipped with a warning."""

from __future__ import annotations

import fcntl
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from sources import Document, LoaderError, iter_source_files, load, read_source_bytes, relative_source

from .chunking import Chunk, ChunkingSettings, chunk_document
from .embedder import Embedder, shared_embedder
from .errors import CorruptIndexError
from .files import (CHUNKS, DOCUMENTS, VECTORS, current_generation, publish_generation, read_jsonl,
                    read_manifest, remove_abandoned_staging, sha256_bytes, write_jsonl)
from .store import load_store, make_store


@dataclass
class BuildReport:
    index_dir: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks_total: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    rebuild_reason: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def build_index(source_dir: str | Path, index_dir: str | Path, *, embedder: Embedder | None = None,
                chunking: ChunkingSettings | None = None, show_progress: bool = False,
                rebuild: bool = False) -> BuildReport:
    """Bring the index at `index_dir` up to date with the files under `source_dir`."""
    started = time.perf_counter()
    embedder = embedder or shared_embedder()
    chunking = chunking or ChunkingSettings()
    source_dir, index_dir = Path(source_dir).resolve(), Path(index_dir)
    paths = iter_source_files(source_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    report = BuildReport(index_dir=str(index_dir))
    with open(index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        remove_abandoned_staging(index_dir)
        settings = {"model": embedder.name, "dimension": embedder.dimension,
                    "chunking": asdict(chunking), "store": "faiss"}
        old = _previous(index_dir, settings, rebuild, report)
        old_manifest, old_chunks, old_documents, store = old
        root = source_dir if source_dir.is_dir() else source_dir.parent
        files, new_documents, chunks_by_source = {}, {}, {}
        for path in _progress(paths, show_progress, "Reading"):
            try:
                data = read_source_bytes(path)
            except LoaderError as exc:
                report.skipped.append((str(path), exc.reason))
                continue
            digest = sha256_bytes(data)
            source = relative_source(path, root)
            previous = old_manifest.get("files", {}).get(source)
            if previous and previous["sha256"] == digest and source in old_documents:
                files[source] = previous
                new_documents[source] = old_documents[source]
                chunks_by_source[source] = old_chunks.get(source, [])
                report.unchanged.append(source)
                continue
            try:
                document = load(path, root, data)
            except LoaderError as exc:
                report.skipped.append((str(path), exc.reason))
                continue
            new_documents[source] = _document_row(document, digest)
            chunks_by_source[source] = chunk_document(document, chunking)
            files[source] = {"sha256": digest, "title": document.title, "chunks": len(chunks_by_source[source])}
            (report.updated if previous else report.added).append(source)

        report.removed = sorted(set(old_manifest.get("files", {})) - set(files))
        stale = [c for s in report.removed + report.updated for c in old_chunks.get(s, [])]
        fresh = [c for s in report.added + report.updated for c in chunks_by_source[s]]
        # A chunk whose text is already embedded (unchanged part of an edited file, a renamed or
        # copied file) keeps its vector; only new text goes through the model.
        known = {c.text: c.vector_id for c in stale}
        reused = [c for c in fresh if c.text in known]
        reused_vectors = store.vectors([known[c.text] for c in reused]) if reused else None
        store.delete(_vector_ids(stale))
        if reused:
            store.add(_vector_ids(reused), reused_vectors)
        new = [c for c in fresh if c.text not in known]
        store.add(_vector_ids(new), embedder.embed([c.text for c in new], show_progress=show_progress))
        report.chunks_embedded = len(new)
        report.chunks_total = len(store)

        if report.changed or report.rebuild_reason or not old_manifest:
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir))
            staging.chmod(0o755)
            store.save(staging / VECTORS)
            write_jsonl(staging / CHUNKS, (c.to_dict() for s in sorted(chunks_by_source) for c in chunks_by_source[s]))
            write_jsonl(staging / DOCUMENTS, (new_documents[s] for s in sorted(new_documents)))
            publish_generation(index_dir, staging, {**settings, "vector_index": store.description,
                                                    "source_root": str(root), "files": files,
                                                    "built": time.strftime("%Y-%m-%dT%H:%M:%S")})
    report.seconds = time.perf_counter() - started
    return report


def _previous(index_dir: Path, settings: dict, rebuild: bool, report: BuildReport):
    """(manifest, chunks by source, document rows by source, store) of the live index, or empty ones."""
    empty = ({}, {}, {}, make_store("faiss", settings["dimension"]))
    if rebuild:
        report.rebuild_reason = "rebuild requested"
        return empty
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return empty
        manifest = read_manifest(generation)
    except CorruptIndexError as exc:
        report.rebuild_reason = f"previous index unusable ({exc}); rebuilding from scratch"
        return empty
    changed = [key for key in settings if manifest.get(key) != settings[key]]
    if changed:
        report.rebuild_reason = (f"index settings changed ({', '.join(changed)}: "
                                 f"{[manifest.get(k) for k in changed]} -> {[settings[k] for k in changed]}); "
                                 f"rebuilding from scratch")
        return empty
    chunks: dict[str, list[Chunk]] = {}
    for row in read_jsonl(generation / CHUNKS):
        chunk = Chunk.from_dict(row)
        chunks.setdefault(chunk.source, []).append(chunk)
    documents = {row["source"]: row for row in read_jsonl(generation / DOCUMENTS)}
    return manifest, chunks, documents, load_store("faiss", generation / VECTORS)


def _vector_ids(chunks: list[Chunk]) -> np.ndarray:
    return np.asarray([c.vector_id for c in chunks], dtype=np.int64)


def _document_row(document: Document, digest: str) -> dict:
    return {**asdict(document), "page_starts": list(document.page_starts), "sha256": digest}


def _progress(items, enabled: bool, label: str):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="file", leave=False)
