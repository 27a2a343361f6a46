"""The whole-document view: full text with the quote highlighted, and a PDF page with its region marked."""

import io
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from groundqa import Assistant
from groundqa.ui.document_view import document_link, document_page, page_image, quote_digest

REALISTIC = Path(__file__).parents[1] / "data" / "realistic"


def yellow_pixels(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    data = image.tobytes()  # white or black text under the translucent yellow
    return sum(1 for r, g, b in zip(data[0::3], data[1::3], data[2::3], strict=True)
               if r > 230 and 190 < g <= 245 and b < 190)


def test_the_whole_document_opens_at_the_quote_escaped(bundled_assistant):
    reply = bundled_assistant.ask("Who led the Russian delegation?")
    citation = reply.citations[0]
    link = urlsplit(document_link(citation))
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert link.fragment == "gq-hit" and query["source"] == citation.source
    status, page = document_page(bundled_assistant, query["source"], int(query["start"]), int(query["end"]),
                                 query["quote"])
    assert status == 200 and f"<mark id='gq-hit'>{citation.quote}</mark>" in page
    text = bundled_assistant.index.documents[citation.source].text
    assert len(page) > len(text)  # the whole document, not a window around the quote


def test_a_changed_document_or_a_foreign_name_is_said_not_highlighted(bundled_assistant):
    citation = bundled_assistant.ask("Who led the Russian delegation?").citations[0]
    status, page = document_page(bundled_assistant, citation.source, citation.start, citation.end,
                                 quote_digest("something else"))
    assert status == 200 and "changed since the answer" in page and "<mark" not in page
    status, page = document_page(bundled_assistant, "../../etc/passwd", 0, 10, "x")
    assert status == 404 and "root:" not in page


def test_document_text_is_shown_as_text(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.txt").write_text("The <script>alert(1)</script> tag is quoted. Mont Blanc is "
                                    "4,806 metres high.\n", encoding="utf-8")
    bot = Assistant(index_dir=tmp_path / "idx", sources=folder, embedder=embedder)
    citation = bot.ask("How high is Mont Blanc?").citations[0]
    _, page = document_page(bot, citation.source, citation.start, citation.end, quote_digest(citation.quote))
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.fixture(scope="module")
def office(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("office")
    shutil.copytree(REALISTIC, root / "docs")
    return Assistant(index_dir=root / "idx", sources=root / "docs", embedder=embedder)


def test_a_pdf_citation_opens_its_printed_page_with_the_quote_marked(office):
    reply = office.ask("What is the nightly hotel limit in Europe?")
    citation = next(c for c in reply.citations if c.source.endswith(".pdf"))
    assert citation.page and document_link(citation).endswith("#gq-page")
    _, page = document_page(office, citation.source, citation.start, citation.end, quote_digest(citation.quote),
                            citation.page)
    assert "<figure id='gq-page'><img src='/groundqa/page.png?" in page
    marked = page_image(office, citation.source, citation.page, citation.start, citation.end,
                        quote_digest(citation.quote))
    plain = page_image(office, citation.source, citation.page, citation.start, citation.end, "stale")
    assert marked[:8] == b"\x89PNG\r\n\x1a\n" and plain[:8] == b"\x89PNG\r\n\x1a\n"
    assert yellow_pixels(marked) > 5_000 and yellow_pixels(plain) == 0
    assert page_image(office, citation.source, 99, citation.start, citation.end, "x") is None
    assert page_image(office, "office-guide.docx", 1, 0, 5, "x") is None  # not a PDF
    opened_by_index = Assistant(index_dir=office.index_dir, embedder=office.embedder)  # `chat --index DIR`
    assert page_image(opened_by_index, citation.source, citation.page, citation.start, citation.end,
                      quote_digest(citation.quote)) == marked
