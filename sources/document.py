"""The `Document` type: one source file's normalised text plus its metadata."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Heading:
    """A heading inside `Document.text`: `text[start:end]` is its words; level 0 is the title."""

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class Document:
    """A loaded source file.

    `text` is the loader's normalised text (see `groundqa.sources.loaders`); every offset in the
    index points into it. `page_starts[i]` is the character offset where page `i + 1` begins (PDF
    only). `headings` are the section headings found in the text, in order: they give every
    passage its section and are never cited as evidence.
    """

    source: str  # path relative to the corpus root, with forward slashes
    title: str
    text: str
    date: str | None = None
    page_starts: tuple[int, ...] = field(default=())
    headings: tuple[Heading, ...] = field(default=())
    fields: tuple[tuple[str, str], ...] = field(default=())  # front matter, (name, value) pairs: filters read them

    def value_of(self, name: str) -> str | None:
        """A front-matter field's value ("leave, hr" for a list), or None."""
        return dict(self.fields).get(name)

    def page_at(self, offset: int) -> int | None:
        """1-based page number containing `offset`, or None when the format has no pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def section_at(self, offset: int) -> str | None:
        """The heading path above `offset` without the title level ("Equipment › Laptops"), or None.

        >>> text = "Guide\\nHours\\nOpen at 9.\\nCity offices\\nOpen at 8."
        >>> doc = Document("g.txt", "Guide", text, headings=(Heading(0, 5, 0), Heading(6, 11, 1),
        ...                                                 Heading(23, 35, 2)))
        >>> doc.section_at(text.index("Open at 8")), doc.section_at(0)
        ('Hours › City offices', None)
        """
        path: list[Heading] = []
        for heading in self.headings:
            if heading.start > offset:
                break
            while path and path[-1].level >= heading.level:
                path.pop()
            path.append(heading)
        names = [self.text[h.start:h.end] for h in path if h.level > 0]
        return SECTION_SEPARATOR.join(names) or None

    def heading_spans(self) -> set[tuple[int, int]]:
        return {(h.start, h.end) for h in self.headings}

    def to_row(self) -> dict:
        """A JSON-ready dict (the index's documents.jsonl); `from_row` reads it back."""
        return {"source": self.source, "title": self.title, "text": self.text, "date": self.date,
                "page_starts": list(self.page_starts),
                "headings": [[h.start, h.end, h.level] for h in self.headings], "fields": dict(self.fields)}

    @classmethod
    def from_row(cls, row: dict) -> Document:
        return cls(source=row["source"], title=row["title"], text=row["text"], date=row.get("date"),
                   page_starts=tuple(row.get("page_starts", ())),
                   headings=tuple(Heading(*h) for h in row.get("headings", ())),
                   fields=tuple(row.get("fields", {}).items()))
