from pathlib import Path

import pytest

from groundqa.errors import LoaderError
from groundqa.sources import iter_source_files, load, read_text


def make_pdf(path, pages, title=None, password=None):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=password)
    if title:
        pdf.setTitle(title)
    for text in pages:
        pdf.drawString(72, 760, text)
        pdf.showPage()
    pdf.save()


def make_docx(path, paragraphs, title=None):
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


def test_txt_text_is_exactly_what_open_reads(tmp_path):
    path = tmp_path / "report-2025-06-02.txt"
    path.write_bytes("\ufeffFirst line.\r\nSecond line with ünïcode.\r\n".encode("utf-8"))
    document = load(path, tmp_path)
    assert document.text == path.read_text(encoding="utf-8-sig")
    assert document.source == "report-2025-06-02.txt"
    assert document.date == "2025-06-02"
    assert document.title == "Report"


def test_markdown_title_from_heading(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Field notes\n\nSome text.\n")
    assert load(path).title == "Field notes"


def test_html_keeps_visible_text_and_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>Talks page</title><style>p{}</style></head><body>"
                    "<h1>Heading</h1><p>First   paragraph.</p><script>var x = 1;</script><p>Second.</p></body></html>")
    document = load(path)
    assert document.title == "Talks page"
    assert document.text.splitlines() == ["Heading", "First paragraph.", "Second."]
    assert "var x" not in document.text


def test_pdf_pages_and_offsets(tmp_path):
    path = tmp_path / "two.pdf"
    make_pdf(path, ["The first page mentions apples.", "The second page mentions pears."], title="Fruit")
    document = load(path)
    assert document.title == "Fruit"
    offset = document.text.index("pears")
    assert document.page_at(offset) == 2
    assert document.page_at(document.text.index("apples")) == 1


def test_docx_paragraphs(tmp_path):
    path = tmp_path / "memo.docx"
    make_docx(path, ["Memo about the talks.", "Second paragraph."], title="Memo")
    document = load(path)
    assert document.title == "Memo"
    assert document.text == "Memo about the talks.\nSecond paragraph."
    assert read_text(path) == document.text


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty"),
    ("spaces.txt", b"   \n\t ", "empty"),
    ("binary.txt", b"\x00\x01\x02binary", "binary"),
    ("latin1.txt", "café".encode("latin-1"), "UTF-8"),
    ("utf32.txt", "text".encode("utf-32"), "binary"),  # starts like a UTF-16 mark, then NULs
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "the PDF is damaged or cut short"),
    ("broken.docx", b"PK\x03\x04 not a zip", "the Word document \\(.docx\\) is damaged"),
    ("renamed.pdf", b"Just some notes.", "this file is not a PDF \\(it looks like plain text\\)"),
    ("tool.docx", b"MZ\x90\x00", "not a Word document .* \\(it looks like a Windows program\\)"),
    ("table.csv", b"a,b", "unsupported"),
])
def test_bad_files_raise_one_clear_loader_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoaderError, match=message) as caught:
        load(path)
    assert "\n" not in str(caught.value)


def test_password_protected_pdf(tmp_path):
    path = tmp_path / "secret.pdf"
    make_pdf(path, ["Hidden text."], password="hunter2")
    with pytest.raises(LoaderError, match="password"):
        load(path)


def test_folder_walk_skips_hidden_and_unsupported(tmp_path):
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / "b.csv").write_text("x")
    (tmp_path / ".groundqa").mkdir()
    (tmp_path / ".groundqa" / "c.txt").write_text("C.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.md").write_text("D.")
    assert [p.name for p in iter_source_files(tmp_path)] == ["a.txt", "d.md"]


def test_utf16_with_a_byte_order_mark_reads_like_open(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Çırağan Palace\r\nSecond line — ünïcødé.".encode("utf-16"))
    assert load(path).text == path.read_text(encoding="utf-16") == "Çırağan Palace\nSecond line — ünïcødé."


def test_deeply_nested_html_keeps_its_text_and_block_breaks(tmp_path):
    path = tmp_path / "deep.html"
    depth = 3000
    path.write_text("<html><body>" + "<div><p>level</p>" * depth + "bottom" + "</div>" * depth + "</body></html>")
    lines = load(path).text.split("\n")
    assert lines == ["level"] * depth + ["bottom"]


def test_special_and_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    import os

    from groundqa.sources import loaders

    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(LoaderError, match="not a regular file"):
        load(tmp_path / "pipe.txt")
    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.txt").write_text("more than ten bytes")
    with pytest.raises(LoaderError, match=r"file too large \(0.0 MB; the limit is 0 MB\)"):
        load(tmp_path / "big.txt")


def test_a_pdf_without_text_asks_whether_it_is_a_scan(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(100, 100, 200, 200, fill=1)  # a picture, no text
    page.save()
    with pytest.raises(LoaderError, match="no text found — is it a scan?"):
        load(path)


def test_a_last_page_without_text_starts_at_the_end_of_the_text():
    """Found by the fuzz test: a damaged PDF whose second page lost its text."""
    from groundqa.sources.blocks import TextBuilder

    builder = TextBuilder()
    builder.page()
    builder.block("First page about the Bosphorus.")
    builder.page()  # nothing follows
    parsed = builder.build()
    assert parsed.page_starts == [0, len(parsed.text)]


def test_relative_source_names_files_from_the_root_with_forward_slashes(tmp_path, monkeypatch):
    from groundqa.sources import relative_source

    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    nested = root / "sub" / "a.txt"
    nested.write_text("x")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("y")
    (root / "link.txt").symlink_to(outside)
    assert relative_source(nested, root) == "sub/a.txt"
    assert relative_source(str(nested), str(root) + "/") == "sub/a.txt"
    assert relative_source(root / "link.txt", root) == "link.txt"  # a symlinked file keeps its own name
    assert relative_source(outside, root) == "elsewhere.txt"  # not under the root: its name
    monkeypatch.chdir(tmp_path)
    assert relative_source(Path("docs/sub/../sub/a.txt"), "docs") == "sub/a.txt"
    (tmp_path / "alias").symlink_to(root)  # the root reached through a symlinked folder
    assert relative_source(tmp_path / "alias" / "sub" / "a.txt", root) == "sub/a.txt"
