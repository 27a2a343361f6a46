"""Ingestion on Ray Data (`groundqa index DIR --store URL --ray`), on a local Ray: the same index as a
plain build, a killed job that leaves the live index alone and resumes, and its one-line errors."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from groundqa import Assistant
from groundqa.evals import BUNDLED_SETS, load_cases
from groundqa.evals.bench import write_corpus
from groundqa.index import build_index, open_index
from groundqa.sources import BUNDLED_CORPUS
from groundqa.ui.cli import main

# without the ray extra these skip, except under CI=true, where .ci/run installs it
if os.environ.get("CI") != "true":
    pytest.importorskip("ray")
    pytest.importorskip("psycopg")
import psycopg  # noqa: E402

from groundqa.index import ray_ingest  # noqa: E402


def test_a_ray_ingestion_builds_the_index_a_plain_build_does(database_url, embedder, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    shutil.copytree(BUNDLED_CORPUS, folder)
    write_corpus(folder / "halueval", 40)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    report = ray_ingest.build_index_on_ray(folder, database_url, embedder=embedder, files_per_batch=8)
    plain = build_index(folder, tmp_path / "plain", embedder=embedder)
    assert sorted(report.added) == sorted(plain.added) and report.chunks_embedded == plain.chunks_embedded
    assert [path for path, _ in report.skipped] == [str(folder / "broken.pdf")]
    ours, theirs = open_index(database_url), open_index(tmp_path / "plain")
    assert ours.chunks == theirs.chunks and ours.documents == theirs.documents
    assert ours.manifest["skipped"] == theirs.manifest["skipped"]
    assert {s: {k: v for k, v in e.items() if k != "indexed"} for s, e in ours.manifest["files"].items()} == \
           {s: {k: v for k, v in e.items() if k != "indexed"} for s, e in theirs.manifest["files"].items()}
    cases, _ = load_cases(BUNDLED_SETS / "istanbul.jsonl")
    on_ray = Assistant(index_dir=database_url, embedder=embedder)
    in_folder = Assistant(index_dir=tmp_path / "plain", embedder=embedder)
    for case in cases:
        a, b = on_ray.ask(case.question), in_folder.ask(case.question)
        cited = [[(c.source, c.start, c.end) for c in reply.citations] for reply in (a, b)]
        if a.refused:  # context passages of near-equal score may swap (vectors embedded in other batches)
            cited = [sorted(citations) for citations in cited]
        assert (a.text, cited[0]) == (b.text, cited[1]), case.question

    def no_ray(*args):
        raise AssertionError("nothing changed, so Ray is not needed")

    monkeypatch.setattr(ray_ingest, "start_ray", no_ray)
    again = ray_ingest.build_index_on_ray(folder, database_url, embedder=embedder)
    assert not again.changed and again.chunks_embedded == 0 and len(again.unchanged) == len(plain.added)


def test_a_killed_ray_ingestion_leaves_the_live_index_and_resumes(database_url, corpus, embedder, tmp_path):
    build_index(corpus, database_url, embedder=embedder)
    live = open_index(database_url).manifest["generation"]
    big = tmp_path / "big"
    shutil.copytree(corpus, big)
    write_corpus(big / "halueval", 600)
    job = subprocess.Popen([sys.executable, "-m", "groundqa.ui.cli", "index", str(big), "--store", database_url,
                            "--ray"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    wait_for_staged_files(database_url, job)
    os.killpg(job.pid, signal.SIGKILL)  # the driver and the Ray it started
    job.wait()
    staged = settled_staged_sources(database_url)  # not when first seen: batches may land after the kill
    assert staged and open_index(database_url).manifest["generation"] == live  # a reader still sees the old index
    edited = big / sorted(staged)[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThe resumed job read this line.\n", encoding="utf-8")
    (big / "rivers.txt").write_text("The Loire is the longest river in France.\n", encoding="utf-8")  # live files
    (big / "notes.md").write_text("", encoding="utf-8")

    report = ray_ingest.build_index_on_ray(big, database_url, embedder=embedder)
    assert set(report.resumed) == set(staged) - {edited.relative_to(big).as_posix()}
    assert report.updated == ["rivers.txt"] and report.removed == ["notes.md"] and not report.unchanged
    assert report.skipped == [(str(big / "notes.md"), "file is empty")]
    assert report.chunks_embedded < report.chunks_total
    index = open_index(database_url)  # its rows are checked against their documents' text when opened
    assert sorted(index.manifest["files"]) == sorted(p.relative_to(big).as_posix() for p in big.rglob("*.*")
                                                     if p.name != "notes.md")
    assert "notes.md" not in index.documents and "notes.md" in index.manifest["skipped"]
    assert len({c.vector_id for c in index.chunks}) == len(index.chunks) == report.chunks_total
    assert any("The resumed job read this line." in c.text for c in index.chunks)
    assert [c.text for c in index.chunks if c.source == "rivers.txt"] == ["The Loire is the longest river in France."]
    assert index.manifest["generation"] == live + 1
    with psycopg.connect(database_url, autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM groundqa_staged_chunks").fetchone()[0] == 0


def staged_sources(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as connection:
        try:
            return [source for (source,) in connection.execute("SELECT source FROM groundqa_staged_documents")]
        except psycopg.errors.UndefinedTable:
            return []


def settled_staged_sources(url: str, quiet: float = 2.0, seconds: float = 60) -> list[str]:
    """The staged sources once no batch has landed for `quiet` seconds: killing the driver's process
    group can leave a Ray worker outside it that still commits the batch it was writing."""
    deadline = time.monotonic() + seconds
    staged = staged_sources(url)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        again = staged_sources(url)
        if again == staged:
            break
        staged = again
    return staged


def wait_for_staged_files(url: str, job: subprocess.Popen, seconds: float = 120) -> None:
    """Return as soon as the job has staged some files."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and job.poll() is None:
        if staged_sources(url):
            return
        time.sleep(0.1)
    output = job.stderr.read().decode()[-2000:] if job.stderr else ""
    pytest.fail(f"the job staged nothing (exit {job.poll()}): {output}")


def test_ray_needs_a_database_store(corpus, tmp_path, capsys):
    assert main(["index", str(corpus), "--index", str(tmp_path / "index"), "--ray"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("groundqa: error: --ray writes to a PostgreSQL store") and "\n" not in error


def test_ray_without_its_extra_names_the_install_command(corpus, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["index", str(corpus), "--store", "postgresql://analyst:secret@nowhere/db", "--ray"]) != 0
    error = capsys.readouterr().err.strip()
    assert "pip install 'groundqa[ray]'" in error and "\n" not in error and "secret" not in error


def test_a_ray_address_it_cannot_use_is_one_line_and_changes_nothing(database_url, corpus, embedder):
    from groundqa.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"cannot start or reach Ray at ray://127.0.0.1:1 \(.*ray\[client\]"):
        ray_ingest.build_index_on_ray(corpus, database_url, address="ray://127.0.0.1:1", embedder=embedder)
    with psycopg.connect(database_url, autocommit=True) as connection:
        assert connection.execute("SELECT to_regclass('groundqa_meta')").fetchone()[0] is None
