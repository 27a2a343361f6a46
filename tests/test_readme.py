"""README cannot drift: its commands are the ones CI runs, and its example output is real."""

import re
import subprocess
import sys

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_ci_runs_the_readme_install_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    install, tests = fenced("bash")[:2]
    assert install.strip() in ci and tests.strip() in ci
    gate = [block for block in fenced("bash") if "--fail-under" in block]
    assert gate and gate[0].strip() in ci


def test_python_api_example_prints_what_the_readme_shows(tmp_path):
    code = fenced("python")[0]
    shown = fenced("text")[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=ROOT, env={"GROUNDQA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    number = re.compile(r"\b0\.\d{4}\b")  # a confidence: its last digits vary with the CPU's int8 kernels
    assert number.sub("0.x", result.stdout) == number.sub("0.x", shown)
    for printed, expected in zip(number.findall(result.stdout), number.findall(shown), strict=True):
        assert abs(float(printed) - float(expected)) < 0.01


def test_ask_output_in_readme_is_what_the_command_prints(embedder, capsys):
    from groundqa.ui.cli import main

    question = re.search(r'groundqa ask "([^"]+)"', fenced("bash")[0]).group(1)
    assert main(["ask", question]) == 0
    assert capsys.readouterr().out == fenced("text")[0]
