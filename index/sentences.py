"""Sentence segmentation that keeps character offsets into the source text.

A rule-based splitter (no model, no downloaded data): a sentence ends at `.`, `!` or `?`
(plus closing quotes/brackets) followed by whitespace and an upper-case letter, digit or
opening quote (but not a citation marker like "[1]") — unless the word before is a known
abbreviation or a single initial.
A blank line or a line break before a short heading-like line also ends a sentence.
"""

from __future__ import annotations

import re
from itertools import pairwise

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig",
    "inc", "ltd", "co", "corp", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "pres",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "a.m", "p.m", "approx", "dept", "est", "vol", "pp", "al", "cf",
}
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+(?!\[\d+\])[\"'“‘«(\[]?[A-Z0-9À-ÖØ-ÞА-ЯЁ])")  # "[1]" starts none
_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*•#]|\s*\d+[.)]\s)|\n")
MAX_SENTENCE_CHARS = 1000  # a longer run without an end (a log line, a table dump) is cut at spaces


def sentence_spans(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence, whitespace trimmed; text[start:end] is the sentence.
    A sentence longer than `max_chars` is cut at spaces into pseudo-sentences, so no quote is huge.

    >>> text = "Dr. Smith arrived. He left at 5 p.m. on Monday! Why?"
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['Dr. Smith arrived.', 'He left at 5 p.m. on Monday!', 'Why?']
    """
    cuts = {0, len(text)}
    for match in _BREAK.finditer(text):
        cuts.add(match.end())
    for match in _END.finditer(text):
        if not _is_abbreviation(text, match.start()):
            cuts.add(match.end())
    spans = []
    ordered = sorted(cuts)
    for start, end in pairwise(ordered):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.extend(_bounded(text, start, end, max_chars))
    return spans


def _bounded(text: str, start: int, end: int, max_chars: int):
    """(start, end) pieces of at most `max_chars`, cut at the last space before the limit."""
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        yield start, piece_end
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", text[max(0, dot - 12):dot])
    if not word:
        return False
    token = word.group(1).lower().strip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())
