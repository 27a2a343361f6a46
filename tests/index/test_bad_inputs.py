"""A folder of every kind of bad or awkward file: the good ones are indexed, each bad one is named
in one warning line with its reason, the exit code says "partial", and nothing raises."""

import os
import shutil

import pytest

from groundqa import Assistant
from groundqa.index import open_index
from groundqa.sources import MAX_TEXT_CHARS
from groundqa.ui.cli import main
from tests.conftest import ROOT
from tests.sources.test_loaders import make_pdf

BAD = ROOT / "tests" / "data" / "bad"
GOOD = {"utf16 with bom.txt", "Ünïcødé notes – Kyiv.md", "notes with spaces.txt", "deep.html"}
EXPECTED_REASONS = {
    "empty.txt": "file is empty",
    "whitespace only.md": "file is empty",
    "binary.txt": "binary file",
    "latin1.txt": "not valid UTF-8",
    "truncated.pdf": "the PDF is damaged or cut short",
    "corrupt.docx": "the Word document (.docx) is damaged",
    "password.pdf": "password-protected",
    "huge.txt": "too much text",
    "loop.txt": "cannot read file",
    "dangling.md": "cannot read file",
    "fifo.txt": "not a regular file",
}


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad") / "docs"
    shutil.copytree(BAD, folder)
    make_pdf(folder / "password.pdf", ["Secret minutes."], password="hunter2")
    line = ("All work and no play makes a long file. " * 25 + "\n").encode()
    with open(folder / "huge.txt", "wb") as handle:  # 50 MB of text
        for _ in range(50_000_000 // len(line) + 1):
            handle.write(line)
    depth = 20_000
    (folder / "deep.html").write_text("<html><body>" + "<div>" * depth + "The cistern has 336 columns."
                                      + "</div>" * depth + "</body></html>", encoding="utf-8")
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "dangling.md").symlink_to("missing.md")
    (folder / "sub").mkdir()
    (folder / "sub" / "back-to-top").symlink_to("..", target_is_directory=True)
    os.mkfifo(folder / "fifo.txt")
    unreadable = folder / "unreadable.txt"
    unreadable.write_text("Nobody may read this.")
    unreadable.chmod(0)
    yield folder
    unreadable.chmod(0o644)


def test_every_good_file_indexed_every_bad_one_named_once(bad_folder, tmp_path, embedder, capsys):
    code = main(["index", str(bad_folder), "--index", str(tmp_path / "idx")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    warnings = [line for line in err.splitlines() if line.startswith("warning: skipped")]
    assert all(line.count("\n") == 0 and len(line) < 300 for line in warnings)
    named = {}
    for line in warnings:
        path, reason = line[len("warning: skipped "):].split(": ", 1)
        named[os.path.basename(path)] = reason
    root_reads_anything = os.geteuid() == 0  # root ignores file permissions
    expected = dict(EXPECTED_REASONS) if root_reads_anything else {**EXPECTED_REASONS,
                                                                     "unreadable.txt": "Permission denied"}
    assert set(named) == set(expected)
    for name, reason in expected.items():
        assert reason in named[name], (name, named[name])
    index = open_index(tmp_path / "idx")
    assert set(index.chunks_per_source) == GOOD | ({"unreadable.txt"} if root_reads_anything else set())
    assert MAX_TEXT_CHARS < 50_000_000


def test_awkward_names_and_encodings_are_answerable(bad_folder, tmp_path, embedder):
    bot = Assistant(sources=bad_folder, index_dir=tmp_path / "idx", embedder=embedder)
    for question, source, expected in [
            ("When was the Golden Gate of Kyiv rebuilt?", "Ünïcødé notes – Kyiv.md", "1982"),
            ("How tall is Galata Tower?", "notes with spaces.txt", "67 metres"),
            ("How often does the ferry to Büyükada leave?", "utf16 with bom.txt", "every hour"),
            ("How many columns does the cistern have?", "deep.html", "336"),
    ]:
        reply = bot.ask(question)
        assert not reply.refused and expected in reply.text, question
        assert reply.citations[0].source == source
