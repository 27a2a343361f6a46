"""Uploads land inside the corpus's uploads/ folder, or nowhere, with a reason."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundqa.errors import LoaderError
from groundqa.sources import UPLOAD_FOLDER, safe_upload_name, save_upload


@pytest.fixture
def upload(tmp_path):
    def make(name: str, data: bytes = b"Ferries crossed the Bosphorus all day.\n"):
        folder = tmp_path / "incoming" / str(len(list((tmp_path).glob("incoming/*"))))
        folder.mkdir(parents=True)
        path = folder / name
        path.write_bytes(data)
        return path
    return make


@pytest.mark.parametrize("name, kept", [("../../etc/evil.txt", "evil.txt"), ("/abs/path/x.md", "x.md"),
                                        ("C:\\Users\\me\\report.pdf", "report.pdf"), (" notes.TXT ", "notes.TXT")])
def test_only_the_file_name_part_is_kept(name, kept):
    assert safe_upload_name(name) == kept


@pytest.mark.parametrize("name, reason", [(".hidden.txt", "not a usable file name"), ("..", "not a usable file name"),
                                          ("a\x00b.txt", "not a usable file name"), ("x/", "not a usable file name"),
                                          ("tool.exe", "unsupported file type"), ("noext", "unsupported file type"),
                                          ("é" * 120 + ".txt", "longer than 200 bytes")])
def test_unusable_names_are_refused_with_a_reason(name, reason):
    with pytest.raises(LoaderError, match=reason):
        safe_upload_name(name)


def test_a_good_upload_is_written_inside_uploads_and_nothing_else(upload, corpus):
    before = sorted(p.name for p in corpus.iterdir())
    assert save_upload(upload("ferries.txt"), corpus, name="../../ferries.txt") == ("uploads/ferries.txt", True)
    assert (corpus / UPLOAD_FOLDER / "ferries.txt").read_bytes() == b"Ferries crossed the Bosphorus all day.\n"
    assert sorted(p.name for p in corpus.iterdir()) == sorted(before + [UPLOAD_FOLDER])
    assert [p.name for p in (corpus / UPLOAD_FOLDER).iterdir()] == ["ferries.txt"]  # no temp file left behind


def test_same_name_is_a_new_version_unless_both_are_kept(upload, corpus):
    assert save_upload(upload("a.txt"), corpus)[1] is True
    assert save_upload(upload("a.txt"), corpus) == ("uploads/a.txt", False)  # identical: nothing written
    assert save_upload(upload("a.txt", b"Another text.\n"), corpus) == ("uploads/a.txt", True)
    assert (corpus / UPLOAD_FOLDER / "a.txt").read_bytes() == b"Another text.\n"
    assert save_upload(upload("a.txt", b"A third text.\n"), corpus, keep_both=True) == ("uploads/a (2).txt", True)
    assert (corpus / UPLOAD_FOLDER / "a.txt").read_bytes() == b"Another text.\n"
    assert sorted(p.name for p in (corpus / UPLOAD_FOLDER).iterdir()) == ["a (2).txt", "a.txt"]  # no temp files


@pytest.mark.parametrize("data, reason", [(b"", "file is empty"), (b"\x00\x01\x02binary", "binary file"),
                                          (b"%PDF-1.4 truncated", "the PDF is damaged")])
def test_files_that_do_not_load_are_refused_before_anything_is_written(upload, corpus, data, reason):
    name = "broken.pdf" if data.startswith(b"%PDF") else "broken.txt"
    with pytest.raises(LoaderError, match=reason):
        save_upload(upload(name, data), corpus)
    assert not (corpus / UPLOAD_FOLDER).exists()


def test_size_limit(upload, corpus):
    with pytest.raises(LoaderError, match="over the upload limit of 0 MB"):
        save_upload(upload("big.txt", b"word " * 200), corpus, max_bytes=100)


def test_a_symlinked_uploads_folder_is_not_followed(upload, corpus, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, corpus / UPLOAD_FOLDER)
    with pytest.raises(LoaderError, match="not a plain folder"):
        save_upload(upload("a.txt"), corpus)
    assert list(elsewhere.iterdir()) == []


def test_a_symlink_in_the_way_is_skipped_not_written_through(upload, corpus, tmp_path):
    target = tmp_path / "outside.txt"
    (corpus / UPLOAD_FOLDER).mkdir()
    os.symlink(target, corpus / UPLOAD_FOLDER / "a.txt")
    assert save_upload(upload("a.txt"), corpus) == ("uploads/a (2).txt", True)
    assert not target.exists()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.text(max_size=80),
                      st.lists(st.sampled_from(["..", ".", "/", "\\", "etc", "passwd", "~", "\x00", " ", "é", "x.txt",
                                                ".md", "C:", "%2e%2e"]), max_size=10).map("".join)))
def test_no_name_writes_outside_the_uploads_folder(tmp_path, name):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    source = tmp_path / "payload.txt"
    source.write_text("Ferries crossed the Bosphorus all day.\n")
    try:
        saved, _ = save_upload(source, corpus, name=name)
    except LoaderError as error:
        assert "\n" not in str(error)
        return
    written = (corpus / saved).resolve()
    assert written.parent == (corpus / UPLOAD_FOLDER).resolve() and written.is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"corpus", "payload.txt"}
