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
    its text, headings as sections, list items and table rows one per line. A YAML front-matter
    block is metadata, not text: its `title` and `date` are the document's, every field filters."""
    from markdown_it import MarkdownIt

    fields, text = front_matter(text)
    parsed = _rendered_markdown(MarkdownIt("commonmark").enable("table").parse(text))
    parsed.title = fields.get("title") or parsed.title
    parsed.date, parsed.fields = fields.get("date"), fields
    return parsed


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?P<body>.*?)\n?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*))?")
_ITEM = re.compile(r"[ \t]*-[ \t]+(?P<value>.*)")


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """(fields, the rest) of Markdown that opens with a YAML front-matter block of `key: value`
    lines (lists become "a, b"; nested mappings are skipped), else ({}, text) unchanged.

    >>> front_matter("---\\nTitle: Leave policy\\nauthor: 'HR'\\ntags: [leave, hr]\\n---\\n# Leave\\n")
    ({'title': 'Leave policy', 'author': 'HR', 'tags': 'leave, hr'}, '# Leave\\n')
    >>> front_matter("---\\n\\nA rule, then text.\\n---\\n")[0]
    {}
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    key = None
    for line in match["body"].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item, found = _ITEM.fullmatch(line), _FIELD.fullmatch(line)
        if item and key is not None:
            fields[key] = ", ".join(filter(None, [fields[key], _scalar(item["value"])]))
        elif found and not line[:1].isspace():
            key = found["key"].lower()
            fields[key] = _scalar(found["value"] or "")
        elif not line[:1].isspace():
            return {}, text  # not YAML: a thematic break and a setext heading, say
    return ({k: v for k, v in fields.items() if v}, text[match.end():]) if fields else ({}, text)


def _scalar(value: str) -> str:
    value = re.sub(r"\s+#.*$", "", value).strip()
    if value.startswith("[") and value.endswith("]"):
        return ", ".join(filter(None, (_scalar(v) for v in value[1:-1].split(","))))
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip()
    return "" if value in ("|", ">", "~", "null") else value


def _rendered_markdown(tokens) -> Parsed:
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
