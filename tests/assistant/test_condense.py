"""Follow-ups become standalone questions, in the phrasings people use."""

import pytest

from groundqa.condense import condense, is_follow_up

RUSSIAN = ("Who led the Russian delegation?", "Presidential Aide Vladimir Medinsky [1].\n\nThe Istanbul meeting … "
           "saw the Russian delegation led by Presidential Aide Vladimir Medinsky [1].")
PLACE = ("Where was the Istanbul meeting held?", "Çırağan Palace [1].")
HOTEL = ("How much are hotel costs reimbursed in Europe?", "180 US dollars per night [1].")
LEAVE = ("How many weeks of paid leave do primary caregivers get?", "16 weeks [1].")
OFFICE = ("When does the Lisbon office open?", "7:30 [1].")
PASSWORDS = ("How long must passwords be?", "14 characters long [1].")
MEALS = ("What is the daily meal allowance for domestic trips?", "60 US dollars [1].")
UKRAINE = ("Who led the Ukrainian delegation?", "Ministry of Defense of Ukraine, Rustem Umerov [1].")


@pytest.mark.parametrize("history, follow_up, standalone", [
    ([RUSSIAN], "and the Ukrainian one?", "Who led the Ukrainian delegation?"),
    ([RUSSIAN], "And who led the Ukrainian one?", "Who led the Ukrainian delegation?"),
    ([RUSSIAN], "What about the Ukrainian delegation?", "Who led the Ukrainian delegation?"),
    ([RUSSIAN], "How about the Chinese one?", "Who led the Chinese delegation?"),
    ([PLACE], "When was that?", "When was the Istanbul meeting held?"),
    ([PLACE], "and when?", "When was the Istanbul meeting held?"),
    ([PLACE], "And the one in Geneva?", "Where was the meeting in Geneva held?"),
    ([HOTEL], "and in North America?", "How much are hotel costs reimbursed in North America?"),
    ([HOTEL], "What about North America?", "How much are hotel costs reimbursed in North America?"),
    ([LEAVE], "what about secondary caregivers?", "How many weeks of paid leave do secondary caregivers get?"),
    ([LEAVE], "and secondary ones?", "How many weeks of paid leave do secondary caregivers get?"),
    ([MEALS], "and for international ones?", "What is the daily meal allowance for international trips?"),
    ([OFFICE], "When does it close?", "When does the Lisbon office close?"),
    ([OFFICE], "and the cafeteria?", "When does the cafeteria open?"),
    ([PASSWORDS], "How often are they changed?", "How often are passwords changed?"),
    ([UKRAINE], "Which ministry does he head?", "Which ministry does Rustem Umerov head?"),
    ([RUSSIAN, ("and the Ukrainian one?", UKRAINE[1])], "Which ministry does he head?",
     "Which ministry does Rustem Umerov head?"),
    ([("How soon must a lost device be reported?", "2 hours [1].")], "To whom?",
     "To whom must a lost device be reported?"),
])
def test_follow_ups_become_standalone(embedder, history, follow_up, standalone):
    from groundqa.engine import _short_answer_of

    assert condense(follow_up, history, embedder, _short_answer_of(history)) == standalone


@pytest.mark.parametrize("question", ["Who chaired the Istanbul meeting on June 2?",
                                      "What did Ukraine submit at the talks in Istanbul?"])
def test_standalone_questions_are_left_alone(embedder, question):
    assert not is_follow_up(question)
    assert condense(question, [RUSSIAN], embedder) == question


def test_the_answer_shows_how_the_question_was_understood(bundled_assistant):
    first = bundled_assistant.ask("Who led the Russian delegation?")
    follow_up = bundled_assistant.ask("and the Ukrainian one?", [(first.question, first.text)])
    assert follow_up.standalone_question == "Who led the Ukrainian delegation?"
    assert "Umerov" in follow_up.short_answer
    refused = bundled_assistant.ask("and the Chinese one?", [(first.question, first.text)])
    assert refused.refused and "Who led the Chinese delegation?" in refused.text
