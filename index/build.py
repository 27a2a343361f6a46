"""Incremental index build: unchanged files keep their vectors, changed files are re-chunked,
deleted files disappear, bad files are skipped with a warning."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from groundqa.errors import ConfigurationError, CorruptIndexError, IndexWriteError, LoaderError
from groundqa.sources import (
    TEXT_VERSION,
    Document,
    iter_source_files,
    load_isolated,
    read_source_bytes,
    relative_source,
    valid_name,
)

from .chunking import Chunk, ChunkingSettings, chunk_document
from .embedder import Embedder, shared_embedder
from .files import (
    CHUNKS,
    DAMAGED,
    DOCUMENTS,
    VECTORS,
    current_generation,
    publish_generation,
    read_manifest,
    remove_abandoned_staging,
    sha256_bytes,
    write_jsonl,
)
from .freshness import file_stat
from .loaded import read_rows
from .postgres import DatabaseTarget, is_database
from .store import VectorStore, load_store, make_store


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
    resumed: list[str] = field(default_factory=list)  # changed files a stopped Ray ingestion had already staged

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class Generation:
    """The live index a build starts from; empty for a first build, a rebuild, or an index that
    cannot be reused (other settings, damaged)."""

    manifest: dict
    chunks: dict[str, list[Chunk]]  # by source
    documents: dict[str, dict]  # document rows by source
    store: VectorStore

    @classmethod
    def empty(cls, dimension: int) -> Generation:
        return cls({}, {}, {}, make_store("faiss", dimension))

    @classmethod
    def of_rows(cls, manifest: dict, chunks: list[Chunk], documents: dict[str, Document],
                store: VectorStore) -> Generation:
        """A live generation from its manifest and checked rows: chunks by source, and each document's row
        with the hash of its file."""
        by_source: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_source.setdefault(chunk.source, []).append(chunk)
        files = manifest["files"]
        return cls(manifest, by_source, {s: _document_row(d, files.get(s, {}).get("sha256", ""))
                                         for s, d in documents.items()}, store)

    @property
    def files(self) -> dict[str, dict]:
        """Manifest entry (sha256, stat, title, chunks) of every indexed file, by source."""
        return self.manifest.get("files", {})

    @property
    def skipped(self) -> dict[str, dict]:
        """Manifest entry (sha256, stat, reason) of every file the build could not load, by source."""
        return self.manifest.get("skipped", {})  # its shape was checked when the manifest was read


@dataclass
class Plan:
    """What the new generation holds: every file's manifest entry, document row and chunks."""

    files: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    skipped: dict[str, dict] = field(default_factory=dict)  # remembered so they are not parsed again


@dataclass
class Build:
    """One build as the step that plans and embeds it sees it: where it goes, its settings, the live
    generation it starts from, and the files it was given."""

    target: FolderTarget | DatabaseTarget
    settings: dict
    previous: Generation
    paths: list[Path]
    root: Path
    embedder: Embedder
    chunking: ChunkingSettings
    report: BuildReport
    rebuild: bool
    show_progress: bool


def plan_and_embed(build: Build) -> tuple[Plan, VectorStore]:
    """Load and embed the changed files in this process."""
    plan = plan_build(build.paths, build.root, build.previous, build.chunking, build.report, build.show_progress)
    return plan, embed_changes(plan, build.previous, build.embedder, build.report, build.show_progress)


def build_index(source_dir: str | Path, index_dir: str | Path, *, embedder: Embedder | None = None,
                chunking: ChunkingSettings | None = None, show_progress: bool = False,
                rebuild: bool = False, changes: Callable[[Build], tuple[Plan, VectorStore]] = plan_and_embed,
                ) -> BuildReport:
    """Bring the index at `index_dir` (a folder, or a postgresql:// URL) up to date with the files under
    `source_dir`: read the live generation, plan (load what changed), embed (only new text), publish
    (atomically: a new generation folder, or one database transaction). `changes` plans and embeds
    (ray_ingest.py does it on Ray)."""
    started = time.perf_counter()
    embedder = embedder or shared_embedder()
    chunking = chunking or ChunkingSettings()
    source_dir = Path(source_dir).resolve()
    target = DatabaseTarget(str(index_dir)) if is_database(index_dir) else FolderTarget(Path(index_dir))
    root = source_dir if source_dir.is_dir() else source_dir.parent
    report = BuildReport(index_dir=str(target))
    with target.locked():
        settings = build_settings(embedder, chunking, target.kind)
        previous = target.previous(settings, rebuild, report)
        plan, store = changes(Build(target, settings, previous, iter_source_files(source_dir), root, embedder,
                                    chunking, report, rebuild, show_progress))
        if needs_publish(report, previous, plan):
            target.publish(plan, store, {**settings, "source_root": str(root), "skipped": plan.skipped}, report)
    report.seconds = time.perf_counter() - started
    return report


