"""Training examples for the cross-encoder, from dev splits only (HaluEval records 1-8,000; never
the test records, never `../shared/benchmarks/external/`, never the bundled eval sets).

Reader pairs (question, candidate sentence), from HaluEval QA:
* positive: the sentence of the record's own knowledge that holds `right_answer` (span labelled);
* negatives: the other sentences of its knowledge; sentences of other records' knowledge that BM25
  ranks high for the question (on-topic distractors: the same question with its own document
  withheld); and the positive sentence under a question whose name or number was swapped for another
  record's (so "same words, different entity" is not an answer).

Judge pairs (claim, passage):
* HaluEval QA: (question + right answer, knowledge) supported; (question + hallucinated answer)
  and (question + another record's right answer, a short wrong answer as long as a right one)
  unsupported, so answer length is no cue;
* HaluEval summarization: sentences of the right summary with the article window most like them
  supported; hallucinated-summary sentences that name a person, place or number the article never
  mentions, unsupported.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from groundqa.cross_encoder import candidate_text, claim_text
from groundqa.index import sentence_spans
from groundqa.index.bm25 import BM25
from groundqa.index.text import terms

from ..halueval import _PARAGRAPH_JOIN, DATA, load_records, split_records
from ..metrics import normalize

SUMMARIES = DATA.parent / "summarization_dev_1-1500.jsonl.gz"
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|the|de|von|van|and)?\s*[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class Example:
    task: Literal["read", "judge"]
    first: str  # question, or claim
    second: str  # candidate text, or passage
    label: float  # 1 = answers / supported
    span: tuple[int, int] | None = None  # character offsets of the short answer in `second`
    kind: str = ""  # where it comes from, for the model card


def dev_records(data: str | Path = DATA) -> list[dict]:
    return [record for _, record in split_records(load_records(data), "dev")]


def knowledge_sentences(knowledge: str) -> list[list[str]]:
    """The knowledge's paragraphs, each a list of sentences."""
    paragraphs = _PARAGRAPH_JOIN.sub("\n\n", knowledge).split("\n\n")
    return [[p[s:e] for s, e in sentence_spans(p)] for p in paragraphs if p.strip()]


def answer_sentence(record: dict) -> str | None:
    """The first knowledge sentence that holds the record's right answer (whole words)."""
    answer = normalize(record["right_answer"])
    return next((s for paragraph in knowledge_sentences(record["knowledge"]) for s in paragraph
                 if answer and f" {answer} " in f" {normalize(s)} "), None)


def single_hop(record: dict, min_overlap: float = 0.25) -> bool:
    """A record whose question one sentence can answer: the right answer is not in the question (no
    "A or B?" comparison), one knowledge sentence holds it, and that sentence shares at least
    `min_overlap` of the question's terms (HotpotQA's bridge questions, where the answer sentence
    shares no words with the question, would teach the reader to distrust matching words)."""
    answer = normalize(record["right_answer"])
    if not answer or f" {answer} " in f" {normalize(record['question'])} ":
        return False
    sentence = answer_sentence(record)
    if sentence is None:
        return False
    question_terms = set(terms(record["question"]))
    return len(question_terms & set(terms(sentence))) / max(len(question_terms), 1) >= min_overlap


def reader_examples(records: list[dict], rng: random.Random, other_negatives: int = 2,
                    same_negatives: int = 1, swap_share: float = 0.2) -> list[Example]:
    pool = [(i, s) for i, r in enumerate(records) for paragraph in knowledge_sentences(r["knowledge"])
            for s in paragraph]
    bm25 = BM25([s for _, s in pool])
    names = [n for r in records for n in _NAME.findall(r["question"]) if len(n) > 3]
    examples = []
    for i, record in enumerate(records):
        answer = normalize(record["right_answer"])
        if not answer:
            continue
        positives: list[str] = []
        negatives: list[str] = []
        for paragraph in knowledge_sentences(record["knowledge"]):
            for k, sentence in enumerate(paragraph):
                text = candidate_text(sentence, None, paragraph[k - 1] if k else None)
                (positives if f" {answer} " in f" {normalize(sentence)} " else negatives).append(text)
        if not positives:
            continue
        question = record["question"]
        for text in positives[:1]:
            examples.append(Example("read", question, text, 1.0, _span(text, record["right_answer"]), "positive"))
        for text in rng.sample(negatives, min(same_negatives, len(negatives))):
            examples.append(Example("read", question, text, 0.0, None, "same-document"))
        distractors = [pool[j][1] for j in bm25.top(question, 12) if pool[j][0] != i]
        distractors = [s for s in distractors if f" {answer} " not in f" {normalize(s)} "]
        for sentence in distractors[:other_negatives]:
            examples.append(Example("read", question, sentence, 0.0, None, "other-document"))
        if rng.random() < swap_share:
            swapped = _swap(question, positives[0], names, rng)
            if swapped:
                examples.append(Example("read", swapped, positives[0], 0.0, None, "swapped-question"))
    return examples


