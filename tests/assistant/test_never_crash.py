"""An answer never ends in a traceback: markers are attached to claims by construction, an answer that
fails its own check is withheld and logged, and an eval run survives a case that raises."""

import logging

from groundqa import Assistant
from groundqa.compose import render
from groundqa.errors import InternalError
from groundqa.evals import Case, evaluate
from groundqa.verify import sentences_cited, verify_answer


def test_a_quote_ending_in_a_parenthesis_is_cited_as_one_sentence(tmp_path, embedder):
    # The SQuAD passage that crashed the old composer: ".)." at the end, a second quote after it.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "primes.txt").write_text(
        "Several public-key cryptography algorithms, such as RSA and the Diffie–Hellman key exchange, are based "
        "on large prime numbers (for example, 512-bit primes are frequently used for RSA and 1024-bit primes are "
        "typical for Diffie–Hellman.). Prime numbers are used in public key cryptography algorithms.\n",
        encoding="utf-8")
    bot = Assistant(index_dir=tmp_path / "idx", sources=folder, embedder=embedder)
    answer = bot.ask("Which public-key cryptography algorithms are based on large prime numbers?")
    assert not answer.refused and answer.text == render(answer.claims)
    assert sentences_cited(answer.text, answer.citations, answer.refused)
    verify_answer(bot.index, answer)


def test_an_answer_failing_its_own_check_is_withheld_and_logged(bundled_assistant, monkeypatch, caplog):
    import groundqa.engine

    def failing(index, answer):
        raise InternalError("citation [1] does not match its source")

    monkeypatch.setattr(groundqa.engine, "verify_answer", failing)
    with caplog.at_level(logging.ERROR, logger="groundqa"):
        answer = bundled_assistant.ask("Who led the Russian delegation?")
    assert answer.refused and not answer.citations and "withheld" in answer.text
    assert any("failed verification" in r.getMessage() and r.exc_info for r in caplog.records)


def test_verification_rejects_a_claim_without_a_real_citation(bundled_assistant):
    from dataclasses import replace

    from groundqa.types import Claim

    answer = bundled_assistant.ask("Who led the Russian delegation?")
    broken = replace(answer, claims=answer.claims + [Claim("An extra sentence.", (7,))])
    try:
        verify_answer(bundled_assistant.index, broken)
    except InternalError as exc:
        assert "cites [7]" in str(exc)
    else:
        raise AssertionError("a claim citing a missing passage passed verification")


def test_an_eval_case_that_raises_is_a_failure_and_the_run_goes_on(bundled_assistant, monkeypatch, tmp_path):
    real_ask = Assistant.ask

    def ask(self, question, history=None, **kwargs):
        if "explode" in question:
            raise RuntimeError("boom")
        return real_ask(self, question, history, **kwargs)

    monkeypatch.setattr(Assistant, "ask", ask)
    cases = [Case("a", "Who led the Russian delegation?", ["Medinsky"], True),
             Case("b", "explode please", ["x"], True),
             Case("c", "How many bodies did Russia agree to transfer?", ["6,000"], True)]
    result = evaluate(cases, bundled_assistant)
    assert [row["id"] for row in result.rows] == ["a", "b", "c"]
    broken = result.rows[1]
    assert broken["error"] == 1.0 and broken["failures"] == ["raised RuntimeError: boom"]
    assert result.summary["run.errors"]["value"] == round(1 / 3, 4)
    assert result.summary["answer.contains"]["value"] == round(2 / 3, 4)
    from groundqa.evals.report import write_report

    write_report(result, tmp_path / "report")
    assert "raised RuntimeError: boom" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
