import math

import pytest

from groundqa.evals.metrics import contains_gold, exact_match, retrieval_scores, token_f1


def test_answer_metrics_use_squad_normalisation():
    assert exact_match("The Çırağan Palace.", ["Çırağan Palace"]) == 1.0
    assert exact_match("Çırağan", ["Çırağan Palace"]) == 0.0
    assert token_f1("Presidential Aide Vladimir Medinsky", ["Vladimir Medinsky"]) == pytest.approx(2 * 0.5 / 1.5)
    assert token_f1("Medinsky", ["Umerov", "Vladimir Medinsky"]) == pytest.approx(2 * 0.5 / 1.5)  # best alias
    assert contains_gold("It was June 2.", ["June 2"]) == 1.0
    assert contains_gold("June 21", ["June 2"]) == 0.0


def test_empty_answer_scores_zero():
    assert exact_match("", ["x"]) == 0.0
    assert token_f1("", ["x"]) == 0.0
    assert contains_gold("", ["x"]) == 0.0


def test_retrieval_scores_first_relevant_at_rank_two():
    scores = retrieval_scores([False, True, False, True], relevant_total=2)
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == scores["hit@5"] == scores["hit@10"] == 1.0
    assert scores["mrr"] == 0.5 and scores["first_relevant_rank"] == 2
    ideal = 1 + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_retrieval_scores_nothing_relevant_retrieved():
    scores = retrieval_scores([False] * 10, relevant_total=3)
    assert scores["mrr"] == scores["ndcg@10"] == scores["hit@10"] == 0.0
    assert scores["first_relevant_rank"] is None


def test_retrieval_scores_relevant_beyond_ten_does_not_count():
    scores = retrieval_scores([False] * 10 + [True], relevant_total=1)
    assert scores["hit@10"] == 0.0 and scores["ndcg@10"] == 0.0 and scores["mrr"] == pytest.approx(1 / 11)


def test_perfect_ranking_has_ndcg_one():
    assert retrieval_scores([True, True, False], relevant_total=2)["ndcg@10"] == pytest.approx(1.0)
