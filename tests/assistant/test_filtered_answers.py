"""Answering from some documents only: every passage retrieved, read and cited comes from a
document the filter allows; a filter that allows none is one clear error."""

import pytest

from groundqa import Assistant
from groundqa.errors import InputError
from tests.conftest import ROOT

REALISTIC = ROOT / "tests" / "data" / "realistic"
QUESTIONS = ["How long must passwords be?", "How much are hotel costs reimbursed in Europe?",
             "How many weeks of paid leave do primary caregivers get?", "Where is the cafeteria?"]


@pytest.fixture(scope="module")
def office(tmp_path_factory, embedder):
    return Assistant(index_dir=tmp_path_factory.mktemp("filters") / "index", sources=REALISTIC,
                     embedder=embedder).warm_up()


@pytest.mark.parametrize("source", ["office-guide.docx", "parental-leave.html", "security-handbook.md",
                                    "travel-expense-policy.pdf"])
def test_every_passage_comes_from_an_allowed_document(office, source):
    for question in QUESTIONS:
        hits = office.retrieve(question, top_k=10, where=f"source={source}")
        assert hits and {hit.chunk.source for hit in hits} == {source}
        answer = office.ask(question, where=[f"source={source}"])
        assert {citation.source for citation in answer.citations} <= {source}


def test_the_answer_is_found_inside_the_filter_and_refused_outside_it(office):
    inside = office.ask("How long must passwords be?", where={"type": ["md", "pdf"]})
    assert not inside.refused and "14 characters" in inside.text
    outside = office.ask("How long must passwords be?", where="type=pdf")
    assert outside.refused and all(c.source.endswith(".pdf") for c in outside.citations)


def test_a_filter_no_document_matches_is_one_clear_error(office):
    with pytest.raises(InputError, match=r"no indexed document matches the filter type=xlsx \(4 documents indexed"):
        office.ask("How long must passwords be?", where="type=xlsx")
    with pytest.raises(InputError, match=r"matches the filter kind=pdf .*fields: source, type, title, date\)"):
        office.retrieve("How long must passwords be?", where="kind=pdf")  # a typo names the fields there are
