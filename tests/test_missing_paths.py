"""A file or directory named on the command line that does not exist: exit 2 naming the path, every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import EXIT_CONFIG, main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "sample_transcripts" / "chat_20261121.jsonl")
MODEL = str(ROOT / "models" / "complaint_type")
GOLD = str(ROOT / "eval" / "jddc_gold.jsonl")
RULES = str(ROOT / "rules")
MISSING = "no_such_dir/nothing_here.jsonl"

# each command line names MISSING in exactly one place; the output dir (-o) is filled in per test
COMMANDS = {
    "audit input": ["audit", MISSING, "-o", "{out}"],
    "audit --rules": ["audit", SAMPLE, "-o", "{out}", "--rules", MISSING],
    "audit --model": ["audit", SAMPLE, "-o", "{out}", "--model", MISSING],
    "rules check dir": ["rules", "check", MISSING],
    "rules check --corpus": ["rules", "check", "--corpus", MISSING],
    "rules test dir": ["rules", "test", MISSING],
    "rules list dir": ["rules", "list", MISSING],
    "rules explain --rules": ["rules", "explain", "must.greeting", "--rules", MISSING],
    "rules diff --old": ["rules", "diff", "--old", MISSING, "--new", RULES, SAMPLE, "-o", "{out}"],
    "rules diff --new": ["rules", "diff", "--old", RULES, "--new", MISSING, SAMPLE, "-o", "{out}"],
    "rules diff input": ["rules", "diff", "--old", RULES, "--new", RULES, MISSING, "-o", "{out}"],
    "rules diff --model": ["rules", "diff", "--old", RULES, "--new", RULES, SAMPLE, "-o", "{out}", "--model", MISSING],
    "rules eval --gold": ["rules", "eval", "--gold", MISSING, "--transcripts", SAMPLE],
    "rules eval --utterances": ["rules", "eval", "--utterances", MISSING],
    "rules eval --transcripts": ["rules", "eval", "--gold", GOLD, "--transcripts", MISSING],
    "train data": ["train", MISSING, "-o", "{out}"],
    "train --jddc-dir": ["train", "-o", "{out}", "--jddc-dir", MISSING],
    "train --mapping": ["train", "-o", "{out}", "--mapping", MISSING],
    "evaluate model": ["evaluate", MISSING],
    "evaluate data": ["evaluate", MODEL, MISSING],
    "classify input": ["classify", MISSING],
    "classify --model": ["classify", SAMPLE, "--model", MISSING],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_missing_path_is_exit_2_naming_it(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{out}", str(tmp_path / "out")) for a in COMMANDS[name]]
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == EXIT_CONFIG, result.output
    assert MISSING in result.output or "nothing_here.jsonl" in result.output, result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no work was done
