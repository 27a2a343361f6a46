"""Every `>>>` example in the installed package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("groundqa", "groundqa.sources", "groundqa.index", "groundqa.ui", "groundqa.evals")


def _docstring_examples() -> list[doctest.DocTest]:
    finder, found = doctest.DocTestFinder(), []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.iter_modules(module.__path__, package + ".") if not m.ispkg]
        for name in names:
            found += [test for test in finder.find(importlib.import_module(name)) if test.examples]
    return sorted(found, key=lambda test: test.name)


EXAMPLES = _docstring_examples()


def test_the_package_documents_its_api_with_examples():
    assert len(EXAMPLES) >= 10 and sum(len(t.examples) for t in EXAMPLES) >= 25
    assert not [t.name for t in EXAMPLES for e in t.examples if e.options.get(doctest.SKIP)]


@pytest.mark.parametrize("example", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_example(example, embedder):
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(example, out=output.append)
    assert runner.failures == 0, "".join(output)
