from groundqa.evals import BUNDLED_SETS, run_eval


def test_an_evaluation_starts_without_the_sentence_vectors_an_earlier_run_remembered(bundled_assistant, tmp_path):
    # Remembered vectors would make a second run's latency look better than a first run's.
    unrelated = "A sentence that no bundled question reads."
    bundled_assistant.embedder.embed_each([unrelated])
    one_case = tmp_path / "one.jsonl"
    one_case.write_text((BUNDLED_SETS / "istanbul.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n")
    result = run_eval(one_case, bundled_assistant)
    assert result.summary["answer.contains"]["value"] == 1.0
    assert unrelated not in bundled_assistant.embedder._remembered and bundled_assistant.embedder._remembered
