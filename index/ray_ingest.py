"""Ingestion on Ray Data, for corpora bigger than one machine: files are read, parsed and chunked in
Ray tasks, embedded in Ray actors, and each batch of documents is written to the PostgreSQL store's
staging tables by binary COPY, committed as it goes (staging.py). The live index changes only at the
end, in the same one transaction a plain build publishes with, so chat servers never see half an
ingestion; a killed job keeps its finished batches, and running it again embeds only the rest.

    groundqa index DIR --store postgresql://… --ray             # a local Ray on this machine's cores
    groundqa index DIR --store postgresql://… --ray auto        # the Ray cluster this machine is part of

Needs the `ray` extra. Every Ray worker must see DIR at the same path, reach the database, and have
groundqa installed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import warnings
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np

from groundqa.errors import ConfigurationError, IndexWriteError, InternalError, LoaderError, MissingDependencyError
from groundqa.sources import read_source_bytes

from .build import (
    Build,
    BuildReport,
    ChangedFile,
    Generation,
    Plan,
    build_index,
    load_file,
    needs_publish,
    plan_build,
    skipped_entry,
)
from .chunking import Chunk, ChunkingSettings
from .embedder import Embedder
from .encoders import Backend
from .files import sha256_bytes
from .postgres import DatabaseTarget, PendingStore, connect, is_database, shown
from .staging import Staging, stage_batch

FILES_PER_BATCH = 16  # a batch is embedded, written and committed together: a killed job loses at most one
EMBED_CPUS = 1.0  # per embedding actor; the readers and the writer take fractions, so none starves the others
READ_CPUS, WRITE_CPUS = 0.5, 0.25


def build_index_on_ray(source_dir: str | Path, url: str, *, address: str | None = None,
                       embedder: Embedder | None = None, chunking: ChunkingSettings | None = None,
                       rebuild: bool = False, show_progress: bool = False,
                       files_per_batch: int = FILES_PER_BATCH) -> BuildReport:
    """`build_index` into the database at `url`, with the changed files processed on Ray (`address`:
    None for a local Ray on this machine, or what `ray.init` takes, such as "auto")."""
    if not is_database(url):
        raise ConfigurationError("--ray writes to a PostgreSQL store; pass --store postgresql://… "
                                 "(`groundqa db start` starts a local one)")
    ray = _import_ray()
    return build_index(source_dir, url, embedder=embedder, chunking=chunking, rebuild=rebuild,
                       show_progress=show_progress,
                       changes=partial(stage_on_ray, ray=ray, address=address, files_per_batch=files_per_batch))


def stage_on_ray(build: Build, ray, address: str | None, files_per_batch: int) -> tuple[Plan, PendingStore]:
    """The changed files, read, chunked and embedded on Ray into the staging tables (unless a stopped
    run staged them already), as the plan and pending store `build_index` publishes."""
    if not isinstance(build.target, DatabaseTarget):
        raise InternalError("a Ray ingestion writes to a database index")
    report, changed = build.report, list[ChangedFile]()
    plan = plan_build(build.paths, build.root, build.previous, build.chunking, report, build.show_progress, changed)
    staging = Staging(build.target.connection, build.settings)
    if build.rebuild:
        staging.clear()
    done = staging.done()
    waiting = [f for f in changed if (f.source, f.sha256) not in done]
    report.resumed = [f.source for f in changed if (f.source, f.sha256) in done]
    if waiting:
        build.embedder.warm_up()  # the model is exported once, here, not by every actor at once
        report.chunks_embedded = run_pipeline(ray, address, waiting, build.root, build.embedder, build.chunking,
                                              build.target.url, staging.key, files_per_batch, build.show_progress)
    store = take_staged(plan, build.previous, changed, staging, report)
    report.chunks_total = len(store)
    if not needs_publish(report, build.previous, plan):
        staging.clear()  # publishing clears it otherwise
    return plan, store


def take_staged(plan: Plan, previous: Generation, changed: list[ChangedFile], staging: Staging,
                report: BuildReport) -> PendingStore:
    """Fill the plan with what the staging tables hold for the changed files, and return the pending
    store: the previous index minus the changed and removed files' chunks, plus the staged ones."""
    store = previous.store
    if not isinstance(store, PendingStore):
        raise InternalError("a Ray ingestion writes to a database index")
    staged = staging.latest([f.source for f in changed])
    for file in changed:
        if file.source not in staged:
            raise InternalError(f"{file.source} was processed but not staged")
        staged_id, entry, reason = staged[file.source]
        if reason is not None:  # and an earlier version leaves the index, as in a plain build
            plan.skipped[file.source] = entry
            report.skipped.append((file.path, reason))
            report.removed += [file.source] if file.known else []
            continue
        plan.files[file.source] = entry
        store.staged[file.source] = staged_id
        store.staged_chunks += entry["chunks"]
        (report.updated if file.known else report.added).append(file.source)
    gone = report.removed + report.updated
    store.delete(np.asarray([c.vector_id for s in gone for c in previous.chunks.get(s, [])], dtype=np.int64))
    return store


