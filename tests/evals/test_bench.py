"""The speed benchmark runs end to end at a tiny size and its pieces measure what they claim."""

import gzip
import json
import sys

import numpy as np
import pytest

from groundqa.evals.bench import (
    bench_table,
    database_rows,
    latency_curve,
    peak_rss_mb,
    peak_rss_reset,
    run_bench,
    scaled_index,
    write_corpus,
    write_news_corpus,
)
from groundqa.ui.cli import main


def test_corpus_is_distinct_halueval_knowledge_with_one_question_each(tmp_path):
    questions = write_corpus(tmp_path / "docs", 25)
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "docs").iterdir()]
    assert len(questions) == len(set(questions)) == len(texts) == len(set(texts)) == 25
    assert sum("\n\n" in text for text in texts) > 10  # the two joined paragraphs are split apart


def test_scaled_index_repeats_real_chunks_with_near_identical_vectors(bundled_assistant):
    real = bundled_assistant.index
    big = scaled_index(real, 3 * len(real.chunks) + 1)
    assert len(big.chunks) == len(big.store) == 3 * len(real.chunks) + 1
    assert [c.text for c in big.chunks[: len(real.chunks)]] == [c.text for c in real.chunks]
    query = bundled_assistant.embedder.embed([real.chunks[1].text])[0]
    _, ids = big.store.search(query, 3)
    assert {big.by_vector_id[int(i)].text for i in ids} == {real.chunks[1].text}  # its three copies win
    assert np.allclose(np.linalg.norm(big.store.vectors(ids), axis=1), 1)


def test_the_database_figures_load_search_and_rank_like_exact_search(bundled_assistant, database_url):
    from groundqa.evals.store_bench import database_figures

    big = scaled_index(bundled_assistant.index, 300)
    questions = ["Who led the Russian delegation?", "What was agreed about prisoners?", "Where did the talks happen?"]
    figures = database_figures(database_url, big, bundled_assistant.embedder.embed(questions), questions,
                               bundled_assistant.embedder)
    assert figures["chunks"] == 300 and figures["rows_per_s"] > 0 and figures["hnsw_build_s"] > 0
    assert figures["recall@10"] >= 0.9  # HNSW over 300 vectors with ef_search 100 is all but exact
    assert all(figures[k]["p50_ms"] > 0 and figures[k]["n"] == 3
               for k in ("dense_search", "hybrid_retrieve"))
    server = figures["server_rrf"]
    assert server["fused"]["n"] == 3 and server["full_text_build_s"] > 0
    assert server["overlap@10"] >= 0.8  # the same fusion, full text in place of BM25: mostly the same chunks
    rows = database_rows({300: figures})
    assert len(rows) == 2 and rows[1].startswith("| 300 chunks in PostgreSQL: fused in one SQL statement")


def test_peak_rss_window_sees_a_fresh_allocation():
    import mmap

    peak_rss_reset()
    before = peak_rss_mb()
    # fresh pages from the kernel, touched: memory the allocator kept from earlier tests would not show
    with mmap.mmap(-1, 64 * 2**20) as block:
        block.write(b"\1" * len(block))
        assert peak_rss_mb() - before > 50


@pytest.mark.slow
def test_tiny_bench_run_reports_every_figure(tmp_path):
    result = run_bench(docs=20, runs=1, sizes=(60,), llama=False, queries=3, log=lambda line: None, cold_runs=1)
    assert result["ingest_ours"]["chunks"] >= 20 and result["ingest_ours"]["chunks_per_s"] > 0
    assert result["ingest_ours_torch"]["chunks"] == result["ingest_ours"]["chunks"]
    vector_index = result["vector_index"][60]
    assert vector_index["auto"] == "flat" and vector_index["hnsw"]["kind"] == "hnsw"
    assert 0.5 <= vector_index["recall@10"] <= 1
    assert set(result["latency"]) == {result["ingest_ours"]["chunks"], 60}
    assert all(f["p50_ms"] > 0 for figures in result["latency"].values() for f in figures.values())
    assert 0 < result["cold_start"]["help"]["median_s"] < result["cold_start"]["ask"]["median_s"]
    table = bench_table(result)
    assert "| 60 chunks: hybrid retrieve / BM25 alone (replicated chunks) p50 (p95) |" in table
    assert "cold `groundqa ask`" in table
    assert "embedder torch (before)" in table and "| 60 vectors: search p50 flat / HNSW" in table
    assert table.startswith(f"Machine: {result['machine']['cpu']}, ") and "onnxruntime 1." in table
    json.dumps(result, default=str)
    latency_curve(result, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_machine_is_described_with_the_instruction_sets_int8_kernels_use(monkeypatch, tmp_path):
    from groundqa.evals import bench

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum\n"
                       "flags\t\t: fpu sse4_2 avx2 avx512f avx512_vnni amx_tile\n")
    real_path = bench.Path
    monkeypatch.setattr(bench, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    info = bench.machine()
    assert info["cpu"] == "Intel(R) Xeon(R) Platinum" and info["isa"] == ["AVX2", "AVX-512", "AVX-512 VNNI", "AMX"]
    assert info["onnxruntime"] and info["cores"] >= 1
    assert bench.machine_line(info).startswith("Intel(R) Xeon(R) Platinum, AVX2 + AVX-512 + AVX-512 VNNI + AMX, ")


def test_bench_without_the_llama_index_extra_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "llama_index.embeddings.huggingface", None)
    assert main(["bench", "--docs", "5"]) == 2
    assert 'pip install ".[bench]"' in capsys.readouterr().err


def test_bench_rejects_nonsense_sizes(capsys):
    assert main(["bench", "--runs", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_bench_store_must_be_a_database_url(capsys):
    assert main(["bench", "--store", "/tmp/some-folder"]) == 2
    assert "--store takes a postgresql:// URL" in capsys.readouterr().err


def test_bench_ray_needs_a_store(capsys):
    assert main(["bench", "--ray"]) == 2
    assert "--ray measures ingestion into a PostgreSQL store" in capsys.readouterr().err


def test_the_news_corpus_is_one_file_per_distinct_article(tmp_path):
    articles = [{"document": f"Article {n}. It happened on day {n}.", "right_summary": f"Day {n}."}
                for n in (1, 2, 2, 3)]
    data = tmp_path / "summarization_data.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(a) + "\n" for a in articles)
    assert write_news_corpus(tmp_path / "news", 10, data) == ["Day 1.", "Day 2.", "Day 3."]
    assert sorted(p.read_text(encoding="utf-8") for p in (tmp_path / "news").iterdir()) == \
           [f"Article {n}. It happened on day {n}." for n in (1, 2, 3)]
    assert write_news_corpus(tmp_path / "two", 2, data) == ["Day 1.", "Day 2."]


def test_a_news_file_that_is_not_the_corpus_is_one_line(tmp_path, capsys):
    (tmp_path / "qa.jsonl.gz").write_bytes(gzip.compress(b'{"question": "q"}\n'))
    assert main(["bench", "--no-llama-index", "--news", str(tmp_path / "qa.jsonl.gz"), "--docs", "3"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("groundqa: error: cannot read the news corpus") and "summarization_data" in error
