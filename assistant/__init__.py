"""groundqa: answers only from your documents, every citation checked against the source text.

The public API is `answer`, `Assistant`, `Answer`, `Citation` and `Settings`; the subpackages are
`groundqa.sources` (loaders), `groundqa.index` (chunking, embedding, FAISS), `groundqa.ui` (CLI and
chat window) and `groundqa.evals` (eval sets, metrics, reports). Names load on first use, so
`import groundqa` (and `groundqa --help`) stays instant.

>>> from groundqa import answer
>>> reply = answer("Who led the Russian delegation?")
>>> reply.short_answer, reply.citations[0].source, reply.refused
('Presidential Aide Vladimir Medinsky', 'istanbul-talks-2025-06.txt', False)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings
    from .engine import Assistant, default_index_dir
    from .types import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "Settings", "answer", "default_index_dir"]

_LAZY = {"Answer": ".types", "Citation": ".types", "Settings": ".config", "Assistant": ".engine",
         "default_index_dir": ".engine"}
_default: Assistant | None = None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'groundqa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def answer(question: str, history: list[tuple[str, str]] | None = None) -> Answer:
    """Answer from the bundled corpus (index built on first use); see `Assistant.ask`."""
    global _default
    if _default is None:
        from .engine import Assistant

        _default = Assistant()
    return _default.ask(question, history)
