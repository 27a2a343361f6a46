"""Speed benchmark: ingestion against the plain llama-index pipeline, query latency at 2k / 20k /
100k / 300k chunks, flat against HNSW vector search, and cold start of the command line. Prints a
table and writes JSON.

    groundqa bench [--docs 2000] [--runs 3] [--sizes 20000,100000,300000] [--json bench.json]
                   [--no-llama-index] [--no-torch] [--store URL [--ray]] [--news summarization_data.jsonl.gz]

Ingestion reads HaluEval knowledge paragraphs (real text written by others, vendored in
evals/data/halueval), or with --news the CNN/Daily Mail articles of HaluEval's summarization set.
Both pipelines get the same files and the same bundled model, loaded
before the clock starts; each figure is the median of `--runs` runs in this one process.
Larger sizes replicate the real chunks (text for BM25, vectors plus small noise for FAISS) so
search work matches real data without embedding 100k texts; each size uses the vector index a
build of that size would save (HNSW from 150k vectors).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from groundqa.errors import InputError, MissingDependencyError
from groundqa.sources import BUNDLED_CORPUS

from .halueval import DATA, load_records
from .halueval import write_corpus as write_halueval_corpus

QUESTION = "Who led the Russian delegation in Istanbul?"


ISA_FLAGS = {"AVX2": "avx2", "AVX-512": "avx512f", "AVX-512 VNNI": "avx512_vnni", "AVX-VNNI": "avx_vnni",
             "AMX": "amx_tile"}


def machine() -> dict:
    """What a speed figure depends on: CPU model and the instruction sets int8 kernels use, cores,
    and the ONNX Runtime and torch versions (a figure measured on one machine is not a claim)."""
    from importlib.metadata import PackageNotFoundError, version

    model, flags = platform.processor() or platform.machine(), set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
            if flags and model:
                break
    versions: dict[str, str | None] = {}
    for package in ("onnxruntime", "torch", "faiss-cpu"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {"cpu": model, "isa": [name for name, flag in ISA_FLAGS.items() if flag in flags],
            "cores": os.cpu_count(), "python": sys.version.split()[0], **versions}


def machine_line(info: dict) -> str:
    """"AMD EPYC, AVX2 + AVX-512 + AVX-512 VNNI, 2 cores; onnxruntime 1.32.0, torch 2.13.0+cpu"."""
    isa = " + ".join(info.get("isa") or []) or "no AVX2"
    return (f"{info.get('cpu')}, {isa}, {info.get('cores')} cores; onnxruntime {info.get('onnxruntime')}, "
            f"torch {info.get('torch')}")


def peak_rss_reset() -> None:
    """Start a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_corpus(folder: Path, docs: int, data: Path = DATA) -> list[str]:
    """The first `docs` distinct HaluEval knowledge texts, written as the HaluEval eval writes them (one
    file each, paragraphs split); returns one question per document."""
    records, chosen, questions = load_records(data), set[str](), list[str]()
    for record in records:
        if record["knowledge"] not in chosen and len(chosen) < docs:
            chosen.add(record["knowledge"])
            questions.append(record["question"])
    write_halueval_corpus([r for r in records if r["knowledge"] in chosen], folder)
    return questions


def write_news_corpus(folder: Path, docs: int, data: Path) -> list[str]:
    """The first `docs` distinct articles of HaluEval's summarization set (CNN/Daily Mail news), one file
    each; returns each one's reference summary, to time queries with."""
    import gzip
    import json

    folder.mkdir(parents=True, exist_ok=True)
    seen, summaries = set[str](), list[str]()
    try:
        with gzip.open(data, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["document"] in seen:
                    continue
                seen.add(record["document"])
                (folder / f"news-{len(seen):05d}.txt").write_text(record["document"], encoding="utf-8")
                summaries.append(record["right_summary"])
                if len(seen) == docs:
                    break
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read the news corpus {data} ({exc}); pass HaluEval's "
                         f"summarization_data.jsonl.gz") from None
    return summaries


