"""`qa-audit rules diff`: a backtest shows exactly what a rule change does to a batch."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from qa_audit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = str(ROOT / "sample_transcripts")


def pack_copy(tmp_path: Path, name: str) -> Path:
    rules = tmp_path / name
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return rules


def first_any(cond: Any) -> list[str] | None:
    if isinstance(cond, dict):
        if "any" in cond:
            return cond["any"]
        for v in cond.values():
            if (found := first_any(v)) is not None:
                return found
    if isinstance(cond, list):
        for v in cond:
            if (found := first_any(v)) is not None:
                return found
    return None


def edit_rule(rules: Path, file: str, rule_id: str, edit) -> None:
    path = rules / file
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    [rule] = [r for r in doc["rules"] if r["id"] == rule_id]
    edit(rule)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_diff(old: Path, new: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(
        main, ["rules", "diff", "--old", str(old), "--new", str(new), SAMPLES, "-o", str(out), "--json", *extra]
    )
    assert result.exit_code == 1, result.output  # the samples' deliberately broken records are quarantined
    return json.loads(result.stdout.strip().splitlines()[-1])


def audit_findings(rules: Path, out: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["audit", SAMPLES, "-o", str(out), "--rules", str(rules), "-q"])
    assert result.exit_code == 1, result.output
    return [json.loads(x) for x in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]


def diff_lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "diff.jsonl").read_text(encoding="utf-8").splitlines()]


def test_one_added_phrase_shows_exactly_the_findings_it_adds(tmp_path: Path) -> None:
    old, new = pack_copy(tmp_path, "old"), pack_copy(tmp_path, "new")
    for pack in (old, new):  # a centre that measured dont.harsh sure lets it deduct (the default only flags)
        edit_rule(pack, "dont.yaml", "dont.harsh", lambda r: r.update(tier="deduct"))
    edit_rule(new, "dont.yaml", "dont.harsh", lambda r: first_any(r["match"]).append("稍等"))
    summary = run_diff(old, new, tmp_path / "d")
    lines = diff_lines(tmp_path / "d")
    # what an audit with the new pack finds for that phrase, and nothing else, is the diff
    expected = {
        f["finding_id"]
        for f in audit_findings(new, tmp_path / "a")
        if f["rule_id"] == "dont.harsh" and "稍等" in f["match"]
    }
    assert expected, "the samples have agent turns with 稍等"
    assert {x["finding_id"] for x in lines} == expected
    assert all(x["change"] == "added" and x["rule_id"] == "dont.harsh" and x["match"] == "稍等" for x in lines)
    assert summary["added"] == len(expected) and summary["removed"] == 0
    assert summary["per_rule"] == {"dont.harsh": {"added": len(expected), "removed": 0, "changed": 0}}
    assert summary["rules_changed"] == {"added": [], "removed": [], "changed": ["dont.harsh"], "policy_changed": False}
    assert summary["scores_changed"] >= 1
    assert all(x["score_after"] <= x["score_before"] for x in lines)


def test_new_points_show_only_score_changes(tmp_path: Path) -> None:
    old, new = pack_copy(tmp_path, "old"), pack_copy(tmp_path, "new")
    edit_rule(new, "must.yaml", "must.nin", lambda r: r.update(points=r["points"] + 3))
    summary = run_diff(old, new, tmp_path / "d")
    assert summary["added"] == summary["removed"] == 0
    assert summary["changed"] >= 1  # same findings, other points
    assert set(summary["per_rule"]) == {"must.nin"} and summary["check_flips"] == {}
    assert summary["scores_changed"] >= 1
    assert summary["rules_changed"]["changed"] == ["must.nin"]
    lines = diff_lines(tmp_path / "d")
    assert all(x["change"] == "changed" and x["points"] == x["points_before"] + 3 for x in lines)


def test_same_pack_changes_nothing_and_workbook_lists_the_changes(tmp_path: Path) -> None:
    old, new = pack_copy(tmp_path, "old"), pack_copy(tmp_path, "new")
    same = run_diff(old, new, tmp_path / "same")
    assert (same["added"], same["removed"], same["scores_changed"]) == (0, 0, 0)
    assert diff_lines(tmp_path / "same") == []

    edit_rule(new, "dont.yaml", "dont.harsh", lambda r: first_any(r["match"]).append("稍等"))
    summary = run_diff(old, new, tmp_path / "d", "--workers", "2")
    wb = openpyxl.load_workbook(tmp_path / "d" / "diff.xlsx")
    assert wb.sheetnames == ["概要", "按规则", "按坐席", "变化明细", "分数变化"]
    detail = list(wb["变化明细"].iter_rows(values_only=True))
    header, rows = detail[0], detail[1:]
    assert len(rows) == summary["added"]
    text = header.index("原文（命中处【】标出）")
    assert all(re.search("【稍等】", r[text]) for r in rows)
    assert all(r[header.index("变化")] == "新增" and r[header.index("轮次")] >= 1 for r in rows)


def test_a_broken_new_pack_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    old, new = pack_copy(tmp_path, "old"), pack_copy(tmp_path, "new")
    (new / "dont.yaml").write_text("rules:\n  - id: x\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["rules", "diff", "--old", str(old), "--new", str(new), SAMPLES, "-o", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    assert "dont.yaml" in result.output
    assert not (tmp_path / "d" / "diff.jsonl").exists()


@pytest.mark.parametrize("missing", ["--old", "input"])
def test_missing_paths_are_usage_errors(tmp_path: Path, missing: str) -> None:
    old = pack_copy(tmp_path, "old")
    args = ["rules", "diff", "--old", str(old), "--new", str(old), SAMPLES, "-o", str(tmp_path / "d")]
    if missing == "--old":
        args[3] = str(tmp_path / "nope")
    else:
        args[6] = str(tmp_path / "nope.jsonl")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "nope" in result.output
