"""The training pipeline in miniature: dev-only examples, a run that stops and resumes from its
checkpoint, and an int8 export that the query-time cross-encoder loads (and refuses when tampered)."""

import hashlib
import json
import random
from pathlib import Path

import pytest

from groundqa.evals.training import examples as data

pytestmark = pytest.mark.slow


def test_examples_come_from_dev_records_only_and_label_what_they_should():
    records = data.dev_records()
    assert len(records) == 8000  # the test split (8,001-10,000) is never loaded
    built = data.reader_examples(records[:200], random.Random(0))
    positives = [e for e in built if e.kind == "positive"]
    assert positives and all(e.label == 1.0 for e in positives)
    spans = [e for e in positives if e.span]
    assert len(spans) > 0.9 * len(positives)
    assert all(e.second[e.span[0]:e.span[1]].lower() == r["right_answer"].strip().lower()
               for e in spans for r in records[:200] if r["question"] == e.first)
    kinds = {e.kind for e in built}
    assert {"same-document", "other-document", "swapped-question"} <= kinds
    judged = data.judge_examples(records[:100], random.Random(0), data.load_summaries(40), 20)
    assert {"qa-right", "qa-hallucinated", "qa-other-answer", "summary-right"} <= {e.kind for e in judged}


def test_a_swap_with_no_names_to_swap_in_is_no_swap():
    """`dev_questions` swaps within one article at a time, whose first 2,000 characters may name nobody."""
    assert data._swap("Who met Vladimir Medinsky?", "Erdogan met Vladimir Medinsky.", [], random.Random(0)) is None


def test_single_hop_keeps_questions_one_sentence_answers():
    comparison = {"question": "Which magazine was started first Arthur's Magazine or First for Women?",
                  "right_answer": "Arthur's Magazine",
                  "knowledge": "Arthur's Magazine (1844–1846) was an American literary periodical."}
    direct = {"question": "In which city is the head office of the Oberoi Group?", "right_answer": "Delhi",
              "knowledge": "The Oberoi Group is a hotel company with its head office in Delhi."}
    assert not data.single_hop(comparison) and data.single_hop(direct)


def test_cloze_questions_ask_for_what_the_sentence_says():
    built = data.cloze_examples(data.load_summaries(20), random.Random(0), per_article=3)
    asked = [e for e in built if e.kind == "cloze"]
    assert asked and all(e.label == 1.0 and e.span for e in asked)
    for example in asked:
        answer = example.second[example.span[0]:example.span[1]]
        assert answer and answer not in example.first  # the answer was taken out of the question
    assert {"cloze-other", "cloze-swapped"} <= {e.kind for e in built}


def test_summary_questions_ask_in_other_words_and_are_answered_by_the_article():
    from groundqa.evals.metrics import normalize
    from groundqa.evals.training.questions import question_from, summary_questions

    asked = question_from("Israel and the United States opposed the move.", random.Random(1))
    assert asked is not None and asked[1] in ("Israel", "United States") and asked[1] not in asked[0]
    assert question_from("Marseille prosecutor says no videos were used.", random.Random(0)) is None
    built = summary_questions(data.load_summaries(30), random.Random(0))
    asked_ones = [e for e in built if e.kind == "summary-question"]
    assert asked_ones and all(e.label == 1.0 and e.span for e in asked_ones)
    for example in asked_ones:
        answer = example.second[example.span[0]:example.span[1]]
        assert answer and answer not in example.first
    negatives = [e for e in built if e.label == 0.0]
    assert {"summary-question-same", "summary-question-other"} <= {e.kind for e in negatives}
    for example in negatives:  # no negative holds the answer it is asked for
        if example.kind != "summary-question-swapped":
            positive = next(e for e in asked_ones if e.first == example.first)
            answer = normalize(positive.second[positive.span[0]:positive.span[1]])
            assert f" {answer} " not in f" {normalize(example.second)} "