def run_pipeline(ray, address: str | None, files: list[ChangedFile], root: Path, embedder: Embedder,
                 chunking: ChunkingSettings, url: str, settings_key: str, files_per_batch: int,
                 show_progress: bool) -> int:
    """Read, chunk, embed and stage `files` on Ray; returns how many chunks were embedded."""
    started_here = start_ray(ray, address)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts files, not blocks
        dataset = ingestion_dataset(ray, files, root, embedder, chunking, url, settings_key, files_per_batch)
        progress = _progress(len(files)) if show_progress else None
        embedded = 0
        for batch in dataset.iter_batches(batch_size=None):
            embedded += int(np.sum(batch["chunks"]))
            if progress is not None:
                progress.update(int(np.sum(batch["files"])))
        if progress is not None:
            progress.close()
        return embedded
    except (ray.exceptions.RayError, ray.data.exceptions.UserCodeException) as exc:
        raise IndexWriteError(f"the Ray ingestion stopped ({_first_line(exc)}); the live index is unchanged and "
                              f"the finished batches are staged: run the same command again to resume") from None
    finally:
        if started_here:
            ray.shutdown()


def ingestion_dataset(ray, files: list[ChangedFile], root: Path, embedder: Embedder, chunking: ChunkingSettings,
                      url: str, settings_key: str, files_per_batch: int):
    """Files -> read and chunked (tasks) -> embedded (actors) -> staged (one writer actor)."""
    items = [{"path": f.path, "source": f.source, "stat": json.dumps(f.stat)} for f in files]
    # An actor that fails fails the job, which resumes when run again. Restarting it instead makes
    # Ray warn on every run that the actor's arguments may be gone by then; Ray 2.60 takes max_restarts
    # only through its deprecated catch-all, hence the warning filter and the extra's upper bound.
    not_restarted = {"max_restarts": 0}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
        return (ray.data.from_items(items, override_num_blocks=max(1, len(items) // files_per_batch))
                .map_batches(read_and_chunk, batch_size=files_per_batch, num_cpus=READ_CPUS,
                             fn_kwargs={"root": str(root), "chunking": asdict(chunking)})
                .map_batches(EmbedChunks, batch_size=files_per_batch, num_cpus=EMBED_CPUS, **not_restarted,
                             compute=ray.data.ActorPoolStrategy(min_size=1, max_size=embedding_actors(ray)),
                             fn_constructor_kwargs={"model_path": embedder.model_path, "name": embedder.name,
                                                    "batch_size": embedder.batch_size, "backend": embedder.backend})
                .map_batches(StageBatch, batch_size=files_per_batch, num_cpus=WRITE_CPUS, **not_restarted,
                             compute=ray.data.ActorPoolStrategy(size=1),
                             fn_constructor_kwargs={"url": url, "settings_key": settings_key}))


def start_ray(ray, address: str | None) -> bool:
    """Connect to Ray unless this process already is; True when this call started it."""
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address is None:
            ray.init(address="local", num_cpus=os.cpu_count(), _node_ip_address="127.0.0.1",
                     object_store_memory=1 << 30, **options)  # bounded: Ray Data applies backpressure below it
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigurationError(f"cannot start or reach Ray at {address or 'this machine'} ({_first_line(exc)}); "
                                 f"check the address (`ray status` on the cluster)") from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notes on each dataset's start and end are not ours
    return True


def embedding_actors(ray) -> int:
    """At most one actor per 2 CPUs of the cluster (ONNX Runtime keeps about two cores busy each)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1) // 2))


def read_and_chunk(batch: dict, root: str, chunking: dict) -> dict:
    """Ray task: load and chunk each file of the batch; a file that cannot be read carries its reason."""
    settings = ChunkingSettings(**chunking)
    out: dict[str, list] = {"source": [], "sha256": [], "entry": [], "row": [], "reason": [], "chunks": []}
    for path, source, stat in zip(batch["path"], batch["source"], batch["stat"], strict=True):
        stat, data = json.loads(stat), None
        try:
            data = read_source_bytes(Path(path))
            entry, row, chunks = load_file(Path(path), Path(root), data, stat, settings)
            reason = ""
        except LoaderError as exc:
            digest = None if data is None else sha256_bytes(data)
            entry, row, chunks, reason = skipped_entry(digest, stat, exc.reason), None, [], exc.reason
        out["source"].append(source)
        out["sha256"].append(entry["sha256"] or "")
        out["entry"].append(json.dumps(entry))
        out["row"].append(json.dumps(row))
        out["reason"].append(reason)
        out["chunks"].append(json.dumps([c.to_dict() for c in chunks]))
    return out


class EmbedChunks:
    """Ray actor: embeds the chunks of a batch of files with the model the build was started with."""

    def __init__(self, model_path: str | None, batch_size: int, backend: Backend, name: str):
        self.embedder = Embedder(model_path, batch_size, backend)
        if self.embedder.name != name:
            raise ConfigurationError(f"this Ray worker embeds with {self.embedder.name}, the build with {name}")

    def __call__(self, batch: dict) -> dict:
        chunks = [[Chunk.from_dict(c) for c in json.loads(text)] for text in batch["chunks"]]
        vectors = self.embedder.embed([c.embedding_text for file in chunks for c in file])
        bounds = np.cumsum([0] + [len(file) for file in chunks])
        return {**batch, "vectors": [vectors[a:b].tobytes() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]}


class StageBatch:
    """Ray actor: writes each batch to the staging tables and commits it."""

    def __init__(self, url: str, settings_key: str):
        self.url, self.settings_key = url, settings_key
        self.connection = connect(url)

    def __call__(self, batch: dict) -> dict:
        documents, chunks = [], []
        for i, source in enumerate(batch["source"]):
            staged_id = secrets.randbits(63)
            reason = str(batch["reason"][i]) or None
            documents.append((staged_id, self.settings_key, str(source), str(batch["sha256"][i]),
                              json.loads(batch["entry"][i]), json.loads(batch["row"][i]), reason))
            rows = json.loads(batch["chunks"][i])
            if not rows:
                continue
            vectors = np.frombuffer(batch["vectors"][i], dtype=np.float32).reshape(len(rows), -1)
            for position, (data, vector) in enumerate(zip(rows, vectors, strict=True)):
                chunk = Chunk.from_dict(data)
                chunks.append((staged_id, chunk.vector_id, chunk.source, position, chunk.to_dict(), vector))
        try:
            stage_batch(self.connection, documents, chunks)
        except Exception as exc:
            raise IndexWriteError(f"cannot stage a batch in {shown(self.url)} ({_first_line(exc)})") \
                from None
        return {"files": [len(documents)], "chunks": [len(chunks)]}


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingDependencyError("--ray needs the ray extra: pip install 'groundqa[ray]'") from None
    return ray


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="Ingesting on Ray", unit="file", leave=False)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[-1:] or [type(exc).__name__])[:200]
