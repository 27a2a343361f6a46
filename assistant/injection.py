"""Text inside a document that addresses an AI ("ignore previous instructions…") is data, never an
instruction and never evidence: such sentences are withheld from the LLM's passages and cannot be
cited as support for an answer. Conservative patterns: ordinary prose must not trip them."""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|system|original)\s+(?:instructions?|prompts?|rules|directions)"
    r"|\b(?:new|updated|real)\s+instructions?\s*:"
    r"|\b(?:you\s+are|act\s+as|pretend\s+to\s+be)\s+(?:now\s+)?(?:an?\s+)?"
    r"(?:ai|assistant|chatbot|language\s+model|llm|chatgpt)\b"
    r"|\b(?:as\s+an\s+ai|to\s+(?:the\s+)?(?:ai|llm|assistant|language\s+model))\b[^.]*\b(?:must|should|will)\b",
    re.IGNORECASE,
)
WITHHELD = "[text addressed to an AI assistant withheld]"


def looks_like_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence))


def withhold_instructions(text: str, sentences: list[tuple[int, int]], offset: int = 0) -> str:
    """`text` (which starts at `offset` of its document) with instruction-like sentences replaced."""
    parts, position = [], 0
    for start, end in sentences:
        start, end = start - offset, end - offset
        if looks_like_instruction(text[start:end]):
            parts += [text[position:start], WITHHELD]
            position = end
    return "".join(parts) + text[position:]
