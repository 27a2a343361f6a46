import json
import shutil
import subprocess
import sys

import pytest

from groundqa.cross_encoder import CrossEncoder
from groundqa.index.files import current_generation
from groundqa.ui.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(word in out for word in ("index", "ask", "chat", "eval"))


def test_help_imports_no_heavy_modules():
    code = "import sys; from groundqa.ui.cli import main; main([]); print(sorted(m for m in ('torch', 'faiss', " \
           "'sentence_transformers', 'gradio', 'llama_index') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("[]")


def test_index_then_ask_json_and_pretty(tmp_path, corpus, embedder, capsys):
    index_dir = tmp_path / "idx"
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    assert "2 added" in capsys.readouterr().out
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "4,806 metres" in data["text"] and data["citations"][0]["source"] == "notes.md"
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "Sources" in out and "[1] Mountain notes (notes.md" in out
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    strict = ["--refusal-threshold", "0.99"]
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir), "--json", *strict]) == 0
    stricter = json.loads(capsys.readouterr().out)
    assert stricter["refused"] and stricter["confidence"] == data["confidence"] < 0.99


def test_partial_index_warns_and_exits_1(tmp_path, corpus, embedder, capsys):
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    assert main(["index", str(corpus), "--index", str(tmp_path / "idx")]) == 1
    captured = capsys.readouterr()
    assert "warning: skipped" in captured.err and "bad.txt" in captured.err
    assert "2 added" in captured.out


def test_a_file_name_cannot_forge_a_warning_line(tmp_path, corpus, embedder, capsys):
    (corpus / "evil.txt\nwarning: skipped nothing, all is well\u2028.txt").write_bytes(b"")
    assert main(["index", str(corpus), "--index", str(tmp_path / "idx")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if line.startswith("warning:")] == lines  # nothing else reads as its own line
    assert len(lines) == 1 and "evil.txt\\nwarning: skipped nothing" in lines[0] and "\\u2028" in lines[0]


@pytest.mark.parametrize("argv, message", [
    (["ask", "  "], "question is empty"),
    (["index", "/no/such/folder"], "does not exist"),
    (["ask", "Who?", "--index", "/no/such/index"], "no index found"),
    (["ask", "Who?", "--top-k", "0"], "top_k must be greater than 0"),
    (["ask", "Who?", "--refusal-threshold", "1.5"], "refusal_threshold must be within [0, 1]"),
    (["ask", "Who?", "--where", "colour>red"], "only dates take < <= > >="),
    (["ask", "Who?", "--where", "date>=last week"], "not YYYY, YYYY-MM or YYYY-MM-DD"),
])
def test_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_ask_where_answers_from_the_matching_documents_only(tmp_path, corpus, embedder, capsys):
    index_dir = tmp_path / "idx"
    main(["index", str(corpus), "--index", str(index_dir)])
    capsys.readouterr()
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir), "--where", "type=md", "--json"]) == 0
    assert "4,806 metres" in json.loads(capsys.readouterr().out)["text"]
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir), "--where", "source=rivers*",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["refused"] and {c["source"] for c in data["citations"]} <= {"rivers.txt"}
    assert main(["ask", "How high is Mont Blanc?", "--index", str(index_dir), "--where", "type=pdf"]) == 2
    err = capsys.readouterr().err
    assert "no indexed document matches the filter type=pdf (2 documents indexed" in err and err.count("\n") == 1


def test_a_bad_filter_is_reported_before_any_indexing(tmp_path, corpus, capsys):
    assert main(["ask", "Who?", "--sources", str(corpus), "--index", str(tmp_path / "idx"),
                 "--where", "size>3"]) == 2
    assert "compares size with '>'" in capsys.readouterr().err
    assert not (tmp_path / "idx").exists()


