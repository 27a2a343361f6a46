"""Metadata filters: what each condition keeps, how conditions combine, and one-line errors."""

import pytest

from groundqa.errors import InputError
from groundqa.index import parse_where
from groundqa.index.filters import split_conditions
from groundqa.sources import Document


def doc(source, title="T", date=None, **fields):
    return Document(source, title, "text", date=date, fields=tuple(fields.items()))


DOCUMENTS = [doc("policies/leave.pdf", "Parental leave", "2025-03-01"),
             doc("policies/it.md", "Security", "2024", owner="IT Security", tags="passwords, devices"),
             doc("minutes/2025-06.docx", "Board minutes", "2025-06"), doc("notes.txt", "Notes", owner="HR")]


def kept(where):
    parsed = parse_where(where)
    return [d.source for d in DOCUMENTS if parsed.allows(d)]


@pytest.mark.parametrize(("where", "expected"), [
    ("source=policies/*", ["policies/leave.pdf", "policies/it.md"]),
    ("Type=.PDF", ["policies/leave.pdf"]),
    (["type=pdf", "type=docx"], ["policies/leave.pdf", "minutes/2025-06.docx"]),  # one field twice: either
    (["source=policies/*", "type=md"], ["policies/it.md"]),  # two fields: both
    ("title=*LEAVE*", ["policies/leave.pdf"]),
    ("date=2025", ["policies/leave.pdf", "minutes/2025-06.docx"]),
    ("date>=2025-04", ["minutes/2025-06.docx"]),
    ("date<2025", ["policies/it.md"]),
    ("date<=2025", ["policies/leave.pdf", "policies/it.md", "minutes/2025-06.docx"]),  # all of 2025 is <= 2025
    ("date>2024", ["policies/leave.pdf", "minutes/2025-06.docx"]),
    ("owner=it*", ["policies/it.md"]),  # front matter: globs, any case
    ("Owner=hr", ["notes.txt"]),
    ("tags=devices", ["policies/it.md"]),  # a list matches when one item does
    ("tags=passwords, devices", ["policies/it.md"]),  # or as a whole
    (["owner=HR", "owner=IT*"], ["policies/it.md", "notes.txt"]),
    ("reviewer=anyone", []),  # a field no document has keeps none
    (["date>=2025", "date<2025-06"], ["policies/leave.pdf"]),  # a range
    ({"type": ["pdf", "txt"], "date": ">=2025"}, ["policies/leave.pdf"]),  # undated notes.txt fails the date
    ({"date": 2024}, ["policies/it.md"]),  # a number is read as the text it prints
])
def test_conditions_keep_the_documents_they_name(where, expected):
    assert kept(where) == expected


def test_no_filter_is_none():
    assert parse_where(None) is None and parse_where([]) is None and parse_where("  ") is None


@pytest.mark.parametrize(("where", "message"), [
    ("colour>red", "compares colour with '>'; only dates take"),
    ("1st=x", "cannot read the filter '1st=x'"),
    ("type", "cannot read the filter 'type'"),
    ("type=", "has no value"),
    ("date>=June", "not YYYY, YYYY-MM or YYYY-MM-DD"),
    ("source>=a", "only dates take"),
])
def test_a_filter_that_cannot_work_is_one_clear_error(where, message):
    with pytest.raises(InputError, match=message) as error:
        parse_where(where)
    assert "\n" not in str(error.value)


def test_a_filter_of_the_wrong_type_is_one_clear_error():
    with pytest.raises(InputError, match="a filter is text like 'type=pdf'.*currently, it is int"):
        parse_where(2025)


def test_a_typed_line_splits_on_spaces_and_commas_and_keeps_quoted_values():
    assert split_conditions("type=pdf, date>=2025 'source=Board minutes/*'") == [
        "type=pdf", "date>=2025", "source=Board minutes/*"]
    with pytest.raises(InputError, match="cannot read the filter"):
        split_conditions('source="open')
