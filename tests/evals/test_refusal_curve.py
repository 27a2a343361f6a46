import pytest

from groundqa.evals.refusal_curve import (
    answer_score,
    auc_interval,
    confidence_auc,
    curve_table,
    paired_auc_difference,
    refusal_curve,
)


def _row(number, confidence, answerable, gold=True, refused=False):
    return {"set": "s", "id": str(number), "confidence": confidence, "answerable": answerable,
            "contains": (1.0 if gold else 0.0) if answerable else None, "refused": refused}


ROWS = [_row(0, 0.9, True), _row(1, 0.6, True), _row(2, 0.4, True, gold=False), _row(3, 0.7, False),
        _row(4, 0.2, False), _row(5, 0.8, True, refused=True), _row(6, 0.1, False, refused=True)]


def test_each_threshold_counts_what_it_would_answer_and_refuse():
    curve = {p["threshold"]: p for p in refusal_curve(ROWS, (0.3, 0.5, 0.75))}
    assert (curve[0.3]["answered"], curve[0.3]["gold_in_answer"], curve[0.3]["refused"]) == (0.75, 0.5, 0.667)
    assert curve[0.3]["refusal_accuracy"] == 0.714 and curve[0.3]["balanced"] == pytest.approx(0.5835, abs=1e-3)
    assert (curve[0.5]["answered"], curve[0.5]["gold_in_answer"], curve[0.5]["refused"]) == (0.5, 0.5, 0.667)
    assert (curve[0.75]["answered"], curve[0.75]["gold_in_answer"], curve[0.75]["refused"]) == (0.25, 0.25, 1.0)


def test_a_question_refused_at_threshold_zero_stays_refused_and_an_error_counts_as_refused():
    assert answer_score(_row(0, 0.99, True, refused=True)) == -1.0
    assert answer_score({"refused": None, "confidence": None, "answerable": True}) == -1.0
    lowest = refusal_curve(ROWS, (0.0,))[0]
    assert lowest["answered"] == 0.75 and lowest["refused"] == pytest.approx(0.333, abs=1e-3)


def test_raising_the_threshold_never_answers_more_or_refuses_less():
    curve = refusal_curve(ROWS)
    answered = [p["answered"] for p in curve]
    refused = [p["refused"] for p in curve]
    assert answered == sorted(answered, reverse=True) and refused == sorted(refused)


def test_auc_ranks_found_answers_above_unanswerables_and_ties_count_half():
    # positives (answerable, gold found, answered): 0.9, 0.6; negatives: 0.7, 0.2, and -1 (refused anyway)
    assert confidence_auc(ROWS) == pytest.approx(5 / 6)
    tied = [_row(0, 0.5, True), _row(1, 0.5, False)]
    assert confidence_auc(tied) == 0.5
    assert confidence_auc([_row(0, 0.5, True)]) is None  # no unanswerable question: no AUC


def test_auc_interval_holds_the_auc():
    many = ROWS * 10
    many = [dict(r, id=f"{n}") for n, r in enumerate(many)]
    low, high = auc_interval(many, samples=300)
    assert low <= confidence_auc(many) <= high and low < high


def test_paired_difference_is_zero_for_the_same_reader_and_positive_for_a_better_ranking():
    assert paired_auc_difference(ROWS, ROWS, samples=200) == (0.0, 0.0, 0.0)
    better = [dict(r, confidence=0.05) if r["id"] == "3" else r for r in ROWS]  # the unanswerable 0.7 falls
    difference, low, high = paired_auc_difference(better, ROWS, samples=200)
    assert difference == pytest.approx(1 - 5 / 6, abs=1e-3)
    assert low <= difference <= high
    assert paired_auc_difference(ROWS, [dict(r, set="other") for r in ROWS]) is None  # no shared question


def test_the_table_marks_the_readers_own_threshold():
    header, rows = curve_table(refusal_curve(ROWS, (0.3, 0.545)), own=0.545)
    assert header[0] == "threshold" and len(header) == len(rows[0])
    assert [r[0] for r in rows] == ["0.3", "0.545 (own)"]
