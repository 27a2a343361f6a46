"""Turn supporting sentences into answer text with inline [n] markers and numbered citations."""

from __future__ import annotations

import re

from groundqa.index import Index

from .reader import Sentence
from .types import Citation

REFUSAL_OPENING = "The sources don't say."
REFUSAL = (REFUSAL_OPENING + " I found no passage that answers “{question}”; "
           "the closest passages are listed for context only.")
_TRAILING = re.compile(r"([.!?…]+[\"'”’»)\]]*)$")


def with_marker(sentence: str, numbers: list[int]) -> str:
    """Place the markers before the sentence's closing punctuation: "… Medinsky [1]."."""
    markers = "".join(f"[{n}]" for n in numbers)
    body = sentence.strip()
    match = _TRAILING.search(body)
    if match:
        return f"{body[:match.start()].rstrip()} {markers}{match.group(1)}"
    return f"{body} {markers}."


def citation_for(index: Index, sentence: Sentence, number: int, context_only: bool = False) -> Citation:
    document = index.documents[sentence.source]
    return Citation(number=number, source=sentence.source, title=document.title, quote=sentence.text,
                    start=sentence.start, end=sentence.end, page=sentence.page, score=sentence.score,
                    context_only=context_only)


def extractive_text(short_answer: str | None, sentences: list[Sentence]) -> str:
    """Short answer first, then each supporting sentence, each carrying its citation number."""
    body = " ".join(with_marker(s.text, [i]) for i, s in enumerate(sentences, start=1))
    if short_answer:
        return f"{with_marker(short_answer, [1])}\n\n{body}"
    return body


def refusal_text(question: str) -> str:
    return REFUSAL.format(question=" ".join(question.split())[:200])
