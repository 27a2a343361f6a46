"""The answer engine and public API.

>>> from assistant import answer
>>> reply = answer("Who led the Russian delegation?")
>>> print(reply.text)
Presidential Aide Vladimir Medinsky [1].
<BLANKLINE>
The Istanbul meeting, held on June 2 at the Çırağan Palace, saw the Russian delegation led by Presidential Aide Vladimir Medinsky [1].
"""

from sources import offline as _offline  # noqa: F401  (HF_HUB_OFFLINE before any model import)

from .config import Settings
from .engine import Assistant, default_index_dir
from .types import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "Settings", "answer", "default_index_dir"]

_default: Assistant | None = None


def answer(question: str, history: list[tuple[str, str]] | None = None) -> Answer:
    """Answer from the bundled corpus (index built on first use); see `Assistant.ask`."""
    global _default
    if _default is None:
        _default = Assistant()
    return _default.ask(question, history)
