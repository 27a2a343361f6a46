"""Loaders under hypothesis: any bytes under any supported name give a Document whose text is
non-empty and whose page offsets fit, or one LoaderError with a one-line reason; nothing else."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundqa.errors import LoaderError
from groundqa.sources import SUPPORTED_SUFFIXES, load
from tests.sources.test_loaders import make_docx, make_pdf

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check(path):
    try:
        document = load(path)
    except LoaderError as error:
        assert error.reason and "\n" not in str(error)
        return
    assert document.text.strip()
    assert list(document.page_starts) == sorted(document.page_starts)
    assert all(0 <= start <= len(document.text) for start in document.page_starts)


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_random_bytes(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    check(path)


@FUZZ
@given(text=st.text(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_random_text(tmp_path, text, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check(path)


@pytest.fixture(scope="module")
def real_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    make_pdf(folder / "real.pdf", ["First page about the Bosphorus.", "Second page about ferries."], title="Fuzz")
    make_docx(folder / "real.docx", ["A paragraph about the Bosphorus.", "Another about ferries."], title="Fuzz")
    assert "ferries" in load(folder / "real.pdf").text and "ferries" in load(folder / "real.docx").text
    return {kind: (folder / f"real.{kind}").read_bytes() for kind in ("pdf", "docx")}


@FUZZ
@given(kind=st.sampled_from(["pdf", "docx"]),
       edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=16)), min_size=1, max_size=6),
       cut=st.floats(0.05, 1))
def test_damaged_real_files(tmp_path, real_files, kind, edits, cut):
    data = bytearray(real_files[kind][: max(1, int(len(real_files[kind]) * cut))])
    for where, patch in edits:
        position = int(where * (len(data) - 1))
        data[position:position + len(patch)] = patch
    path = tmp_path / f"damaged.{kind}"
    path.write_bytes(bytes(data))
    check(path)
