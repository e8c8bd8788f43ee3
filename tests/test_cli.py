"""The `qa-audit audit` command end to end on the bundled samples (real files, real workbook)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("audit")
    result = CliRunner().invoke(main, ["audit", str(SAMPLES), "-o", str(out)])
    return out, result


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_audit_writes_every_output_and_counts_add_up(sample_run) -> None:
    out, result = sample_run
    assert result.exit_code == 1, result.output  # the broken-records file is quarantined
    for name in ("results.jsonl", "findings.jsonl", "quarantine.jsonl", "summary.json", "scorecard.xlsx"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    results, quarantine = lines(out / "results.jsonl"), lines(out / "quarantine.jsonl")
    assert summary["read"] == summary["audited"] + summary["quarantined"]
    assert summary["audited"] == len(results) and summary["quarantined"] == len(quarantine)
    assert len(results) == len({r["conversation_id"] for r in results})
    assert all(q["source"] and q["reason"] for q in quarantine)
    assert "read 64 = audited 57 + quarantined 7" in result.output


def test_results_carry_checks_for_every_rule_and_findings_quote_the_text(sample_run) -> None:
    out, _ = sample_run
    rule_ids = {json.loads(x)["id"] for x in CliRunner().invoke(main, ["rules", "list", "--json"]).output.splitlines()}
    for r in lines(out / "results.jsonl"):
        assert set(r["checks"]) == rule_ids
        for f in r["findings"]:
            if f["span"]:
                turn_text = _turn_text(r["conversation_id"], f["turn_index"])
                assert turn_text[f["span"][0] : f["span"][1]] == f["match"]


def _turn_text(cid: str, index: int) -> str:
    from qa_audit.readers import read_inputs

    for c in read_inputs([SAMPLES]):
        if getattr(c, "conversation_id", None) == cid:
            return c.turns[index].text
    raise AssertionError(cid)


def test_bad_rule_file_is_a_configuration_error_before_any_work(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "broken_rules" / "unknown_key.yaml", rules)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["audit", str(SAMPLES), "-o", str(out), "--rules", str(rules)])
    assert result.exit_code == 2
    assert "unknown_key.yaml:9" in result.output
    assert not out.exists()


def test_missing_input_and_bad_column_are_usage_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["audit", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope.jsonl" in missing.output
    bad = CliRunner().invoke(main, ["audit", str(SAMPLES), "-o", str(tmp_path / "o"), "--column", "坐席"])
    assert bad.exit_code == 2 and "HEADER=FIELD" in bad.output


def test_limit_lists_what_was_not_processed(tmp_path: Path) -> None:
    src = SAMPLES / "chat_20261119.jsonl"
    result = CliRunner().invoke(main, ["audit", str(src), "-o", str(tmp_path), "--limit", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    total = sum(1 for x in src.read_text(encoding="utf-8").splitlines() if x.strip())
    assert summary["audited"] == 3 and summary["not_processed"] == total - 3


def test_clean_input_exits_0(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["audit", str(SAMPLES / "call_20261119.jsonl"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "quarantine.jsonl").read_text(encoding="utf-8") == ""


def test_help_teaches_with_examples() -> None:
    for args in (["--help"], ["audit", "--help"], ["rules", "--help"], ["rules", "eval", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0
        assert "qa-audit" in result.output and "Example" in result.output, args


def test_console_script_runs_as_module_and_is_silent_on_stdout(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qa_audit", "audit", str(SAMPLES / "call_20261119.jsonl"), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # jieba and progress stay off stdout; the summary goes to stderr
    assert "audited" in proc.stderr
