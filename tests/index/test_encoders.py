import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundqa.index import Embedder
from groundqa.index import embedder as embedder_module
from groundqa.index.embedder import bundled_model_path
from groundqa.index.encoders import TOKEN_BUDGET, token_budget_batches
from groundqa.index.onnx_export import _atomic, check_mean_pooled, exported_model, prune_attention_guards

# Mixed lengths in one batch: padding must not change a text's vector.
TEXTS = ["Who led the Russian delegation?",
         "The talks in Istanbul lasted less than two hours. " * 12,
         "Prisoner exchange", "Картофель", "", "🙂 emoji and ümlauts",
         "Ukraine's delegation was headed by Defence Minister Rustem Umerov, who met the Turkish side first."]


@pytest.fixture(scope="module")
def torch_vectors():
    return Embedder(backend="torch").embed(TEXTS)


@pytest.mark.slow
def test_onnx_fp32_gives_the_sentence_transformers_vectors(torch_vectors):
    vectors = Embedder(backend="onnx").embed(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.9999


@pytest.mark.slow
def test_int8_vectors_stay_close_to_the_originals(torch_vectors, embedder):
    assert embedder.backend == "onnx-int8"
    cosine = np.sum(embedder.embed(TEXTS) * torch_vectors, axis=1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.98


def test_sorting_by_length_keeps_each_vector_with_its_text():
    fp32 = Embedder(backend="onnx")
    together = fp32.embed(TEXTS)
    one_by_one = np.vstack([fp32.embed([text]) for text in TEXTS])
    assert np.allclose(together, one_by_one, atol=1e-4)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)


def test_int8_vectors_move_only_slightly_with_their_batch_mates(embedder):
    # Dynamic quantization scales activations per batch, so batch-mates nudge a vector a little; how
    # much depends on the CPU's int8 kernels (lowest 0.957 on an AVX2-only EPYC, above 0.96 elsewhere).
    together = embedder.embed(TEXTS)
    one_by_one = np.vstack([embedder.embed([text]) for text in TEXTS])
    assert np.sum(together * one_by_one, axis=1).min() > 0.95
    assert list(np.argmax(together @ one_by_one.T, axis=1)) == list(range(len(TEXTS)))


def test_embed_each_gives_a_text_the_same_vector_whatever_comes_with_it(embedder):
    alone = np.vstack([Embedder().embed_each([text]) for text in TEXTS])  # fresh caches: nothing remembered
    together = embedder.embed_each(list(reversed(TEXTS)))[::-1]
    assert np.array_equal(alone, together)
    assert np.array_equal(embedder.embed_each(TEXTS[:2] + TEXTS[:1]), alone[[0, 1, 0]])
    assert embedder.embed_each([]).shape == (0, 384)


def test_embed_each_forgets_the_oldest_texts_beyond_its_limit(monkeypatch):
    monkeypatch.setattr(embedder_module, "REMEMBERED_TEXTS", 3)
    fresh = Embedder()
    fresh.embed_each(TEXTS[:3])
    fresh.embed_each([TEXTS[0], TEXTS[3]])  # TEXTS[0] used again, so TEXTS[1] is the oldest
    assert list(fresh._remembered) == [TEXTS[2], TEXTS[0], TEXTS[3]]
    fresh.forget()
    assert not fresh._remembered


@given(st.lists(st.integers(min_value=1, max_value=300), max_size=40), st.integers(min_value=1, max_value=8))
def test_token_budget_batches_hold_every_text_once_within_the_budget(lengths, max_texts):
    batches = token_budget_batches(lengths, max_texts)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        padded = max(lengths[i] for i in batch) * len(batch)
        assert len(batch) <= max_texts and (padded <= TOKEN_BUDGET or len(batch) == 1)


def test_the_export_uses_plain_attention_that_onnx_runtime_runs_fast():
    import onnx

    graph = onnx.load(str(exported_model(bundled_model_path(), quantized=True))).graph
    operators = [node.op_type for node in graph.node]
    # The SDPA export guards each layer's softmax with IsNaN + Where: 42% of int8 time on a Xeon.
    assert operators.count("Softmax") == 6 and "IsNaN" not in operators and operators.count("Where") < 6


def _guarded_attention_graph(path):
    """Two layers of an SDPA-style export: each builds the same additive mask with Where, adds it to
    its scores, and guards its softmax with Where(IsNaN(p), 0, p); the second guard is an output."""
    import onnx
    from onnx import TensorProto, helper

    zero, low = (helper.make_tensor(name, TensorProto.FLOAT, [], [value]) for name, value in
                 (("zero", 0.0), ("low", -1e4)))
    nodes = []
    for layer in (0, 1):
        nodes += [helper.make_node("Where", ["keep", "zero", "low"], [f"mask{layer}"]),
                  helper.make_node("Add", [f"scores{layer}", f"mask{layer}"], [f"masked{layer}"]),
                  helper.make_node("Softmax", [f"masked{layer}"], [f"p{layer}"], axis=-1),
                  helper.make_node("IsNaN", [f"p{layer}"], [f"nan{layer}"]),
                  helper.make_node("Where", [f"nan{layer}", "zero", f"p{layer}"], [f"guarded{layer}"])]
    nodes.append(helper.make_node("Mul", ["guarded0", "guarded0"], ["out0"]))
    shape = ["b", 4]
    inputs = [helper.make_tensor_value_info("keep", TensorProto.BOOL, shape)] + [
        helper.make_tensor_value_info(f"scores{layer}", TensorProto.FLOAT, shape) for layer in (0, 1)]
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name in ("out0", "guarded1")]
    model = helper.make_model(helper.make_graph(nodes, "attention", inputs, outputs, [zero, low]),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))