def time_ours(folder: Path, scratch: Path, run: int, embedder, store: str | None = None, ray: bool = False) -> dict:
    """One ingestion into a new folder index, or rebuilt from scratch in the database `store` (on a local
    Ray with `ray`: its peak RSS is this driver's alone, not its workers')."""
    from groundqa.index import build_index

    peak_rss_reset()
    if ray and store:
        from groundqa.index.ray_ingest import build_index_on_ray

        report = build_index_on_ray(folder, store, embedder=embedder, rebuild=True)
    else:
        report = build_index(folder, store or scratch / f"ours-{run}", embedder=embedder, rebuild=bool(store))
    return {"seconds": report.seconds, "chunks": report.chunks_total, "peak_rss_mb": peak_rss_mb()}


def llama_index_pipeline(model_path: str):
    """The pipeline a llama-index user writes first, on the same bundled model; returns run(folder)."""
    import faiss
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    # One "llama-index-readers-file not found" warning per file read would bury the bench output.
    logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "LLM is explicitly disabled"
        Settings.llm = None  # explicit: no hosted LLM default
    Settings.embed_model = HuggingFaceEmbedding(model_name=model_path, device="cpu")

    def run(folder: Path) -> dict:
        peak_rss_reset()
        started = time.perf_counter()
        documents = SimpleDirectoryReader(str(folder)).load_data()
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
        VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store))
        return {"seconds": time.perf_counter() - started, "chunks": len(nodes), "peak_rss_mb": peak_rss_mb()}

    return run


def percentiles(samples: list[float]) -> dict:
    """p50 / p95 in milliseconds, interpolated as numpy does (the same rule as the eval summary)."""
    p50, p95 = np.percentile(np.asarray(samples) * 1000, [50, 95])
    return {"p50_ms": float(p50), "p95_ms": float(p95), "n": len(samples)}


def time_queries(assistant, questions: list[str], full: bool) -> dict:
    return time_calls(assistant.ask if full else assistant.retrieve, questions)


