"""Citation recall / precision (ALCE style) with the real lexical-entailment judge."""

import pytest

from groundqa import Answer, Citation
from groundqa.evals.grounding import citation_grounding
from groundqa.verify import GroundingJudge

MEDINSKY = "saw the Russian delegation led by Presidential Aide Vladimir Medinsky."
UMEROV = "The Ukrainian delegation was headed by the head of the Ministry of Defense of Ukraine, Rustem Umerov."
BODIES = "Russia also agreed to transfer 6,000 bodies of officers to Ukraine"


@pytest.fixture(scope="module")
def judge(bundled_assistant):
    return GroundingJudge(bundled_assistant.index, bundled_assistant.embedder)


def _citation(number, quote, context_only=False):
    return Citation(number, "istanbul-talks-2025-06.txt", "t", quote, 0, len(quote), None, 1.0, context_only)


def _answer(text, *quotes, refused=False):
    citations = [_citation(n, q, context_only=refused) for n, q in enumerate(quotes, start=1)]
    return Answer(question="q", text=text, citations=citations, refused=refused)


def test_supported_sentence_with_its_citation(judge):
    scores = citation_grounding(_answer("Vladimir Medinsky led the Russian delegation [1].", MEDINSKY), judge)
    assert scores["citation_recall"] == 1.0 and scores["citation_precision"] == 1.0
    assert scores["sentences"][0]["text"] == "Vladimir Medinsky led the Russian delegation."


def test_sentence_citing_the_wrong_passage_is_not_recalled(judge):
    scores = citation_grounding(_answer("Vladimir Medinsky led the Russian delegation [1].", BODIES), judge)
    assert scores["citation_recall"] == 0.0 and scores["citation_precision"] == 0.0


def test_swapped_entity_is_not_supported(judge):
    # the pre-tuning judge (0.6 coverage + 0.4 cosine >= 0.6) accepted this false sentence
    scores = citation_grounding(_answer("Medinsky led the Ukrainian delegation [1].", MEDINSKY), judge)
    assert scores["citation_recall"] == 0.0


def test_changed_number_is_not_supported(judge):
    scores = citation_grounding(_answer("Russia agreed to transfer 9,000 bodies of officers [1].", BODIES), judge)
    assert scores["citation_recall"] == 0.0


def test_irrelevant_extra_citation_halves_precision(judge):
    answer = _answer("Rustem Umerov headed the Ukrainian delegation [1][2].", UMEROV, BODIES)
    scores = citation_grounding(answer, judge)
    assert scores["citation_recall"] == 1.0
    assert scores["sentences"][0]["precise"] == [True, False] and scores["citation_precision"] == 0.5


def test_mixed_answer_scores_per_sentence(judge):
    answer = _answer("Rustem Umerov headed the Ukrainian delegation [1]. Medinsky signed a treaty in Paris [2].",
                     UMEROV, BODIES)
    scores = citation_grounding(answer, judge)
    assert [s["supported"] for s in scores["sentences"]] == [True, False]
    assert scores["citation_recall"] == 0.5


def test_answer_without_citations(judge):
    scores = citation_grounding(_answer("Medinsky led the Russian delegation."), judge)
    assert scores["citation_recall"] == 0.0 and scores["citation_precision"] is None


def test_marker_without_a_citation_supports_nothing(judge):
    scores = citation_grounding(_answer("Medinsky led the Russian delegation [3].", MEDINSKY), judge)
    assert scores["citation_recall"] == 0.0


def test_empty_answer_supports_nothing(judge):
    scores = citation_grounding(_answer(""), judge)
    assert scores == {"citation_recall": 0.0, "citation_precision": 0.0, "sentences": []}


def test_refusal_makes_no_claims_and_context_passages_are_not_judged(judge):
    scores = citation_grounding(_answer("The sources don't say.", MEDINSKY, refused=True), judge)
    assert scores == {"citation_recall": None, "citation_precision": None, "sentences": []}


def test_judge_answer_weighs_what_the_answer_adds_to_the_question(judge):
    question = "Who headed the Ukrainian delegation?"
    assert judge.judge_answer(question, "Rustem Umerov", [UMEROV]).supported
    assert not judge.judge_answer(question, "Dmytro Kuleba headed the Ukrainian delegation", [UMEROV]).supported
