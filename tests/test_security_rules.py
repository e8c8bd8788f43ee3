"""Hostile rule files: loading is bounded, and `rules check` flags a rule that fires everywhere.

Already covered elsewhere: catastrophic regexes run in linear time (test_rules_engine.py), bad RE2
syntax and `!!python/object/apply` are load errors (test_rules_loader.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.model import Conversation, Turn
from qa_audit.rules import Engine, RuleLoadError, load_ruleset
from qa_audit.rules.yamlfile import MAX_FILE_BYTES, YamlError, load_yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
RULE = {
    "title": "t",
    "kind": "forbid",
    "severity": "minor",
    "points": 1,
    "message": "m",
    "source": "s",
    "examples": {"fire": ["不归我们管"], "pass": ["您好"]},
}


def write_rules(directory: Path, *rules: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    body = {"rules": [{**RULE, **r} for r in rules]}
    (directory / "r.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return directory


def refusal(path: Path) -> str:
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    return str(problem)


def test_billion_laughs_is_refused_before_it_is_expanded(tmp_path):
    # nine aliases of nine aliases, eight levels: 43 million strings from ten lines
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\nrules: []\n", encoding="utf-8")
    assert ":6:5: QA001 expands to more than 500,000 values" in refusal(path)  # a5: the first list past the limit


def test_a_value_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("pack: &p\n  name: [*p]\nrules: []\n", encoding="utf-8")
    assert "contains itself" in refusal(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("rules: " + "[" * 200_000 + "]" * 200_000, 1),
        ("rules:\n" + "".join(" " * i + "- \n" for i in range(0, 4000, 2)), 41),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_a_load_error_at_its_line_not_a_crash(tmp_path, text, line):
    # the C YAML composer recurses: unchecked, 200 000 brackets kill the process (SIGSEGV). Whether our
    # depth limit or the YAML library's own refuses the file first, it is one load error at file:line
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: ", refusal(path))


def test_deep_conditions_are_a_load_error_in_rules_check(tmp_path):
    nested = "{not: " * 60 + "{any: [你]}" + "}" * 60
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: t.deep\n    title: t\n    kind: forbid\n    severity: minor\n    points: 1\n"
        f"    message: m\n    source: s\n    match: {nested}\n    examples: {{fire: [你], pass: [您]}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["rules", "check", str(tmp_path), "--no-corpus"])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'r.yaml'}:9:234: QA001 nested more than 40 levels deep" in result.output


@pytest.mark.parametrize(
    "tag", ["!!python/name:os.system", "!!python/module:os", "!!python/object/new:subprocess.Popen [[touch, MARK]]"]
)
def test_object_tags_are_refused_by_rules_check(tmp_path, tag):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.yaml").write_text(f"rules:\n  - id: {tag.replace('MARK', str(marker))}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "check", str(tmp_path), "--no-corpus"])
    assert result.exit_code == 2 and "object tags such as !!python/object are refused" in result.output
    assert not marker.exists()


def test_an_oversized_rule_file_is_refused_without_being_parsed(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: NUL bytes that would be an invalid YAML error if parsed
    assert "the limit is 16 MB" in refusal(path)


def test_a_phrase_list_over_the_node_limit_is_refused_with_its_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("rules:\n  - id: t.big\n    match:\n      any:\n" + "        - 词\n" * 2_000, encoding="utf-8")
    with pytest.raises(YamlError, match="expands to more than 1,000 values") as info:
        load_yaml(path, max_nodes=1_000)
    assert info.value.line == 5  # the phrase list


def test_an_enormous_phrase_list_loads_and_every_phrase_matches(tmp_path):
    phrases = [f"违禁词{i:05d}号" for i in range(30_000)]
    rs = load_ruleset(write_rules(tmp_path / "rules", {"id": "t.big", "match": {"any": phrases}}))
    audit = Engine(rs).audit(Conversation("c", (Turn(0, "agent", f"您好{phrases[-1]}再见"),)))
    assert [f.match for f in audit.findings] == [phrases[-1]]


def test_a_regex_too_big_for_the_linear_engine_is_a_load_error_not_a_start_up_crash(tmp_path):
    # RE2 compiles \pL{200} alone, but not into the set the engine builds at start-up
    rules = write_rules(tmp_path / "rules", {"id": "t.wide", "match": {"regex": r"\pL{200}"}})
    assert "too large for the linear-time regex engine" in refusal(rules / "r.yaml")


def test_nan_and_infinite_points_are_refused(tmp_path):
    rules = write_rules(tmp_path / "rules", {"id": "t.nan", "points": float("nan"), "match": {"any": ["x"]}})
    assert "must be a finite number" in refusal(rules / "r.yaml")


def test_rules_check_warns_about_a_rule_that_fires_on_most_turns(tmp_path):
    rules = write_rules(
        tmp_path / "rules",
        {"id": "t.everything", "match": {"regex": "."}},
        {"id": "t.shift", "match": {"any": ["不归我们管"]}},
    )
    result = CliRunner().invoke(main, ["rules", "check", str(rules), "--corpus", str(SAMPLES)])
    assert result.exit_code == 1, result.output + result.stderr  # its own pass example fires too
    assert f"{rules / 'r.yaml'}:" in result.stderr and "'t.everything' fires on 100% of the" in result.stderr
    assert "t.shift" not in result.stderr
    assert "1 rule(s) fire suspiciously often" in result.stdout


def test_the_packaged_rules_fire_on_at_most_half_of_what_they_look_at_in_the_samples():
    result = CliRunner().invoke(main, ["rules", "check", "--corpus", str(SAMPLES)])
    assert result.exit_code == 0, result.stderr
    assert "0 rule(s) fire suspiciously often" in result.stdout, result.stderr


def test_rules_check_without_a_corpus_only_validates(tmp_path):
    rules = write_rules(tmp_path / "rules", {"id": "t.everything", "match": {"regex": "."}})
    shutil.copytree(rules, tmp_path / "copy")
    result = CliRunner().invoke(main, ["rules", "check", str(tmp_path / "copy"), "--no-corpus"])
    assert "fires on" not in result.stderr and result.stdout.startswith("ok: 1 rules")
    assert result.exit_code == 1 and "QA501 t.everything example pass[0]" in result.stderr  # `.` fires on 您好
