"""Ratings given in the chat are kept locally and become an eval set that `groundqa eval` gates on."""

import json

import pytest

from groundqa.evals import run_eval
from groundqa.evals.feedback import export_cases, write_cases
from groundqa.feedback import Feedback, add_details, feedback_file, read_feedback, record_feedback
from groundqa.ui.app import rate_answer, respond
from groundqa.ui.cli import main
from groundqa.ui.render import is_sources, rated_turn


def chat(assistant, *questions, where=""):
    messages = []
    for question in questions:
        *_, (messages, _) = respond(question, messages, 5, "extractive", assistant, where)
    return messages


def test_a_rating_keeps_the_question_its_history_and_the_cited_passage(bundled_assistant):
    messages = chat(bundled_assistant, "Who led the Russian delegation?", "And who led the Ukrainian one?")
    sources_of_second = len(messages) - 1  # the rating can land on the sources message under the answer
    feedback = rate_answer(messages, sources_of_second, True, bundled_assistant)
    assert feedback.rating == "Like" and feedback.question == "And who led the Ukrainian one?"
    assert [q for q, _ in feedback.history] == ["Who led the Russian delegation?"]
    assert "Umerov" in feedback.short_answer and "[1]" in feedback.answer and "#gq-" not in feedback.answer
    cited = feedback.citations[0]
    text = (bundled_assistant.sources / cited["source"]).read_text(encoding="utf-8")
    assert text[cited["start"]:cited["end"]] == cited["quote"]
    assert [f.id for f in read_feedback()] == [feedback.id] and feedback_file().exists()
    again = rate_answer(messages, sources_of_second, True, bundled_assistant, previous=feedback)
    assert again is feedback and len(read_feedback()) == 1  # one click the browser sent twice is one rating
    changed = rate_answer(messages, sources_of_second, "Incomplete", bundled_assistant, previous=feedback)
    assert [f.rating for f in read_feedback()] == ["Like", "Incomplete"] and changed.id != feedback.id


def test_rated_turn_finds_no_answer_for_a_question_or_an_empty_chat():
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a [[1]](#gq-1-1)"}]
    assert rated_turn(messages, 1) == ("q", [], "a [[1]](#gq-1-1)")
    assert rated_turn(messages, 0) is None and rated_turn([], 3) is None


def test_exported_ratings_pass_when_behaviour_holds_and_fail_when_it_does_not(bundled_assistant, tmp_path):
    messages = chat(bundled_assistant, "Who led the Russian delegation?", "What is the capital of Peru?",
                    "Where was the Istanbul meeting held?")
    answers = [i for i, m in enumerate(messages) if m["role"] == "assistant" and not is_sources(m)]
    liked = rate_answer(messages, answers[0], True, bundled_assistant)
    refusal_liked = rate_answer(messages, answers[1], True, bundled_assistant)
    assert refusal_liked.refused and liked.short_answer
    wrong = rate_answer(messages, answers[2], "Should have refused", bundled_assistant)
    disliked = rate_answer(messages, answers[2], False, bundled_assistant)  # newer rating of the same question
    assert wrong and disliked
    cases, left_out = export_cases(read_feedback())
    assert len(cases) == 2 and len(left_out) == 1 and "no expected answer" in left_out[0]
    add_details(disliked.id, "Çırağan Palace", "it should name the palace")
    cases, left_out = export_cases(read_feedback())
    assert not left_out and [c["answerable"] for c in cases] == [True, False, True]
    assert cases[0]["answers"] == [liked.short_answer] and cases[0]["support"] == liked.citations[0]["quote"]
    result = run_eval(write_cases(cases, tmp_path / "fb.jsonl"), bundled_assistant)
    assert result.summary["answer.contains"]["value"] == 1.0 and result.summary["refusal.accuracy"]["value"] == 1.0

    record_feedback(Feedback("Should have refused", liked.question, liked.history, liked.answer, False,
                             index=liked.index))
    cases, _ = export_cases(read_feedback())  # the newest rating wins: now this answer is wrong
    result = run_eval(write_cases(cases, tmp_path / "fb.jsonl"), bundled_assistant)
    assert result.summary["refusal.accuracy"]["value"] < 1.0


def test_a_rating_under_a_documents_filter_becomes_a_case_under_that_filter(corpus, embedder, tmp_path):
    from groundqa import Assistant

    bot = Assistant(index_dir=tmp_path / "index", sources=corpus, embedder=embedder)
    question = "Where does the Rhine rise?"
    kept = [rate_answer(chat(bot, question, where=where), 1, True, bot, where=where)
            for where in ("source=rivers.txt", "type=md")]
    assert [(f.where, f.refused) for f in kept] == [("source=rivers.txt", False), ("type=md", True)]
    assert kept[0].short_answer == "Swiss Alps" and kept[0].citations[0]["source"] == "rivers.txt"
    cases, left_out = export_cases(read_feedback())
    assert not left_out and [(c["where"], c["answerable"]) for c in cases] == [("source=rivers.txt", True),
                                                                            ("type=md", False)]
    result = run_eval(write_cases(cases, tmp_path / "fb.jsonl"), bot)
    assert result.summary["answer.contains"]["value"] == 1.0 and result.summary["refusal.accuracy"]["value"] == 1.0
    unfiltered = [{k: v for k, v in case.items() if k != "where"} for case in cases]
    result = run_eval(write_cases(unfiltered, tmp_path / "plain.jsonl"), bot)
    assert result.summary["refusal.accuracy"]["value"] == 0.5  # asked over every document, it is answered


def test_feedback_file_survives_broken_lines_and_unknown_ratings_are_refused(tmp_path):
    path = tmp_path / "feedback.jsonl"
    record_feedback(Feedback("Incomplete", "q", [], "a", False), path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("{not json\n" + "[" * 100_000 + "\n" + json.dumps({"id": "orphan", "note": "x"}) + "\n")
        handle.write(json.dumps({"id": "odd", "rating": "Like", "question": "q", "history": "not a list",
                                 "answer": "a", "refused": False, "citations": {"x": 1}}) + "\n")
    assert [f.rating for f in read_feedback(path)] == ["Incomplete"]
    with pytest.raises(ValueError, match="unknown rating"):
        record_feedback(Feedback("Meh", "q", [], "a", False), path)


def test_cli_exports_the_ratings_and_says_what_it_left_out(tmp_path, capsys):
    assert main(["feedback", "export", "--out", str(tmp_path / "set.jsonl")]) == 2
    assert "no ratings" in capsys.readouterr().err
    record_feedback(Feedback("Should have refused", "What is the capital of Peru?", [], "Lima [1].", False))
    record_feedback(Feedback("Wrong passage", "Who?", [], "X [1].", False))
    assert main(["feedback", "export", "--out", str(tmp_path / "set.jsonl")]) == 0
    out = capsys.readouterr()
    assert "1 cases from 2 ratings" in out.out and "left out: Wrong passage" in out.err
    rows = [json.loads(line) for line in (tmp_path / "set.jsonl").read_text().splitlines()]
    assert rows == [{"id": "fb-001", "question": "What is the capital of Peru?", "answers": [], "answerable": False}]
