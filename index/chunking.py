"""Sentence-aware chunking that records where every chunk and sentence sits in its source."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from groundqa.errors import ConfigurationError
from groundqa.sources import Document

from .sentences import MAX_SENTENCE_CHARS, sentence_spans


@dataclass(frozen=True)
class ChunkingSettings:
    max_words: int = 120
    overlap_sentences: int = 1
    max_sentence_chars: int = MAX_SENTENCE_CHARS  # a run of text with no sentence end is cut into pieces of this size

    def __post_init__(self):
        if self.max_words < 10:
            raise ConfigurationError(f"max_words must be at least 10. Currently, max_words is {self.max_words}")
        if self.overlap_sentences < 0:
            raise ConfigurationError(f"overlap_sentences must be >= 0. Currently, it is {self.overlap_sentences}")
        if self.max_sentence_chars < 100:
            raise ConfigurationError(f"max_sentence_chars must be at least 100. Currently, it is "
                                     f"{self.max_sentence_chars}")


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: consecutive sentences of one document.

    `text == document.text[start:end]`; `sentences` holds absolute (start, end) offsets.
    """

    id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    page: int | None = None
    date: str | None = None
    section: str | None = None  # heading path, e.g. "Travel policy › 4. Accommodation"

    @property
    def embedding_text(self) -> str:
        """What is embedded and BM25-indexed: the heading path, then the text (headings help
        retrieval; they are never cited)."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    @property
    def vector_id(self) -> int:
        """A positive int64 for FAISS, derived from the content-hash id."""
        return int(self.id[:15], 16)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**{**data, "sentences": tuple(tuple(s) for s in data["sentences"])})


def chunk_document(document: Document, settings: ChunkingSettings = ChunkingSettings()) -> list[Chunk]:
    """Split a document into overlapping sentence windows of at most `max_words` words, section by
    section: a chunk never crosses a heading, and headings are never part of a chunk's sentences
    (they name its section instead). A single sentence longer than `max_words` is a chunk of its own."""
    chunks = []
    for section in _sections(document, settings.max_sentence_chars):
        words = [len(document.text[s:e].split()) for s, e in section]
        first = 0
        while first < len(section):
            last, total = first, words[first]
            while last + 1 < len(section) and total + words[last + 1] <= settings.max_words:
                last += 1
                total += words[last]
            chunks.append(_make_chunk(document, section[first:last + 1]))
            if last + 1 >= len(section):
                break
            first = max(first + 1, last + 1 - settings.overlap_sentences)
    return chunks


def _sections(document: Document, max_sentence_chars: int) -> list[list[tuple[int, int]]]:
    """The document's sentence spans grouped by section, heading lines left out."""
    headings = document.heading_spans()
    groups: list[list[tuple[int, int]]] = [[]]
    for span in sentence_spans(document.text, max_sentence_chars):
        if any(start <= span[0] < end for start, end in headings):
            groups.append([])
            continue
        groups[-1].append(span)
    return [group for group in groups if group]


def _make_chunk(document: Document, spans: list[tuple[int, int]]) -> Chunk:
    start, end = spans[0][0], spans[-1][1]
    text = document.text[start:end]
    section = document.section_at(start)
    digest = hashlib.sha256(f"{document.source}\0{start}\0{section}\0{text}".encode()).hexdigest()
    return Chunk(
        id=digest[:32], source=document.source, title=document.title, text=text,
        start=start, end=end, sentences=tuple(spans), page=document.page_at(start), date=document.date,
        section=section,
    )
