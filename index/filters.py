"""Metadata filters: which documents a question may be answered from.

A filter is a list of conditions, `field OP value`, on a document's source path, type, title,
date or any field of a Markdown file's front matter ("author=HR*"; a list field matches when one
of its items does). Conditions on different fields must all hold; several `=` conditions on one
field are alternatives ("type=pdf", "type=docx": either):

    >>> from groundqa.sources import Document
    >>> where = parse_where(["source=policies/*", "type=pdf", "type=docx", "date>=2025-01"])
    >>> where.allows(Document("policies/leave.pdf", "Leave", "…", date="2025-03-01"))
    True
    >>> where.allows(Document("policies/leave.md", "Leave", "…", date="2025-03-01"))
    False
    >>> str(where)
    'source=policies/* type=pdf type=docx date>=2025-01'
    >>> parse_where("tags=leave").allows(Document("a.md", "A", "…", fields=(("tags", "hr, leave"),)))
    True
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from groundqa.errors import InputError
from groundqa.sources import Document

FIELDS = ("source", "type", "title", "date")
_CONDITION = re.compile(r"^\s*(?P<field>[a-z_][\w-]*)\s*(?P<op>>=|<=|=|>|<)\s*(?P<value>.*?)\s*$", re.S | re.I)
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value}"


@dataclass(frozen=True)
class Where:
    conditions: tuple[Condition, ...]

    def allows(self, document: Document) -> bool:
        for field in {c.field for c in self.conditions}:
            mine = [c for c in self.conditions if c.field == field]
            alternatives = [c for c in mine if c.op == "="]
            if alternatives and not any(_holds(c, document) for c in alternatives):
                return False
            if not all(_holds(c, document) for c in mine if c.op != "="):
                return False
        return True

    def __str__(self) -> str:
        return " ".join(str(c) for c in self.conditions)


WhereLike = str | Iterable[str] | Mapping[str, str | Iterable[str]] | Where | None


def parse_where(where: WhereLike) -> Where | None:
    """A `Where` from "field=value" strings (or one such string), or a mapping of field to value(s),
    where a date value may start with an operator: {"type": ["pdf", "docx"], "date": ">=2025"}.
    None or nothing: no filter. A condition that cannot work is an InputError naming it."""
    if where is None or isinstance(where, Where):
        return where
    if isinstance(where, str):
        texts = [where]
    elif isinstance(where, Mapping):
        texts = [_joined(str(field), str(value)) for field, values in where.items()
                 for value in (values if isinstance(values, list | tuple | set) else [values])]
    elif isinstance(where, list | tuple | set):
        texts = [str(text) for text in where]
    else:
        raise InputError(f"a filter is text like 'type=pdf', a list of such texts or a mapping; "
                         f"currently, it is {type(where).__name__}")
    conditions = tuple(_condition(text) for text in texts if str(text).strip())
    return Where(conditions) if conditions else None


def split_conditions(text: str) -> list[str]:
    """Conditions typed on one line, separated by spaces or commas; quote a value with spaces:

    >>> split_conditions('type=pdf, "source=Board minutes/*"')
    ['type=pdf', 'source=Board minutes/*']
    """
    try:
        parts = shlex.split(text or "")
    except ValueError as exc:
        raise InputError(f"cannot read the filter {text!r} ({exc})") from None
    return [piece for part in parts for piece in part.split(",") if piece.strip()]


def _joined(field: str, value: str) -> str:
    return f"{field}{value}" if re.match(r"\s*(?:>=|<=|=|>|<)", str(value)) else f"{field}={value}"


def _condition(text: str) -> Condition:
    match = _CONDITION.match(str(text))
    if not match:
        raise InputError(f"cannot read the filter {text!r}: write field=value (fields: {', '.join(FIELDS)}), "
                         f"e.g. source=policies/* or date>=2025-01-01")
    field, op, value = match["field"].lower(), match["op"], match["value"]  # any other field: front matter
    if not value:
        raise InputError(f"the filter {text!r} has no value")
    if field == "date":
        if not _DATE.match(value):
            raise InputError(f"the date in the filter {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    elif op != "=":
        raise InputError(f"the filter {text!r} compares {field} with {op!r}; only dates take < <= > >=")
    if field == "type":
        value = value.lstrip(".").lower()
    return Condition(field, op, value)


def _holds(condition: Condition, document: Document) -> bool:
    value = condition.value
    if condition.field == "source":
        return fnmatchcase(document.source, value)
    if condition.field == "type":
        return PurePosixPath(document.source).suffix.lstrip(".").lower() == value
    if condition.field == "title":
        return fnmatchcase(document.title.casefold(), value.casefold())
    if condition.field != "date":
        found = document.value_of(condition.field)
        return found is not None and any(fnmatchcase(v.strip().casefold(), value.casefold())
                                         for v in [found, *found.split(",")])
    date = document.date
    if not date:
        return False  # a document with no date matches no date condition
    # partial dates: "2025" covers all of 2025, so "<=2025" keeps 2025-06 and "=2025" is a prefix
    return {"=": date.startswith(value), ">=": date >= value, ">": date > value + "\uffff",
            "<=": date <= value + "\uffff", "<": date < value}[condition.op]