def test_pruning_the_attention_guards_keeps_every_output_bit_for_bit(tmp_path):
    import onnx
    import onnxruntime

    _guarded_attention_graph(tmp_path / "guarded.onnx")
    assert prune_attention_guards(tmp_path / "guarded.onnx", tmp_path / "pruned.onnx") == 3
    operators = [node.op_type for node in onnx.load(str(tmp_path / "pruned.onnx")).graph.node]
    # The first guard and the repeated mask go; the guard that makes a graph output stays.
    assert operators.count("IsNaN") == 1 and operators.count("Where") == 2
    rng = np.random.default_rng(0)
    feed = {"keep": rng.random((3, 4)) > 0.3, "scores0": rng.normal(size=(3, 4)).astype(np.float32),
            "scores1": rng.normal(size=(3, 4)).astype(np.float32)}
    feed["keep"][:, 0] = True  # a row always keeps its [CLS] key
    before, after = (onnxruntime.InferenceSession(str(tmp_path / name), providers=["CPUExecutionProvider"])
                     .run(None, feed) for name in ("guarded.onnx", "pruned.onnx"))
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old, new)


def test_the_shipped_reader_runs_without_attention_guards():
    import onnx

    from groundqa.cross_encoder import DEFAULT_MODEL

    operators = [node.op_type for node in onnx.load(str(DEFAULT_MODEL / "model.int8.onnx")).graph.node]
    assert operators.count("Softmax") == 6 and "IsNaN" not in operators and operators.count("Where") < 6


def test_the_index_records_the_backend_in_the_model_name(embedder):
    assert embedder.name.endswith("(onnx-int8)")
    assert Embedder(backend="torch").name == "sentence-transformers/all-MiniLM-L6-v2"


def test_unknown_backend_names_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown embedding backend 'gpu'. Valid choices: 'onnx-int8', 'onnx'"):
        Embedder(backend="gpu")


def test_onnx_refuses_a_model_it_cannot_reproduce(tmp_path):
    model = tmp_path / "cls-model"
    shutil.copytree(bundled_model_path(), model, ignore=shutil.ignore_patterns("*.safetensors"))
    config = model / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(pooling))
    with pytest.raises(ValueError, match="mean pooling.*backend='torch'"):
        check_mean_pooled(model)
    assert check_mean_pooled(bundled_model_path()) == 256
    with pytest.raises(ValueError, match="lacks; use backend='torch'"):
        exported_model(model, quantized=True)  # copied without its weights


def test_a_damaged_cached_export_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDQA_MODELS", str(tmp_path / "models"))
    cached = exported_model(bundled_model_path(), quantized=True)
    cached.write_bytes(b"not an onnx file")
    vectors = Embedder().embed(["deepest lake"])
    assert np.isclose(np.linalg.norm(vectors), 1) and cached.stat().st_size > 1_000_000


def test_an_interrupted_export_leaves_no_file(tmp_path):
    def fail(path):
        path.write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        _atomic(tmp_path / "model.onnx", fail)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_answering_with_onnx_never_imports_torch_or_scipy(bundled_assistant):
    assert bundled_assistant.index.chunks  # built, and the model exported, in this process
    script = ("import sys; from groundqa import Assistant; "
              f"a = Assistant(index_dir={str(bundled_assistant.index_dir)!r}); "
              "print(a.ask('Who led the Russian delegation?').short_answer); "
              "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'scipy') "
              "if m in sys.modules))")  # scipy alone took 0.2 s of a cold ask
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["Presidential Aide Vladimir Medinsky", "[]"]
