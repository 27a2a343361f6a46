"""HTML and Markdown for the chat window: answers, refusals, sources and highlighted passages.
Pure functions of an `Answer` and the index's documents, so they are tested without a server."""

from __future__ import annotations

import html

from assistant import Answer, Citation

CONTEXT_CHARS = 400
REFUSAL_NOTICE = "⚠️ **Not in the sources.** "


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer with its [n] markers; refusals get a notice in front."""
    return REFUSAL_NOTICE + answer.text if answer.refused else answer.text


def history_pairs(messages: list[dict]) -> list[tuple[str, str]]:
    """Gradio messages ([{"role", "content"}, ...]) -> [(question, answer), ...] for condensing.
    Content is a string or, as Gradio 6 sends it back, a list of {"type": "text", "text": ...} parts."""
    pairs, question = [], None
    for message in messages or []:
        content = message_text(message.get("content")) if isinstance(message, dict) else None
        if content is None:
            continue
        if message.get("role") == "user":
            question = content
        elif message.get("role") == "assistant" and question is not None:
            pairs.append((question, content.removeprefix(REFUSAL_NOTICE)))
            question = None
    return pairs


def message_text(content) -> str | None:
    """The text of one chat message's content; None for files and other non-text content."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part["text"] for part in content if isinstance(part, dict) and part.get("type") == "text"
                 and isinstance(part.get("text"), str)]
        return "".join(texts) if texts else None
    return None


def sources_html(answer: Answer | None, documents: dict) -> str:
    """One expandable entry per citation: number, title, page, quote; opened, it shows the passage
    highlighted inside its surrounding document text."""
    if answer is None or not answer.citations:
        return "<p class='gq-empty'>Sources of the latest answer appear here.</p>"
    heading = ("Closest passages (context only — they do not answer the question)" if answer.refused
               else "Sources")
    items = [f"<h3 class='gq-heading'>{heading}</h3>"]
    for citation in answer.citations:
        where = html.escape(citation.source) + (f", p. {citation.page}" if citation.page else "")
        items.append(
            f"<details class='gq-source' id='source-{citation.number}'>"
            f"<summary><b>[{citation.number}]</b> {html.escape(citation.title)} <small>({where})</small>"
            f"<blockquote>{html.escape(citation.quote)}</blockquote></summary>"
            f"<div class='gq-passage'>{highlighted_passage(citation, documents)}</div></details>")
    return "\n".join(items)


def highlighted_passage(citation: Citation, documents: dict) -> str:
    """The quote in <mark>, with up to CONTEXT_CHARS of document text on each side."""
    document = documents.get(citation.source)
    if document is None:
        return f"<mark>{html.escape(citation.quote)}</mark>"
    text = document.text
    start, end = max(0, citation.start - CONTEXT_CHARS), min(len(text), citation.end + CONTEXT_CHARS)
    before = ("…" if start else "") + text[start:citation.start]
    after = text[citation.end:end] + ("…" if end < len(text) else "")
    return (f"{_paragraphs(before)}<mark class='gq-highlight'>{html.escape(text[citation.start:citation.end])}</mark>"
            f"{_paragraphs(after)}")


def documents_rows(index) -> list[list]:
    """[[source, title, chunks], ...] for the sources panel."""
    counts = index.chunks_per_source
    return [[source, document.title, counts.get(source, 0)] for source, document in sorted(index.documents.items())]


def _paragraphs(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
