import shutil
import socket

import pytest

from groundqa.sources import BUNDLED_CORPUS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    """(app, assistant): the chat served for real on 127.0.0.1 over a writable copy of the bundled corpus."""
    from groundqa import Assistant
    from groundqa.ui.app import launch

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(BUNDLED_CORPUS, root / "corpus")
    assistant = Assistant(index_dir=root / "index", sources=root / "corpus", embedder=embedder)
    app = launch(assistant, port=free_port(), block=False)
    yield app, assistant
    app.close()
