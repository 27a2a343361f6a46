"""Unanswerable questions of the kinds SQuAD 2.0's writers made (Rajpurkar et al., 2018, table 3),
made from an answerable dev question and its knowledge: the passage is still there and a plausible
answer stands in it, but the question asks something the passage does not say.

* negation: "When was the film made?" -> "When was not the film made?", "Who directed it?" ->
  "Who never directed it?";
* antonym: a word swapped for its opposite that the knowledge never uses ("largest" -> "smallest");
* entity swap: a name the answer sentence holds swapped for another name of the same knowledge;
* number swap: a year or number of the question swapped for one the knowledge never mentions.

Both shipped readers refuse under a quarter of these (`refusal_sweep --adversarial`), as they do
SQuAD 2.0's and RGB's unanswerables. Trained on as negatives (reader 6, branch `reader6`), they
taught the learned reader to refuse these, but not SQuAD 2.0's: see the README.
"""

from __future__ import annotations

import random
import re

from ..halueval import _PARAGRAPH_JOIN

KINDS = ("negation", "antonym", "entity-swap", "number-swap")

_AUXILIARY = re.compile(r"\b(is|was|are|were|did|does|do|has|have|had|can|could|will|would)\b", re.I)
_PAST_VERB = re.compile(r"^(Who|Which \w+|What \w+)\s+(?=(?:[a-z]+ed|built|wrote|won|made|sang|found|bought|came|gave|"
                        r"became|held|led|left|lost|took|ran|saw|sold|taught|told|drew|grew|knew|began|beat|"
                        r"brought|caught|chose|fought|kept|met|paid|sent|spent|stood|hosts?|owns?|"
                        r"plays?|runs?|leads?)\s)")
_NEGATED = re.compile(r"\b(?:not|never|no|none|nor)\b|n't\b", re.I)
_OPPOSITES = [
    ("first", "last"), ("largest", "smallest"), ("biggest", "smallest"), ("highest", "lowest"),
    ("oldest", "youngest"), ("older", "younger"), ("earliest", "latest"), ("before", "after"),
    ("north", "south"), ("east", "west"), ("northern", "southern"), ("eastern", "western"),
    ("won", "lost"), ("most", "least"), ("more", "fewer"), ("longest", "shortest"), ("larger", "smaller"),
    ("higher", "lower"), ("best", "worst"), ("major", "minor"), ("began", "ended"), ("started", "ended"),
    ("male", "female"), ("maximum", "minimum"), ("opened", "closed"), ("founded", "dissolved"),
    ("joined", "left"), ("bought", "sold"), ("predecessor", "successor"), ("husband", "wife"),
    ("father", "mother"), ("son", "daughter"), ("brother", "sister"), ("previous", "next"),
    ("private", "public"), ("ancient", "modern"), ("internal", "external"), ("effective", "ineffective"),
    ("increase", "decrease"), ("success", "failure"), ("successful", "unsuccessful"), ("upper", "lower"),
    ("born", "buried"), ("debut", "final"), ("domestic", "foreign"), ("senior", "junior"),
]
_OPPOSITE = {a: b for pair in _OPPOSITES for a, b in (pair, pair[::-1])}
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|the|de|von|van)?\s*[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(r"(?<![\w-])(?:1[0-9]\d\d|20\d\d|\d[\d,]*(?= [a-z]{3,}))\b")  # years; counts of things
_NOT_NAMES = {"What", "Which", "Who", "When", "Where", "How", "The", "In", "Are", "Is", "Did", "Was", "A", "An",
              "He", "She", "It", "They", "His", "Her", "This", "That", "On", "At", "As", "For", "By", "Of",
              "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
              "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}


def negated(question: str) -> str | None:
    """"not" after the question's first auxiliary, or "never" before a leading verb; None for a
    question already negated (a double negation asks nothing)."""
    if _NEGATED.search(question):
        return None
    match = _AUXILIARY.search(question)
    if match:
        return f"{question[:match.end()]} not{question[match.end():]}"
    match = _PAST_VERB.match(question)
    return f"{question[:match.end()]}never {question[match.end():]}" if match else None


def antonymed(question: str, knowledge: str) -> str | None:
    """The question with its first word that has an opposite swapped for that opposite, when the
    knowledge never uses the opposite (else the passage might answer the new question)."""
    said = set(re.findall(r"[a-z]+", knowledge.lower()))
    for match in re.finditer(r"[A-Za-z]+", question):
        word = match.group()
        opposite = _OPPOSITE.get(word.lower())
        if opposite and opposite not in said:
            opposite = opposite.capitalize() if word[0].isupper() else opposite
            return f"{question[:match.start()]}{opposite}{question[match.end():]}"
    return None


def entity_swapped(question: str, sentence: str, knowledge: str, rng: random.Random) -> str | None:
    """A name of the question that the answer sentence holds, swapped for another name of the
    knowledge that neither the sentence nor the question holds."""
    shared = [n for n in _names(question) if n in sentence]
    others = sorted({n for n in _names(_PARAGRAPH_JOIN.sub(" ", knowledge)) if n not in sentence and n not in question
                     and not any(n in s or s in n for s in shared)})
    if not shared or not others:
        return None
    return question.replace(rng.choice(shared), rng.choice(others), 1)


def number_swapped(question: str, knowledge: str, rng: random.Random) -> str | None:
    """A year or number of the question swapped for one the knowledge never mentions."""
    numbers = [n for n in _NUMBER.findall(question) if n in knowledge]
    if not numbers:
        return None
    old = rng.choice(numbers)
    value = int(re.sub(r"\D", "", old))
    choices = [str(value + d) for d in (-5, -3, -2, -1, 1, 2, 3, 5, 10) if value + d > 0]
    choices = [c for c in choices if c not in knowledge]
    return re.sub(rf"\b{re.escape(old)}\b", rng.choice(choices), question, count=1) if choices else None


def adversarial(question: str, sentence: str, knowledge: str, rng: random.Random,
                kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str]]:
    """[(kind, unanswerable question)] for each kind that applies to `question`, whose answer
    `sentence` (of `knowledge`) holds."""
    made = {"negation": lambda: negated(question), "antonym": lambda: antonymed(question, knowledge),
            "entity-swap": lambda: entity_swapped(question, sentence, knowledge, rng),
            "number-swap": lambda: number_swapped(question, knowledge, rng)}
    found = [(kind, made[kind]()) for kind in kinds]
    return [(kind, text) for kind, text in found if text and text != question]


def _names(text: str) -> list[str]:
    names = [re.sub(r"['’]s$|\.$", "", n) for n in _NAME.findall(text)]
    return [n for n in names if len(n) > 3 and n.split()[0] not in _NOT_NAMES and ". " not in n]
