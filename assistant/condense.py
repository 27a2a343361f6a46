"""Turn a follow-up into a standalone question, using the previous question and answer.

No generative model ships offline, so this is rule-based, measured on the multi-turn eval sets
(README). After dropping lead-ins ("and", "what about", "same question for"), a follow-up is:

* a bare question word ("When?", "and where?", "To whom?", "When was that?"): the previous
  question with its question word swapped ("Where was the meeting held?" -> "When was …");
* a fragment ("the Ukrainian one", "secondary caregivers", "in North America", "and a phone"):
  it replaces the phrase of the previous question it resembles most (by embedding similarity,
  "one" read as that phrase's noun), or is appended when nothing resembles it;
* a question with a pronoun: "he"/"she" becomes the person the previous answer named,
  "it"/"they"/"that" the previous short answer or the previous question's subject;
* anything else is already standalone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from groundqa.index import Embedder
from groundqa.index.text import STOPWORDS, words

_LEAD_IN = re.compile(r"^\s*(?:(?:and|but|also|so|then|ok|okay|well|now|what|how)\s*,?\s+(?=about\b)|and\b|but\b|also\b"
                      r"|so\b|then\b|ok\b|okay\b|well\b|now\b|about\b|what\s+of\b|same\s+(?:question|thing)\s+for\b"
                      r"|same\s+for\b|and\s+for\b(?=\s+(?:the\s+)?(?:same|that)\b))[\s,]*", re.I)
_TRAILER = re.compile(r"[\s,]*(?:too|as well|then|instead|please)?\s*[?.!]*\s*$", re.I)
_AUX = ("is are was were be been do does did can could will would should must has have had may might shall "
        "need needs").split()
_WH = r"(?:who(?:m|se)?|what|which|when|where|why|how(?:\s+(?:many|much|long|far|old|often|soon|big|early|late))?)"
_WH_PHRASE = re.compile(rf"^\s*(?:(?:to|for|from|with|in|on|at|by|of|after|before|within|until)\s+)?{_WH}\b"
                        rf"(?:\s+(?!(?:{'|'.join(_AUX)})\b)[\w'’-]+)?", re.I)
_BARE_WH = re.compile(rf"^\s*(?:(?:to|for|from|with|in|on|at|by|of|after|before|within|until)\s+)?{_WH}\b"
                      rf"(?:\s+[\w'’-]+)?(?:\s+(?:{'|'.join(_AUX)})\s+(?:that|it|this|so|they|there))?\s*$", re.I)
_DO_AND_MODALS = "do does did can could will would should must may might shall".split()
_IRREGULAR_PARTICIPLES = set("held made done built known given taken seen sent paid led found told kept left said won "
                             "shown chosen written spent set put brought bought caught taught thought sold run "
                             "begun become gone drawn grown meant met read split hit cut".split())
_ONE_PHRASE = re.compile(r"(?:\b(?:the|a|an|this|that)\s+)?(?:[\w'’-]+\s+){0,2}?\bones?\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)
_THING_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there)\b", re.I)
_PREPOSITIONS = ("in on at for from to with without of by about outside inside during within after before "
                 "under over between across per via").split()
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "its", "this", "that", "these", "those"}
MAX_FRAGMENT_WORDS = 6
MAX_PRONOUN_QUESTION_WORDS = 5  # content words; longer questions with "it" are taken as standalone
SIMILAR_PHRASE = 0.35  # a fragment replaces a phrase at least this similar (cosine), else it is appended
LONGER_PHRASE_BONUS = 0.02  # per word of the replacement: "primary caregivers" over "caregivers"


def condense(question: str, history: list[tuple[str, str]] | None, embedder: Embedder,
             previous_short_answer: str | None = None) -> str:
    """A standalone version of `question` given `history` of (question, answer) turns.

    >>> from groundqa.index import shared_embedder
    >>> condense("and the Ukrainian one?", [("Who led the Russian delegation?", "Medinsky [1].")], shared_embedder())
    'Who led the Ukrainian delegation?'
    >>> condense("When was that?", [("Where was the meeting held?", "Istanbul [1].")], shared_embedder())
    'When was the meeting held?'
    """
    if not history:
        return question.strip()
    previous = condense(history[-1][0], history[:-1][-2:], embedder)  # the previous turn, itself resolved
    body = _body(question)
    if not body or not is_follow_up(question):
        return question.strip()
    if _BARE_WH.match(body):
        return _swap_question_word(body, previous)
    if _PERSON_PRONOUN.search(body) and previous_short_answer and _looks_like_name(previous_short_answer):
        person = previous_short_answer.rsplit(", ", 1)[-1]  # "Ministry of Defense, Rustem Umerov" -> the name
        named = _PERSON_PRONOUN.sub(lambda m: _possessive(person, m.group(1)), body, count=1)
        return _question(named)
    if _is_fragment(body):
        return _substitute(body, previous, embedder)
    if _ONE_PHRASE.search(body):
        return _question(_resolve_one(body, previous, embedder))
    if _THING_PRONOUN.search(body) and len(_content(body)) <= MAX_PRONOUN_QUESTION_WORDS:
        return _question(_resolve_thing(body, previous, previous_short_answer))
    return _question(body)


def is_follow_up(question: str) -> bool:
    """A question that leans on the conversation: a lead-in, a pronoun, "one(s)", or too short to stand."""
    body = _body(question)
    return bool(_LEAD_IN.match(question) or _PERSON_PRONOUN.search(body) or _THING_PRONOUN.search(body)
                or re.search(r"\bones?\b", body, re.I) or _is_fragment(body) or len(_content(body)) < 2)


def _body(question: str) -> str:
    body = question.strip()
    while (match := _LEAD_IN.match(body)) and match.end():
        body = body[match.end():]
    return _TRAILER.sub("", body).strip()


def _content(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def _is_fragment(body: str) -> bool:
    tokens = words(body)
    return (0 < len(tokens) <= MAX_FRAGMENT_WORDS and not _WH_PHRASE.match(body)
            and not any(t in _AUX for t in tokens) and not _PERSON_PRONOUN.search(body))


def _question(text: str) -> str:
    text = text.strip().rstrip("?.! ")
    return text[:1].upper() + text[1:] + "?"


def _swap_question_word(body: str, previous: str) -> str:
    """"When was that?" after "Where was the meeting held?" -> "When was the meeting held?"."""
    wh = re.match(rf"^\s*(?:(?:to|for|from|with|in|on|at|by|of|after|before|within|until)\s+)?{_WH}\b"
                  rf"(?:\s+(?!(?:{'|'.join(_AUX)})\b)[\w'’-]+)?", body, re.I)
    asked = wh.group(0).strip() if wh else body
    match = _WH_PHRASE.match(previous)
    rest = previous[match.end():] if match else " " + previous[:1].lower() + previous[1:]
    return _question(asked + rest.rstrip("?"))


def _looks_like_name(text: str) -> bool:
    return bool(re.search(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]+", text)) and not re.fullmatch(r"[\d\s.,:%-]+", text)


def _possessive(name: str, pronoun: str) -> str:
    return f"{name}'s" if pronoun.lower() in ("his", "her", "hers") else name


@dataclass(frozen=True)
class Phrase:
    start: int
    end: int
    determined: bool  # starts with a determiner ("the Russian delegation")
    prepositional: bool  # starts with a preposition ("in Europe")


def _phrases(question: str) -> list[Phrase]:
    """Candidate phrases of a question to replace, after its question word: every run of up to four
    content words, with its determiner when the run starts the noun phrase, and with the preposition
    in front of it ("in Europe", "for domestic trips")."""
    match = _WH_PHRASE.match(question)
    rest = match.end() if match else 0
    aux = re.match(rf"\s*({'|'.join(_AUX)})\b", question[rest:], re.I)
    tokens = [(m.start(), m.end(), m.group().lower()) for m in re.finditer(r"[\w'’-]+", question)
              if m.start() >= rest]
    found: dict[tuple[int, int], Phrase] = {}
    i, first_run = 0, True
    while i < len(tokens):
        j = i
        while j < len(tokens) and _is_content(tokens[j][2]):
            j += 1
        if j == i:
            i += 1
            continue
        noun_end = j
        if aux and first_run and j - i > 1 and (j == len(tokens) or tokens[j][2] in _PREPOSITIONS) \
                and _verb_after(aux.group(1).lower(), tokens[j - 1][2]):
            noun_end = j - 1  # "does the Lisbon office open", "was the meeting held": the last word is the verb
        for a in range(i, j):
            for b in range(a + 1, min(j, a + 4) + 1):
                found[(tokens[a][0], tokens[b - 1][1])] = Phrase(tokens[a][0], tokens[b - 1][1], False, False)
        end = tokens[noun_end - 1][1]
        before = tokens[i - 1][2] if i else ""
        if before in _DETERMINERS:
            found[(tokens[i - 1][0], end)] = Phrase(tokens[i - 1][0], end, True, False)
        preposition = i - 1 if before in _PREPOSITIONS else i - 2 if before in _DETERMINERS and i > 1 and \
            tokens[i - 2][2] in _PREPOSITIONS else None
        if preposition is not None:
            found[(tokens[preposition][0], end)] = Phrase(tokens[preposition][0], end, False, True)
        i, first_run = j, False
    return sorted(found.values(), key=lambda p: (p.start, p.end))


def _verb_after(auxiliary: str, word: str) -> bool:
    """Whether `word`, ending the subject after an inverted `auxiliary`, is the main verb."""
    if auxiliary in _DO_AND_MODALS:
        return True
    return word.endswith("ed") or word in _IRREGULAR_PARTICIPLES


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and word not in _PREPOSITIONS and word not in _AUX


def _substitute(fragment: str, previous: str, embedder: Embedder) -> str:
    """Put `fragment` in place of the previous question's most similar phrase of the same kind (a
    phrase with a preposition for "in North America", with a determiner for "the Ukrainian one",
    ending in a plural for "ones"), or append it when nothing resembles it."""
    found = _best_phrase(fragment, previous, embedder)
    if found is None:
        return _question(f"{previous.rstrip('?')} {fragment}")
    phrase, new = found
    return _question(previous[:phrase.start] + new + previous[phrase.end:])


def _resolve_one(body: str, previous: str, embedder: Embedder) -> str:
    """"Who led the Ukrainian one?" -> "Who led the Ukrainian delegation?" ("one" is the noun of the
    previous question's phrase it stands for)."""
    match = _ONE_PHRASE.search(body)
    found = _best_phrase(match.group(0), previous, embedder) if match else None
    if match is None or found is None:
        return body
    return body[:match.start()] + found[1] + body[match.end():]


def _best_phrase(fragment: str, previous: str, embedder: Embedder) -> tuple[Phrase, str] | None:
    """(phrase of `previous`, what replaces it) for the phrase `fragment` most resembles, or None."""
    first = (words(fragment) or [""])[0]
    prepositional, determined = first in _PREPOSITIONS, first in _DETERMINERS
    one = re.search(r"\bones?\b", fragment, re.I)
    options = []
    for phrase in _phrases(previous):
        text = previous[phrase.start:phrase.end]
        content = [w for w in words(text) if _is_content(w)]
        if one and (len(content) < 2 or (one.group().lower() == "ones") != _plural(content[-1])):
            continue  # "the Ukrainian one" replaces a modifier and keeps a noun: "the Russian delegation"
        new = fragment if phrase.prepositional or not prepositional else _strip_preposition(fragment)
        new = re.sub(r"\bones?\b", words(text)[-1], new, flags=re.I) if one else new
        if text.endswith(("'s", "’s")) and not new.endswith(("'s", "’s")):
            new += "'s"
        structural = (prepositional and phrase.prepositional) or (determined and phrase.determined)
        options.append((phrase, new, structural))
    if determined and any(s for _, _, s in options):
        options = [o for o in options if o[2]]
    if not options:
        return None
    vectors = embedder.embed([previous[o[0].start:o[0].end] for o in options] + [o[1] for o in options])
    similarity = np.sum(vectors[: len(options)] * vectors[len(options):], axis=1)
    similarity += LONGER_PHRASE_BONUS * np.array([len(words(previous[o[0].start:o[0].end])) for o in options])
    best = int(np.argmax(similarity))
    phrase, new, structural = options[best]
    if similarity[best] < SIMILAR_PHRASE and not structural:
        return None
    return phrase, new


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))


