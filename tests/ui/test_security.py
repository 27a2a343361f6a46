"""Security floor: loopback only, never shared, no pickle, and a chat launch that sends nothing
off the machine."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import NETWORK_GUARD, ROOT
from tests.ui.conftest import free_port

PACKAGES = ["assistant", "index", "sources", "ui", "evals"]


def test_no_code_path_unpickles_anything():
    risky = re.compile(r"\bpickle\b|\bjoblib\b|torch\.load|allow_pickle\s*=\s*True|\bnp\.load\(|dill\b|\bshelve\b")
    hits = [f"{path.relative_to(ROOT)}:{n}" for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if risky.search(line)]
    assert hits == []


def test_launch_binds_loopback_and_never_shares(monkeypatch, bundled_assistant):
    import gradio as gr

    from groundqa.ui.app import launch

    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: seen.update(kwargs))
    monkeypatch.setattr(gr.Blocks, "local_url", "http://127.0.0.1:1/", raising=False)
    launch(bundled_assistant, port=1234, block=False)
    assert seen["server_name"] == "127.0.0.1" and seen["share"] is False and seen["server_port"] == 1234


def _outward_address():
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent for a UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_served_chat_is_unreachable_from_other_interfaces(served):
    app, _ = served
    port = int(app.local_url.rstrip("/").rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=5).close()


LAUNCH_OFFLINE = NETWORK_GUARD + r"""
import json, sys, urllib.request
from groundqa import Assistant
from groundqa.ui.app import launch
app = launch(Assistant(), port=int(sys.argv[1]), block=False)
page = urllib.request.urlopen(app.local_url, timeout=30).read().decode()
from gradio_client import Client
messages, _ = Client(app.local_url, verbose=False).predict("Who led the Russian delegation?", [], 5,
                                                            "extractive", api_name="/ask")
app.close()
print("RESULT", json.dumps({"attempts": attempts, "page": "gradio" in page.lower(),
                            "answer": str(messages[1]["content"])}))
"""


@pytest.mark.slow
def test_chat_launch_and_an_answer_make_no_outbound_connection(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "GRADIO_"))}
    env["GROUNDQA_HOME"] = str(tmp_path / "home")
    result = subprocess.run([sys.executable, "-c", LAUNCH_OFFLINE, str(free_port())], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.rsplit("RESULT", 1)[1])
    assert outcome["attempts"] == [] and outcome["page"] and "Medinsky" in outcome["answer"]
