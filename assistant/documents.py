"""What the index holds, document by document: the live list behind `Assistant.documents()`,
`groundqa docs` and the chat's documents panel."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from groundqa.index import Index


@dataclass(frozen=True)
class DocumentStatus:
    source: str  # path relative to the corpus root, as citations name it
    title: str
    chunks: int
    pages: int | None  # None for formats without pages
    indexed: str | None  # UTC time the build read this version; None for indexes built before it was kept
    date: str | None = None  # the document's own date (metadata or file name), what `where` date filters match
    fields: dict[str, str] = field(default_factory=dict)  # a Markdown file's front matter, which filters also match

    @property
    def indexed_at(self) -> str:
        """When, for people: "2026-11-29 21:00" (UTC), or "–"."""
        return self.indexed.replace("T", " ")[:16] if self.indexed else "–"

    def to_dict(self) -> dict:
        return asdict(self)


def document_statuses(index: Index) -> list[DocumentStatus]:
    """Every document of `index`, sorted by source.

    >>> from types import SimpleNamespace
    >>> index = SimpleNamespace(documents={"a.pdf": SimpleNamespace(title="A", date=None, fields=())},
    ...                         chunks_per_source={"a.pdf": 3},
    ...                         manifest={"files": {"a.pdf": {"pages": 2, "indexed": "2026-11-29T21:00:00Z"}}})
    >>> document_statuses(index)[0]
    DocumentStatus(source='a.pdf', title='A', chunks=3, pages=2, indexed='2026-11-29T21:00:00Z', date=None, fields={})
    """
    files = index.manifest.get("files", {})
    counts = index.chunks_per_source
    return [DocumentStatus(source, document.title, counts.get(source, 0), files.get(source, {}).get("pages") or None,
                           files.get(source, {}).get("indexed"), document.date, dict(document.fields))
            for source, document in sorted(index.documents.items())]
