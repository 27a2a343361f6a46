"""SIGKILL the indexer at random moments: the previous index must still load and answer, a reader
never sees a half-published index, and the next run completes."""

import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from assistant import Assistant
from evals.bench import write_corpus
from index import build_index, open_index
from sources import BUNDLED_CORPUS
from tests.conftest import ROOT

QUESTION = "Who led the Russian delegation?"


@pytest.mark.slow
def test_killing_the_indexer_anywhere_never_loses_the_index(tmp_path, embedder):
    folder = tmp_path / "docs"
    shutil.copytree(BUNDLED_CORPUS, folder)
    index_dir = tmp_path / "idx"
    build_index(folder, index_dir, embedder=embedder)
    bundled_only = set(open_index(index_dir).chunks_per_source)
    write_corpus(folder / "halueval", 250)  # about 500 chunks: a rebuild takes a few seconds
    everything = bundled_only | {f"halueval/{p.name}" for p in (folder / "halueval").iterdir()}

    rng = random.Random(20261126)
    command = [sys.executable, "-m", "ui.cli", "index", str(folder), "--index", str(index_dir), "--rebuild"]
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
    assert -signal.SIGKILL in outcomes  # at least some runs really were killed mid-way

    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert set(open_index(index_dir).chunks_per_source) == everything
    assert not list(index_dir.glob(".staging-*")) and len(list(index_dir.glob("gen-*"))) <= 2
