"""run_eval end to end on a small set: report files, their numbers, failures, malformed lines."""

import json

import pytest

from groundqa.cross_encoder import CrossEncoder
from groundqa.evals import run_eval

CASES = [
    {"id": "right", "question": "Who led the Russian delegation in Istanbul?", "answers": ["Vladimir Medinsky"],
     "answerable": True, "support": "the Russian delegation led by Presidential Aide Vladimir Medinsky"},
    {"id": "wrong-gold", "question": "Who headed the Ukrainian delegation?", "answers": ["Dmytro Kuleba"],
     "answerable": True, "source": "istanbul-talks-2025-06.txt"},
    {"id": "absent", "question": "What is the capital of Australia?", "answers": [], "answerable": False},
    {"id": "typo", "question": "When was the Istanbul meeting held?", "answers": ["June 2"], "answerable": True,
     "support": "held on 2 June"},
]


@pytest.fixture(scope="module")
def report(bundled_assistant, tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    lines = [json.dumps(CASES[0]), '{"id": "broken", "question": ', *map(json.dumps, CASES[1:])]
    (folder / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_eval(folder / "small.jsonl", bundled_assistant, report_dir=folder / "report")
    return result, folder / "report"


def test_scores_of_the_small_set(report):
    result, _ = report
    summary = result.summary
    assert summary["cases"] == 4
    assert summary["answer.contains"]["value"] == 0.6667 and summary["answer.contains"]["n"] == 3
    assert summary["refusal.recall"]["value"] == 1.0 and summary["refusal.accuracy"]["value"] == 1.0
    assert summary["retrieval.hit@5"]["value"] == 1.0 and summary["retrieval.hit@5"]["n"] == 2  # not "typo"
    assert summary["citations.span_validity"]["value"] == 1.0
    malformed, unjudgeable = result.problems
    assert "small.jsonl:2: " in malformed
    assert unjudgeable.startswith("small/typo: no indexed chunk contains its support quote")


def test_report_files_exist_and_hold_the_numbers(report):
    result, folder = report
    plots = ("metrics.png", "latency.png", "ranks.png", "calibration.png")
    for name in ("report.md", "report.html", "results.jsonl", "summary.json", *plots):
        assert (folder / name).stat().st_size > 0, name
    assert all((folder / n).read_bytes().startswith(b"\x89PNG") for n in plots)
    saved = json.loads((folder / "summary.json").read_text())
    assert saved["summary"] == json.loads(json.dumps(result.summary)) and saved["judge"].startswith("learned")
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["right", "wrong-gold", "absent", "typo"]
    assert rows[0]["contains"] == 1.0 and rows[0]["citations"][0]["valid"] is True
    markdown = (folder / "report.md").read_text()
    assert "| answer.contains | 0.667 |" in markdown and "| refusal.recall | 1.000 |" in markdown
    assert f"Grounding judge: learned: {CrossEncoder().name} support head" in markdown and "small.jsonl:2" in markdown


def test_failures_section_lists_the_wrong_case_with_its_quotes(report):
    result, folder = report
    assert [r["id"] for r in result.failures()] == ["wrong-gold"]
    markdown = (folder / "report.md").read_text()
    failures = markdown.split("## Failures (1)")[1]
    assert "wrong-gold: gold answer not in the answer" in failures
    assert "Who headed the Ukrainian delegation?" in failures and "Dmytro Kuleba" in failures
    assert "Rustem Umerov" in failures  # the answer and its cited quote


def test_html_report_is_self_contained(report):
    _, folder = report
    page = (folder / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 4  # metrics, latency, ranks, calibration
    assert "http://" not in page and "https://" not in page
    assert "wrong-gold" in page and "answer.contains" in page