def _strip_preposition(fragment: str) -> str:
    first = re.match(r"\s*([\w'’-]+)\s+", fragment)
    return fragment[first.end():] if first and first.group(1).lower() in _PREPOSITIONS else fragment


def _subject(question: str) -> str | None:
    """The first noun phrase after the question word: "When does the Lisbon office open?" -> "the
    Lisbon office" (after an inverted auxiliary, the last word before the end is taken as the verb)."""
    match = _WH_PHRASE.match(question)
    rest = question[match.end():] if match else question
    inverted = bool(re.match(rf"\s*(?:{'|'.join(_DO_AND_MODALS)})\b", rest, re.I))  # a main verb follows
    run: list[str] = []
    for token in re.findall(r"[\w'’-]+|[?.!,;]", rest):
        lowered = token.lower()
        if lowered in _DETERMINERS and not run or (token[0].isalnum() and lowered not in STOPWORDS
                                                   and lowered not in _PREPOSITIONS):
            run.append(token)
        elif [t for t in run if t.lower() not in _DETERMINERS]:
            ends_question = not token[0].isalnum()
            if inverted and ends_question and len([t for t in run if t.lower() not in _DETERMINERS]) > 1:
                run = run[:-1]
            return " ".join(run)
        else:
            run = []
    return None


def _resolve_thing(body: str, previous: str, previous_short_answer: str | None) -> str:
    """"it"/"they"/"that" -> the previous short answer, else the subject of the previous question;
    "there" -> dropped (the rest of the question carries the place)."""
    body = re.sub(r"\s*\bthere\b", "", body, flags=re.I)
    match = _THING_PRONOUN.search(body)
    if not match:
        return body
    plural = match.group(1).lower() in ("they", "them", "their", "these", "those")
    usable = (previous_short_answer and not plural and not re.match(r"[\d$€£]|(?:one|two|three|four|five|six|"
                                                                     r"seven|eight|nine|ten)\b", previous_short_answer,
                                                                     re.I))
    referent = previous_short_answer if usable else _subject(previous)
    if referent is None:
        return body
    possessive = match.group(1).lower() in ("its", "their")
    return body[:match.start()] + referent + ("'s" if possessive else "") + body[match.end():]
