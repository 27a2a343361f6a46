"""SQuAD 2.0-style unanswerable questions made from answerable dev ones: each kind changes what is
asked while the passage, and a plausible answer in it, stay."""

import random

from groundqa.evals.refusal_sweep import adversarial_questions
from groundqa.evals.training.adversarial import adversarial, antonymed, entity_swapped, negated, number_swapped

KNOWLEDGE = ("Gustave Eiffel's company built the tower in 1889. It was the tallest structure in the world until "
             "1930.Maurice Koechlin drew the first design.")


def test_negation_goes_after_the_first_auxiliary_or_before_a_leading_past_verb():
    assert negated("When was the tower built?") == "When was not the tower built?"
    assert negated("Who designed the tower?") == "Who never designed the tower?"
    assert negated("Which company built the tower?") == "Which company never built the tower?"
    assert negated("Where is it not allowed?") is None  # a double negation asks nothing
    assert negated("Why didn't it open?") is None
    assert negated("Name the architect.") is None


def test_an_antonym_the_knowledge_uses_would_keep_the_question_answerable_so_it_is_not_made():
    assert antonymed("Who drew the first design?", KNOWLEDGE) == "Who drew the last design?"
    assert antonymed("What was the tallest structure?", KNOWLEDGE) is None  # no opposite listed
    assert antonymed("Who drew the last design?", KNOWLEDGE) is None  # "first" is in the knowledge


def test_entity_swap_takes_another_name_from_the_same_knowledge_not_from_the_answer_sentence():
    asked = entity_swapped("What did Gustave Eiffel's company build in 1889?",
                           "Gustave Eiffel's company built the tower in 1889.", KNOWLEDGE, random.Random(0))
    assert asked == "What did Maurice Koechlin's company build in 1889?"  # "1930.Maurice" was split apart
    assert entity_swapped("What was built in 1889?", "The tower was built in 1889.", KNOWLEDGE,
                          random.Random(0)) is None


def test_number_swap_uses_a_year_the_knowledge_never_mentions_and_leaves_names_alone():
    asked = number_swapped("What was built in 1889?", KNOWLEDGE, random.Random(0))
    assert asked and asked != "What was built in 1889?"
    year = asked.split()[-1].rstrip("?")
    assert year.isdigit() and year not in KNOWLEDGE
    assert number_swapped("Who created 30 Rock?", "Tina Fey created 30 Rock.", random.Random(0)) is None


def test_every_kind_that_applies_is_made_and_none_repeats_the_question():
    made = dict(adversarial("Who drew the first design in 1889?", "Maurice Koechlin drew the first design.",
                            KNOWLEDGE, random.Random(0)))
    assert set(made) == {"negation", "antonym", "number-swap"}  # the question names nobody to swap
    assert "Who drew the first design in 1889?" not in made.values()


def test_the_sweep_makes_its_questions_only_from_single_hop_records():
    direct = {"question": "Which company built the tower in 1889?", "right_answer": "Gustave Eiffel's company",
              "knowledge": KNOWLEDGE}
    comparison = {"question": "Which was built first, the tower or the bridge?", "right_answer": "the tower",
                  "knowledge": KNOWLEDGE}
    made = adversarial_questions([direct, comparison], random.Random(0))
    assert made and all("tower in" in question for _, question in made)
