"""Natural-looking questions for the reader, made from HaluEval summarization dev records: a
sentence of an article's human summary with one of its names, numbers or years turned into a
question ("Israel and the United States opposed the move" -> "Who opposed the move?"). The summary
says it in other words than the article, so the article's sentence that holds the answer teaches
paraphrase: the reader learns to match meaning, not shared words.

Pairs per question: the article sentence holding the answer (span labelled); the article sentence
sharing most words with the question without the answer; an on-topic sentence of another article
(the question with its own article withheld: refuse); and, for some, the answer sentence under the
question with a name swapped for another article's.
"""

from __future__ import annotations

import random
import re

from groundqa.cross_encoder import candidate_text
from groundqa.index import sentence_spans
from groundqa.index.bm25 import BM25
from groundqa.index.text import terms

from ..metrics import normalize
from .examples import _PERSON, Example, _swap

_CLASS_NOUNS = {"palace", "university", "river", "party", "council", "court", "city", "hospital", "school",
                "company", "airport", "club", "team", "church", "bank", "ministry", "department", "agency",
                "museum", "island", "county", "state", "street", "square", "house", "hotel", "stadium",
                "college", "army", "police", "group", "committee", "union", "festival", "award", "prize"}
_ANSWER = re.compile(
    r"(?P<year>\b(?:19|20)\d\d\b)"
    r"|(?P<count>\b(?:\d[\d,]*(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|thousands)"
    r"(?=\s+(?P<unit>[a-z]{3,})))"
    r"|(?P<name>\b[A-Z][\w'’.-]+(?:\s+(?:of|the|de|al|bin)?\s*[A-Z][\w'’.-]+)*)")
_SKIP = {"The", "A", "An", "He", "She", "It", "They", "But", "In", "On", "At", "His", "Her", "This", "That", "After",
         "We", "I", "When", "Some", "Their", "One", "Two", "And", "Its", "As", "For", "If", "There"}
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
_VERBS = {"is", "was", "are", "were", "has", "had", "have", "will", "would", "can", "could", "said", "told", "says",
          "did", "does", "may", "might", "must", "should", "became", "won", "lost", "led", "made", "took", "gave",
          "got", "went", "came", "left", "met", "ran", "saw", "sent", "set", "shot", "hit", "beat", "found", "held",
          "and", "or"}
_CUT = re.compile(r",\s+(?:but|and|which|while|who|as|after|because)\s+|;\s+|\s+--\s+|\s+-\s+")


def summary_questions(articles: list[dict], rng: random.Random, per_article: int = 3) -> list[Example]:
    pool = [(a, article["document"][s:e]) for a, article in enumerate(articles)
            for s, e in sentence_spans(article["document"])]
    bm25 = BM25([sentence for _, sentence in pool])
    names = [n for article in articles[:300] for n in _PERSON.findall(article["document"][:2000])]
    examples: list[Example] = []
    for a, article in enumerate(articles):
        sentences = [article["document"][s:e] for s, e in sentence_spans(article["document"])]
        summary = [article["right_summary"][s:e] for s, e in sentence_spans(article["right_summary"])]
        made = 0
        for claim in rng.sample(summary, len(summary)):
            asked = question_from(claim, rng) if made < per_article else None
            found = asked and _answer_sentence(asked, sentences)
            if not asked or not found:
                continue
            made += 1
            question, answer = asked
            best, text, span = found
            examples.append(Example("read", question, text, 1.0, span, "summary-question"))
            key = f" {normalize(answer)} "
            asked_terms = set(terms(question))
            near = max((j for j, s in enumerate(sentences) if key not in f" {normalize(s)} "),
                       key=lambda j: len(asked_terms & set(terms(sentences[j]))), default=None)
            if near is not None:
                examples.append(Example("read", question, _candidate(sentences, near), 0.0, None,
                                        "summary-question-same"))
            elsewhere = [pool[j][1] for j in bm25.top(question, 10)
                         if pool[j][0] != a and key not in f" {normalize(pool[j][1])} "]
            for sentence in elsewhere[:1]:
                examples.append(Example("read", question, sentence, 0.0, None, "summary-question-other"))
            swapped = _swap(question, sentences[best], names, rng) if rng.random() < 0.4 else None
            if swapped:
                examples.append(Example("read", swapped, text, 0.0, None, "summary-question-swapped"))
    return examples


