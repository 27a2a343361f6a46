"""The result types of the public API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """One cited passage. Invariant: `read_text(source_root / source)[start:end] == quote`.

    `context_only` marks passages shown beside a refusal: the closest text found, not support.
    """

    number: int
    source: str
    title: str
    quote: str
    start: int
    end: int
    page: int | None
    score: float
    context_only: bool = False
    section: str | None = None  # heading path of the passage, e.g. "4. Accommodation"

    @property
    def location(self) -> str:
        """Where the quote is, for people: "policy.pdf, p. 2, § 4. Accommodation"."""
        parts = [self.source] + ([f"p. {self.page}"] if self.page else []) + \
            ([f"§ {self.section}"] if self.section else [])
        return ", ".join(parts)


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the citation numbers that support it. Answers are composed
    from claims, so every sentence carries its markers by construction."""

    text: str
    citations: tuple[int, ...]
    short: bool = False  # the short answer, shown as a paragraph of its own


@dataclass(frozen=True)
class Answer:
    """An answer with inline `[n]` markers that refer to `citations` by number; `text` is the
    rendering of `claims` (empty for a refusal)."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    short_answer: str | None = None
    standalone_question: str | None = None
    confidence: float = 0.0
    mode: str = "extractive"
    removed_sentences: list[str] = field(default_factory=list)  # LLM sentences that failed verification
    claims: list[Claim] = field(default_factory=list)
    reader: str = "lexical"  # the reader that chose the answer: "lexical" or the learned model's name and version
    warnings: list[str] = field(default_factory=list)  # e.g. a cited file changed after it was indexed

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return self.text
