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


@dataclass(frozen=True)
class Answer:
    """An answer with inline `[n]` markers that refer to `citations` by number."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    short_answer: str | None = None
    standalone_question: str | None = None
    confidence: float = 0.0
    mode: str = "extractive"
    removed_sentences: list[str] = field(default_factory=list)  # LLM sentences that failed verification

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return self.text
