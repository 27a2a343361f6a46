"""The chat window's functions, and the app served for real through gradio_client."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from groundqa import Answer, Assistant, Citation
from groundqa.errors import GroundQAError
from groundqa.sources import Document
from groundqa.ui.app import SEARCHING, add_documents, respond
from groundqa.ui.render import (
    REFUSAL_NOTICE,
    answer_markdown,
    documents_rows,
    history_pairs,
    is_sources,
    message_text,
    plain_answer,
    question_markdown,
    sources_message,
)

TEXT = "Intro line.\nThe <b>quote</b> is here. After it comes more."
DOCS = {"a.txt": Document(source="a.txt", title="A & B", text=TEXT)}
QUOTE_START = TEXT.index("The <b>")
CITATION = Citation(1, "a.txt", "A & B", "The <b>quote</b> is here.", QUOTE_START,
                    QUOTE_START + len("The <b>quote</b> is here."), None, 0.9)


def test_refusal_looks_different_and_history_drops_the_notice_and_the_sources():
    refusal = Answer("q", "The sources don't say.", [], refused=True)
    assert answer_markdown(refusal).startswith(REFUSAL_NOTICE)
    answer = Answer("q", "Medinsky [1].", [CITATION], refused=False)
    assert answer_markdown(answer, turn=2) == "Medinsky [[1]](#gq-2-1)."
    messages = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": answer_markdown(refusal)},
                {"role": "user", "content": [{"type": "text", "text": "q2"}]},
                {"role": "assistant", "content": [{"type": "text", "text": answer_markdown(answer, turn=2)}]},
                {"role": "assistant", "content": "<details>…</details>", "metadata": {"title": "Sources (1)"}},
                {"role": "assistant", "content": {"path": "file.png"}}]
    assert history_pairs(messages) == [("q1", "The sources don't say."), ("q2", "Medinsky [1].")]


def test_document_text_in_an_answer_cannot_format_or_inject_markup():
    text = ("The <b>deal</b> is *final* & worth $5 [2] or $$x$$ `code` \\ [1] at https://evil.example/x?s=1, "
            "www.evil.example or help@evil.example.")
    markdown = answer_markdown(Answer("q", text, [CITATION], refused=False), turn=1)
    assert "<b>" not in markdown and "\\*final\\*" in markdown and "\\$5" in markdown
    # no autolinks: the renderer links "https://", "www." and "a@b.c" but not their escaped forms
    assert "https\\://evil" in markdown and "www\\.evil" in markdown and "help\\@evil" in markdown
    assert "[[2]](#gq-1-2)" in markdown and "[[1]](#gq-1-1)" in markdown
    assert plain_answer(markdown) == text


def test_sources_show_the_quote_highlighted_in_context_and_escaped():
    message = sources_message(Answer("q", "x [1].", [CITATION], refused=False), DOCS, turn=3)
    page = message["content"]
    assert is_sources(message) and "<summary>Sources (1) — click one" in page
    assert "id='gq-3-1'" in page and "<b>[1]</b> A &amp; B" in page and "<small>(a.txt)</small>" in page
    assert "<mark class='gq-highlight'>The &lt;b&gt;quote&lt;/b&gt; is here.</mark>" in page
    assert "Intro line.<br>" in page and "After it comes more." in page
    assert "<b>quote</b>" not in page  # document text can never inject markup


def test_refusal_sources_are_labelled_context_only():
    refused = Answer("q", "The sources don't say.", [CITATION], refused=True)
    assert "<summary>Closest passages — context only" in sources_message(refused, DOCS, turn=1)["content"]
    assert sources_message(Answer("q", "The sources don't say.", [], refused=True), DOCS, turn=1) is None


def test_documents_panel_counts_chunks(bundled_assistant):
    rows = documents_rows(bundled_assistant.index)
    assert [row[0] for row in rows] == ["istanbul-talks-2025-06.txt"]
    assert rows[0][1] == "2025-06"  # from the file name: what a date filter in Settings matches
    assert rows[0][2] == len(bundled_assistant.index.chunks) > 1
    assert rows[0][3] == "–" and rows[0][4][:2] == "20"  # no pages in a .txt; when it was indexed


def test_remove_from_the_panel(corpus, embedder):
    from groundqa.ui.app import remove_document

    bot = Assistant(sources=corpus, embedder=embedder)
    assert remove_document(None, bot)[0] == "Select a document in the list first."
    summary, rows = remove_document("notes.md", bot)
    assert summary.startswith("✓ Removed notes.md") and [row[0] for row in rows] == ["rivers.txt"]
    summary, rows = remove_document("notes.md", bot)  # already gone (a second window, say)
    assert summary.startswith("⚠️ no document 'notes.md'") and len(rows) == 1


def test_respond_streams_then_answers_with_sources_and_follows_up(bundled_assistant):
    steps = list(respond("Who led the Russian delegation?", [], 5, "extractive", bundled_assistant))
    assert steps[0][0][-1]["content"] == SEARCHING and len(steps) > 2  # the answer grows in several steps
    assert all(len(steps[i][0][-1]["content"]) <= len(steps[i + 1][0][-1]["content"]) for i in range(1, len(steps) - 2))
    messages, box = steps[-1]
    assert box == "" and messages[0] == {"role": "user", "content": "Who led the Russian delegation?"}
    assert "Medinsky" in messages[1]["content"] and "[[1]](#gq-1-1)" in messages[1]["content"]
    assert "<mark class='gq-highlight'>" in messages[2]["content"] and "id='gq-1-1'" in messages[2]["content"]
    messages, _ = list(respond("And who led the Ukrainian one?", messages, 5, "extractive", bundled_assistant))[-1]
    assert "Rustem Umerov" in messages[4]["content"] and "id='gq-2-1'" in messages[5]["content"]


def test_respond_turns_bad_input_into_a_message(bundled_assistant):
    earlier = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "Medinsky [1]."}]
    assert list(respond("   ", earlier, 5, "extractive", bundled_assistant)) == [(earlier, "")]  # nothing happens
    messages, box = list(respond("\x00\x01", earlier, 5, "extractive", bundled_assistant))[-1]
    assert messages[:2] == earlier and messages[2]["role"] == "user"  # the error answers this question, not the last
    assert messages[3]["content"].startswith("⚠️ question is empty") and "groundqa" not in messages[3]["content"]
    assert box == "\x00\x01"


def test_upload_adds_good_files_and_names_the_bad_ones(corpus, tmp_path, embedder):
    bot = Assistant(sources=corpus, embedder=embedder)
    before = {row[0] for row in documents_rows(bot.index)}
    good = tmp_path / "weather_note.md"
    good.write_text("# Weather\n\nOn the day of the talks Istanbul had light rain.\n", encoding="utf-8")
    bad_pdf, exe = tmp_path / "broken.pdf", tmp_path / "tool.exe"
    bad_pdf.write_bytes(b"%PDF-1.4 not really")
    exe.write_bytes(b"MZ")
    summary, rows = add_documents([str(good), str(bad_pdf), str(exe)], bot)
    assert "Added 1 document (1 chunk " in summary and "uploads/weather\\_note.md" in summary
    assert "Skipped broken.pdf: the PDF is damaged or cut short" in summary
    assert "Skipped tool.exe: unsupported file type" in summary
    assert {row[0] for row in rows} == before | {"uploads/weather_note.md"}
    assert "light rain" in bot.ask("What was the weather on the day of the talks?").text
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["weather_note.md"]
    assert "already in the index" in add_documents([str(good)], bot)[0]
    good.write_text("# Weather\n\nOn the day of the talks Istanbul had sunshine.\n", encoding="utf-8")
    summary, rows = add_documents([str(good)], bot)  # a corrected file: the new version, not a copy
    assert summary.startswith("✓ Replaced 1 document with the new version")
    assert {row[0] for row in rows} == before | {"uploads/weather_note.md"}
    answer = bot.ask("What was the weather on the day of the talks?").text
    assert "sunshine" in answer and "light rain" not in answer


def test_bundled_corpus_takes_no_uploads(embedder, tmp_path):
    bot = Assistant(embedder=embedder)
    assert bot.on_bundled_corpus and not bot.accepts_uploads
    note = tmp_path / "x.txt"
    note.write_text("text", encoding="utf-8")
    with pytest.raises(GroundQAError, match="bundled corpus takes no uploads; start with --sources DIR"):
        bot.add_files([note])


@pytest.mark.slow
def test_served_app_answers_and_follows_up_through_gradio_client(served):
    from gradio_client import Client

    app, _ = served
    assert app.local_url.startswith("http://127.0.0.1:")
    client = Client(app.local_url, verbose=False)
    messages, box = client.predict("Who led the Russian delegation?", [], 5, "extractive", api_name="/ask")
    assert "Medinsky" in message_text(messages[1]["content"]) and box == ""
    assert "gq-highlight" in message_text(messages[2]["content"])
    messages, _ = client.predict("And who led the Ukrainian one?", messages, 5, "extractive", api_name="/ask")
    assert "Rustem Umerov" in message_text(messages[4]["content"])  # the history made the round trip
    assert client.predict(api_name="/clear") == ([], "")


@pytest.mark.slow
def test_the_documents_filter_limits_the_chat_and_names_a_filter_that_matches_nothing(served):
    from gradio_client import Client

    app, _ = served
    client = Client(app.local_url, verbose=False)
    messages, _ = client.predict("Who led the Russian delegation?", [], 5, "extractive", "source=istanbul*",
                                 api_name="/ask")
    assert "Medinsky" in message_text(messages[1]["content"])
    messages, box = client.predict("Who led the Russian delegation?", [], 5, "extractive", "type=xlsx",
                                   api_name="/ask")
    assert "no indexed document matches the filter type=xlsx" in message_text(messages[1]["content"])
    assert box == "Who led the Russian delegation?"  # kept in the box, to ask again without the filter
    messages, _ = client.predict("Who?", [], 5, "extractive", "title=![x](https://evil.example/x.png)",
                                 api_name="/ask")
    assert "](https\\://evil" in message_text(messages[1]["content"])  # the filter is quoted as text, not an image


@pytest.mark.slow
def test_twenty_simultaneous_chats_answer_correctly_while_a_document_is_uploaded(served, tmp_path):
    from gradio_client import Client, handle_file

    app, _ = served
    asked = [("Who led the Russian delegation in Istanbul?", "Medinsky"),
             ("How many bodies did Russia agree to transfer to Ukraine?", "6,000"),
             ("Where was the Istanbul meeting held?", "Çırağan Palace"),
             ("Who headed the Ukrainian delegation?", "Rustem Umerov"),
             ("What is the capital of Australia?", REFUSAL_NOTICE)] * 4
    note = tmp_path / "lighthouse.txt"
    note.write_text("The lighthouse keeper at Rumelifeneri logged 12 tankers on the day of the talks.\n",
                    encoding="utf-8")
    clients = [Client(app.local_url, verbose=False) for _ in range(len(asked) + 1)]
    start = threading.Barrier(len(clients))

    def chat(client, question):
        start.wait()
        messages, _ = client.predict(question, [], 5, "extractive", api_name="/ask")
        return message_text(messages[1]["content"])

    def upload(client):
        start.wait()
        return client.predict([handle_file(str(note))], api_name="/add_documents")[0]

    with ThreadPoolExecutor(len(clients)) as pool:
        uploaded = pool.submit(upload, clients[-1])
        replies = list(pool.map(chat, clients[:-1], [q for q, _ in asked]))
    assert [expected in reply for reply, (_, expected) in zip(replies, asked, strict=True)] == [True] * len(asked)
    assert "Added 1 document" in uploaded.result()


@pytest.mark.slow
def test_upload_through_the_api_indexes_the_file(served, tmp_path):
    from gradio_client import Client, handle_file

    app, bot = served
    note = tmp_path / "harbour.txt"
    note.write_text("The harbour master of Istanbul counted 41 ferries on the morning of the talks.\n",
                    encoding="utf-8")
    client = Client(app.local_url, verbose=False)
    summary, rows = client.predict([handle_file(str(note))], api_name="/add_documents")[:2]
    assert "Added 1 document" in summary and "uploads/harbour.txt" in [row[0] for row in rows["data"]]
    assert "41 ferries" in bot.ask("How many ferries did the harbour master count?").text


def test_a_question_with_markup_is_shown_literally_and_read_back_exactly():
    question = "Is 5*3 <b>bold</b> ![x](https://evil.example/x.png)?"
    shown = question_markdown(question)
    assert "<b>" not in shown and "![" not in shown
    assert history_pairs([{"role": "user", "content": shown}, {"role": "assistant", "content": "No [1]."}]) == \
        [(question, "No [1].")]


def test_chats_are_kept_newest_first_updated_in_place_and_deleted():
    from groundqa.ui.conversations import TITLE_CHARS, delete_chat, open_chat, save_chat, titles

    first = [{"role": "user", "content": question_markdown("What is <b>this</b>?")}]
    chats, one = save_chat(first, [], None)
    assert titles(chats) == [["What is <b>this</b>?"]]  # the question as typed, not its escaped markdown
    assert save_chat([], chats, None) == (chats, None)  # an empty new chat is not kept
    second = [{"role": "user", "content": "x" * 200}]
    chats, two = save_chat(second, chats, None)
    longer = first + [{"role": "assistant", "content": "An answer."}]
    chats, same = save_chat(longer, chats, one)
    assert same == one and [c["id"] for c in chats] == [one, two]  # updated and moved to the top, not copied
    assert open_chat(chats, one) == longer and open_chat(chats, "gone") == []
    assert len(titles(chats)[1][0]) == TITLE_CHARS and titles(chats)[1][0].endswith("…")
    assert [c["id"] for c in delete_chat(chats, one)] == [two]
    assert save_chat(first, [{"junk": 1}, "x"], None)[0][0]["messages"] == first  # damaged storage is dropped


def test_only_the_newest_chats_are_kept():
    from groundqa.ui.conversations import MAX_CHATS, save_chat

    chats: list = []
    for number in range(MAX_CHATS + 5):
        chats, _ = save_chat([{"role": "user", "content": f"question {number}"}], chats, None)
    assert len(chats) == MAX_CHATS and chats[0]["title"] == f"question {MAX_CHATS + 4}"


def test_a_failed_first_indexing_is_said_on_the_page(capsys):
    from groundqa.errors import InputError
    from groundqa.ui.startup import Startup

    def broken():
        raise InputError("no .txt/.md/.html/.pdf/.docx files found under /empty")

    def bug():
        raise KeyError("x")

    for prepare, said in ((broken, "no .txt/.md"), (bug, "KeyError")):
        startup = Startup(prepare, "/data/empty").start()
        startup._done.wait(5)
        assert not startup.ready and said in startup.status() and "Indexing empty failed" in startup.status()
    assert "Traceback" in capsys.readouterr().err  # a bug also shows where, in the terminal


def test_the_sources_panel_shows_the_index_the_answer_came_from(corpus, embedder):
    """A rebuild landing between the answer and its sources panel (an upload in another tab) must
    not put a different passage under the highlight than the quote."""
    bot = Assistant(sources=corpus, embedder=embedder)
    answer_from_snapshot = bot.ask_with_documents

    def answer_then_rebuild(*args, **kwargs):
        result = answer_from_snapshot(*args, **kwargs)
        rivers = corpus / "rivers.txt"
        rivers.write_text("A new first paragraph moves every offset.\n\n" + rivers.read_text(encoding="utf-8"),
                          encoding="utf-8")
        bot.build()
        return result

    bot.ask_with_documents = answer_then_rebuild
    messages, _ = list(respond("Where does the Rhine rise?", [], 5, "extractive", bot))[-1]
    assert "Swiss Alps" in messages[1]["content"]
    assert "<mark class='gq-highlight'>The Rhine rises in the Swiss Alps." in messages[2]["content"]
