"""Answers over the realistic office documents: whole sentences, sections shown, no heading or markup
cited, short answers that stand alone, and the citation invariant on the text as loaded."""

import re

import pytest

from groundqa import Assistant
from groundqa.sources import read_text
from tests.conftest import ROOT

REALISTIC = ROOT / "tests" / "data" / "realistic"
QUESTIONS = [
    ("How much are hotel costs reimbursed in North America?", "250 US dollars per night", "4. Accommodation"),
    ("How many weeks of paid leave do primary caregivers get?", "16 weeks", "Primary caregivers"),
    ("How long must passwords be?", "14 characters long", "Passwords"),
    ("Who must approve trips outside Europe?", "a Vice President", "2. Approval of travel"),
    ("Through which provider are hotels booked?", None, "4. Accommodation"),
    ("What is the daily meal allowance for international trips?", None, "5. Meals"),
    ("When does the Lisbon office open?", "7:30", "Opening times"),
    ("How often are monitors replaced?", None, "Equipment"),
    ("What are the core hours?", None, "Core hours"),
    ("Within how many days must expense reports be submitted?", "30 days", "6. Submitting expenses"),
]


@pytest.fixture(scope="module")
def office(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("office")
    return Assistant(index_dir=root / "index", sources=REALISTIC, embedder=embedder).warm_up()


@pytest.mark.parametrize("question, short, section", QUESTIONS)
def test_answers_from_every_format_are_whole_cited_sentences(office, question, short, section):
    answer = office.ask(question)
    assert not answer.refused, answer.text
    if short:
        assert answer.short_answer == short
    first = answer.citations[0]
    assert first.section == section and f"§ {section}" in first.location
    for citation in answer.citations:
        document = office.index.documents[citation.source]
        assert read_text(REALISTIC / citation.source)[citation.start:citation.end] == citation.quote
        assert citation.quote.rstrip()[-1] in ".!?", f"quote ends mid-sentence: {citation.quote!r}"
        assert "\n" not in citation.quote
        assert not any(h.start <= citation.start < h.end for h in document.headings), "a heading was cited"
    assert not re.search(r"\*\*|__|\]\(|^#", answer.text, re.M), "raw Markdown in the answer"


def test_a_summary_request_never_cites_the_title(office):
    answer = office.ask("Summarize the travel policy")
    titles = {"Travel and Expense Policy", "Office Guide", "Security Handbook", "Parental Leave"}
    assert not any(c.quote in titles for c in answer.citations)


def test_the_json_answer_names_the_section(office):
    data = office.ask("How many weeks of paid leave do primary caregivers get?").to_dict()
    assert data["citations"][0]["section"] == "Primary caregivers" and data["citations"][0]["page"] is None


def test_a_decomposed_document_answers_a_composed_question(tmp_path, embedder):
    """Text saved as NFD (macOS file names, some PDFs) and a question typed as NFC: the same words."""
    import unicodedata

    from groundqa import Assistant

    folder = tmp_path / "docs"
    folder.mkdir()
    text = ("Talks in Istanbul\n\nThe second round of talks was held at the Çırağan Palace in Istanbul on June 2. "
            "The Turkish host, Hakan Fidan, opened the meeting. Müller from Zürich attended as an observer.\n")
    (folder / "talks.txt").write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    bot = Assistant(sources=folder, embedder=embedder)
    where = bot.ask("Where was the second round of talks held?")
    assert unicodedata.normalize("NFC", where.short_answer or "") == "Çırağan Palace"  # not cut at the accent
    assert not bot.ask("What happened at the Çırağan Palace?").refused
    assert unicodedata.normalize("NFC", bot.ask("Who attended from Zürich?").short_answer or "") == "Müller"
    for answer in (where,):
        assert all((folder / c.source).read_text(encoding="utf-8")[c.start:c.end] == c.quote for c in answer.citations)


def test_a_long_line_without_punctuation_is_quoted_in_bounded_pieces(tmp_path, embedder):
    from groundqa import Assistant

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "log.txt").write_text("Long log\n\n" + " ".join(f"entry{i} value" for i in range(40000)) + "\n",
                                    encoding="utf-8")
    answer = Assistant(sources=folder, embedder=embedder).ask("What is the value of entry500?")
    assert answer.citations and max(len(c.quote) for c in answer.citations) <= 1000  # before: 417,828 characters
    assert all((folder / c.source).read_text(encoding="utf-8")[c.start:c.end] == c.quote for c in answer.citations)
