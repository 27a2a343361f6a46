"""Read .txt, .md, .html, .pdf and .docx files into `Document`s.

The text "as loaded" (what every citation offset points into):

* ``.txt`` — the file decoded as UTF-8 (a leading BOM dropped) with universal newlines, i.e.
  exactly ``open(path, encoding="utf-8-sig").read()``; a file that starts with a UTF-16
  byte-order mark is decoded as UTF-16 (``open(path, encoding="utf-16").read()``). Other
  encodings (Latin-1, …) are refused rather than guessed, so offsets never drift. A short line
  standing alone between blank lines, with no closing punctuation, is a heading.
* ``.md`` — the rendered text (decoded as for ``.txt``): no emphasis, heading or link syntax
  (link text and image alt text kept), one line per paragraph, list item and table row.
* ``.html`` — the visible text of the page's content: scripts, styles, navigation, banners,
  footers and asides dropped; one line per block element; runs of spaces folded.
* ``.pdf`` — per page, lines wrapped inside a paragraph joined with a space, words hyphenated at
  a line end rejoined, one line per paragraph or heading; pages joined by a blank line.
* ``.docx`` — paragraphs and tables in document order, one line each.

Headings (``#`` lines, ``<h1>``–``<h6>``, Word's Title/Heading styles, larger or bold short lines
in a PDF) stay in the text as lines of their own and are recorded in ``Document.headings``.
Tables (Markdown, HTML, DOCX) become one sentence per row: "Header: value; Header: value."
`read_text(path)` returns that text for any supported file.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from groundqa.errors import LoaderError

from .blocks import Parsed
from .document import Document, Heading
from .markup import read_docx, read_html, read_markdown
from .pdf import read_pdf

TEXT_VERSION = 3  # bump when the text as loaded changes: indexes built from older text are rebuilt
# (3: a Markdown file's front matter is metadata, no longer text)
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are skipped (and refused as uploads)
MAX_TEXT_CHARS = 5_000_000         # about 800k words, 7k chunks: half a minute of embedding on 2 cores
# What the parsers hold in memory is about 9x the XML of a .docx and 100x an HTML page (BeautifulSoup);
# these keep a file within the parse worker's 1 GB, and a zip bomb is refused before it is opened.
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
MAX_HTML_BYTES = 8 * 1024 * 1024
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
    kind, signature = _KINDS.get(path.suffix.lower(), (f"{path.suffix} file", b""))
    if signature not in data[:1024]:
        raise LoaderError(path, f"this file is not a {kind} ({_looks_like(data)}); check that it opens, or save it "
                                f"again as {path.suffix}")
    if path.suffix.lower() == ".docx":
        _check_archive(path, data)
    elif path.suffix.lower() in (".html", ".htm") and len(data) > MAX_HTML_BYTES:
        raise LoaderError(path, f"an HTML page of {len(data) / 2**20:.1f} MB is more than groundqa reads (the limit is "
                                f"{MAX_HTML_BYTES >> 20} MB); save its text as .txt")
    try:
        parsed = reader(path, data)
    except (LoaderError, MemoryError):
        raise
    except Exception as exc:  # third-party parsers raise anything on corrupt input
        raise LoaderError(path, f"the {kind} is damaged or cut short and cannot be read "
                                f"({type(exc).__name__}: {exc})") from None
    text = parsed.text
    if not text.strip():
        raise LoaderError(path, "no text found — is it a scan? groundqa reads text, not images of text")
    if len(text) > MAX_TEXT_CHARS:
        raise LoaderError(path, f"too much text ({len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}); "
                                f"split it into smaller files")
    source = path.name if root is None else relative_source(path, root)
    return Document(
        source=source,
        title=parsed.title or _title_from_name(path),
        text=text,
        date=_date_from_text(parsed.date or "") or _date_from_name(path),
        page_starts=tuple(parsed.page_starts),
        headings=tuple(parsed.headings),
        fields=tuple(parsed.fields.items()),
    )


def _check_archive(path: Path, data: bytes) -> None:
    """A .docx is a zip: the sizes its directory declares bound what reading it unpacks (zipfile
    stops at the declared size), so a bomb is refused here, in milliseconds."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # the parts the parser reads; images and embedded files are never unpacked
            xml = sum(item.file_size for item in archive.infolist() if item.filename.endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoaderError(path, f"the Word document (.docx) is damaged or cut short and cannot be read "
                                f"({exc})") from None
    if xml > MAX_DOCX_XML_BYTES:
        raise LoaderError(path, f"it unpacks to {xml / 2**20:,.0f} MB of XML (the limit is {MAX_DOCX_XML_BYTES >> 20} "
                                f"MB; a real document of 5 million characters is far less) — a zip bomb or a "
                                f"document to split")


_KINDS = {".pdf": ("PDF", b"%PDF"), ".docx": ("Word document (.docx)", b"PK\x03\x04")}
_MAGIC = ((b"%PDF", "it is a PDF"), (b"PK\x03\x04", "it looks like a ZIP archive or an Office file"),
          (b"MZ", "it looks like a Windows program"), (b"\x89PNG", "it is a PNG image"),
          (b"\xff\xd8\xff", "it is a JPEG image"), (b"{\\rtf", "it is an RTF document"),
          (b"\xd0\xcf\x11\xe0", "it looks like an old Word/Excel file (.doc/.xls)"))


def _looks_like(data: bytes) -> str:
    for magic, description in _MAGIC:
        if data.startswith(magic):
            return description
    head = data[:512]
    return "it looks like plain text" if head and b"\x00" not in head and head.isascii() else "its content is unknown"


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


def relative_source(path: str | Path, root: str | Path) -> str:
    """`path` relative to `root` with forward slashes; symlinked files keep their own name."""
    root = _resolved_root(os.path.abspath(root))  # absolute first: the cache must not outlive a chdir
    # Called for every file of a folder at every build and every look for changes, so the common
    # case (the plain absolute path is under the root) is string work: pathlib took 0.2 s of a
    # look over 10k files. Resolving costs a system call per path component: only when needed.
    plain = os.path.abspath(path)
    prefix = _prefix(root)
    if plain.startswith(prefix) and len(plain) > len(prefix):
        return plain[len(prefix):].replace(os.sep, "/")
    unresolved = Path(plain)
    candidate = unresolved if unresolved.is_relative_to(root) else _resolved(path)
    if candidate is not None and candidate.is_relative_to(root):
        return candidate.relative_to(root).as_posix()
    return Path(path).name


@functools.lru_cache(maxsize=64)
def _resolved_root(root: str) -> Path:
    return Path(root).resolve()


@functools.lru_cache(maxsize=64)
def _prefix(root: Path) -> str:
    return str(root).rstrip(os.sep) + os.sep


def _resolved(path: str | Path) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None


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


def _read_plain(path: Path, data: bytes) -> Parsed:
    text = _decode(path, data)
    return Parsed(text, headings=plain_headings(text))


def _read_markdown(path: Path, data: bytes) -> Parsed:
    return read_markdown(_decode(path, data))


def _read_html(path: Path, data: bytes) -> Parsed:
    return read_html(_decode(path, data))


def _read_pdf(path: Path, data: bytes) -> Parsed:
    parsed, locked = read_pdf(data)
    if locked:
        raise LoaderError(path, "PDF is password-protected; remove the password and try again")
    return parsed


def _read_docx(path: Path, data: bytes) -> Parsed:
    return read_docx(data)


_PLAIN_HEADING = re.compile(r"(?:^|\n\n)([^\n]{1,80})\n(?=\n?[^\n])")


def plain_headings(text: str) -> list[Heading]:
    """Headings of a plain-text file: a short line (at most 10 words, no closing punctuation,
    starting with a capital or a number) at the start or after a blank line, followed by text.

    >>> text = "Opening times\\n\\nThe office opens at 8.\\n\\nClosing\\nIt closes at 18."
    >>> [text[h.start:h.end] for h in plain_headings(text)]
    ['Opening times', 'Closing']
    """
    found = []
    for match in _PLAIN_HEADING.finditer(text):
        line = match.group(1).strip()
        looks_like_heading = (bool(line) and len(line.split()) <= 10 and line[-1] not in ".!?,;:…\"”'’)"
                              and (line[0].isupper() or line[0].isdigit()))
        if looks_like_heading and text[match.end():].strip():
            start = match.start(1) + len(match.group(1)) - len(match.group(1).lstrip())
            found.append(Heading(start, start + len(line), 1))
    return found


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


_READERS: dict[str, Callable[[Path, bytes], Parsed]] = {
    ".txt": _read_plain, ".md": _read_markdown, ".markdown": _read_markdown,
    ".html": _read_html, ".htm": _read_html,
    ".pdf": _read_pdf, ".docx": _read_docx,
}