def needs_publish(report: BuildReport, previous: Generation, plan: Plan) -> bool:
    return bool(report.changed or report.rebuild_reason or not previous.manifest or plan.skipped != previous.skipped)


def build_settings(embedder: Embedder, chunking: ChunkingSettings, store: str) -> dict:
    """What an index's vectors and chunks depend on; an index built with other settings is rebuilt."""
    return {"model": embedder.name, "dimension": embedder.dimension, "text": TEXT_VERSION,
            "chunking": asdict(chunking), "store": store}


class FolderTarget:
    """The embedded store: generation folders of FAISS vectors and JSONL rows (see files.py)."""

    kind = "faiss"

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir

    def __str__(self) -> str:
        return str(self.index_dir)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with _build_lock(self.index_dir):
            remove_abandoned_staging(self.index_dir)
            yield

    def previous(self, settings: dict, rebuild: bool, report: BuildReport) -> Generation:
        return read_previous(self.index_dir, settings, rebuild, report)

    def publish(self, plan: Plan, store: VectorStore, manifest: dict, report: BuildReport) -> None:
        publish(self.index_dir, plan, store, manifest)


def read_previous(index_dir: Path, settings: dict, rebuild: bool, report: BuildReport) -> Generation:
    """The live generation, or an empty one (with the reason in the report) when it cannot be reused."""
    empty = Generation.empty(settings["dimension"])
    if rebuild:
        report.rebuild_reason = "rebuild requested"
        return empty
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return empty
        manifest = read_manifest(generation)
    except CorruptIndexError as exc:
        report.rebuild_reason = unusable(exc)
        return empty
    report.rebuild_reason = settings_changed(manifest, settings)
    if report.rebuild_reason:
        return empty
    try:
        rows, documents = read_rows(generation)
        store = load_store("faiss", generation / VECTORS)
    except DAMAGED as exc:
        report.rebuild_reason = unusable(exc)
        return empty
    return Generation.of_rows(manifest, rows, documents, store)


def settings_changed(manifest: dict, settings: dict) -> str | None:
    """Why an index built with other settings is rebuilt, or None when they are the same."""
    changed = [key for key in settings if manifest.get(key) != settings[key]]
    if not changed:
        return None
    return (f"index settings changed ({', '.join(changed)}: {[manifest.get(k) for k in changed]} -> "
            f"{[settings[k] for k in changed]}); rebuilding from scratch")


def unusable(exc: Exception) -> str:
    return f"previous index unusable ({exc}); rebuilding from scratch"


@dataclass(frozen=True)
class ChangedFile:
    """A file whose bytes the live index does not hold, found by `plan_build` and not yet loaded."""

    path: str
    source: str
    sha256: str
    stat: list[int] | None  # [size, mtime_ns], taken before the file was read
    known: bool  # an earlier version is in the index


def plan_build(paths: list[Path], root: Path, previous: Generation, chunking: ChunkingSettings,
               report: BuildReport, show_progress: bool = False, deferred: list[ChangedFile] | None = None) -> Plan:
    """Hash every file; keep unchanged ones as they are, load and chunk the rest, skip bad ones.
    With `deferred`, changed files are listed there instead of loaded (another process loads them)."""
    plan = Plan()
    for path in _progress(paths, show_progress, "Reading"):
        if not valid_name(path):  # one such file must not fail the whole build
            shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            report.skipped.append((shown, "its name is not valid UTF-8; rename the file"))
            continue
        stat = file_stat(path)  # before reading: a file edited meanwhile then looks changed, never unchanged
        try:
            data = read_source_bytes(path)
        except LoaderError as exc:
            plan.skipped[relative_source(path, root)] = skipped_entry(None, stat, exc.reason)
            report.skipped.append((str(path), exc.reason))
            continue
        digest = sha256_bytes(data)
        source = relative_source(path, root)
        known = previous.files.get(source)
        if known and known["sha256"] == digest and source in previous.documents:
            plan.files[source] = {**known, "stat": stat}
            plan.documents[source] = previous.documents[source]
            plan.chunks[source] = previous.chunks.get(source, [])
            report.unchanged.append(source)
            continue
        bad = previous.skipped.get(source)
        if isinstance(bad, dict) and bad.get("sha256") == digest:  # the same bytes failed last time: not again
            plan.skipped[source] = {**bad, "stat": stat}
            report.skipped.append((str(path), str(bad.get("reason"))))
            continue
        if deferred is not None:
            deferred.append(ChangedFile(str(path), source, digest, stat, bool(known)))
            continue
        try:
            plan.files[source], plan.documents[source], plan.chunks[source] = load_file(path, root, data, stat,
                                                                                       chunking)
        except LoaderError as exc:
            plan.skipped[source] = skipped_entry(digest, stat, exc.reason)
            report.skipped.append((str(path), exc.reason))
            continue
        (report.updated if known else report.added).append(source)
    report.removed = sorted(set(previous.files) - set(plan.files) - {f.source for f in deferred or []})
    return plan


