"""HTML, Markdown and DOCX read as a person reads them: headings become sections, one line per block
(paragraph, list item, table row), page furniture (navigation, footers, scripts) and markup dropped.
Table rows read as "Header: value; Header: value." sentences."""

from __future__ import annotations

import io
import re

from .blocks import Parsed, TextBuilder, table_rows

_HEADING_TAG = re.compile(r"^h([1-6])$")
_BLOCK_TAGS = {"p", "div", "br", "li", "dt", "dd", "tr", "section", "article", "main", "header", "footer",
               "blockquote", "pre", "table", "ul", "ol", "dl", "figure", "figcaption", "caption", "hr",
               "h1", "h2", "h3", "h4", "h5", "h6", "title"}
_DROPPED_TAGS = ["script", "style", "noscript", "template", "head", "nav", "aside", "footer", "form", "button",
                 "iframe", "svg", "canvas"]
_DROPPED_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary"}


def read_html(text: str) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    for tag in soup(_DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(role=True):
        if not tag.decomposed and str(tag.get("role")) in _DROPPED_ROLES:
            tag.decompose()
    for tag in soup.find_all("header"):  # the page's banner, not an article's own header
        if not tag.decomposed and not tag.find_parent(["article", "main"]):
            tag.decompose()
    builder = TextBuilder()
    for block, level in _html_blocks(soup):
        builder.block(block, level)
    return builder.build(title=title)


def _html_blocks(soup):
    """(text, heading level or None) per block, in document order, in one pass with an explicit
    stack: inserting newlines into the tree costs quadratic time on deeply nested pages, and
    recursion would overflow on them. Tables become readable rows."""
    from bs4 import CData, NavigableString

    stack, current = [(soup, False)], list[str]()
    while stack:
        node, closing = stack.pop()
        if closing:
            if current:
                yield "".join(current), _heading_level(node)
            current = []
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # what get_text() keeps: no comments, doctypes…
                current.append(str(node))
        elif node.name == "table":
            if current:
                yield "".join(current), None
            current = []
            rows = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                    for row in node.find_all("tr")]
            for row in table_rows(rows):
                yield row, None
        elif node.name in _BLOCK_TAGS:
            if current:
                yield "".join(current), None
            current = []
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        else:
            stack.extend((child, False) for child in reversed(node.contents))
    if current:
        yield "".join(current), None


def _heading_level(node) -> int | None:
    match = _HEADING_TAG.match(node.name or "")
    return int(match.group(1)) if match else None


def read_markdown(text: str) -> Parsed:
    """Rendered text: emphasis, link and image syntax dropped (link text and alt text kept), code as
    its text, headings as sections, list items and table rows one per line."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    builder, title = TextBuilder(), None
    rows: list[list[str]] | None = None
    level: int | None = None
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = None
        elif token.type == "table_open":
            rows = []
        elif token.type == "table_close":
            for row in table_rows(rows or []):
                builder.block(row)
            rows = None
        elif token.type == "tr_open" and rows is not None:
            rows.append([])
        elif token.type == "inline":
            words = _inline_text(token)
            if rows is not None and rows:
                rows[-1].append(words)
            elif rows is None:
                if level == 1 and title is None:
                    title = words.strip()
                builder.block(words, level)
        elif token.type in ("fence", "code_block"):
            for line in token.content.splitlines():
                builder.block(line)
    return builder.build(title=title)


def _inline_text(token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # the alt text
    return "".join(parts)


def read_docx(data: bytes) -> Parsed:
    """Paragraphs and tables in document order; "Title" and "Heading N" styles are headings."""
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    builder = TextBuilder()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in table_rows([[cell.text for cell in row.cells] for row in item.rows]):
                builder.block(row)
            continue
        builder.block(item.text, _docx_heading_level(item.style.name if item.style is not None else ""))
    props = document.core_properties
    date = props.created.date().isoformat() if props.created else None
    return builder.build(title=(props.title or "").strip() or None, date=date)


def _docx_heading_level(style: str) -> int | None:
    if style == "Title":
        return 0
    match = re.match(r"Heading (\d)$", style or "")
    return int(match.group(1)) if match else None
