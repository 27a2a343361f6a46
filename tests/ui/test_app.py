"""The chat window's functions, and the app served for real through gradio_client."""

import socket

import pytest

from assistant import Answer, Citation
from sources import Document
from ui.app import respond
from ui.render import REFUSAL_NOTICE, answer_markdown, documents_rows, history_pairs, message_text, sources_html

TEXT = "Intro line.\nThe <b>quote</b> is here. After it comes more."
DOCS = {"a.txt": Document(source="a.txt", title="A & B", text=TEXT)}
QUOTE_START = TEXT.index("The <b>")
CITATION = Citation(1, "a.txt", "A & B", "The <b>quote</b> is here.", QUOTE_START,
                    QUOTE_START + len("The <b>quote</b> is here."), None, 0.9)


def test_refusal_looks_different_and_history_drops_the_notice():
    refusal = Answer("q", "The sources don't say.", [], refused=True)
    assert answer_markdown(refusal).startswith(REFUSAL_NOTICE)
    assert answer_markdown(Answer("q", "Medinsky [1].", [CITATION], refused=False)) == "Medinsky [1]."
    messages = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": answer_markdown(refusal)},
                {"role": "user", "content": [{"type": "text", "text": "q2"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "a2 [1]."}]},
                {"role": "assistant", "content": {"path": "file.png"}}]
    assert history_pairs(messages) == [("q1", "The sources don't say."), ("q2", "a2 [1].")]


def test_sources_show_the_quote_highlighted_in_context_and_escaped():
    page = sources_html(Answer("q", "x [1].", [CITATION], refused=False), DOCS)
    assert "<b>[1]</b> A &amp; B" in page and "<small>(a.txt)</small>" in page
    assert "<mark class='gq-highlight'>The &lt;b&gt;quote&lt;/b&gt; is here.</mark>" in page
    assert "Intro line.<br>" in page and "After it comes more." in page
    assert "<b>quote</b>" not in page  # document text can never inject markup


def test_refusal_sources_are_labelled_context_only():
    refused = Answer("q", "The sources don't say.", [CITATION], refused=True)
    assert "context only" in sources_html(refused, DOCS)
    assert "appear here" in sources_html(None, DOCS)


def test_documents_panel_counts_chunks(bundled_assistant):
    rows = documents_rows(bundled_assistant.index)
    assert [row[0] for row in rows] == ["istanbul-talks-2025-06.txt"]
    assert rows[0][2] == len(bundled_assistant.index.chunks) > 1


def test_respond_answers_and_follows_up(bundled_assistant):
    messages, page, box = respond("Who led the Russian delegation?", [], 5, "extractive", bundled_assistant)
    assert box == "" and messages[0] == {"role": "user", "content": "Who led the Russian delegation?"}
    assert "Medinsky" in messages[1]["content"] and "[1]" in messages[1]["content"]
    assert "<mark class='gq-highlight'>" in page and "Medinsky" in page
    messages, _, _ = respond("And who led the Ukrainian one?", messages, 5, "extractive", bundled_assistant)
    assert "Rustem Umerov" in messages[3]["content"]


def test_respond_turns_bad_input_into_a_message(bundled_assistant):
    messages, _, box = respond("   ", [], 5, "extractive", bundled_assistant)
    assert messages[-1]["content"].startswith("⚠️ question is empty") and box == "   "


@pytest.mark.slow
def test_served_app_answers_through_gradio_client(bundled_assistant):
    from gradio_client import Client

    from ui.app import launch

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = launch(bundled_assistant, port=port, block=False)
    try:
        assert app.local_url.startswith(f"http://127.0.0.1:{port}")
        client = Client(app.local_url, verbose=False)
        messages, page, box = client.predict("Who led the Russian delegation?", [], 5, "extractive", api_name="/ask")
        assert "Medinsky" in message_text(messages[-1]["content"]) and "gq-highlight" in page and box == ""
        messages, _, _ = client.predict("And who led the Ukrainian one?", messages, 5, "extractive", api_name="/ask")
        assert "Rustem Umerov" in message_text(messages[-1]["content"])  # the history made the round trip
    finally:
        app.close()
