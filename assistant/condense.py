"""Turn a follow-up ("And who led the Ukrainian one?") into a standalone question.

Rules, no LLM: a pronoun is replaced by the previous short answer or subject; "one"/"ones"
by the previous question's last noun; words of the previous question that the follow-up
replaces with a similar word (Russian -> Ukrainian, by embedding similarity) are dropped;
the rest of the previous question's content words are appended.
"""

from __future__ import annotations

import re

import numpy as np

from groundqa.index import Embedder
from groundqa.index.text import STOPWORDS, words

_FOLLOW_UP_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|and what about)\b[\s,]*", re.I)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|those|these|there)\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)
SIMILAR_WORD = 0.6


def is_follow_up(question: str) -> bool:
    content = [w for w in words(question) if w not in STOPWORDS]
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question)
                or re.search(r"\bones?\b", question, re.I) or len(content) < 2)


def condense(question: str, history: list[tuple[str, str]] | None, embedder: Embedder,
             previous_short_answer: str | None = None) -> str:
    """A standalone version of `question` given `history` of (question, answer) turns."""
    if not history or not is_follow_up(question):
        return question.strip()
    previous_question = history[-1][0]
    body = _FOLLOW_UP_START.sub("", question).strip()
    previous_words = [w for w in words(previous_question) if w not in STOPWORDS]
    if previous_words and re.search(r"\bones?\b", body, re.I):
        body = re.sub(r"\bones?\b", previous_words[-1], body, count=1, flags=re.I)
    if previous_short_answer and _PERSON_PRONOUN.search(body):
        # the pronoun names the previous answer: "How old is he?" -> "How old is <answer>?"
        named = _PERSON_PRONOUN.sub(lambda m: _possessive(previous_short_answer, m.group(1)), body, count=1)
        return named.rstrip("?") + "?"
    current = {w for w in words(body) if w not in STOPWORDS}
    carried = [w for w in previous_words if w not in current]
    carried = _drop_replaced(carried, sorted(current), embedder)
    return f"{body.rstrip('?').strip()} {' '.join(carried)}".strip() + "?"


def _possessive(name: str, pronoun: str) -> str:
    return f"{name}'s" if pronoun.lower() in ("his", "her", "hers") else name


def _drop_replaced(carried: list[str], current: list[str], embedder: Embedder) -> list[str]:
    """Drop previous words that a similar current word replaces (Russian -> Ukrainian)."""
    if not carried or not current:
        return carried
    vectors = embedder.embed(carried + current)
    similarity = vectors[: len(carried)] @ vectors[len(carried):].T
    return [w for w, row in zip(carried, similarity, strict=True) if float(np.max(row)) < SIMILAR_WORD]
