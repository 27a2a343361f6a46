"""PDF text as a reader sees it: lines wrapped inside a paragraph joined again, words hyphenated at a
line end rejoined, paragraphs and headings kept apart.

pypdf's text comes with one line per printed line. Its visitor hands over every piece of text with
its position and font size, so each line knows where it sits: a heading is a line set larger (or
bold and short) than the body text; a paragraph ends where the gap to the next line is wider than
the usual line spacing, or at a short line that ends a sentence.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from dataclasses import dataclass

from .blocks import Parsed, TextBuilder

HEADING_SIZE_RATIO = 1.1  # a line this much larger than the body text is a heading
PARAGRAPH_GAP_RATIO = 1.4  # a gap this much wider than the usual line spacing ends a paragraph
_HYPHENATED = re.compile(r"[^\W\d_]-$")


@dataclass
class Line:
    text: str
    y: float | None
    size: float
    bold: bool


def read_pdf(data: bytes) -> tuple[Parsed, bool]:
    """(parsed text, encrypted-and-locked). Raises whatever pypdf raises on a damaged file."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                return Parsed(""), True
        except Exception:
            return Parsed(""), True
    pages = [_page_lines(page) for page in reader.pages]
    body = _body_size([line for page in pages for line in page])
    builder = TextBuilder()
    heading_sizes = sorted({round(line.size, 1) for page in pages for line in page
                            if _is_heading(line, body)}, reverse=True)
    for lines in pages:
        builder.page()
        for block, level in _blocks(lines, body, heading_sizes):
            builder.block(block, level)
    meta: dict = dict(reader.metadata or {})
    return builder.build(title=str(meta.get("/Title") or "").strip() or None,
                         date=str(meta.get("/CreationDate") or "") or None), False


def _page_lines(page) -> list[Line]:
    """The page's lines, each with the position and font of the first text drawn on it."""
    pieces: list[tuple[str, float | None, float, bool]] = []

    def visit(text, cm, tm, font, size):
        scale = abs(tm[3] * cm[3]) or 1.0
        y = tm[5] * cm[3] + cm[5] if text.strip() else None
        name = str((font or {}).get("/BaseFont", ""))
        pieces.append((text, y, (size or 0.0) * scale, "bold" in name.lower() or "black" in name.lower()))

    text = page.extract_text(visitor_text=visit) or ""
    lines, current = [], Line("", None, 0.0, False)
    for piece, y, size, bold in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                lines.append(current)
                current = Line("", None, 0.0, False)
            if part.strip() and current.y is None:
                current.y, current.size, current.bold = y, size, bold
            current.text += part
    lines.append(current)
    if "".join(line.text for line in lines).strip() != text.replace("\n", "").strip():
        # the visitor and the text disagree (unusual PDFs): keep pypdf's lines, without layout
        lines = [Line(line, None, 0.0, False) for line in text.split("\n")]
    return [line for line in lines if line.text.strip()]


def _body_size(lines: list[Line]) -> float:
    sizes = [round(line.size, 1) for line in lines if line.size for _ in line.text]
    return statistics.mode(sizes) if sizes else 0.0


def _is_heading(line: Line, body: float) -> bool:
    words = line.text.split()
    if not body or not line.size or len(words) > 14 or line.text.rstrip().endswith((".", ",", ";", ":")):
        return False
    return line.size > body * HEADING_SIZE_RATIO or (line.bold and abs(line.size - body) < 0.5)


def _blocks(lines: list[Line], body: float, heading_sizes: list[float]):
    """(block text, heading level or None) for the lines of one page."""
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False)
            if a.y is not None and b.y is not None and a.y > b.y and not _is_heading(a, body)]
    spacing = statistics.median(gaps) if gaps else None
    widest = max((len(line.text.rstrip()) for line in lines), default=0)
    paragraph: list[str] = []
    for i, line in enumerate(lines):
        if _is_heading(line, body):
            if paragraph:
                yield _join(paragraph), None
                paragraph = []
            yield line.text, 1 + heading_sizes.index(round(line.size, 1))
            continue
        paragraph.append(line.text)
        after = lines[i + 1] if i + 1 < len(lines) else None
        if after is None or _is_heading(after, body) or _paragraph_ends(line, after, spacing, widest):
            yield _join(paragraph), None
            paragraph = []


def _paragraph_ends(line: Line, after: Line, spacing: float | None, widest: int) -> bool:
    if spacing and line.y is not None and after.y is not None and line.y - after.y > spacing * PARAGRAPH_GAP_RATIO:
        return True
    text = line.text.rstrip()
    return text.endswith((".", "!", "?", ":")) and len(text) < 0.7 * widest


def _join(lines: list[str]) -> str:
    """Lines of one paragraph as one line: a word hyphenated at a line end is whole again."""
    text = lines[0].strip()
    for line in lines[1:]:
        line = line.strip()
        rejoin = _HYPHENATED.search(text) and line[:1].islower()
        text = text[:-1] + line if rejoin else f"{text} {line}"
    return text
