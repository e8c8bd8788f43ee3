"""The outputs written in a child process are the files write_outputs writes; failures are not lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_audit.classify import ComplaintTagger
from qa_audit.model import Conversation
from qa_audit.paths import default_model_dir, default_rules_dir
from qa_audit.pipeline import Auditor
from qa_audit.readers import read_inputs
from qa_audit.report import write_outputs
from qa_audit.rules import load_ruleset
from qa_audit.writer import write_outputs_aside

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"


@pytest.fixture(scope="module")
def audited() -> tuple[list, list, object]:
    ruleset = load_ruleset(default_rules_dir())
    auditor = Auditor(ruleset, ComplaintTagger.load(default_model_dir()))
    results = [auditor.audit(c) for c in read_inputs([str(SAMPLES)]) if isinstance(c, Conversation)]
    return results, list(ruleset.infos().values()), ruleset.policy


def test_files_written_aside_are_those_written_in_process(tmp_path: Path, audited) -> None:
    results, rules, policy = audited
    here = write_outputs(tmp_path / "here", iter(results), rules, policy, formats=("csv",))
    aside = write_outputs_aside(tmp_path / "aside", iter(results), rules, policy, formats=("csv",))
    assert (aside.conversations, aside.findings) == (here.conversations, here.findings) == (len(results), here.findings)
    assert here.findings > 0
    for name in ("findings.jsonl", "conversations.csv", "findings.csv"):
        assert (tmp_path / "aside" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert (tmp_path / "aside" / "scorecard.xlsx").stat().st_size > 0


def test_a_failing_audit_leaves_no_partial_outputs_and_its_error_is_raised(tmp_path: Path, audited) -> None:
    results, rules, policy = audited

    def failing():
        yield from results[:100]
        raise RuntimeError("reader broke")

    with pytest.raises(RuntimeError, match="reader broke"):
        write_outputs_aside(tmp_path, failing(), rules, policy)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


def test_an_unknown_format_is_a_usage_error_before_any_result_is_taken(tmp_path: Path, audited) -> None:
    results, rules, policy = audited
    taken = []

    def source():
        for r in results:
            taken.append(r)
            yield r

    with pytest.raises(ValueError, match="unknown output format"):
        write_outputs_aside(tmp_path, source(), rules, policy, formats=("docx",))
    assert taken == []
