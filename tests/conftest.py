import os
import shutil
import uuid
from pathlib import Path

import pytest

from groundqa.sources import BUNDLED_CORPUS

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "evals" / "sets" / "istanbul.jsonl"

# Prepended to scripts run in a fresh process: records and refuses every non-loopback connection.
NETWORK_GUARD = r"""
import socket
real_connect = socket.socket.connect
attempts = []
def guarded(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
        return real_connect(self, address)
    attempts.append(host)
    raise OSError(f"blocked outbound connection to {host}")
socket.socket.connect = guarded  # socket.create_connection goes through it too
"""


@pytest.fixture(scope="session")
def models_cache(tmp_path_factory):
    """The ONNX export is made once per session, not once per test home."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def groundqa_home(tmp_path, monkeypatch, models_cache):
    """Every test gets its own index home; nothing touches ~/.cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("GROUNDQA_HOME", str(home))
    monkeypatch.setenv("GROUNDQA_MODELS", str(models_cache))
    monkeypatch.delenv("GROUNDQA_LLM_URL", raising=False)
    monkeypatch.delenv("GROUNDQA_LLM_MODEL", raising=False)
    monkeypatch.delenv("GROUNDQA_STORE", raising=False)
    return home


@pytest.fixture(scope="session")
def embedder():
    from groundqa.index import shared_embedder

    return shared_embedder()


@pytest.fixture(scope="session")
def bundled_assistant(tmp_path_factory, embedder):
    """One assistant over a copy of the bundled corpus, built once per session."""
    from groundqa import Assistant

    root = tmp_path_factory.mktemp("bundled")
    corpus = root / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    return Assistant(index_dir=root / "index", sources=corpus, embedder=embedder).warm_up()


@pytest.fixture
def corpus(tmp_path):
    """A small writable folder of documents."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "rivers.txt").write_text(
        "The Danube is the second-longest river in Europe. It flows through ten countries.\n\n"
        "The Rhine rises in the Swiss Alps. It reaches the North Sea in the Netherlands.\n", encoding="utf-8")
    (folder / "notes.md").write_text("# Mountain notes\n\nMont Blanc is 4,806 metres high. "
                                     "It lies on the border of France and Italy.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A PostgreSQL + pgvector server (the postgres extra's pgserver wheel), one per session. Without the
    extra its tests skip, except under CI=true, where .ci/run installs it and they must run."""
    try:
        import pgserver  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("the postgres extra is not installed: pip install '.[postgres]'")
    from groundqa.ui.database import local_server

    server = local_server(tmp_path_factory.mktemp("postgres"), stop_on_exit=True)
    yield server
    server.cleanup()


@pytest.fixture
def database_url(postgres_server):
    """A new, empty database on the session's server."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return postgres_server.get_uri(name)
