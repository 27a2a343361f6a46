from groundqa.evals.refusal_sweep import without_answer


def test_withholding_removes_every_sentence_that_holds_the_answer_and_keeps_the_rest():
    knowledge = ("The Eiffel Tower is in Paris. It was finished in 1889. Gustave Eiffel's company built it. "
                 "In 1889 it opened for the World's Fair.")
    assert without_answer(knowledge, "1889") == "The Eiffel Tower is in Paris. Gustave Eiffel's company built it."
    assert without_answer(knowledge, "gustave eiffel") == ("The Eiffel Tower is in Paris. It was finished in 1889. "
                                                          "In 1889 it opened for the World's Fair.")


def test_an_answer_no_sentence_holds_cannot_be_withheld():
    assert without_answer("The Eiffel Tower is in Paris.", "London") is None


def test_halueval_paragraphs_joined_without_a_space_are_split_so_only_the_answer_sentence_goes():
    knowledge = "Arthur's Magazine was founded in 1844.First for Women is a woman's magazine."
    assert without_answer(knowledge, "1844") == "First for Women is a woman's magazine."


def test_refusal_is_reported_by_kind_at_each_threshold(capsys):
    from groundqa.evals.refusal_sweep import print_by_kind

    print_by_kind(["negation", "antonym", "negation"], [0.1, 0.6, 0.3], (0.2, 0.5))
    header, low, high = capsys.readouterr().out.splitlines()
    assert header.split("  ")[1:] == ["refused negation (2)", "refused antonym (1)"]  # in KINDS order
    assert low.split()[1:] == ["0.500", "0.000"]
    assert high.split()[1:] == ["1.000", "0.000"]
