"""Lexical evidence and answer spans on cases found by the HaluEval eval (dev/test failures)."""

from groundqa.evidence import missing_names, term_coverage
from groundqa.index.bm25 import BM25
from groundqa.spans import answer_type, best_span

BM25_OF_TWO = BM25(["USS Hopping (DE-155) was a destroyer escort.", "Planes is a 3D film."])


def test_part_of_a_hyphenated_code_counts_as_present():
    passage = 'USS "Hopping" (DE-155/APD-51), a destroyer escort of the United States Navy'
    assert term_coverage("155", passage, BM25_OF_TWO) == 1.0
    assert term_coverage("156", passage, BM25_OF_TWO) == 0.0


def test_a_name_span_never_starts_inside_a_word():
    question = "The film was executive produced by who?"
    sentence = "It is a 2014 American 3D computer-animated comedy film."
    span = best_span(sentence, question, answer_type(question))
    assert span is None or span.text not in {"D", "3D"}


def test_missing_names_are_the_ones_the_passage_never_mentions():
    assert missing_names("Did Kuleba meet Umerov?", "Rustem Umerov headed the delegation.") == {"kuleba"}