def time_calls(call, questions: list[str]) -> dict:
    call(questions[0])  # warm
    samples = []
    for question in questions:
        started = time.perf_counter()
        call(question)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def scaled_index(index, size: int, seed: int = 0):
    """An in-memory Index of `size` chunks: the real chunks cycled, vectors jittered and renormalised."""
    from groundqa.index import Index
    from groundqa.index.store import FaissStore

    rng = np.random.default_rng(seed)
    real = index.store.vectors(c.vector_id for c in index.chunks)
    chunks = [replace(index.chunks[i % len(index.chunks)], id=f"{i + 1:015x}") for i in range(size)]  # vector_id i+1
    vectors = real[np.arange(size) % len(real)] + rng.normal(0, 0.02, (size, real.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = FaissStore(real.shape[1])
    store.add(np.arange(1, size + 1, dtype=np.int64), vectors)
    store.fit_to_size()  # the vector index a build of this size would save
    return Index(index.manifest, chunks, index.documents, store)


def vector_index_figures(index, query_vectors: np.ndarray, k: int = 10) -> dict:
    """Exact (flat) against HNSW search over the same vectors: build time, search p50, recall@k of
    HNSW against the exact top-k, and which kind the store picks at this size."""
    from groundqa.index.store import FaissStore

    ids = np.array([c.vector_id for c in index.chunks], dtype=np.int64)
    vectors = index.store.vectors(ids)
    flat, hnsw = FaissStore(vectors.shape[1], hnsw_min=len(ids) + 1), FaissStore(vectors.shape[1], hnsw_min=0)
    flat.add(ids, vectors)
    hnsw.add(ids, vectors)
    started = time.perf_counter()
    hnsw.fit_to_size()
    build_s = time.perf_counter() - started
    figures = {"chunks": len(ids), "auto": index.store.kind,
               "hnsw_build_s": build_s, "hnsw": hnsw.description}
    found: dict[str, list[set[int]]] = {}
    for name, store in (("flat", flat), ("hnsw", hnsw)):
        samples, found[name] = [], []
        for vector in query_vectors:
            started = time.perf_counter()
            found[name].append(set(store.search(vector, k)[1].tolist()))
            samples.append(time.perf_counter() - started)
        figures[f"{name}_search"] = percentiles(samples)
    pairs = zip(found["hnsw"], found["flat"], strict=True)
    figures[f"recall@{k}"] = float(np.mean([len(a & e) / len(e) for a, e in pairs]))
    return figures


def cold_start(runs: int, home: Path) -> dict:
    """Wall time of fresh `groundqa` processes (the bundled index already built under `home`)."""
    command = [sys.executable, "-m", "groundqa.ui.cli"]
    env = {**os.environ, "GROUNDQA_HOME": str(home)}
    subprocess.run(command + ["ask", QUESTION], env=env, capture_output=True, check=True)  # builds the index
    timings = {}
    for name, extra in (("ask", ["ask", QUESTION]), ("help", ["--help"])):
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command + extra, env=env, capture_output=True, check=True)
            samples.append(time.perf_counter() - started)
        timings[name] = {"median_s": statistics.median(samples), "runs": samples}
    return timings


def run_bench(docs: int = 2000, runs: int = 3, sizes=(20_000, 100_000, 300_000), llama: bool = True,
              queries: int = 200, data: Path = DATA, log=print, cold_runs: int = 3, torch_backend: bool = True,
              store: str | None = None, news: Path | None = None, ray: bool = False) -> dict:
    from groundqa import Assistant
    from groundqa.index import Embedder, shared_embedder
    from groundqa.index.embedder import bundled_model_path

    embedder = shared_embedder()
    embedder.warm_up()
    result: dict[str, Any] = {"cores": os.cpu_count(), "python": sys.version.split()[0], "docs": docs, "runs": runs,
                              "embedder": embedder.name, "machine": machine()}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        folder = scratch / "docs"
        questions = write_news_corpus(folder, docs, news) if news else write_corpus(folder, docs, data)
        megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        origin = "HaluEval summarization news articles" if news else "HaluEval QA knowledge paragraphs"
        result["corpus"] = {"files": len(questions), "megabytes": megabytes, "origin": origin}

        ours = [time_ours(folder, scratch, run, embedder) for run in range(runs)]
        result["ingest_ours"] = _ingest_summary(ours, megabytes)
        log(f"ingest (groundqa): {result['ingest_ours']}")
        if store:
            result["ingest_database"] = _ingest_summary(
                [time_ours(folder, scratch, run, embedder, store) for run in range(runs)], megabytes)
            log(f"ingest (groundqa, PostgreSQL store): {result['ingest_database']}")
            if ray:
                result["ingest_ray"] = _ingest_summary(
                    [time_ours(folder, scratch, run, embedder, store, ray=True) for run in range(runs)], megabytes)
                log(f"ingest (groundqa on a local Ray, PostgreSQL store): {result['ingest_ray']}")
        if torch_backend:
            before = Embedder(backend="torch")
            before.warm_up()
            ours_torch = [time_ours(folder, scratch / "torch", run, before) for run in range(runs)]
            result["ingest_ours_torch"] = _ingest_summary(ours_torch, megabytes)
            log(f"ingest (groundqa, torch backend): {result['ingest_ours_torch']}")
        if llama:
            pipeline = llama_index_pipeline(bundled_model_path())
            theirs = [pipeline(folder) for _ in range(runs)]
            result["ingest_llama_index"] = _ingest_summary(theirs, megabytes)
            result["ingest_speedup"] = (result["ingest_ours"]["chunks_per_s"]
                                        / result["ingest_llama_index"]["chunks_per_s"])
            log(f"ingest (llama-index): {result['ingest_llama_index']}")

        assistant = Assistant(index_dir=scratch / "ours-0", embedder=embedder)
        sample = questions[:queries]
        n_chunks = len(assistant.index.chunks)
        latency: dict[int, dict] = {n_chunks: {"retrieve": time_queries(assistant, sample, full=False),
                              "answer": time_queries(assistant, sample, full=True)}}
        real_index = assistant.index
        query_vectors = embedder.embed(sample)
        vector_indexes: dict[int, dict] = {}
        databases: dict[int, dict] = {}
        for size in sizes:
            assistant._index = scaled_index(real_index, size)
            _ = assistant._index.bm25  # built once, as a long-running process would
            # Retrieval only: the reader would see five copies of one passage, which is not real work.
            latency[size] = {"retrieve": time_queries(assistant, sample, full=False),
                             "keyword": time_calls(lambda q: assistant._index.keyword(q, 20), sample)}
            log(f"latency at {size} chunks: {latency[size]}")
            vector_indexes[size] = vector_index_figures(assistant._index, query_vectors)
            log(f"vector index at {size} chunks: {vector_indexes[size]}")
            if store:
                from .store_bench import database_figures

                databases[size] = database_figures(store, assistant._index, query_vectors, sample, embedder)
                log(f"PostgreSQL store at {size} chunks: {databases[size]}")
        result["latency"] = latency
        result["vector_index"] = vector_indexes
        if store:
            result["database"] = databases

        bundled = Assistant(index_dir=scratch / "bundled", embedder=embedder,
                            sources=BUNDLED_CORPUS)
        from groundqa.evals import BUNDLED_SETS, load_cases

        cases, _ = load_cases(BUNDLED_SETS / "istanbul.jsonl")
        bundled.warm_up()
        result["bundled_answer"] = time_queries(bundled, ([c.question for c in cases] * 3)[:queries], full=True)
        result["cold_start"] = cold_start(cold_runs, scratch / "home")
    return result


def _ingest_summary(runs: list[dict], megabytes: float) -> dict:
    seconds = statistics.median(r["seconds"] for r in runs)
    chunks = runs[0]["chunks"]
    return {"seconds": seconds, "chunks": chunks, "chunks_per_s": chunks / seconds, "mb_per_s": megabytes / seconds,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs_s": [r["seconds"] for r in runs]}


def bench_table(result: dict) -> str:
    """The benchmark as a Markdown table (what README quotes)."""
    rows = [f"| figure ({result['cores']} cores, median of {result['runs']} runs) | groundqa | plain llama-index |",
            "|---|---|---|"]
    ours, theirs = result["ingest_ours"], result.get("ingest_llama_index")
    files = f"{result['corpus']['files']:,} files ({result['corpus']['megabytes']:.2f} MB)"
    backend = result["embedder"].rsplit(" ", 1)[-1].strip("()")
    rows.append(f"| ingest {files}, embedder {backend} | {_ingest_cell(ours, True)} | "
                + (f"{_ingest_cell(theirs)} |" if theirs else "– |"))
    if "ingest_database" in result:
        rows.append(f"| ingest {files} into PostgreSQL + pgvector | {_ingest_cell(result['ingest_database'])} | |")
    if "ingest_ray" in result:
        rows.append(f"| ingest {files} on a local Ray into PostgreSQL (RSS: the driver's) | "
                    f"{_ingest_cell(result['ingest_ray'])} | |")
    if "ingest_ours_torch" in result:
        rows.append(f"| ingest {files}, embedder torch (before) | {_ingest_cell(result['ingest_ours_torch'])} | |")
    if theirs:
        rows.append(f"| ingestion speed-up (chunks/s) | **{result['ingest_speedup']:.2f}×** | 1× |")
    for size, figures in result["latency"].items():
        cells = [f"{_ms(figures[k]['p50_ms'])} ms ({_ms(figures[k]['p95_ms'])})"
                 for k in ("retrieve", "answer", "keyword") if k in figures]
        label = "retrieve / full answer" if "answer" in figures else "hybrid retrieve / BM25 alone (replicated chunks)"
        rows.append(f"| {int(size):,} chunks: {label} p50 (p95) | {' / '.join(cells)} | |")
    for size, figures in result.get("vector_index", {}).items():
        rows.append(f"| {int(size):,} vectors: search p50 flat / HNSW, HNSW recall@10 (build), picks | "
                    f"{figures['flat_search']['p50_ms']:.2f} / {figures['hnsw_search']['p50_ms']:.2f} ms, "
                    f"{figures['recall@10']:.3f} ({figures['hnsw_build_s']:.0f} s), {figures['auto']} | |")
    rows += database_rows(result.get("database", {}))
    bundled = result["bundled_answer"]
    rows.append(f"| bundled corpus: full answer p50 (p95) | {bundled['p50_ms']:.0f} ms ({bundled['p95_ms']:.0f}) | |")
    cold = result["cold_start"]
    rows.append(f"| cold `groundqa ask` / `groundqa --help` | {cold['ask']['median_s']:.2f} s / "
                f"{cold['help']['median_s']:.2f} s | |")
    heading = [f"Machine: {machine_line(result['machine'])}", ""] if "machine" in result else []
    return "\n".join(heading + rows)


def database_rows(databases: dict) -> list[str]:
    """The PostgreSQL store's rows of the bench table, two per index size."""
    rows = []
    for size, figures in databases.items():
        rows.append(f"| {int(size):,} chunks in PostgreSQL: load, HNSW build; dense search / hybrid retrieve p50, "
                    f"recall@10 | {figures['load_s']:.0f} s ({figures['rows_per_s']:.0f} rows/s), "
                    f"{figures['hnsw_build_s']:.0f} s; {figures['dense_search']['p50_ms']:.1f} / "
                    f"{figures['hybrid_retrieve']['p50_ms']:.1f} ms, {figures['recall@10']:.3f} | |")
        server = figures["server_rrf"]
        rows.append(f"| {int(size):,} chunks in PostgreSQL: fused in one SQL statement (full text for BM25) p50 "
                    f"(p95), top-10 shared with the in-Python fusion; full-text index build | "
                    f"{server['fused']['p50_ms']:.1f} ms ({server['fused']['p95_ms']:.1f}), "
                    f"{server['overlap@10']:.2f}; {server['full_text_build_s']:.0f} s | |")
    return rows


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _ingest_cell(figures: dict, bold: bool = False) -> str:
    rate = f"{figures['chunks_per_s']:.0f} chunks/s"
    return (f"{figures['seconds']:.1f} s, {figures['chunks']:,} chunks, {f'**{rate}**' if bold else rate}, "
            f"{figures['mb_per_s']:.3f} MB/s, peak RSS {figures['peak_rss_mb']:.0f} MB")


def latency_curve(result: dict, path: Path) -> None:
    """Retrieval p50 against index size, one line per store and search, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = {"embedded: hybrid retrieve": {int(n): f["retrieve"]["p50_ms"] for n, f in result["latency"].items()},
             "FAISS flat search": {int(n): f["flat_search"]["p50_ms"] for n, f in result["vector_index"].items()},
             "FAISS HNSW search": {int(n): f["hnsw_search"]["p50_ms"] for n, f in result["vector_index"].items()}}
    lines["embedded: BM25 alone"] = {int(n): f["keyword"]["p50_ms"] for n, f in result["latency"].items()
                                     if "keyword" in f}
    for name, key in (("PostgreSQL: hybrid retrieve", "hybrid_retrieve"), ("pgvector HNSW search", "dense_search")):
        lines[name] = {int(n): f[key]["p50_ms"] for n, f in result.get("database", {}).items()}
    lines["PostgreSQL: fused in SQL"] = {int(n): f["server_rrf"]["fused"]["p50_ms"]
                                         for n, f in result.get("database", {}).items()}
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for name, points in lines.items():
        if points:
            sizes = sorted(points)
            axes.plot(sizes, [points[n] for n in sizes], marker="o", label=name)
    axes.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="p50 latency (ms)",
             title=f"Retrieval latency by index size ({result['cores']} cores)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_from_args(args) -> int:
    """`groundqa bench`: run, print the table, write the JSON."""
    import json

    from groundqa.index import is_database

    if args.docs < 1 or args.runs < 1 or args.queries < 1:
        raise InputError("--docs, --runs and --queries must be at least 1")
    if args.store and not is_database(args.store):
        raise InputError(f"--store takes a postgresql:// URL (`groundqa db start` prints one), not {args.store!r}")
    if args.ray and not args.store:
        raise InputError("--ray measures ingestion into a PostgreSQL store: pass --store URL too")
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    if args.llama:
        try:
            import llama_index.embeddings.huggingface  # noqa: F401
            import llama_index.vector_stores.faiss  # noqa: F401
        except ImportError:
            raise MissingDependencyError("the llama-index comparison needs: pip install \".[bench]\" "
                              "(or pass --no-llama-index)") from None
    result = run_bench(args.docs, args.runs, sizes, args.llama, args.queries,
                       log=lambda line: print(line, file=sys.stderr, flush=True), torch_backend=args.torch,
                       store=args.store, news=Path(args.news) if args.news else None, ray=args.ray)
    Path(args.json_path).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(bench_table(result))
    plot = Path(args.json_path).with_suffix(".png")
    latency_curve(result, plot)
    print(f"\nJSON: {args.json_path}\nLatency curve: {plot}")
    return 0

