"""A Markdown file's YAML front matter is metadata: the document's title and date, and fields that
filters match. It is never text that could be quoted as an answer."""

import json

from groundqa import Assistant
from groundqa.sources import load
from groundqa.ui.cli import main

LEAVE = """---
title: "Parental leave policy"
date: 2025-03-01
owner: HR   # who keeps it up to date
tags:
  - leave
  - family
---
# Leave

Primary caregivers receive 16 weeks of paid leave.
"""

REMOTE = """---
title: Remote work
owner: IT Security
---
Employees may work remotely up to three days per week.
"""


def test_front_matter_becomes_title_date_and_fields_not_text(tmp_path):
    path = tmp_path / "leave.md"
    path.write_text(LEAVE, encoding="utf-8")
    document = load(path, tmp_path)
    assert (document.title, document.date) == ("Parental leave policy", "2025-03-01")
    assert dict(document.fields) == {"title": "Parental leave policy", "date": "2025-03-01", "owner": "HR",
                                     "tags": "leave, family"}
    assert document.text.startswith("Leave\n") and "owner" not in document.text and "---" not in document.text


def test_a_rule_at_the_top_is_not_front_matter(tmp_path):
    path = tmp_path / "rule.md"
    path.write_text("---\n\nThe ferry leaves at 9 am.\n\n---\n\nThe bus leaves at 7 am.\n", encoding="utf-8")
    document = load(path, tmp_path)
    assert not document.fields and "ferry leaves at 9 am" in document.text and "bus" in document.text


def test_questions_are_answered_from_the_documents_a_front_matter_filter_keeps(tmp_path, embedder, capsys):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "leave.md").write_text(LEAVE, encoding="utf-8")
    (corpus / "remote.md").write_text(REMOTE, encoding="utf-8")
    bot = Assistant(index_dir=tmp_path / "index", sources=corpus, embedder=embedder)
    question = "How many weeks of paid leave do primary caregivers get?"
    assert "16 weeks" in bot.ask(question, where="owner=hr").text
    outside = bot.ask(question, where="owner=IT*")
    assert outside.refused and {c.source for c in outside.citations} <= {"remote.md"}
    assert not bot.ask(question, where="tags=family").refused
    statuses = {d.source: d for d in bot.documents()}
    assert statuses["remote.md"].fields == {"title": "Remote work", "owner": "IT Security"}
    assert main(["docs", "--index", str(tmp_path / "index"), "--json"]) == 0
    listed = {d["source"]: d for d in json.loads(capsys.readouterr().out)}
    assert listed["leave.md"]["fields"]["tags"] == "leave, family" and listed["leave.md"]["date"] == "2025-03-01"
