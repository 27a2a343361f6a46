"""Ratings of answers — 👍, 👎 and why — kept in a local JSONL file so that they can become eval
cases (`groundqa feedback export`). Nothing leaves the machine.

One line per rating; a later line with the same `id` adds what the user wrote afterwards (the
expected answer, a note), so the file is only ever appended to.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "feedback.jsonl"
>>> rating = Feedback("Dislike", "Who led it?", [], "Umerov [1].", refused=False)
>>> _ = record_feedback(rating, path); _ = add_details(rating.id, "Medinsky", None, path)
>>> [(f.rating, f.expected) for f in read_feedback(path)]
[('Dislike', 'Medinsky')]
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from groundqa.index.home import groundqa_home

from .errors import InputError

RATINGS = ("Like", "Dislike", "Should have refused", "Wrong passage", "Incomplete")


@dataclass
class Feedback:
    rating: str  # one of RATINGS
    question: str
    history: list[tuple[str, str]]
    answer: str  # what the user saw, plain text with [n] markers
    refused: bool
    short_answer: str | None = None
    citations: list[dict] = field(default_factory=list)  # source, quote, start, end, page of what was cited
    expected: str | None = None  # the right answer, when the user gave it
    note: str | None = None
    index: str = ""  # the index folder the answer came from
    where: str = ""  # the documents filter it was asked under ("type=pdf date>=2025"), if any
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    time: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def feedback_file() -> Path:
    """$GROUNDQA_HOME/feedback.jsonl"""
    return groundqa_home() / "feedback.jsonl"


def record_feedback(feedback: Feedback, path: Path | None = None) -> Path:
    if feedback.rating not in RATINGS:
        raise InputError(f"unknown rating {feedback.rating!r}; expected one of: {', '.join(RATINGS)}")
    return _append(asdict(feedback), path)


def add_details(feedback_id: str, expected: str | None, note: str | None, path: Path | None = None) -> Path:
    """Attach the expected answer and/or a note to an earlier rating."""
    details = {"expected": (expected or "").strip() or None, "note": (note or "").strip() or None}
    return _append({"id": feedback_id, **{k: v for k, v in details.items() if v}}, path)


def read_feedback(path: Path | None = None) -> list[Feedback]:
    """Every rating in the file, oldest first, with later details merged in; unreadable lines are skipped."""
    path = path or feedback_file()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the feedback file {path}: {exc}") from exc
    known = {f.name for f in fields(Feedback)}
    merged: dict[str, dict] = {}
    for line in lines:
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            merged.setdefault(row["id"], {}).update({k: v for k, v in row.items() if k in known})
    ratings = []
    for row in merged.values():
        try:
            feedback = Feedback(**row)
        except TypeError:  # details whose rating line is missing
            continue
        if _well_formed(feedback):
            ratings.append(feedback)
    return ratings


def _well_formed(feedback: Feedback) -> bool:
    """A line edited by hand into other types is skipped, not a crash later."""
    return (feedback.rating in RATINGS and isinstance(feedback.question, str) and isinstance(feedback.answer, str)
            and isinstance(feedback.history, list) and all(isinstance(t, list | tuple) and len(t) == 2
                                                           and all(isinstance(x, str) for x in t)
                                                           for t in feedback.history)
            and isinstance(feedback.citations, list) and all(isinstance(c, dict) for c in feedback.citations)
            and all(isinstance(v, str) for v in (feedback.expected, feedback.short_answer) if v is not None))


def _append(row: dict, path: Path | None) -> Path:
    path = path or feedback_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:  # one line, flushed to disk: a crash loses no rating
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path
