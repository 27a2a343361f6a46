"""The HaluEval benchmark path on a tiny file in the same format, and the vendored data's integrity."""

import gzip
import hashlib
import json
import re

import pytest

from groundqa.evals.halueval import DATA, run_halueval, split_records, write_corpus
from tests.conftest import ROOT

RECORDS = [
    {"knowledge": "The Danube is the second-longest river in Europe.It flows through ten countries.",
     "question": "Which is the second-longest river in Europe?", "right_answer": "The Danube",
     "hallucinated_answer": "The Volga is the second-longest river in Europe."},
    {"knowledge": "Mont Blanc is 4,806 metres high.It lies on the border of France and Italy.",
     "question": "How high is Mont Blanc?", "right_answer": "4,806 metres",
     "hallucinated_answer": "5,642 metres"},
    {"knowledge": "The Rhine rises in the Swiss Alps.It reaches the North Sea in the Netherlands.",
     "question": "Where does the Rhine rise?", "right_answer": "the Swiss Alps",
     "hallucinated_answer": "the Black Forest"},
]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "qa.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in RECORDS + RECORDS[:1])  # a repeated knowledge text
    return path


def test_corpus_has_one_file_per_distinct_knowledge_with_paragraphs_split(tmp_path):
    names = write_corpus(RECORDS + RECORDS[:1], tmp_path / "docs")
    assert sorted(names.values()) == ["k00000.txt", "k00001.txt", "k00002.txt"]
    assert (tmp_path / "docs" / "k00001.txt").read_text() == \
        "Mont Blanc is 4,806 metres high.\n\nIt lies on the border of France and Italy."


def test_benchmark_runs_the_same_metrics_and_calibrates_the_judge(data, embedder, tmp_path):
    result = run_halueval("dev", data=data, report_dir=tmp_path / "report")
    assert result.summary["cases"] == 4
    assert result.summary["retrieval.hit@1"]["value"] == 1.0  # the record's own knowledge is relevant
    assert result.summary["answer.contains"]["value"] == 1.0
    assert result.summary["citations.span_validity"]["value"] == 1.0
    calibration = result.extra["judge_calibration"]
    assert calibration["pairs"] == 4 and calibration["accuracy"]["n"] == 8
    assert calibration["accuracy"]["value"] >= 0.75 and calibration["unsupported_recall"] >= 0.75
    assert calibration["length_matched"]["pairs"] == 2  # the Mont Blanc and Rhine pairs differ by <= 1 word
    assert set(calibration["sweep"]) == {"0.5", "0.6", "0.7", "0.8", "0.85", "0.9", "0.95"}  # dev only
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "Grounding judge on HaluEval pairs" in markdown and "length-matched" in markdown


def test_test_split_of_a_short_file_is_a_clear_error(data):
    with pytest.raises(ValueError, match="test split of .* is empty.*record 8,001"):
        run_halueval("test", data=data)


def test_malformed_record_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(RECORDS[0]) + "\n" + json.dumps({"question": "Q?"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl.gz:2: a HaluEval record needs the text fields"):
        run_halueval("dev", data=path)


def test_splits_follow_line_order():
    records = [{"n": n} for n in range(1, 8004)]
    assert [n for n, _ in split_records(records, "test")] == [8001, 8002, 8003]
    assert len(split_records(records, "dev")) == 8000
    with pytest.raises(ValueError, match="split must be one of"):
        split_records(records, "train")


def test_vendored_data_is_intact_and_attributed():
    readme = (DATA.parent / "README.md").read_text()
    digest = re.search(r"SHA-256 of this file: `([0-9a-f]{64})`", readme).group(1)
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == digest
    assert "MIT" in readme and "CC BY-SA 4.0" in readme and DATA.is_relative_to(ROOT)
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 10000
