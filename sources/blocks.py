"""Assemble a document's text from blocks (paragraphs, headings, table rows, list items), one line
each, recording where every heading sits. The loaders of structured formats all build text here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .document import Heading

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


@dataclass
class Parsed:
    """What a format reader returns: the text every offset points into, plus its metadata."""

    text: str
    title: str | None = None
    date: str | None = None
    page_starts: list[int] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # front matter: {"author": "HR", "tags": "leave, hr"}


class TextBuilder:
    """Blocks joined by a newline; a page break is a blank line. Runs of spaces are folded and
    line breaks inside a block become spaces, so a block is one line of text."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.headings: list[Heading] = []
        self.page_starts: list[int] = []
        self._pending = ""

    def block(self, text: str, heading_level: int | None = None) -> None:
        text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
        if not text:
            return
        if self._parts:
            self._append(self._pending or "\n")
        self._pending = ""
        start = self._length
        self._append(text)
        if heading_level is not None:
            self.headings.append(Heading(start, self._length, heading_level))

    def page(self) -> None:
        """Start a new page: the next block begins after a blank line and opens the page."""
        if self._parts:
            self._pending = "\n\n"
        self.page_starts.append(self._length + len(self._pending))

    def build(self, title: str | None = None, date: str | None = None) -> Parsed:
        """The text; a first heading that is the only one of the top level is the title (level 0),
        so it is not part of every section's path."""
        headings = list(self.headings)
        if headings and headings[0].level > 0:
            top = min(h.level for h in headings)
            if headings[0].level == top and sum(h.level == top for h in headings) == 1:
                headings[0] = Heading(headings[0].start, headings[0].end, 0)
        starts = [min(start, self._length) for start in self.page_starts]  # trailing pages without text
        return Parsed("".join(self._parts), title, date, starts, headings)

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)


def table_rows(rows: list[list[str]]) -> list[str]:
    """A table as readable sentences: with a header row, "Header: value; Header: value." per row.

    >>> table_rows([["Device", "Lock after"], ["Laptop", "5 minutes"]])
    ['Device: Laptop; Lock after: 5 minutes.']
    """
    rows = [[_SPACES.sub(" ", cell).strip() for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if len(rows) < 2 or not all(rows[0]):
        return [_sentence("; ".join(cell for cell in row if cell)) for row in rows]
    header, *body = rows
    return [_sentence("; ".join(f"{name}: {cell}" for name, cell in zip(header, row, strict=False) if cell))
            for row in body if any(row)]


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?" else text + "."
