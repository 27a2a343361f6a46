"""Index and ask with every non-loopback connection blocked, in a fresh process (ONNX export and
model load included)."""

import json
import os
import subprocess
import sys

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
