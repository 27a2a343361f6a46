"""50 questions at once through the Python API while the index is updated twice: every answer is
right, and each one comes from the old index or the new one, never a mix."""

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from groundqa import Assistant
from groundqa.sources import BUNDLED_CORPUS, read_text

ASKED = [("Who led the Russian delegation in Istanbul?", "Medinsky"),
         ("How many bodies did Russia agree to transfer to Ukraine?", "6,000"),
         ("Where was the Istanbul meeting held?", "Çırağan Palace"),
         ("Who headed the Ukrainian delegation?", "Rustem Umerov")]
NEW_FACT = ("How many ferries did the harbour master count?", "41 ferries")


@pytest.mark.slow
def test_fifty_concurrent_questions_during_index_updates(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    bot = Assistant(index_dir=tmp_path / "idx", sources=corpus, embedder=embedder).warm_up()
    note = tmp_path / "harbour.txt"
    note.write_text("The harbour master of Istanbul counted 41 ferries on the morning of the talks.\n")
    questions = (ASKED * 10)[:40] + [NEW_FACT] * 10
    start = threading.Barrier(len(questions) + 1)

    def ask(question):
        start.wait()
        return bot.ask(question)

    def update():
        start.wait()
        first = bot.add_files([note])
        (corpus / "uploads" / "harbour.txt").write_text(
            "The harbour master of Istanbul counted 41 ferries on the morning of the talks. "
            "Two of them carried the delegations.\n")
        return first, bot.build()

    with ThreadPoolExecutor(len(questions) + 1) as pool:
        updates = pool.submit(update)
        replies = list(pool.map(ask, [q for q, _ in questions]))
    first, second = updates.result()
    assert first.added == ["uploads/harbour.txt"] and second.updated == ["uploads/harbour.txt"]

    for (question, expected), reply in zip(questions, replies, strict=True):
        if question == NEW_FACT[0] and reply.refused:
            continue  # answered from the index as it was before the upload
        assert expected in reply.text, (question, reply.text)
        for citation in reply.citations:
            text = read_text(corpus / citation.source)
            assert text[citation.start:citation.end] == citation.quote
    assert NEW_FACT[1] in bot.ask(NEW_FACT[0]).text
