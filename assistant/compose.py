"""Compose answers from claims: each claim is a sentence with its citation numbers, so the text's
[n] markers are attached to source sentences by construction, never found by re-splitting text."""

from __future__ import annotations

import re

from groundqa.index import Index

from .reader import Sentence
from .types import Answer, Citation, Claim

REFUSAL_OPENING = "The sources don't say."
REFUSAL = (REFUSAL_OPENING + " I found no passage that answers “{question}”; "
           "the closest passages are listed for context only.")
UNVERIFIED = ("The sources don't say for certain. An answer was found but failed groundqa's own citation check, "
              "so it is withheld; the failure was logged.")
_TRAILING = re.compile(r"([.!?…]+[\"'”’»)\]]*)$")


def with_marker(sentence: str, numbers: list[int] | tuple[int, ...]) -> str:
    """Place the markers before the sentence's closing punctuation: "… Medinsky [1]."."""
    markers = "".join(f"[{n}]" for n in numbers)
    body = sentence.strip()
    match = _TRAILING.search(body)
    if match:
        return f"{body[:match.start()].rstrip()} {markers}{match.group(1)}"
    return f"{body} {markers}."


def render(claims: list[Claim]) -> str:
    """The answer text: the short answer as its own paragraph, then the supporting sentences."""
    short = [with_marker(c.text, c.citations) for c in claims if c.short]
    body = " ".join(with_marker(c.text, c.citations) for c in claims if not c.short)
    return "\n\n".join(part for part in (" ".join(short), body) if part)


def citation_for(index: Index, sentence: Sentence, number: int, context_only: bool = False) -> Citation:
    document = index.documents[sentence.source]
    return Citation(number=number, source=sentence.source, title=document.title, quote=sentence.text,
                    start=sentence.start, end=sentence.end, page=sentence.page, score=sentence.score,
                    context_only=context_only, section=document.section_at(sentence.start))


def extractive_answer(question: str, standalone: str, index: Index, sentences: list[Sentence],
                      short_answer: str | None, confidence: float) -> Answer:
    """Short answer first (citing the sentence it was taken from), then each supporting sentence."""
    citations = [citation_for(index, s, i) for i, s in enumerate(sentences, start=1)]
    claims = ([Claim(short_answer, (1,), short=True)] if short_answer else []) + \
        [Claim(s.text, (i,)) for i, s in enumerate(sentences, start=1)]
    return Answer(question=question, text=render(claims), citations=citations, refused=False,
                  short_answer=short_answer, standalone_question=standalone, confidence=confidence,
                  mode="extractive", claims=claims)


def generated_answer(question: str, standalone: str, index: Index, kept: list[tuple[str, list[Sentence]]],
                     removed: list[str]) -> Answer:
    """An LLM answer: each kept sentence cites the passages that support it, numbered in order."""
    numbers: dict[tuple[str, int], int] = {}
    citations = []
    for _, support in kept:
        for sentence in support:
            key = (sentence.source, sentence.start)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(citation_for(index, sentence, numbers[key]))
    claims = [Claim(text, tuple(numbers[(s.source, s.start)] for s in support)) for text, support in kept]
    confidence = min(s.score for _, support in kept for s in support)
    return Answer(question=question, text=render(claims), citations=citations, refused=False,
                  standalone_question=standalone, confidence=round(confidence, 4), mode="llm",
                  removed_sentences=removed, claims=claims)


def refusal(question: str, standalone: str, index: Index, closest: list[Sentence], confidence: float,
            mode: str) -> Answer:
    """The sources don't say (quoting the question as understood, follow-ups resolved); the closest
    passages are listed as context only."""
    citations = [citation_for(index, s, i, context_only=True) for i, s in enumerate(closest[:2], start=1)]
    return Answer(question=question, text=refusal_text(standalone or question), citations=citations, refused=True,
                  standalone_question=standalone, confidence=confidence, mode=mode)


def unverified(question: str, standalone: str | None, mode: str) -> Answer:
    """What the user gets when an answer fails the engine's own checks: a refusal, no citations."""
    return Answer(question=question, text=UNVERIFIED, citations=[], refused=True,
                  standalone_question=standalone, mode=mode)


def refusal_text(question: str) -> str:
    return REFUSAL.format(question=" ".join(question.split())[:200])
