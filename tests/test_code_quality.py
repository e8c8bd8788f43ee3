"""The maintainer's checks run as tests, so the README's one test command is the whole of CI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["src", "tests", "bench"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_ruff_check_is_clean():
    proc = run("ruff", "check", *CHECKED)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_ruff_format_is_applied():
    proc = run("ruff", "format", "--check", *CHECKED)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy_is_clean_on_src():
    proc = run("mypy")  # files and settings: [tool.mypy] in pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_runs_exactly_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if "pytest" in line]
    assert len(ci) == 1 and "-c constraints.txt" in ci[0]
    assert ci[0] in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()


def test_constraints_pin_every_test_dependency_exactly():
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    for name in ("pytest", "pytest-timeout", "mypy", "ruff", "jieba", "scikit-learn", "PyYAML", "rjieba", "tqdm"):
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", pins.get(name, "")), name


def test_every_package_of_the_source_tree_is_listed_for_the_wheel():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'^\s*"(qa_audit[\w.]*)",$', text, re.MULTILINE))
    src = ROOT / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
    assert {"qa_audit.default_rules", "qa_audit.default_models"} <= listed
