"""The `Document` type: one source file's normalised text plus its metadata."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A loaded source file.

    `text` is the loader's normalised text; every offset in the index points into it.
    `page_starts[i]` is the character offset where page `i + 1` begins (PDF only).
    """

    source: str  # path relative to the corpus root, with forward slashes
    title: str
    text: str
    date: str | None = None
    page_starts: tuple[int, ...] = field(default=())

    def page_at(self, offset: int) -> int | None:
        """1-based page number containing `offset`, or None when the format has no pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))
