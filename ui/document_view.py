"""The whole document at a cited place, served next to the chat: the full text with the quote
highlighted and scrolled to, and for a PDF the printed page rendered (pypdfium2) with the quote's
region marked. Only indexed documents are served, their text escaped; a link whose passage no longer
matches the document (it changed since the answer) says so instead of highlighting something else.

    /groundqa/document?source=SOURCE&start=N&end=M&quote=DIGEST   (+ &page=P for a PDF)
    /groundqa/page.png?source=SOURCE&page=P&start=N&end=M&quote=DIGEST
"""

from __future__ import annotations

import hashlib
import html
import io
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

from groundqa import Assistant, Citation

ROUTE = "/groundqa/document"
PAGE_ROUTE = "/groundqa/page.png"
PAGE_SCALE = 1.6  # 115 dpi: sharp enough to read, small enough to send
STYLE = """
body{font:16px/1.6 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem 1.2rem;color:#1f2328;background:#fff}
header{border-bottom:1px solid #d0d7de;margin-bottom:1rem}h1{font-size:1.3rem;margin:.2rem 0}
main{white-space:pre-wrap;overflow-wrap:anywhere}mark{background:#ffe58a;color:#000;padding:0 .1rem}
figure{margin:0 0 1.5rem}figure img{max-width:100%;border:1px solid #d0d7de}.stale{color:#9a3412}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}header{border-color:#30363d}}
"""


def quote_digest(quote: str) -> str:
    return hashlib.sha256(quote.encode("utf-8")).hexdigest()[:16]


def document_link(citation: Citation) -> str:
    """Where a source's "whole document" link points."""
    query = {"source": citation.source, "start": citation.start, "end": citation.end,
             "quote": quote_digest(citation.quote)} | ({"page": citation.page} if citation.page else {})
    return f"{ROUTE}?{urlencode(query)}#{'gq-page' if citation.page else 'gq-hit'}"


def document_page(assistant: Assistant, source: str, start: int, end: int, digest: str,
                  page: int | None = None) -> tuple[int, str]:
    """(HTTP status, HTML page)."""
    document = assistant.index.documents.get(source)
    if document is None:
        return 404, _page("Not found", f"<p>{html.escape(source)} is not in the index.</p>")
    text = document.text
    found = _still_cited(text, start, end, digest)
    if found:
        body = (f"{html.escape(text[:start])}<mark id='gq-hit'>{html.escape(text[start:end])}</mark>"
                f"{html.escape(text[end:])}")
        note = "<a href='#gq-hit'>Go to the passage</a>"
    else:
        body = html.escape(text)
        note = "<span class='stale'>This document changed since the answer: the cited passage is no longer here.</span>"
    figure = ""
    if found and page and document.page_starts:
        query = urlencode({"source": source, "page": page, "start": start, "end": end, "quote": digest})
        figure = (f"<figure id='gq-page'><img src='{PAGE_ROUTE}?{query}' alt='Page {page} of "
                  f"{html.escape(document.title)}, the cited passage marked in yellow'>"
                  f"<figcaption>Page {page} as printed</figcaption></figure>")
    where = html.escape(source) + (f", p. {page}" if page else "")
    header = f"<header><h1>{html.escape(document.title)}</h1><p>{where} · {note}</p></header>"
    return 200, _page(document.title, f"{header}{figure}<main>{body}</main>")


def page_image(assistant: Assistant, source: str, page: int, start: int, end: int, digest: str) -> bytes | None:
    """The PDF page as PNG with the cited passage's region marked; None when there is no such page."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped]
    from PIL import ImageDraw

    index = assistant.index
    document = index.documents.get(source)
    path = Path(index.source_root) / source  # where the index read it: a chat opened with --index has no sources
    if document is None or not document.page_starts or not path.is_file():
        return None
    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            return None
        printed = pdf[page - 1]
        image = printed.render(scale=PAGE_SCALE).to_pil().convert("RGB")  # RGB: the drawing below blends
        if _still_cited(document.text, start, end, digest):
            overlay = ImageDraw.Draw(image, "RGBA")
            height = printed.get_height()
            for left, bottom, right, top in _quote_rects(printed.get_textpage(), document.text[start:end]):
                overlay.rectangle([left * PAGE_SCALE, (height - top) * PAGE_SCALE,
                                   right * PAGE_SCALE, (height - bottom) * PAGE_SCALE],
                                  fill=(255, 213, 0, 90), outline=(202, 138, 4, 255))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        pdf.close()


def _still_cited(text: str, start: int, end: int, digest: str) -> bool:
    """The link's passage is still at its offsets (the document did not change since the answer)."""
    return 0 <= start < end <= len(text) and quote_digest(text[start:end]) == digest


def _quote_rects(textpage, quote: str) -> list[tuple[float, float, float, float]]:
    """The rectangles (PDF points) of the quote on the page, found by letters and digits only, so line
    breaks, hyphenation and ligatures of the printed page do not get in the way."""
    printed = textpage.get_text_range()
    letters, origin = [], []
    for index, char in enumerate(printed):
        for part in unicodedata.normalize("NFKC", char).casefold():
            if part.isalnum():
                letters.append(part)
                origin.append(index)
    wanted = "".join(p for p in unicodedata.normalize("NFKC", quote).casefold() if p.isalnum())
    at = "".join(letters).find(wanted) if wanted else -1
    if at < 0:
        return []
    first, last = origin[at], origin[at + len(wanted) - 1]
    count = textpage.count_rects(first, last - first + 1)
    return [textpage.get_rect(i) for i in range(count)]


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width,initial-scale=1'><title>{html.escape(title)} — groundqa</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def add_routes(server, assistant: Assistant) -> None:
    """Serve the two views on the chat's own FastAPI app."""
    from fastapi.responses import HTMLResponse, Response

    @server.get(ROUTE, include_in_schema=False)
    def whole_document(source: str, start: int = -1, end: int = -1, quote: str = "", page: int | None = None):
        status, page_html = document_page(assistant, source, start, end, quote, page)
        return HTMLResponse(page_html, status_code=status)

    @server.get(PAGE_ROUTE, include_in_schema=False)
    def printed_page(source: str, page: int, start: int = -1, end: int = -1, quote: str = ""):
        png = page_image(assistant, source, page, start, end, quote)
        return Response(png, media_type="image/png") if png else Response(status_code=404)
