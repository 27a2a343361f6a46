"""Citation recall and precision per answer sentence, in the style of ALCE (Gao et al., 2023).

- A sentence is *recalled* when the passages it cites, taken together, support it.
- A citation is *precise* when it supports its sentence alone, or when the sentence is supported
  and the other citations without it are not (ALCE: a citation is irrelevant when it cannot
  support the sentence alone and removing it leaves the support unchanged).

The judge is `assistant.verify.GroundingJudge` (lexical entailment; no NLI model ships offline).
"""

from __future__ import annotations

import re

from groundqa import Answer
from groundqa.index import sentence_spans
from groundqa.verify import Judge, bare_claim, cited_numbers


def citation_grounding(answer: Answer, judge: Judge) -> dict:
    """{"citation_recall", "citation_precision", "sentences": [...]} for one answer.

    A refusal makes no claims: both scores are None. An answer with text but no sentence-level
    citations scores recall 0; precision is None when there is no citation to judge. An empty
    non-refused answer scores 0 on both (it claims to answer and supports nothing).
    """
    if answer.refused:
        return {"citation_recall": None, "citation_precision": None, "sentences": []}
    quotes = {c.number: c.quote for c in answer.citations if not c.context_only}
    sentences: list[dict] = []
    for claim, numbers in _claims(answer):
        if not re.search(r"\w", claim):
            continue
        supported = _supports(judge, claim, [quotes.get(n) for n in numbers])
        precise = []
        for number in numbers:
            others = [quotes.get(n) for n in numbers if n != number]
            alone = _supports(judge, claim, [quotes.get(number)])
            precise.append(alone or (supported and not _supports(judge, claim, others)))
        sentences.append({"text": claim, "citations": numbers, "supported": supported, "precise": precise})
    if not sentences:
        return {"citation_recall": 0.0, "citation_precision": 0.0, "sentences": []}
    judged = [p for s in sentences for p in s["precise"]]
    return {
        "citation_recall": sum(s["supported"] for s in sentences) / len(sentences),
        "citation_precision": sum(judged) / len(judged) if judged else None,
        "sentences": sentences,
    }


def _claims(answer: Answer) -> list[tuple[str, list[int]]]:
    """(sentence, cited numbers) of an answer: its claims, or for an answer made elsewhere (text
    only), its sentences as split from the text."""
    if answer.claims:
        return [(claim.text, list(claim.citations)) for claim in answer.claims]
    return [(bare_claim(answer.text[s:e]), cited_numbers(answer.text[s:e])) for s, e in sentence_spans(answer.text)]


def _supports(judge: Judge, claim: str, quotes: list[str | None]) -> bool:
    """A marker without a matching citation supports nothing."""
    present = [q for q in quotes if q]
    return bool(present) and len(present) == len(quotes) and judge.judge(claim, present).supported
