"""Index and ask with every non-loopback connection blocked, in a fresh process (ONNX export and
model load included)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import NETWORK_GUARD, ROOT

BLOCK_AND_RUN = NETWORK_GUARD + r"""
import sys
from groundqa.ui.cli import main
code = main(["index", sys.argv[1], "--index", sys.argv[2]])
code = code or main(["ask", "Who headed the Ukrainian delegation?", "--index", sys.argv[2], "--json"])
print("ATTEMPTS", attempts)
sys.exit(code)
"""


def test_index_and_ask_with_no_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["GROUNDQA_HOME"] = str(tmp_path / "home")
    env.pop("GROUNDQA_MODELS", None)  # export the model afresh, under the guard
    result = subprocess.run([sys.executable, "-c", BLOCK_AND_RUN, str(ROOT / "sources" / "corpus"),
                             str(tmp_path / "idx")], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    output, attempts = result.stdout.rsplit("ATTEMPTS", 1)
    answer = json.loads(output[output.index("{"):])
    assert "Rustem Umerov" in answer["text"] and answer["citations"]
    assert attempts.strip() == "[]"


# ONNX Runtime's own telemetry (C++, libcurl) sends its first DNS query about 10 s after the first
# session is made; a Python socket guard cannot see it, the kernel's system calls can.
TELEMETRY_DELAY = 15
_OUTBOUND = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?, .*")
_LOOPBACK = re.compile(r"inet_addr\(\"127\.|inet_pton\(AF_INET6, \"::1\"|inet_pton\(AF_INET6, \"::ffff:127\.")


def outbound_calls(trace: str) -> list[str]:
    """System calls in an strace log that reach an address off this machine (DNS included)."""
    return [line for line in trace.splitlines() if _OUTBOUND.search(line) and not _LOOPBACK.search(line)]


def test_the_trace_parser_sees_dns_and_ignores_loopback():
    trace = ('1 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
             '1 connect(9, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
             '1 connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n'
             '1 sendto(9, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(53), '
             'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr)}, 28) = 1\n')
    assert [line.split("(")[0] for line in outbound_calls(trace)] == ["1 connect", "1 sendto"]


@pytest.mark.skipif(shutil.which("strace") is None and os.environ.get("CI") != "true",
                    reason="strace is not installed (CI installs it)")
def test_a_chat_round_trip_and_an_ask_send_nothing_off_the_machine(tmp_path):
    from gradio_client import Client

    from tests.ui.conftest import free_port

    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["GROUNDQA_HOME"] = str(tmp_path / "home")
    trace, port = tmp_path / "trace", free_port()
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
               sys.executable, "-m", "groundqa.ui.cli"]
    asked = subprocess.run(command + ["ask", "Who led the Russian delegation?"], capture_output=True, text=True,
                           env=env, timeout=300)
    assert "Medinsky" in asked.stdout, asked.stderr
    outbound = outbound_calls(trace.read_text())
    log = tmp_path / "chat.log"
    with open(log, "w") as output:
        chat = subprocess.Popen(command + ["chat", "--port", str(port)], stdout=output, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "open http" not in log.read_text() and chat.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        reply = client.predict("Who led the Russian delegation?", [], 5, "extractive", api_name="/ask")
        assert "Medinsky" in json.dumps(reply, ensure_ascii=False)
        time.sleep(TELEMETRY_DELAY)
    finally:
        os.killpg(chat.pid, signal.SIGTERM)
        chat.wait(timeout=60)
    outbound += outbound_calls(trace.read_text())
    assert outbound == []


def test_the_telemetry_warning_is_given_once_and_only_when_it_is_true(tmp_path):
    """The embedder imports onnxruntime inside an `offline()` block, which takes the switch away
    when it ends; the learned reader's later import must not then warn that telemetry is on."""
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"} | {"GROUNDQA_HOME": str(tmp_path)}
    ask = ("from groundqa import Assistant; "
           "print(Assistant(reader='learned').warm_up().ask('Who led the Russian delegation?').short_answer)")
    for first, warnings in (("", 0), ("import onnxruntime; ", 1)):
        result = subprocess.run([sys.executable, "-c", first + ask], capture_output=True, text=True, env=env,
                                cwd=tmp_path, timeout=300)
        assert "Medinsky" in result.stdout, result.stderr
        assert result.stderr.count("telemetry on") == warnings, result.stderr
