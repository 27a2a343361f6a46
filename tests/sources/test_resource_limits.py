"""Files built to exhaust the reader — a zip bomb, a huge page, a PDF whose pages all repeat one
enormous stream — cost one skipped file with its reason, not minutes and gigabytes, and are not
parsed again on the next run."""

import io
import resource
import subprocess
import sys
import zipfile
import zlib

import pytest

from groundqa.errors import LoaderError
from groundqa.index import build_index
from groundqa.sources import load_isolated
from groundqa.sources import worker as parse_worker
from tests.conftest import ROOT


def docx_bomb(path, xml_mb: int) -> None:
    """A valid .docx whose document.xml unpacks to `xml_mb` MB (a few hundred KB on disk)."""
    import docx

    plain = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Hello")
    document.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                paragraph = b"<w:p><w:r><w:t>lorem ipsum dolor</w:t></w:r></w:p>"
                data = head + b"<w:body>" + paragraph * (xml_mb * 2**20 // len(paragraph)) + tail
            bomb.writestr(item, data)


def pdf_with_one_shared_stream(path, pages: int = 60, operations: int = 200_000) -> None:
    """A ~30 KB PDF whose every page draws the same 6 MB content stream (parsed once per page)."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n" * operations, 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream"]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                b"/Contents 4 0 R >>"] * pages
    out, offsets = io.BytesIO(b"%PDF-1.4\n"), []
    out.seek(0, 2)
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    table = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{table}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())


def big_html(path, megabytes: float) -> None:
    row = b"<div class='x'><span>word</span> <b>more</b></div>\n"
    path.write_bytes(b"<html><body>" + row * int(megabytes * 2**20 // len(row)) + b"</body></html>")


# VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's size (pytest's, here)
PEAK = """
import sys, time
from groundqa.errors import LoaderError
from groundqa.sources import load_isolated
started = time.perf_counter()
try:
    load_isolated(sys.argv[1])
except LoaderError as exc:
    print(exc.reason)
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(time.perf_counter() - started, int(peak) // 1024)
"""


def test_a_docx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.docx"
    docx_bomb(bomb, 200)
    assert bomb.stat().st_size < 2 * 2**20
    result = subprocess.run([sys.executable, "-c", PEAK, str(bomb)], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    reason, figures = result.stdout.strip().rsplit("\n", 1)
    seconds, peak_mb = figures.split()
    assert reason.startswith("it unpacks to 20") and "MB of XML" in reason and "zip bomb" in reason
    assert int(peak_mb) < 300  # it was never unpacked (before: 1.84 GB)


def test_a_huge_html_page_is_refused_by_size(tmp_path):
    page = tmp_path / "page.html"
    big_html(page, 49)
    with pytest.raises(LoaderError, match=r"an HTML page of 49\.0 MB is more than groundqa reads"):
        load_isolated(page)


def test_a_slow_file_is_stopped_at_its_time_budget_and_the_next_file_still_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(parse_worker, "parse_seconds", lambda size: 2.0)
    slow = tmp_path / "shared.pdf"
    pdf_with_one_shared_stream(slow)
    with pytest.raises(LoaderError, match="took longer than 2 s to read, so it was stopped"):
        load_isolated(slow)
    good = load_isolated(ROOT / "tests" / "data" / "realistic" / "travel-expense-policy.pdf")
    assert "Travel" in good.text  # a new worker took over


def test_a_file_that_needs_too_much_memory_is_skipped_and_the_indexer_keeps_its_own(tmp_path, monkeypatch, request):
    parse_worker._stop_worker()
    request.addfinalizer(parse_worker._stop_worker)  # the next test's worker gets the normal limit, pass or fail
    monkeypatch.setattr(parse_worker, "PARSE_MEMORY_BYTES", 160 * 2**20)
    page = tmp_path / "page.html"
    big_html(page, 6)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(LoaderError, match="needs more than 160 MB of memory to read"):
        load_isolated(page)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB: parsed elsewhere


def test_bad_files_are_remembered_and_not_parsed_again(tmp_path, embedder, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("The harbour opens at six.\n", encoding="utf-8")
    docx_bomb(folder / "bomb.docx", 80)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    first = build_index(folder, tmp_path / "idx", embedder=embedder)
    assert sorted(path.rsplit("/", 1)[-1] for path, _ in first.skipped) == ["bomb.docx", "broken.pdf"]

    def parse(*args, **kwargs):
        raise AssertionError("a remembered bad file was parsed again")

    monkeypatch.setattr("groundqa.index.build.load_isolated", parse)
    second = build_index(folder, tmp_path / "idx", embedder=embedder)
    assert [reason for _, reason in second.skipped] == [reason for _, reason in first.skipped]
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 still cut short")  # new bytes: read again
    monkeypatch.undo()
    third = build_index(folder, tmp_path / "idx", embedder=embedder)
    assert len(third.skipped) == 2 and third.unchanged == ["good.txt"]


def test_a_docx_with_a_large_embedded_file_still_loads(tmp_path):
    """Only the XML parts count: an embedded spreadsheet or video is never unpacked."""
    import docx

    path = tmp_path / "report.docx"
    document = docx.Document()
    document.add_paragraph("The harbour opens at six.")
    document.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/embeddings/data.bin", b"\0" * (80 * 2**20))
    assert "harbour opens at six" in load_isolated(path).text
