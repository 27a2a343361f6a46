"""Word tokenisation shared by BM25 and the reader's lexical evidence."""

from __future__ import annotations

import re
import unicodedata

STOPWORDS = frozenset("""
a an the and or but if of to in on at by for with from into onto as is are was were be been being
am do does did done has have had having it its it's this that these those there here what which who
whom whose when where why how not no nor so than then too very can could should would will shall
may might must about above after again against all any both each few more most other some such
only own same just also over under up down out off once between through during before until while
he she they them his her their him i me my we us our you your one ones s t
""".split())

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped; NFC, so "é" typed and "e" + U+0301 in a document
    are one word (tokens only: no offset points into them)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(unicodedata.normalize("NFC", text))]


def stem(word: str) -> str:
    """A deliberately light stemmer: plural and possessive endings only."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Content terms: stemmed words without stopwords."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
