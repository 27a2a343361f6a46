"""One installed namespace: `groundqa` and nothing else at the top level of site-packages, a public
API that imports from anywhere, and no change to global state on import."""

import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from tests.conftest import ROOT

# setuptools' editable installs add a .pth file and a finder module of their own
EDITABLE_HELPERS = ("__editable__",)


def _top_level(names) -> set[str]:
    return {str(name).split("/")[0] for name in names}


@pytest.mark.slow
def test_the_wheel_holds_only_the_groundqa_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("groundqa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert _top_level(names) == {"groundqa", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    for package in ("groundqa/__init__.py", "groundqa/index/__init__.py", "groundqa/sources/__init__.py",
                    "groundqa/ui/__init__.py", "groundqa/evals/__init__.py", "groundqa/errors.py",
                    "groundqa/sources/corpus/istanbul-talks-2025-06.txt", "groundqa/evals/sets/istanbul.jsonl"):
        assert package in names


def test_the_installed_distribution_adds_only_groundqa():
    # Ask site-packages itself: from the repository root, a build's groundqa.egg-info would answer instead.
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (distribution,) = importlib.metadata.distributions(name="groundqa", path=sorted(site))
    files = [str(f) for f in distribution.files if not str(f).removeprefix("__pycache__/").startswith(EDITABLE_HELPERS)]
    top = {name for name in _top_level(files) if name != ".."}  # ../../bin/groundqa is the script
    assert top <= {"groundqa", f"groundqa-{distribution.version}.dist-info"}  # an editable install has no copy


IMPORT_EVERYTHING = r"""
import json, os, pkgutil, sys
before = dict(os.environ)
import groundqa
from groundqa import Answer, Assistant, Citation, answer
names = []
for package in ("groundqa", "groundqa.sources", "groundqa.index", "groundqa.ui", "groundqa.evals"):
    module = __import__(package, fromlist=["_"])
    names += [m.name for m in pkgutil.iter_modules(module.__path__, package + ".") if not m.ispkg]
for name in names:
    __import__(name)
from llama_index.core import Settings
bot = Assistant()
changed = sorted(k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k))
print(json.dumps({"file": groundqa.__file__, "modules": names, "env_changed": changed,
                  "llama_llm": Settings._llm is not None, "llama_embed": Settings._embed_model is not None}))
"""


def test_every_module_imports_from_outside_the_repository_without_touching_global_state(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "GRADIO_", "TOKENIZERS_"))}
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"groundqa.engine", "groundqa.index.build", "groundqa.sources.loaders", "groundqa.ui.cli",
            "groundqa.evals.run", "groundqa.errors"} <= set(report["modules"])
    assert report["env_changed"] == [] and not report["llama_llm"] and not report["llama_embed"]


def test_loading_the_model_switches_offline_only_for_the_load(tmp_path):
    code = ("import os, groundqa.index as i; e = i.Embedder(); e.embed(['x']); "
            "import huggingface_hub.constants as c; print(os.environ.get('HF_HUB_OFFLINE'), c.HF_HUB_OFFLINE)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False"]
