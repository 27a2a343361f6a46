"""RAGTruth-style judging: sentences overlapping a marked span are the hallucinations to catch."""

import json

from groundqa.evals.ragtruth import _scores, judge_ragtruth, passages_of


class KeywordJudge:
    """Supports a claim exactly when the passages contain its first word (deterministic)."""

    threshold = 0.5
    description = "keyword"

    def judge(self, claim, passages):
        from groundqa.verify import Judgement

        ok = claim.split()[0].lower() in " ".join(passages).lower()
        return Judgement(ok, float(ok), float(ok), True)


RECORDS = [
    {"passages": "passage 1:Paris is the capital of France.\n\npassage 2:Berlin is in Germany.",
     "response": "Paris is the capital. Lyon is the capital.", "hallucination_spans": [{"start": 22, "end": 43}]},
    {"passages": "passage 1:Water boils at 100 degrees.", "response": "Water boils at 100 degrees.",
     "hallucination_spans": []},
]


def test_passages_are_split_at_their_labels():
    assert passages_of(RECORDS[0]) == ["Paris is the capital of France.", "Berlin is in Germany."]


def test_response_and_sentence_level_scores():
    result = judge_ragtruth(RECORDS, KeywordJudge())
    sentence, response = result["sentence_level"], result["response_level"]
    assert result["sentences"] == 3 and sentence["positives"] == 1
    assert sentence["precision"]["value"] == sentence["recall"]["value"] == 1.0
    assert response["n"] == 2 and response["f1"]["value"] == 1.0
    assert json.dumps(result)  # plain data for summary.json


def test_f1_with_a_miss_and_a_false_alarm():
    scores = _scores([(True, True), (True, False), (False, True), (False, False)])
    assert scores["precision"]["value"] == scores["recall"]["value"] == scores["f1"]["value"] == 0.5
    assert scores["f1"]["low"] <= 0.5 <= scores["f1"]["high"]
