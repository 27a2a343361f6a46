"""HTML and Markdown for the chat window: answers, refusals, sources and highlighted passages.
Pure functions of an `Answer` and the index's documents, so they are tested without a server."""

from __future__ import annotations

import html
import re

from groundqa import Answer, Citation
from groundqa.errors import one_line
from groundqa.verify import MARKER

from .document_view import document_link

CONTEXT_CHARS = 400
SOURCES_OPEN = "<details class='gq-sources' open>"
REFUSAL_NOTICE = "⚠️ **Not in the sources.** "
WARNING = "⚠️ "
# ":" and "@" too, and the dot of "www.": the renderer turns https://…, www.… and a@b.c into live links
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$:@])")
_WWW_DOT = re.compile(r"(?i)(?<![\w.])(www)\.")
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>#|~&$:@.])")
_LINKED_MARKER = re.compile(r"\[\[(\d+)\]\]\(#gq-\d+-\d+\)")


def answer_markdown(answer: Answer, turn: int | None = None) -> str:
    """The chat message: the answer, document text escaped so it cannot format or inject markup,
    with [n] markers that link to source n of `turn`; refusals get a notice in front."""
    parts = MARKER.split(answer.text)  # text, number, text, number, ..., text
    body = "".join(_marker_link(part, turn) if i % 2 else _escape_markdown(part) for i, part in enumerate(parts))
    body += "".join(f"\n\n{WARNING}{_escape_markdown(warning)}" for warning in answer.warnings)
    return REFUSAL_NOTICE + body if answer.refused else body


def history_pairs(messages: list[dict]) -> list[tuple[str, str]]:
    """Gradio messages ([{"role", "content"}, ...]) -> [(question, answer), ...] for condensing.
    Content is a string or, as Gradio 6 sends it back, a list of {"type": "text", "text": ...} parts.
    Sources messages are not part of the conversation."""
    pairs, question = [], None
    for message in messages or []:
        content = message_text(message.get("content")) if isinstance(message, dict) else None
        if content is None or is_sources(message):
            continue
        if message.get("role") == "user":
            question = unescape(content)  # as question_markdown showed it
        elif message.get("role") == "assistant" and question is not None:
            pairs.append((question, plain_answer(content)))
            question = None
    return pairs


def rated_turn(messages: list[dict], index: int) -> tuple[str, list[tuple[str, str]], str] | None:
    """(question, history before it, answer shown) for the answer at or just before message `index`
    (a rating can land on an answer's sources message); None when there is no such answer."""
    messages = [m if isinstance(m, dict) else {} for m in messages or []]
    for at in range(min(index, len(messages) - 1), -1, -1):
        message = messages[at]
        if message.get("role") == "user":
            return None
        if message.get("role") != "assistant" or is_sources(message) or message_text(message.get("content")) is None:
            continue
        asked = next((q for q in range(at - 1, -1, -1) if messages[q].get("role") == "user"), None)
        if asked is None:
            return None
        question = unescape(message_text(messages[asked].get("content")) or "")
        return question, history_pairs(messages[:asked]), message_text(message.get("content")) or ""
    return None


def question_markdown(question: str) -> str:
    """The user's question as the chat shows it: literal text, so `![x](https://…)` or `<img>` in a
    question can neither format nor make the browser fetch anything.

    >>> print(question_markdown("![x](https://evil.example/x.png) <img src=y>"))
    !\\[x\\](https\\://evil.example/x.png) \\<img src=y\\>
    """
    return _escape_markdown(question)


def plain_answer(markdown: str) -> str:
    """answer_markdown's inverse: "Medinsky [[1]](#gq-1-1)." -> "Medinsky [1]."."""
    return unescape(_LINKED_MARKER.sub(r"[\1]", markdown.removeprefix(REFUSAL_NOTICE)))


def unescape(markdown: str) -> str:
    """The text `_escape_markdown` was given: "\\[1\\]" -> "[1]"."""
    return _ESCAPED.sub(r"\1", markdown)


def message_text(content) -> str | None:
    """The text of one chat message's content; None for files and other non-text content."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part["text"] for part in content if isinstance(part, dict) and part.get("type") == "text"
                 and isinstance(part.get("text"), str)]
        return "".join(texts) if texts else None
    return None


def sources_message(answer: Answer, documents: dict, turn: int) -> dict | None:
    """The message under an answer that lists its sources, one collapsible block (None when there are
    none). Our own <details>, not gradio's titled message: that one nests a button in a button."""
    if not answer.citations:
        return None
    title = ("Closest passages — context only, they do not answer the question" if answer.refused
             else f"Sources ({len(answer.citations)}) — click one to see it in its document")
    return {"role": "assistant", "content": f"{SOURCES_OPEN}<summary>{title}</summary>\n"
                                            f"{sources_html(answer, documents, turn)}</details>"}


def is_sources(message: dict) -> bool:
    """A sources message (also as earlier versions made them: a message with a metadata title)."""
    text = message_text(message.get("content")) or ""
    return text.startswith(SOURCES_OPEN) or bool((message.get("metadata") or {}).get("title"))


def sources_html(answer: Answer, documents: dict, turn: int) -> str:
    """One expandable entry per citation: number, title, page, quote; opened, it shows the passage
    highlighted inside its surrounding document text. Ids are gq-<turn>-<n>, the answer's link targets."""
    items = []
    for citation in answer.citations:
        where = html.escape(citation.location)
        items.append(
            f"<details class='gq-source' id='gq-{turn}-{citation.number}'>"
            f"<summary><b>[{citation.number}]</b> {html.escape(citation.title)} <small>({where})</small>"
            f"<blockquote>{html.escape(citation.quote)}</blockquote></summary>"
            f"<div class='gq-passage'>{highlighted_passage(citation, documents)}</div>"
            f"<a class='gq-open' href='{html.escape(document_link(citation))}' target='_blank' rel='noopener'>"
            f"Open the whole document{' at page ' + str(citation.page) if citation.page else ''} ↗</a></details>")
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


DOCUMENT_HEADERS = ["document", "date", "chunks", "pages", "indexed"]  # date: what a date filter matches; UTC


def documents_rows(index) -> list[list]:
    """[[source, date, chunks, pages, indexed], ...] for the documents panel: the live index."""
    from groundqa.documents import document_statuses

    return [[d.source, d.date or "–", d.chunks, d.pages or "–", d.indexed_at]
            for d in document_statuses(index)]


def upload_summary(report) -> str:
    """One line per outcome of an upload: what was added (and how many chunks), what was refused and why."""
    lines = []
    if report.added or report.updated:
        done = [f"added {_count(len(report.added), 'document')}"] * bool(report.added)
        done += [f"replaced {_count(len(report.updated), 'document')} with the new version"] * bool(report.updated)
        done[0] = done[0][0].upper() + done[0][1:]
        lines.append(f"✓ {' and '.join(done)} ({_count(report.chunks_embedded, 'chunk')} embedded in "
                     f"{report.seconds:.1f} s): {', '.join(map(_escape_markdown, report.added + report.updated))}")
    lines += [f"⚠️ Skipped {_escape_markdown(one_line(path.rsplit('/', 1)[-1]))}: {_escape_markdown(one_line(reason))}"
              for path, reason in report.skipped]
    return "\n\n".join(lines) or "Nothing new: those files are already in the index."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _escape_markdown(text: str) -> str:
    return _WWW_DOT.sub(r"\1\\.", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def _marker_link(number: str, turn: int | None) -> str:
    return f"[[{number}]](#gq-{turn}-{number})" if turn is not None else f"\\[{number}\\]"


def _paragraphs(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