def test_training_resumes_and_exports_a_model_the_engine_can_load(tmp_path):
    import numpy as np
    import onnx

    from groundqa.cross_encoder import CrossEncoder
    from groundqa.errors import ConfigurationError
    from groundqa.evals.training.export import export_int8, write_artifact
    from groundqa.evals.training.loop import Hyperparameters, train
    from groundqa.evals.training.network import CrossEncoderNet, encode, tokenizer
    from groundqa.index.embedder import bundled_model_path

    path = bundled_model_path()
    built = data.reader_examples(data.dev_records()[:40], random.Random(0))[:48]
    rows = encode(tokenizer(path), built)
    settings = Hyperparameters(batch_size=16, checkpoint_minutes=0.0, epochs=1)
    first = train(CrossEncoderNet(path), rows, tmp_path, settings, max_minutes=0.0001, log=lambda *_: None)
    assert 0 < first["steps"] < 3 and (tmp_path / "checkpoint.safetensors").exists()
    net = CrossEncoderNet(path)
    second = train(net, rows, tmp_path, settings, log=lambda *_: None)
    assert second["steps"] == 3 and json.loads((tmp_path / "train.json").read_text())["steps"] == 3

    folder = tmp_path / "model"
    model = export_int8(net, folder)
    operators = [node.op_type for node in onnx.load(str(model)).graph.node]
    assert "IsNaN" not in operators and operators.count("MatMulInteger") >= 36  # pruned, still int8
    calibration = {"a": 1.0, "b": 0.0, "threshold": 0.5, "how": "test", "support_threshold": 0.5,
                   "support_how": "test"}
    facts = second | {"train_records": 40, "summary_records": 0, "cpu": "test", "examples_by_kind": {"read": 48},
                      "validation": {}}
    manifest = write_artifact(folder, model, Path(path) / "tokenizer.json", calibration, facts, "test")
    assert (folder / "CARD.md").read_text().startswith("# groundqa-reader test")
    encoder = CrossEncoder(folder)
    scored = encoder.read("Who led the delegation?", ["Medinsky led the delegation.", "It rained."])
    assert len(scored) == 2 and all(0.0 <= s.answer <= 1.0 for s in scored)
    assert np.isfinite(encoder.support("Medinsky led it.", ["Medinsky led the delegation."])[0])

    model.write_bytes(model.read_bytes()[:-10] + b"tampered!!")
    with pytest.raises(ConfigurationError, match="SHA-256"):
        CrossEncoder(folder).warm_up()
    assert manifest["sha256"] != hashlib.sha256(model.read_bytes()).hexdigest()


def test_the_null_span_points_non_answers_at_cls_only_when_asked():
    import torch

    from groundqa.evals.training.network import NULL_POSITION, CrossEncoderNet, collate, encode, tokenizer
    from groundqa.index.embedder import bundled_model_path

    path = bundled_model_path()
    examples = [data.Example("read", "Who led?", "Medinsky led the delegation.", 1.0, (0, 8)),
                data.Example("read", "Who led?", "The talks were held in Istanbul.", 0.0),
                data.Example("judge", "Medinsky led it.", "Medinsky led the delegation.", 1.0)]
    plain, null = encode(tokenizer(path), examples), encode(tokenizer(path), examples, null_span=True)
    assert [(r["start"], r["end"]) for r in plain][1:] == [(-1, -1), (-1, -1)]
    assert [(r["start"], r["end"]) for r in null][1:] == [(NULL_POSITION, NULL_POSITION), (-1, -1)]
    assert plain[0]["start"] == null[0]["start"] > NULL_POSITION  # a real answer keeps its span
    batch = collate(null)
    torch.manual_seed(0)
    for net, cls_open in ((CrossEncoderNet(path), False), (CrossEncoderNet(path, null_span=True), True)):
        net.eval()
        _, start, end, _ = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        assert bool((start[:, NULL_POSITION] > -1e3).all()) is cls_open
        assert bool((end[:, 1] <= -1e3).all())  # the question's tokens never hold a span


def test_a_run_the_budget_stops_writes_no_model(tmp_path, monkeypatch, capsys):
    from groundqa.evals.training import loop, run_training
    from groundqa.ui.cli import main

    records, articles = data.dev_records()[:30], data.load_summaries(6)
    monkeypatch.setattr(data, "dev_records", lambda: records)
    monkeypatch.setattr(data, "load_summaries", lambda limit: articles)
    monkeypatch.setattr(loop, "train", lambda *args, **kwargs: {"steps": 5, "planned_steps": 9})
    out = tmp_path / "model"
    assert run_training(out, tmp_path / "work", max_minutes=1, log=lambda *_: None) is None
    assert not out.exists()  # the model in --out (by default the shipped one) is left as it was
    assert main(["train", "--out", str(out), "--work", str(tmp_path / "work"), "--max-minutes", "1"]) == 1
    assert "nothing was written" in capsys.readouterr().err and not out.exists()


def test_the_refusal_threshold_is_the_steady_middle_of_a_flat_score():
    """Every threshold in (0.4, 0.6] separates these questions perfectly; the chosen one lies there,
    with the range of the resamples' choices, and the same inputs give the same choice."""
    import numpy as np

    from groundqa.evals.training.calibrate import _threshold

    rng = np.random.default_rng(1)
    answerable = np.arange(200) < 100
    best = np.where(answerable, rng.uniform(0.6, 1.0, 200), rng.uniform(0.0, 0.4, 200))
    chosen = _threshold(best, answerable.astype(float), np.arange(200), answerable)
    threshold, score, _, (low, high) = chosen
    assert 0.4 < low <= threshold <= high <= 0.6 and score == 1.0
    assert _threshold(best, answerable.astype(float), np.arange(200), answerable) == chosen
