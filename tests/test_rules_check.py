"""`qa-audit rules check` as a linter: one coded problem per mistake at its line and column, the examples
run too, JSON for editors, and nothing but our own messages on the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.rules import RuleLoadError, load_ruleset
from qa_audit.rules.loader import check_ruleset

ROOT = Path(__file__).resolve().parents[1]

# line numbers below are 1-based; the comment column shows where the checked value starts
BASE = """\
rules:
  - id: t.rude
    title: rude
    kind: forbid
    severity: minor
    points: 2
    message: m
    source: s
    match:
      any: [滚, 闭嘴]
    where: {role: agent}
    examples:
      fire:
        - 你给我闭嘴
      pass:
        - 您好
"""


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def errors_of(tmp_path: Path, text: str) -> list:
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(write(tmp_path, text))
    return info.value.problems


A = "any: [滚, 闭嘴]"
BROKEN = [
    # (what, old, new, line, col, code, words in the message)
    ("unknown key", "    where:", "    wher:", 11, 5, "QA101", ["unknown key 'wher'", "did you mean 'where'"]),
    ("wrong type", "points: 2", "points: two", 6, 13, "QA102", ["points must be a number", "'two'"]),
    ("bad enum", "severity: minor", "severity: fatal", 5, 15, "QA103", ["severity must be one of", "'fatal'"]),
    ("missing key", "    message: m\n", "", 2, 5, "QA104", ["'message' is a required property"]),
    ("out of range", "points: 2", "points: -1", 6, 13, "QA105", ["points must be at least 0"]),
    ("bad regex", A, 'regex: "(滚"', 10, 14, "QA201", ["bad regex '(滚'"]),
    (
        "two operators",
        "any: [滚, 闭嘴]",
        "{any: [滚], regex: 滚}",
        10,
        7,
        "QA106",
        ["one operator, got any, regex"],
    ),
    (
        "key without its operator",
        "any: [滚, 闭嘴]",
        "of: [滚, 闭嘴]",
        10,
        7,
        "QA107",
        ["`of` only goes with"],
    ),
    ("blank phrase", A, 'any: [滚, "  "]', 10, 16, "QA204", ["any[1]", "empty once normalised"]),
    ("empty phrase", A, 'any: [滚, ""]', 10, 16, "QA204", ["any[1]: empty phrase"]),
    ("duplicate key", "    points: 2\n", "    points: 2\n    points: 3\n", 7, 5, "QA002", ["duplicate key 'points'"]),
    ("bad role in scope", "where: {role: agent}", "where: {role: boss}", 11, 19, "QA103", ["where.role", "'boss'"]),
    ("yaml syntax", A, "any: [滚, 闭嘴", 11, 10, "QA001", ["invalid YAML"]),
    ("at_least over its list", A, "{at_least: 3, of: [滚, 闭嘴]}", 10, 18, "QA203", ["larger than"]),
    ("bad example turn", "- 您好", "- {turns: [{role: boss, text: x}]}", 16, 20, "QA109", ["role must be agent"]),
]


@pytest.mark.parametrize(("what", "old", "new", "line", "col", "code", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_mistake_is_one_problem_at_its_line_and_column(tmp_path, what, old, new, line, col, code, words):
    assert old in BASE
    [problem] = errors_of(tmp_path, BASE.replace(old, new, 1))
    assert (problem.line, problem.col, problem.code) == (line, col, code), str(problem)
    for w in words:
        assert w in str(problem), str(problem)
    assert str(problem).startswith(f"{problem.file}:{line}:{col}: {code} ")


def test_the_base_file_is_clean(tmp_path):
    ruleset, problems = check_ruleset(write(tmp_path, BASE))
    assert ruleset is not None and problems == []


def test_a_huge_wrong_value_is_quoted_short(tmp_path):
    phrases = ", ".join(f"词{i}" for i in range(3000))
    [problem] = errors_of(tmp_path, BASE.replace("any: [滚, 闭嘴]", f"regex: [{phrases}]"))
    assert problem.code == "QA102" and len(problem.message) < 160, problem.message


def test_redundant_and_repeated_phrases_are_warnings_at_the_longer_phrase(tmp_path):
    text = BASE.replace("any: [滚, 闭嘴]", "any: [不归我们管, 这个不归我们管, 闭嘴, 闭嘴]")
    ruleset, problems = check_ruleset(write(tmp_path, text))
    assert ruleset is not None  # warnings do not stop loading
    assert [(p.code, p.severity, p.line, p.col) for p in problems] == [
        ("QA401", "warning", 10, 20),
        ("QA401", "warning", 10, 33),
    ]
    assert "'这个不归我们管' is already covered by '不归我们管' (match.any[0])" in problems[0].message
    assert "'闭嘴' repeats '闭嘴' (match.any[2])" in problems[1].message


@pytest.mark.parametrize(
    "phrases",
    [
        "[满意, 不满意]",  # a negated hit does not count: 不满意 is not covered by 满意
        "[包您, 包您满意]",  # a two-character hit inside a word (钱包您) does not count, a longer one does
    ],
)
def test_a_longer_phrase_judged_differently_is_not_called_redundant(tmp_path, phrases):
    _, problems = check_ruleset(write(tmp_path, BASE.replace("any: [滚, 闭嘴]", f"any: {phrases}")))
    assert problems == []


def test_an_oversized_phrase_list_is_a_warning(tmp_path):
    phrases = ", ".join(f"违禁{i:05d}号" for i in range(2001))
    ruleset, problems = check_ruleset(write(tmp_path, BASE.replace("any: [滚, 闭嘴]", f"any: [{phrases}]")))
    assert ruleset is not None
    [p] = problems
    assert (p.code, p.severity, p.line, p.col) == ("QA402", "warning", 2, 9) and "2,001 phrases" in p.message


def failing_example(tmp_path: Path) -> Path:
    return write(tmp_path, BASE.replace("        - 您好\n", "        - 您好\n        - 你这人真是\n        - 闭嘴吧\n"))


def test_check_runs_the_examples_and_points_at_the_failing_one(tmp_path):
    rules = failing_example(tmp_path)
    result = CliRunner().invoke(main, ["rules", "check", "--rules", str(rules), "--no-corpus"])
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.stderr.splitlines() if "QA501" in x]
    assert line.startswith(f"{rules / 'r.yaml'}:18:11: QA501 t.rude example pass[2] must not fire but gives fire")
    assert "「闭嘴吧」" in line
    assert "examples: 3 passed, 1 failed" in result.stdout


def test_rules_test_shows_the_failing_example_text_and_its_line(tmp_path):
    rules = failing_example(tmp_path)
    result = CliRunner().invoke(main, ["rules", "test", "--rules", str(rules)])
    assert result.exit_code == 1
    assert f"FAIL t.rude pass[2] {rules / 'r.yaml'}:18:11: must not fire, gives fire" in result.output
    assert "「闭嘴吧」" in result.output and "1 failed" in result.output


def test_format_json_lists_every_problem_for_editors(tmp_path):
    text = BASE.replace("points: 2", "points: two").replace("    where:", "    wher:")
    result = CliRunner().invoke(main, ["rules", "check", str(write(tmp_path, text)), "--format", "json"])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)
    assert [(p["line"], p["col"], p["code"], p["severity"]) for p in problems] == [
        (6, 13, "QA102", "error"),
        (11, 5, "QA101", "error"),
    ]
    assert set(problems[0]) == {"file", "line", "col", "code", "severity", "message", "hint"}


def test_format_json_of_a_clean_pack_is_an_empty_list_and_warnings_keep_exit_0(tmp_path):
    clean = CliRunner().invoke(main, ["rules", "check", "--rules", str(write(tmp_path, BASE)), "--format", "json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout) == []


def test_no_re2_log_noise_on_the_terminal(tmp_path):
    rules = write(tmp_path, BASE.replace("any: [滚, 闭嘴]", 'regex: "(滚"'))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # a real process: RE2 writes its C++ log to file descriptor 2, past Python's sys.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "qa_audit", "rules", "check", str(rules), "--no-corpus"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert lines[0].startswith(f"{rules / 'r.yaml'}:10:14: QA201 bad regex")
    assert all(x.startswith((str(rules), "配置错误")) for x in lines), proc.stderr