_WH_FOR = {"number": "how many", "year": "when", "name": "who"}
_YEAR = re.compile(r"\b(?:in |since |by )?(?:19|20)\d\d\b")
_COUNT = re.compile(r"\b\d[\d,]*(?:\.\d+)?(?=\s+[a-z]{3,})")
_PERSON = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2}\b")


def cloze_examples(articles: list[dict], rng: random.Random, per_article: int = 2) -> list[Example]:
    """News-domain reader pairs from dev articles: a sentence with one of its names, numbers or
    years turned into a question word ("Marseille prosecutor Brice Robin told CNN …" -> "Marseille
    prosecutor who told CNN …?") answers that question (span labelled); two other sentences of the
    article do not; nor does the sentence when another article's name replaces one in the question."""
    names = [n for a in articles[:300] for n in _PERSON.findall(a["document"][:2000])]
    examples = []
    for article in articles:
        sentences = [article["document"][s:e] for s, e in sentence_spans(article["document"])]
        usable = [i for i, s in enumerate(sentences) if 10 <= len(s.split()) <= 45]
        for i in rng.sample(usable, min(per_article, len(usable))):
            made = _cloze(sentences[i], rng)
            if made is None:
                continue
            question, span = made
            text = candidate_text(sentences[i], None, sentences[i - 1] if i else None)
            offset = len(text) - len(sentences[i])
            examples.append(Example("read", question, text, 1.0, (span[0] + offset, span[1] + offset), "cloze"))
            others = [j for j in usable if j != i]
            for j in rng.sample(others, min(2, len(others))):
                examples.append(Example("read", question, candidate_text(sentences[j], None, sentences[j - 1]
                                                                           if j else None), 0.0, None, "cloze-other"))
            swapped = _swap(question, sentences[i], names, rng)
            if swapped and rng.random() < 0.5:  # half of them: v4 (every one, and 3x the swapped questions) did worse
                examples.append(Example("read", swapped, text, 0.0, None, "cloze-swapped"))
    return examples