def skipped_entry(digest: str | None, stat: list[int] | None, reason: str) -> dict:
    """The manifest's record of a file that could not be indexed: the same bytes are not tried again."""
    return {"sha256": digest, "stat": stat, "reason": reason}


def load_file(path: Path, root: Path, data: bytes, stat: list[int] | None,
              chunking: ChunkingSettings) -> tuple[dict, dict, list[Chunk]]:
    """A changed file's manifest entry, document row and chunks; LoaderError when it cannot be read."""
    document, digest = load_isolated(path, root, data), sha256_bytes(data)
    chunks = chunk_document(document, chunking)
    entry = {"sha256": digest, "stat": stat, "title": document.title, "chunks": len(chunks),
             "pages": len(document.page_starts), "indexed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return entry, _document_row(document, digest), chunks


def embed_changes(plan: Plan, previous: Generation, embedder: Embedder, report: BuildReport,
                  show_progress: bool = False) -> VectorStore:
    """The previous vector store minus stale chunks plus new ones. A chunk whose text is already
    embedded (unchanged part of an edited file, a renamed or copied file) keeps its vector; only new
    text goes through the model."""
    store = previous.store
    stale = [c for s in report.removed + report.updated for c in previous.chunks.get(s, [])]
    fresh = [c for s in report.added + report.updated for c in plan.chunks[s]]
    known = {c.embedding_text: c.vector_id for c in stale}
    reused = [c for c in fresh if c.embedding_text in known]
    reused_vectors = store.vectors([known[c.embedding_text] for c in reused]) if reused else None
    store.delete(_vector_ids(stale))
    if reused_vectors is not None:
        store.add(_vector_ids(reused), reused_vectors)
    new = [c for c in fresh if c.embedding_text not in known]
    store.add(_vector_ids(new), embedder.embed([c.embedding_text for c in new], show_progress=show_progress))
    report.chunks_embedded = len(new)
    report.chunks_total = len(store)
    return store


def publish(index_dir: Path, plan: Plan, store: VectorStore, manifest: dict) -> Path:
    """Write the plan and the store into a staging folder, then make it the live generation."""
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir))
        staging.chmod(0o755)
        store.save(staging / VECTORS)
        write_jsonl(staging / CHUNKS, (c.to_dict() for s in sorted(plan.chunks) for c in plan.chunks[s]))
        write_jsonl(staging / DOCUMENTS, (plan.documents[s] for s in sorted(plan.documents)))
        return publish_generation(index_dir, staging, {**manifest, "vector_index": store.description,
                                                       "files": plan.files,
                                                       "built": time.strftime("%Y-%m-%dT%H:%M:%S")})
    except OSError as exc:  # a full disk, a folder made read-only meanwhile: the live index stays
        if staging is not None:  # and the half-written copy goes now, not at the next build: it fills the disk
            shutil.rmtree(staging, ignore_errors=True)
        raise IndexWriteError(f"cannot write the index at {index_dir} ({exc.strerror or exc}); "
                              f"the previous index is kept") from exc


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder (a second builder waits)."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = open(index_dir / ".lock", "w")  # noqa: SIM115 (held for the whole build)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the index folder {index_dir} ({exc.strerror or exc}); "
                                 f"pass --index DIR in a folder you can write to") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _vector_ids(chunks: list[Chunk]) -> np.ndarray:
    return np.asarray([c.vector_id for c in chunks], dtype=np.int64)


def _document_row(document: Document, digest: str) -> dict:
    return {**document.to_row(), "sha256": digest}


def _progress(items, enabled: bool, label: str):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="file", leave=False)