def question_from(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """(question, answer) made from a summary sentence, or None when it has nothing to ask."""
    found = _answers(sentence)
    if not found:
        return None
    kind, start, end = rng.choice(found)
    answer = sentence[start:end]
    clause, offset = _clause(sentence, start, end)
    before, after = clause[:start - offset].rstrip(), clause[end - offset:].strip().rstrip(".!")
    if kind == "year":
        before, wh = re.sub(r"\b(in|since|by|from)$", "", before).rstrip(), "when"
    elif kind == "count":
        unit = after.split()[0]
        after, wh = after[len(unit):].lstrip(), f"how many {unit}"
    elif answer.split()[-1].lower() in _CLASS_NOUNS and " " in answer:
        wh = f"which {answer.split()[-1].lower()}"  # "the Çırağan Palace" -> "which palace"
    elif re.search(r"\b(in|at|from|to)$", before):
        before, wh = re.sub(r"\b(in|at|from|to)$", "", before).rstrip(), "where"
    else:
        wh = "who"
    before = re.sub(r"\bthe$", "", before).rstrip()
    question = re.sub(r"\s+,", ",", re.sub(r"\s+", " ", f"{before} {wh} {after}")).strip(" ,") + "?"
    if len(question.split()) < 4:
        return None
    return question[:1].upper() + question[1:], answer


def _answers(sentence: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of what a question could ask for: a year, a count, a name (not one used as
    an adjective, as in "Marseille prosecutor" or "Iranian officials")."""
    found = []
    for m in _ANSWER.finditer(sentence):
        if m.group("year"):
            found.append(("year", m.start(), m.end()))
        elif m.group("count"):
            found.append(("count", m.start("count"), m.end("count")))
        else:
            first = m.group().split()[0]
            rest = sentence[m.end():]
            following = rest.split()[0] if rest.startswith(" ") and rest.split() else ""
            if first in _SKIP or first in _MONTHS or rest.startswith(("'s", "’s")):
                continue
            if following[:1].islower() and not (following in _VERBS or following.endswith(("s", "ed"))):
                continue
            if " " not in m.group() and first.endswith(("an", "ese", "ish")) and following[:1].islower():
                continue
            found.append(("name", m.start(), m.end()))
    return found


def _clause(sentence: str, start: int, end: int) -> tuple[str, int]:
    """The clause around [start, end) and its offset (so questions stay short), or the sentence."""
    left, right = 0, len(sentence)
    for m in _CUT.finditer(sentence):
        if m.end() <= start:
            left = m.end()
        elif m.start() >= end and right == len(sentence):
            right = m.start()
    piece = sentence[left:right]
    return (piece, left) if len(piece.split()) >= 5 else (sentence, 0)


def _answer_sentence(asked: tuple[str, str], sentences: list[str]) -> tuple[int, str, tuple[int, int]] | None:
    """The article sentence that answers: it holds the answer (as written) and shares enough of the
    question's words; (its number, its candidate text, the answer's span in that text)."""
    question, answer = asked
    key = f" {normalize(answer)} "
    asked_terms = set(terms(question))
    holding = [(len(asked_terms & set(terms(s))), i) for i, s in enumerate(sentences) if key in f" {normalize(s)} "]
    if not holding:
        return None
    overlap, best = max(holding)
    text = _candidate(sentences, best)
    match = re.search(r"\b" + re.escape(answer) + r"\b", text)
    if overlap < max(2, 0.3 * len(asked_terms)) or match is None:
        return None
    return best, text, (match.start(), match.end())


def _candidate(sentences: list[str], i: int) -> str:
    return candidate_text(sentences[i], None, sentences[i - 1] if i else None)
