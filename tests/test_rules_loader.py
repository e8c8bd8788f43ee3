"""Strict loading of rule files: every broken file fails with the right file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.rules import RuleLoadError, load_ruleset

BROKEN = Path(__file__).parent / "fixtures" / "broken_rules"
RULES = Path(__file__).resolve().parents[1] / "rules"


def problems(name: str) -> list:
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(BROKEN / name)
    return info.value.problems


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("unknown_key.yaml", 9, ["unknown key 'mach'", "did you mean 'match'"]),
        ("bad_regex.yaml", 10, ["bad regex", "(不归我们管"]),
        ("bad_severity.yaml", 5, ["severity", "fatal"]),
        ("duplicate_id.yaml", 11, ["duplicate rule id 'test.same'", "first defined at"]),
        ("no_examples.yaml", 2, ["examples"]),
        ("object_tag.yaml", 3, ["invalid YAML"]),
    ],
)
def test_broken_rule_file_points_at_file_and_line(name: str, line: int, words: list[str]) -> None:
    found = problems(name)
    assert found, name
    p = found[0]
    assert p.file.endswith(name)
    assert p.line == line, str(p)
    for w in words:
        assert w in str(p), str(p)


def test_object_construction_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f'rules:\n  - id: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    with pytest.raises(RuleLoadError):
        load_ruleset(evil)
    assert not marker.exists()


def test_rules_check_exits_2_with_file_line(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "bad_regex.yaml", tmp_path / "a.yaml")
    result = CliRunner().invoke(main, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'a.yaml'}:10:" in result.output


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = (
        (RULES / "must.yaml")
        .read_text(encoding="utf-8")
        .replace("    severity: major\n    points: 5\n", "    severity: major\n    points: 5\n    points: 6\n", 1)
    )
    (tmp_path / "must.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(tmp_path)
    assert any("duplicate key 'points'" in str(p) for p in info.value.problems)


def test_condition_with_two_operators_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: t.two\n    title: t\n    kind: forbid\n    severity: minor\n    points: 1\n"
        "    message: m\n    source: s\n    match: {any: [你], regex: 你}\n"
        "    examples: {fire: [你], pass: [您]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(tmp_path)
    assert "exactly one operator" in str(info.value.problems[0])
    assert info.value.problems[0].line == 9


def test_published_schema_is_valid_json_schema() -> None:
    import jsonschema

    schema = json.loads((RULES / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
