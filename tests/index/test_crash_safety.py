"""SIGKILL the indexer at random moments: the previous index must still load and answer, a reader
never sees a half-published index, and the next run completes."""

import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from groundqa import Assistant
from groundqa.evals.bench import write_corpus
from groundqa.index import build_index, open_index
from groundqa.sources import BUNDLED_CORPUS
from tests.conftest import ROOT

QUESTION = "Who led the Russian delegation?"


@pytest.mark.slow
def test_killing_the_indexer_anywhere_never_loses_the_index(tmp_path, embedder):
    folder = tmp_path / "docs"
    shutil.copytree(BUNDLED_CORPUS, folder)
    index_dir = tmp_path / "idx"
    build_index(folder, index_dir, embedder=embedder)
    bundled_only = set(open_index(index_dir).chunks_per_source)
    write_corpus(folder / "halueval", 800)  # a rebuild takes a few seconds, so most kills land mid-build
    everything = bundled_only | {f"halueval/{p.name}" for p in (folder / "halueval").iterdir()}

    rng = random.Random(20261126)
    command = [sys.executable, "-m", "groundqa.ui.cli", "index", str(folder), "--index", str(index_dir), "--rebuild"]
    outcomes = []
    for _ in range(10):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 4.0))
        process.send_signal(signal.SIGKILL)
        outcomes.append(process.wait())
        index = open_index(index_dir)  # never corrupt, never partial
        assert set(index.chunks_per_source) in (bundled_only, everything)
        assert len(index.store) == len(index.chunks)
        reply = Assistant(index_dir=index_dir, embedder=embedder).ask(QUESTION)
        assert "Medinsky" in reply.text and reply.citations
    assert outcomes.count(-signal.SIGKILL) >= 3  # most runs really were killed mid-way

    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert set(open_index(index_dir).chunks_per_source) == everything
    assert not list(index_dir.glob(".staging-*")) and len(list(index_dir.glob("gen-*"))) <= 2


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so no handler in the code catches it."""


def test_a_crash_at_every_write_step_leaves_a_loadable_index(tmp_path, embedder, monkeypatch):
    import os

    from groundqa.index import files

    folder = tmp_path / "docs"
    shutil.copytree(BUNDLED_CORPUS, folder)
    index_dir = tmp_path / "idx"
    build_index(folder, index_dir, embedder=embedder)
    before = set(open_index(index_dir).chunks_per_source)
    (folder / "extra.txt").write_text("The Bosphorus bridge was lit in blue and yellow that night.")
    real = {"replace": os.replace, "fsync": os.fsync}
    calls = []

    def counting(name):
        def step(*args):
            calls.append(name)
            if len(calls) == crash_at:
                raise Crash(name)
            return real[name](*args)
        return step

    monkeypatch.setattr(files.os, "replace", counting("replace"))
    monkeypatch.setattr(files.os, "fsync", counting("fsync"))
    crash_at = 0
    build_index(folder, tmp_path / "count", embedder=embedder)  # count the write steps of one build
    steps = len(calls)
    assert steps >= 5
    for crash_at in range(1, steps + 1):  # noqa: B007 (read by the patched steps above)
        calls.clear()
        with pytest.raises(Crash):
            build_index(folder, index_dir, embedder=embedder)
        assert set(open_index(index_dir).chunks_per_source) in (before, before | {"extra.txt"})
    monkeypatch.undo()
    build_index(folder, index_dir, embedder=embedder)
    assert set(open_index(index_dir).chunks_per_source) == before | {"extra.txt"}
    assert "Bosphorus bridge" in Assistant(index_dir=index_dir, embedder=embedder).ask(
        "What colour was the Bosphorus bridge lit?").text
