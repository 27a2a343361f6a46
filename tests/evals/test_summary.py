import pytest

from groundqa.evals.summary import failing_thresholds, mean_with_ci, parse_thresholds, summarize


def _row(answerable, refused, **extra):
    return {"refusal_correct": float(refused != answerable),
            "refusal_precision": float(not answerable) if refused else None,
            "refusal_recall": float(refused) if not answerable else None, "seconds": 0.1, **extra}


def test_refusal_precision_recall_f1_on_known_cases():
    # 4 unanswerable (3 refused), 4 answerable (1 refused): precision 3/4, recall 3/4
    rows = [_row(False, True)] * 3 + [_row(False, False)] + [_row(True, True)] + [_row(True, False)] * 3
    summary = summarize(rows)
    assert summary["refusal.precision"]["value"] == 0.75 and summary["refusal.precision"]["n"] == 4
    assert summary["refusal.recall"]["value"] == 0.75 and summary["refusal.recall"]["n"] == 4
    assert summary["refusal.f1"]["value"] == 0.75
    assert summary["refusal.accuracy"]["value"] == 0.75 and summary["refusal.accuracy"]["n"] == 8


def test_metrics_skip_cases_where_they_do_not_apply():
    rows = [_row(True, False, contains=1.0, f1=0.5), _row(True, False, contains=0.0, f1=1.0), _row(False, True)]
    summary = summarize(rows)
    assert summary["answer.contains"] == {**summary["answer.contains"], "value": 0.5, "n": 2}
    assert summary["answer.f1"]["value"] == 0.75
    assert summary["retrieval.hit@1"]["value"] is None and summary["retrieval.hit@1"]["n"] == 0


def test_confidence_interval_brackets_the_value_and_narrows_with_more_cases():
    few = mean_with_ci([1.0, 0.0] * 5)
    many = mean_with_ci([1.0, 0.0] * 500)
    for entry in (few, many):
        assert entry["low"] <= entry["value"] == 0.5 <= entry["high"]
    assert (many["high"] - many["low"]) < (few["high"] - few["low"]) / 3


def test_constant_metric_has_a_zero_width_interval():
    assert mean_with_ci([1.0] * 20) == {"value": 1.0, "low": 1.0, "high": 1.0, "n": 20}


def test_latency_percentiles():
    rows = [{"seconds": s} for s in (0.1, 0.2, 0.3, 0.4, 1.0)]
    summary = summarize(rows)
    assert summary["latency.p50_s"]["value"] == 0.3
    assert summary["latency.p95_s"]["value"] == pytest.approx(0.88)
    assert summary["total_s"] == 2.0


def test_empty_run_has_no_values():
    summary = summarize([])
    assert summary["cases"] == 0 and summary["answer.contains"]["value"] is None


def test_fail_under_floors_and_latency_ceilings():
    summary = summarize([_row(True, False, contains=1.0), _row(True, False, contains=0.0)])
    assert failing_thresholds(summary, {"answer.contains": 0.5}) == []
    assert failing_thresholds(summary, {"answer.contains": 0.6}) == ["answer.contains = 0.5 is under 0.6"]
    assert failing_thresholds(summary, {"latency.p50_s": 1.0}) == []
    assert failing_thresholds(summary, {"latency.p50_s": 0.05})[0].startswith("latency.p50_s = 0.1 is above")
    # a metric that does not apply cannot pass a floor
    assert failing_thresholds(summary, {"retrieval.mrr": 0.1}) == ["retrieval.mrr = None is under 0.1"]


def test_parse_thresholds_rejects_typos_with_the_valid_names():
    assert parse_thresholds(["answer.f1=0.4", "refusal.f1 = 0.9"]) == {"answer.f1": 0.4, "refusal.f1": 0.9}
    with pytest.raises(ValueError, match="unknown metric 'answer.acc'.*answer.contains"):
        parse_thresholds(["answer.acc=0.9"])
    with pytest.raises(ValueError, match="metric=value"):
        parse_thresholds(["answer.f1"])
