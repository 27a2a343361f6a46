"""Short answers: the expected answer type of a question and the best matching span in a sentence.

No QA model ships offline, so this is rule-based and measured (see README): the question's
wh-word gives a type (person, date, number, place); candidate spans of that type in the
supporting sentence are ranked by closeness to the question words they sit next to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from groundqa.index.text import STOPWORDS, stem, words

AnswerType = Literal["name", "date", "number", "place"]

_TYPE_PATTERNS: list[tuple[AnswerType, re.Pattern]] = [
    ("number", re.compile(r"\bhow (many|much|long|far|old)\b|\bwhat (number|percentage|amount|share)\b")),
    ("date", re.compile(r"\bwhen\b|\bwhat (date|day|year|month|time)\b|\bwhich (date|day|year|month)\b|\bwhat time\b")),
    ("place", re.compile(r"\bwhere\b|\b(which|what) (city|country|place|venue|region|location|palace|building)\b")),
    ("name", re.compile(r"\bwho(m|se)?\b|\b(which|what) (person|official|leader|president|minister|body|organi[sz]ation"
                        r"|agency|committee|ministry|institution|company|party|group)\b")),
]

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(
    rf"\b(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
    rf"(?:(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:in\s+)?(?:19|20)\d{{2}}"
    rf"|(?:this|last|next) (?:week|month|year)"
    rf"|yesterday|today|tomorrow|noon|midnight"
    rf"|\d{{1,2}}:\d{{2}}(?:\s?[ap]\.?m\.?)?|\d{{1,2}}\s?[ap]\.m\.|\d{{1,2}}\s?[ap]m)\b")
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
                 "|hundred|thousand|million|billion|dozens?|several|a week|a month")
_NUMBER = re.compile(rf"\b(?:\d[\d,.]*\d|\d)(?:\s*(?:%|percent|per cent|million|billion|thousand))?\b"
                     rf"|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
# U+0300-U+036F: combining accents, as a decomposed (NFD) "Çırağan" spells them; they are not \w
_NAME_WORD = r"[A-ZÀ-ÖØ-ÞА-ЯЁ][\w\u0300-\u036f’'\-]*"
_NAME = re.compile(rf"(?<![\w\u0300-\u036f’'-]){_NAME_WORD}"
                   rf"(?:\s+(?:(?:of|the|de|del|von|van|al|bin|and)\s+)*{_NAME_WORD})*")
_UNIT_WORD = re.compile(r"\s+((?:\d[\w.]*-)?[^\W\d_][\w'’-]*)")
_NUMBER_TAIL_STOP = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
                     "than", "before", "after", "each", "every", "who", "which", "that"}
MAX_UNIT_WORDS = 3
_PLACE_NOUN = re.compile(r"\s+(?:regions?|city|cities|province|oblast|district|republic|area)\b")
_FILLER = re.compile(r"(?:The|A|An|However|While|Despite|Although|Amidst|In|On|At|Both|This|These|That|After"
                     r"|Before|During|When|As|But|And|Of|of|the|and)(?:\s+|$)")


@dataclass(frozen=True)
class Span:
    start: int  # offsets within the sentence
    end: int
    text: str
    score: float


def answer_type(question: str) -> AnswerType | None:
    lowered = question.lower()
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(lowered):
            return kind
    return None


def best_span(sentence: str, question: str, kind: AnswerType | None) -> Span | None:
    """The span of `kind` in `sentence` nearest to the question's words, or None."""
    if kind is None:
        return None
    question_stems = {stem(w) for w in words(question) if w not in STOPWORDS}
    anchors: dict[str, list[int]] = {}  # question term -> where it occurs in the sentence
    for match in re.finditer(r"[^\W_]+", sentence):
        term = stem(match.group().lower())
        if term in question_stems:
            anchors.setdefault(term, []).append(match.start())
    best = None
    for start, end in _candidates(sentence, kind):
        text = sentence[start:end]
        span_stems = {stem(w) for w in words(text) if w not in STOPWORDS}
        if not span_stems or span_stems <= question_stems:
            continue  # an answer repeats nothing but the question
        # close to every question term it can be: the nearest occurrence of each term counts once
        closeness = [max(1.0 / (1.0 + (start - a if a < start else max(a - end, 0)) / 20.0) for a in places)
                     for places in anchors.values()]
        score = sum(closeness) / len(closeness) if closeness else 1.0 / (1.0 + len(sentence) / 20.0)
        if kind == "name" and ", " in text:
            score += 0.05  # role and name together
        if kind == "name" and re.search(r"\bby\s+(?:the\s+)?[\w\s]{0,40}$", sentence[:start]):
            score += 0.3
        if kind == "place" and re.search(r"\b(in|at|from|near)\s+(the\s+)?$", sentence[:start]):
            score += 0.3
        if best is None or score > best.score:
            best = Span(start, end, text, score)
    return best


def _candidates(sentence: str, kind: AnswerType) -> list[tuple[int, int]]:
    if kind == "number":
        dates = [m.span() for m in _DATE.finditer(sentence)]
        return [_with_unit(sentence, *m.span()) for m in _NUMBER.finditer(sentence)
                if not any(a <= m.start() < b for a, b in dates)]
    if kind == "date":
        return [m.span() for m in _DATE.finditer(sentence)]
    spans = []
    for match in _NAME.finditer(sentence):
        start, end = match.span()
        while (filler := _FILLER.match(sentence, start, end)) and filler.end() < end:
            start = filler.end()
        if not _FILLER.fullmatch(sentence, start, end) and not re.fullmatch(_MONTHS, sentence[start:end]):
            article = re.search(r"\b(?:a|an)\s+$", sentence[max(0, start - 4):start])
            if kind == "name" and article:  # "a Vice President": a role, which needs its article to stand alone
                start -= len(article.group())
            spans.append((start, end))
    if kind == "place":
        spans = [(a, b + len(m.group())) if (m := _PLACE_NOUN.match(sentence, b)) else (a, b) for a, b in spans]
    return _join_appositions(sentence, spans) if kind == "name" else spans


def _with_unit(sentence: str, start: int, end: int) -> tuple[int, int]:
    """A number with its currency sign and the unit or noun after it, so it stands alone:
    "16" -> "16 weeks", "180" -> "180 US dollars per night", "6,000" -> "6,000 bodies".

    >>> s = "Hotels are paid up to $180 US dollars per night in Europe."
    >>> s[slice(*_with_unit(s, s.index("180"), s.index("180") + 3))]
    '$180 US dollars per night'
    """
    if start and sentence[start - 1] in "$€£¥":
        start -= 1
    taken = 0
    for match in _UNIT_WORD.finditer(sentence, end):
        if match.start() != end or taken == MAX_UNIT_WORDS:
            break
        word = match.group(1).lower()
        if word == "per" and taken:
            taken -= 1  # "per night" counts as one word
        elif not match.group(1).isupper() and (word in STOPWORDS or word in _NUMBER_TAIL_STOP):
            break  # an acronym ("US dollars") is never a stopword
        end, taken = match.end(), taken + 1
    return start, end


def _join_appositions(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """"the Ministry of Defense of Ukraine, Rustem Umerov" -> one span naming the person and role."""
    joined = list(spans)
    for (a_start, a_end), (b_start, b_end) in pairwise(spans):
        if sentence[a_end:b_start] == ", " and len(sentence[b_start:b_end].split()) >= 2:
            joined.append((a_start, b_end))
    return joined
