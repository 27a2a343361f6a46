"""Read .txt, .md, .html, .pdf and .docx files into `Document`s.

Text normalisation (the text every citation offset points into):

* ``.txt`` / ``.md`` — the file decoded as UTF-8 (a leading BOM dropped) with universal
  newlines, i.e. exactly ``open(path, encoding="utf-8-sig").read()``; a file that starts with a
  UTF-16 byte-order mark is decoded as UTF-16 (``open(path, encoding="utf-16").read()``).
  Other encodings (Latin-1, …) are refused rather than guessed, so offsets never drift.
* ``.html`` — visible text (scripts/styles dropped), one line per block element,
  runs of spaces folded.
* ``.pdf`` — pypdf's text of each page, pages joined by a blank line.
* ``.docx`` — paragraph texts (tables included) joined by newlines.

`read_text(path)` returns that text for any supported file.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from groundqa.errors import LoaderError

from .document import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are skipped (and refused as uploads)
MAX_TEXT_CHARS = 5_000_000         # about 800k words, 7k chunks: half a minute of embedding on 2 cores
_DATE = re.compile(r"(?<!\d)(\d{4})[-_](\d{2})(?:[-_](\d{2}))?(?!\d)")


def load(path: str | Path, root: str | Path | None = None, data: bytes | None = None) -> Document:
    """Load one file; `source` is its path relative to `root` (or its name).

    Pass `data` when the bytes were already read (the indexer hashes them first).

    >>> from groundqa.sources import BUNDLED_CORPUS
    >>> doc = load(BUNDLED_CORPUS / "istanbul-talks-2025-06.txt")
    >>> doc.title, doc.date
    ('Istanbul talks', '2025-06')
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise LoaderError(path, f"unsupported file type {path.suffix or '(none)'!r}; "
                                f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    data = read_source_bytes(path) if data is None else data
    if not data.strip():
        raise LoaderError(path, "file is empty")
    try:
        text, title, date, page_starts = reader(path, data)
    except LoaderError:
        raise
    except Exception as exc:  # third-party parsers raise anything on corrupt input
        raise LoaderError(path, f"cannot parse {path.suffix} file ({type(exc).__name__}: {exc})") from None
    if not text.strip():
        raise LoaderError(path, "no text could be extracted (empty, or a scanned image?)")
    if len(text) > MAX_TEXT_CHARS:
        raise LoaderError(path, f"too much text ({len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}); "
                                f"split it into smaller files")
    source = path.name if root is None else relative_source(path, root)
    return Document(
        source=source,
        title=title or _title_from_name(path),
        text=text,
        date=date or _date_from_name(path),
        page_starts=tuple(page_starts),
    )


def read_source_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; LoaderError for anything else
    (a FIFO would block the reader forever, a device never ends, a huge file stalls the index)."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LoaderError(path, "not a regular file (a pipe, socket or device)")
        if info.st_size > MAX_FILE_BYTES:
            raise LoaderError(path, f"file too large ({info.st_size / 2**20:.1f} MB; "
                                    f"the limit is {MAX_FILE_BYTES // 2**20} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise LoaderError(path, f"cannot read file ({exc.strerror or exc})") from None


def relative_source(path: Path, root: str | Path) -> str:
    """`path` relative to `root` with forward slashes; symlinked files keep their own name."""
    root = Path(root).resolve()
    for candidate in (Path(os.path.abspath(path)), Path(path).resolve()):
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return Path(path).name


def read_text(path: str | Path) -> str:
    """The normalised text of a file: what citation offsets index into."""
    return load(path).text


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # unambiguous, so read it
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoaderError(path, f"is not valid UTF-16 (bad bytes at offset {exc.start})") from None
        if "\x00" not in text:  # a NUL here means binary (or UTF-32) behind a lookalike mark
            return _normalise_newlines(text)
    if b"\x00" in data[:8192]:
        raise LoaderError(path, "looks like a binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(path, f"is not valid UTF-8 (bad byte at offset {exc.start}); re-save it as UTF-8") from None
    return _normalise_newlines(text)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_plain(path: Path, data: bytes):
    text = _decode(path, data)
    title = None
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
        title = heading.group(1) if heading else None
    return text, title, None, ()


_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "title")


def _read_html(path: Path, data: bytes):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path, data), "lxml")
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in _text_with_block_breaks(soup).split("\n"))
    return "\n".join(line for line in lines if line), title, None, ()


def _text_with_block_breaks(soup) -> str:
    """`soup.get_text()` with a newline before and after every block element, in one pass with an
    explicit stack: inserting newline strings into the tree costs quadratic time on deeply nested
    pages (20,000 nested divs took 15 s), and recursion would overflow."""
    from bs4 import CData, NavigableString

    parts, stack = [], [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            parts.append("\n")
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # what get_text() keeps: no comments, doctypes…
                parts.append(str(node))
        else:
            if node.name in _BLOCK_TAGS:
                parts.append("\n")
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    return "".join(parts)


def _read_pdf(path: Path, data: bytes):
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise LoaderError(path, "PDF is password-protected; remove the password and try again")
        except LoaderError:
            raise
        except Exception:
            raise LoaderError(path, "PDF is password-protected; remove the password and try again") from None
    parts, page_starts, offset = [], [], 0
    for page in reader.pages:
        page_text = (page.extract_text() or "").strip()
        page_starts.append(offset)
        parts.append(page_text)
        offset += len(page_text) + 2
    meta: dict = dict(reader.metadata or {})
    title = (meta.get("/Title") or "").strip() or None
    date = _date_from_text(str(meta.get("/CreationDate") or ""))
    return "\n\n".join(parts), title, date, page_starts


def _read_docx(path: Path, data: bytes):
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    text = "\n".join(p for p in paragraphs if p.strip())
    props = document.core_properties
    date = props.created.date().isoformat() if props.created else None
    return text, (props.title or "").strip() or None, date, ()


def _title_from_name(path: Path) -> str:
    words = re.sub(r"[-_]+", " ", _DATE.sub("", path.stem)).strip()
    return words[:1].upper() + words[1:] if words else path.name


def _date_from_name(path: Path) -> str | None:
    return _date_from_text(path.stem)


def _date_from_text(text: str) -> str | None:
    text = text.removeprefix("D:")
    match = _DATE.search(text) or re.match(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        return None
    return "-".join(part for part in match.groups() if part)


_READERS: dict[str, Callable] = {
    ".txt": _read_plain, ".md": _read_plain, ".markdown": _read_plain,
    ".html": _read_html, ".htm": _read_html,
    ".pdf": _read_pdf, ".docx": _read_docx,
}
