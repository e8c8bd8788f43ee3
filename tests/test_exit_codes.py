"""Exit codes, the contract schedulers rely on: 0 clean, 1 done with quarantined input (or too many findings
when asked), 2 usage/configuration error or unwritable output, 3 internal error (no traceback).

Already covered in test_cli.py: 0 for clean input, 1 for the samples (quarantined records), 2 for a bad rule
file, a missing input and a bad --column; test_faults.py: 2 for a bad model and an unwritable output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import EXIT_CONFIG, EXIT_INTERNAL, EXIT_OK, EXIT_QUARANTINED, main

ROOT = Path(__file__).resolve().parents[1]


def clean_input(path: Path) -> Path:
    """Two readable conversations with three findings between them (你 twice, no goodbye...)."""
    rows = [
        {
            "conversation_id": f"E{i}",
            "turns": [{"role": "agent", "text": "你好，你找谁？"}, {"role": "customer", "text": "查快递"}],
        }
        for i in range(2)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def findings_of(out: Path) -> int:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))["findings"]


def test_the_codes_are_the_documented_numbers():
    assert (EXIT_OK, EXIT_QUARANTINED, EXIT_CONFIG, EXIT_INTERNAL) == (0, 1, 2, 3)
    text = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert (
        "Exit codes: 0 clean; 1 some input quarantined (or --fail-on-findings hit); 2 usage or configuration "
        "error; 3 internal error; 130 stopped by Ctrl-C (outputs complete so far)." in text
    )


def test_findings_are_an_error_only_when_the_user_asks(tmp_path):
    src = clean_input(tmp_path / "in.jsonl")
    plain = CliRunner().invoke(main, ["audit", str(src), "-o", str(tmp_path / "a")])
    assert plain.exit_code == 0, plain.output
    n = findings_of(tmp_path / "a")
    assert n > 0
    at = CliRunner().invoke(main, ["audit", str(src), "-o", str(tmp_path / "b"), "--fail-on-findings", str(n)])
    assert at.exit_code == 1, at.output
    above = CliRunner().invoke(main, ["audit", str(src), "-o", str(tmp_path / "c"), "--fail-on-findings", str(n + 1)])
    assert above.exit_code == 0, above.output


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "x.jsonl"],
        ["audit", "x.jsonl", "-o", "o", "--limit", "0"],
        ["audit", "x.jsonl", "-o", "o", "--format", "xls"],
        ["no-such-command"],
        ["rules", "check", "/no/such/dir"],
    ],
    ids=["no-outdir", "bad-limit", "bad-format", "unknown-command", "missing-rules-dir"],
)
def test_usage_errors_exit_2_before_any_work(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "o").exists()


def test_failing_rule_examples_exit_1(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: t.wrong\n    title: t\n    kind: forbid\n    severity: minor\n    points: 1\n"
        "    message: m\n    source: s\n    match: {any: [再见]}\n    examples: {fire: [你好], pass: [您好]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["rules", "test", str(tmp_path)])
    assert result.exit_code == 1 and "1 failed" in result.output


BOOM = """
import sys
from qa_audit import cli

@cli.main.command("boom")
def boom():
    raise RuntimeError("disk controller on fire")

sys.argv = ["qa-audit", "boom"]
cli.run()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_exits_3_with_one_line_and_a_traceback_only_on_request(debug):
    # a command that fails the way a bug would, run through the real entry point `qa_audit.cli:run`
    env = {k: v for k, v in os.environ.items() if k != "QA_AUDIT_DEBUG"} | ({"QA_AUDIT_DEBUG": "1"} if debug else {})
    proc = subprocess.run([sys.executable, "-c", BOOM], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3
    assert "内部错误 / internal error: RuntimeError: disk controller on fire" in proc.stderr
    assert ("Traceback" in proc.stderr) is debug
    assert proc.stdout == ""
