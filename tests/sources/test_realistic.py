"""Realistic office documents (tests/data/realistic, made by make_documents.py) load as a person reads
them: whole paragraphs, headings as sections, no markup, no page furniture."""

import re

import pytest

from groundqa.sources import load, read_text
from tests.conftest import ROOT

REALISTIC = ROOT / "tests" / "data" / "realistic"


def headings(document) -> list[tuple[str, int]]:
    return [(document.text[h.start:h.end], h.level) for h in document.headings]


def test_pdf_paragraphs_are_whole_and_pages_exact():
    document = load(REALISTIC / "travel-expense-policy.pdf")
    lines = document.text.split("\n")
    # wrapped lines joined, hyphenation at a line end undone
    assert ("Hotels are booked through the provider Springway Travel so that the company can reach every "
            "traveller in an emergency.") in document.text
    assert "contractors who travel" in document.text and "con-" not in document.text
    assert "Travel that has not been approved is not reimbursed." in lines  # a paragraph of its own
    assert headings(document)[:3] == [("Travel and Expense Policy", 0), ("1. Purpose", 2),
                                      ("2. Approval of travel", 2)]
    page_two = document.page_starts[1]
    assert document.text[page_two:].startswith("6. Submitting expenses")
    assert document.text[page_two - 2:page_two] == "\n\n"
    assert document.page_at(document.text.index("Expense reports must")) == 2
    assert document.page_at(document.text.index("Hotel costs")) == 1
    assert document.section_at(document.text.index("Hotel costs")) == "4. Accommodation"


def test_docx_headings_tables_and_order():
    document = load(REALISTIC / "office-guide.docx")
    assert headings(document) == [("Office Guide", 0), ("Core hours", 1), ("Opening times", 1), ("Remote work", 1),
                                  ("Equipment", 1), ("Learning budget", 1)]
    row = "Item: Monitor; Allowance: two 27-inch monitors; Replaced: every five years."
    assert row in document.text.split("\n")
    assert document.text.index(row) < document.text.index("Each employee has a learning budget")  # in place
    assert document.section_at(document.text.index(row)) == "Equipment"


def test_markdown_is_read_as_rendered_text():
    document = load(REALISTIC / "security-handbook.md")
    assert not re.search(r"\*\*|__|^#|\]\(|\|", document.text, re.M)
    assert "Passwords must be at least 14 characters long and are changed every 12 months." in document.text
    assert "Use the company password manager, Vaultkeeper." in document.text  # link text kept, URL dropped
    assert "Device: Phone; Encryption: required; Screen lock after: 1 minute." in document.text
    assert document.title == "Security Handbook"
    assert headings(document) == [("Security Handbook", 0), ("Passwords", 2), ("Devices", 2), ("Incidents", 2)]


def test_html_keeps_the_content_and_drops_the_page_furniture():
    document = load(REALISTIC / "parental-leave.html")
    for furniture in ("Log in", "All rights reserved", "analytics", "console.log", "Sick leave", "HR policies"):
        assert furniture not in document.text
    assert "Primary caregivers receive 16 weeks of fully paid leave." in document.text
    assert ("Primary caregivers", 2) in headings(document)
    assert document.section_at(document.text.index("Secondary caregivers receive")) == "Secondary caregivers"


@pytest.mark.parametrize("name", ["travel-expense-policy.pdf", "office-guide.docx", "security-handbook.md",
                                  "parental-leave.html"])
def test_every_heading_is_a_line_of_its_own(name):
    document = load(REALISTIC / name)
    assert document.headings
    for heading in document.headings:
        before, after = document.text[heading.start - 1:heading.start], document.text[heading.end:heading.end + 1]
        assert before in ("", "\n") and after in ("", "\n")
    assert read_text(REALISTIC / name) == document.text


def test_plain_text_headings_are_short_lines_between_blank_lines(tmp_path):
    path = tmp_path / "notes.txt"
    text = "Opening times\n\nThe office opens at 8.\n\nA sentence that ends.\nNot a heading\n"
    path.write_text(text, encoding="utf-8")
    document = load(path)
    assert headings(document) == [("Opening times", 1)]
    assert document.text == path.read_text(encoding="utf-8")  # plain text stays byte-exact
