"""An index whose CURRENT pointer or manifest was damaged — by a disk, an editor or a hostile user —
is rebuilt from the sources, never trusted, never a crash; odd file names and deep folders do not
fail a build."""

import json
import os

import pytest

from groundqa.errors import CorruptIndexError
from groundqa.evals.cases import load_cases
from groundqa.index import build_index, open_index
from groundqa.index.files import current_generation, read_manifest
from groundqa.sources import iter_source_files
from groundqa.ui.cli import main


@pytest.fixture
def built(corpus, tmp_path, embedder):
    index_dir = tmp_path / "idx"
    build_index(corpus, index_dir, embedder=embedder)
    return corpus, index_dir


@pytest.mark.parametrize("pointer", [b"\0" * 10, b"garbage", b"gen-abc", b"\xff\xfe\x00gen", b""])
def test_a_damaged_current_is_rebuilt_by_every_command(built, embedder, capsys, pointer):
    corpus, index_dir = built
    (index_dir / "CURRENT").write_bytes(pointer)
    with pytest.raises(CorruptIndexError):
        open_index(index_dir)
    report = build_index(corpus, index_dir, embedder=embedder)
    assert "unusable" in report.rebuild_reason and open_index(index_dir).chunks
    (index_dir / "CURRENT").write_bytes(pointer)
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    assert main(["ask", "How high is Mont Blanc?", "--sources", str(corpus), "--index", str(index_dir)]) == 0
    assert "4,806 metres" in capsys.readouterr().out


def test_current_cannot_point_outside_its_folder(built, tmp_path, embedder):
    corpus, index_dir = built
    elsewhere = tmp_path / "other"
    build_index(corpus, elsewhere, embedder=embedder)
    (index_dir / "CURRENT").write_text("gen-000001/../../other/gen-000001")
    with pytest.raises(CorruptIndexError, match="CURRENT points to missing"):
        current_generation(index_dir)


@pytest.mark.parametrize("edit", [
    lambda m: m | {"checksums": []},
    lambda m: m | {"checksums": {}},
    lambda m: m | {"files": ["x"]},
    lambda m: m | {"files": {"rivers.txt": "x"}},
    lambda m: ["not", "an", "object"],
])
def test_a_valid_json_manifest_of_the_wrong_shape_is_corrupt_and_rebuilt(built, embedder, edit):
    corpus, index_dir = built
    generation = current_generation(index_dir)
    manifest = json.loads((generation / "manifest.json").read_text())
    (generation / "manifest.json").write_text(json.dumps(edit(manifest)))
    with pytest.raises(CorruptIndexError):
        read_manifest(generation)
    assert "unusable" in build_index(corpus, index_dir, embedder=embedder).rebuild_reason
    assert open_index(index_dir).chunks


def test_a_deeply_nested_manifest_or_eval_line_is_an_error_not_a_crash(built, tmp_path):
    _, index_dir = built
    generation = current_generation(index_dir)
    (generation / "manifest.json").write_text("[" * 100_000)
    with pytest.raises(CorruptIndexError):
        read_manifest(generation)
    cases = tmp_path / "set.jsonl"
    cases.write_text("[" * 100_000 + "\n")
    assert load_cases(cases)[1][0].startswith(f"{cases}:1:")


def test_a_file_name_that_is_not_utf8_is_skipped_alone(corpus, tmp_path, embedder):
    odd = os.path.join(os.fsencode(corpus), b"caf\xe9.txt")
    with open(odd, "wb") as handle:
        handle.write(b"The cafe opens at nine.\n")
    report = build_index(corpus, tmp_path / "idx", embedder=embedder)
    assert sorted(report.added) == ["notes.md", "rivers.txt"]
    assert [reason for _, reason in report.skipped] == ["its name is not valid UTF-8; rename the file"]
    assert "caf\ufffd.txt" in report.skipped[0][0]


def test_a_folder_nested_deeper_than_python_recurses_is_walked(tmp_path):
    deep = tmp_path / "deep"
    folders = [str(deep)]
    os.mkdir(deep)
    for _ in range(1_100):  # os.makedirs and shutil.rmtree recurse too: one level at a time
        folders.append(os.path.join(folders[-1], "d"))
        os.mkdir(folders[-1])
    with open(os.path.join(folders[-1], "bottom.txt"), "w", encoding="utf-8") as handle:
        handle.write("At the bottom.\n")
    (deep / "top.md").write_text("# Top\n\nAt the top.\n")
    try:
        assert sorted(p.name for p in iter_source_files(deep)) == ["bottom.txt", "top.md"]
    finally:
        os.remove(os.path.join(folders[-1], "bottom.txt"))
        os.remove(deep / "top.md")
        for folder in reversed(folders):
            os.rmdir(folder)