def _cloze(sentence: str, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """(question, span of its answer in the sentence) or None when the sentence has nothing to ask."""
    found = [("year", m) for m in _YEAR.finditer(sentence)] + [("number", m) for m in _COUNT.finditer(sentence)]
    found += [("name", m) for m in _PERSON.finditer(sentence)]
    if not found:
        return None
    kind, match = rng.choice(found)
    question = f"{sentence[:match.start()]}{_WH_FOR[kind]}{sentence[match.end():]}".strip().rstrip(".!") + "?"
    start = match.start() + (len(match.group()) - len(match.group().lstrip("insceby ").lstrip()) if kind == "year"
                             else 0)
    return question[:1].upper() + question[1:], (start, match.end())


def _span(text: str, answer: str) -> tuple[int, int] | None:
    match = re.search(re.escape(answer.strip()), text, re.I)
    return (match.start(), match.end()) if match else None


def _swap(question: str, sentence: str, names: list[str], rng: random.Random) -> str | None:
    """The question with one of its names (or numbers) that the sentence contains replaced by
    another record's name (or another number)."""
    shared = [n for n in _NAME.findall(question) if len(n) > 3 and n in sentence and n.split()[0] not in
              ("What", "Which", "Who", "When", "Where", "How", "The", "In", "Are", "Is", "Did", "Was")]
    numbers = [n for n in _NUMBER.findall(question) if n in sentence]
    if numbers and (not shared or rng.random() < 0.5):
        old = rng.choice(numbers)
        digits = re.sub(r"\D", "", old)
        new = str(int(digits) + rng.choice([-3, -2, -1, 1, 2, 5, 10])) if digits else None
        return question.replace(old, new, 1) if new and new != old else None
    if not shared or not names:
        return None
    old = rng.choice(shared)
    new = rng.choice(names)
    return question.replace(old, new, 1) if new.lower() != old.lower() else None


def judge_examples(records: list[dict], rng: random.Random, summaries: list[dict] | None = None,
                   summary_pairs: int = 0) -> list[Example]:
    answers = [r["right_answer"] for r in records]
    examples = []
    for record in records:
        question, knowledge = record["question"], _evidence_window(record)
        examples.append(Example("judge", claim_text(question, record["right_answer"]), knowledge, 1.0, None,
                                "qa-right"))
        examples.append(Example("judge", claim_text(question, record["hallucinated_answer"]), knowledge, 0.0, None,
                                "qa-hallucinated"))
        other = rng.choice(answers)
        if normalize(other) not in normalize(knowledge):
            examples.append(Example("judge", claim_text(question, other), knowledge, 0.0, None, "qa-other-answer"))
    if summaries and summary_pairs:
        examples += summary_examples(summaries, rng, summary_pairs)
    return examples


def _evidence_window(record: dict, size: int = 3) -> str:
    """The knowledge sentences around the one holding the right answer (the whole knowledge is
    often longer than the model reads); the same window serves the right and the wrong answers."""
    sentences = [s for paragraph in knowledge_sentences(record["knowledge"]) for s in paragraph]
    answer = normalize(record["right_answer"])
    holding = [i for i, s in enumerate(sentences) if answer and f" {answer} " in f" {normalize(s)} "]
    first = max(0, (holding[0] if holding else 0) - 1)
    return " ".join(sentences[first:first + size])


def summary_examples(summaries: list[dict], rng: random.Random, count: int) -> list[Example]:
    examples: list[Example] = []
    order = list(range(len(summaries)))
    rng.shuffle(order)
    for i in order:
        if len(examples) >= count:
            break
        record = summaries[i]
        document = record["document"]
        sentences = [document[s:e] for s, e in sentence_spans(document)]
        if len(sentences) < 3:
            continue
        bm25 = BM25(sentences)
        right = [record["right_summary"][s:e] for s, e in sentence_spans(record["right_summary"])]
        wrong = [record["hallucinated_summary"][s:e] for s, e in sentence_spans(record["hallucinated_summary"])]
        document_terms = set(terms(document))
        for claim in rng.sample(right, min(1, len(right))):
            examples.append(Example("judge", claim, _window(claim, sentences, bm25), 1.0, None, "summary-right"))
        invented = [c for c in wrong if _invented(c, document, document_terms)]
        for claim in rng.sample(invented, min(1, len(invented))):
            examples.append(Example("judge", claim, _window(claim, sentences, bm25), 0.0, None, "summary-invented"))
    return examples


def _window(claim: str, sentences: list[str], bm25: BM25, size: int = 3) -> str:
    best = (bm25.top(claim, 1) or [0])[0]
    start = max(0, min(best - 1, len(sentences) - size))
    return " ".join(sentences[start:start + size])


def _invented(claim: str, document: str, document_terms: set[str]) -> bool:
    names = [n for n in _NAME.findall(claim) if n.split()[0] not in ("The", "A", "An", "In", "He", "She", "It")]
    new_names = [n for n in names if not set(terms(n)) <= document_terms]
    new_numbers = [n for n in _NUMBER.findall(claim) if n not in document]
    return bool(new_names or new_numbers)


def load_summaries(limit: int, path: Path = SUMMARIES) -> list[dict]:
    """HaluEval summarization dev records (vendored: records 1-1,500 of the dev split), the first `limit`."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number > min(limit, 8000):
                break
            rows.append(json.loads(line))
    return rows