def test_corrupt_index_is_one_line(tmp_path, corpus, embedder, capsys):
    main(["index", str(corpus), "--index", str(tmp_path / "idx")])
    (current_generation(tmp_path / "idx") / "chunks.jsonl").write_text("{")
    capsys.readouterr()
    assert main(["ask", "How high is Mont Blanc?", "--index", str(tmp_path / "idx")]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_empty_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["index", str(tmp_path / "empty")]) == 2
    assert "no .txt/.md/.html/.pdf/.docx files" in capsys.readouterr().err


def test_chat_rejects_a_bad_port(capsys):
    assert main(["chat", "--port", "70000"]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err


def _small_set(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "question": "Who led the Russian delegation in Istanbul?", "answers": ["Medinsky"], '
        '"answerable": true}\n'
        '{"id": "b", "question": "Who headed the Ukrainian delegation?", "answers": ["Kuleba"], "answerable": true}\n'
        '{"id": "c", "question": "Q?", "answers": ["x"], "answerable": false}\n', encoding="utf-8")
    return path


def test_eval_fail_under_gates_the_exit_code(tmp_path, bundled_assistant, capsys):
    path, index = _small_set(tmp_path), str(bundled_assistant.index_dir)
    assert main(["eval", str(path), "--index", index, "--fail-under", "answer.contains=0.5",
                 "--report", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert "answer.contains" in captured.out and "0.500" in captured.out
    assert "set.jsonl:3: an answerable case needs gold" in captured.err  # malformed line named, run goes on
    assert (tmp_path / "r" / "report.html").exists()
    assert main(["eval", str(path), "--index", index, "--fail-under", "answer.contains=0.6",
                 "--fail-under", "answer.f1=0"]) == 1
    err = capsys.readouterr().err
    assert "groundqa: FAIL answer.contains = 0.5 is under 0.6" in err and "answer.f1" not in err


def test_eval_json_summary(tmp_path, embedder, capsys):
    assert main(["eval", str(_small_set(tmp_path)), "--json"]) == 0  # default index: built on first use
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["cases"] == 2 and summary["answer.contains"]["value"] == 0.5


@pytest.mark.parametrize("argv, message", [
    (["eval", "--fail-under", "answer.acc=0.9"], "unknown metric 'answer.acc'"),
    (["eval", "--fail-under", "answer.f1"], "takes metric=value"),
    (["eval", "missing.jsonl"], "eval set not found: missing.jsonl"),
    (["eval", "--benchmark", "halueval", "--limit", "0"], "--limit must be at least 1"),
    (["eval", "--benchmark", "halueval", "--data", "/no/such.jsonl.gz"], "HaluEval data not found"),
    (["eval", "--judge", "both"], "--judge both compares the grounding judges on --benchmark ragtruth only"),
    (["eval", "--benchmark", "ragtruth", "--reader", "both"], "compare with --judge both"),
    (["eval", "--refusal-curve", "--fail-under", "answer.f1=0.5"], "--refusal-curve runs at refusal threshold 0"),
])
def test_eval_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_bug_shows_its_traceback_and_where_to_report_it(monkeypatch, bundled_assistant, capsys):
    import numpy as np

    from groundqa import Assistant

    def broken(self, question, history=None, **kwargs):
        return np.zeros(3) @ np.zeros(4)  # a genuine shape bug, not a user error

    monkeypatch.setattr(Assistant, "ask", broken)
    assert main(["ask", "Who?", "--index", str(bundled_assistant.index_dir)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError" in err and "this is a bug in groundqa" in err


def test_debug_shows_the_traceback_of_a_user_error(capsys):
    assert main(["ask", "  ", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("groundqa: error: question is empty")
    assert main(["--debug", "index", "/no/such/folder"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_eval_reader_both_reports_the_readers_side_by_side(tmp_path, bundled_assistant, capsys):
    path, index = _small_set(tmp_path), str(bundled_assistant.index_dir)
    assert main(["eval", str(path), "--index", index, "--reader", "both", "--report", str(tmp_path / "r")]) == 0
    report = (tmp_path / "r" / "report.md").read_text()
    assert "Readers side by side" in report
    assert f"learned ({CrossEncoder().name})" in report and "lexical (lexical)" in report
    assert (tmp_path / "r" / "calibration.png").exists()


def test_refusal_curve_at_the_readers_own_threshold_is_what_a_normal_run_does(tmp_path, bundled_assistant, capsys):
    path, index = tmp_path / "set.jsonl", str(bundled_assistant.index_dir)
    path.write_text("\n".join(json.dumps(case) for case in (
        {"id": "a", "question": "Who led the Russian delegation?", "answers": ["Medinsky"], "answerable": True},
        {"id": "b", "question": "How many bodies did Russia agree to transfer?", "answers": ["6,000"],
         "answerable": True},
        {"id": "c", "question": "Who won the football match?", "answers": [], "answerable": False},
        {"id": "d", "question": "What did Vladimir Putin say about the talks?", "answers": [],
         "answerable": False})) + "\n")
    assert main(["eval", str(path), "--index", index, "--reader", "lexical", "--json"]) == 0
    normal = json.loads(capsys.readouterr().out)["summary"]
    assert main(["eval", str(path), "--index", index, "--reader", "lexical", "--refusal-curve", "--json"]) == 0
    tables = json.loads(capsys.readouterr().out)["tables"]
    header, rows = next(table for heading, table in tables.items() if heading.startswith("Refusal curve — lexical"))
    own = dict(zip(header, next(row for row in rows if row[0] == "0.545 (own)"), strict=True))
    assert float(own["gold in answer"]) == normal["answer.contains"]["value"] == 1.0
    assert float(own["refused"]) == normal["refusal.recall"]["value"] == 1.0
    assert float(rows[0][3]) < 1.0  # at 0.05 the lexical reader answers an unanswerable question
    assert any(heading.startswith("Refusal curve: confidence AUC") for heading in tables)


def test_ragtruth_judge_both_scores_each_judge(tmp_path, embedder, capsys):
    data = tmp_path / "ragtruth.jsonl"
    data.write_text(json.dumps({"passages": "passage 1:Paris is the capital of France.",
                                "response": "Paris is the capital of France. It has 90 million people.",
                                "hallucination_spans": [{"start": 32, "end": 57}]}) + "\n")
    assert main(["eval", "--benchmark", "ragtruth", "--data", str(data), "--judge", "both", "--json"]) == 0
    out = capsys.readouterr().out
    results = json.loads(out[out.index("["):])
    assert [r["judge"].split(":")[0] for r in results] == ["learned", "lexical entailment"]
    assert all(r["sentences"] == 2 and r["sentence_level"]["positives"] == 1 for r in results)


def test_chat_start_up_says_what_it_is_doing(monkeypatch, corpus, embedder, capsys):
    launched = []

    def launch(assistant, port, prepare):  # the window is up; then the folder is indexed
        launched.append((assistant, port))
        prepare()

    monkeypatch.setattr("groundqa.ui.app.launch", launch)
    assert main(["chat", "--sources", str(corpus), "--port", "7999"]) == 0
    err = capsys.readouterr().err
    assert err.index("loading the embedding model") < err.index("starting the window") < err.index(
        f"indexing {corpus}")
    assert "2 documents, " in err and "2 added" in err and "ready for questions" in err
    assert launched[0][1] == 7999 and launched[0][0].index.chunks  # the window gets the index it built


def test_a_reader_model_of_ones_own_is_used_and_a_missing_one_named(tmp_path, embedder, capsys):
    from groundqa.cross_encoder import DEFAULT_MODEL

    own = tmp_path / "my-reader"
    shutil.copytree(DEFAULT_MODEL, own)
    manifest = json.loads((own / "manifest.json").read_text())
    manifest["version"] = "own"
    (own / "manifest.json").write_text(json.dumps(manifest))
    question = "Who led the Russian delegation?"
    assert main(["ask", question, "--reader", "learned", "--reader-model", str(own), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reader"].endswith(" own")
    assert main(["ask", question, "--reader", "learned", "--reader-model", str(tmp_path / "nope")]) == 2
    assert "learned reader at" in capsys.readouterr().err
