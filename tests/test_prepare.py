"""Output rows prepared where a conversation is audited make the same files as rows made by the writer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from qa_audit import jsonsafe
from qa_audit.classify import ComplaintTagger
from qa_audit.model import Conversation, ConversationResult
from qa_audit.parallel import audit_in_pool
from qa_audit.paths import default_model_dir, default_rules_dir
from qa_audit.pipeline import Auditor
from qa_audit.readers import read_inputs
from qa_audit.report import write_outputs
from qa_audit.report.aggregate import Aggregator
from qa_audit.report.labels import zone
from qa_audit.report.prepare import PreparedResult, Preparer, unpack
from qa_audit.rules import load_ruleset
from qa_audit.tally import Tally

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
TIMED = ("docProps/core.xml", "xl/worksheets/sheet1.xml")  # the creation time; the summary's 生成时间


@pytest.fixture(scope="module")
def audited() -> tuple:
    ruleset = load_ruleset(default_rules_dir())
    tagger = ComplaintTagger.load(default_model_dir())
    convs = [c for c in read_inputs([str(SAMPLES)]) if isinstance(c, Conversation)]
    results = [Auditor(ruleset, tagger).audit(c) for c in convs]
    return ruleset, tagger, convs, results


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n not in TIMED}


def test_prepared_rows_write_the_files_the_writer_writes_from_results(tmp_path: Path, audited) -> None:
    ruleset, _, _, results = audited
    rules, policy = list(ruleset.infos().values()), ruleset.policy
    prep = Preparer(rules, zone(None))
    here = write_outputs(tmp_path / "here", iter(results), rules, policy, formats=("csv",))
    packed = [prep.packed(r)[1] for r in results]
    assert all(type(unpack(b)) is PreparedResult for b in packed)
    there = write_outputs(tmp_path / "there", iter(packed), rules, policy, formats=("csv",))
    assert (there.conversations, there.findings) == (here.conversations, here.findings)
    assert here.findings > 0
    for name in ("findings.jsonl", "conversations.csv", "findings.csv"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert _parts(tmp_path / "there" / "scorecard.xlsx") == _parts(tmp_path / "here" / "scorecard.xlsx")


def test_results_line_is_the_compact_json_of_the_result(audited) -> None:
    ruleset, _, _, results = audited
    line, _ = Preparer(list(ruleset.infos().values()), zone(None))(results[0])
    assert line.endswith("\n") and "\n" not in line[:-1]
    assert json.loads(line) == json.loads(jsonsafe.dumps(results[0].to_json()))
    # the line results.jsonl has always had: compact, Chinese as it is
    assert line == jsonsafe.dumps(results[0].to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def test_pool_workers_prepare_the_rows_this_process_would(audited) -> None:
    ruleset, tagger, convs, results = audited
    prep = Preparer(list(ruleset.infos().values()), zone(None))
    pooled = list(audit_in_pool(convs, ruleset, tagger, workers=2, chunk=8, preparer=prep))
    assert len(pooled) == len(results)
    for (result, (line, blob)), local in zip(pooled, results, strict=True):
        assert isinstance(result, ConversationResult) and type(blob) is bytes
        want_line, want = prep(local)
        assert line == want_line
        assert unpack(blob) == want


def test_a_lean_pool_sends_the_counts_of_each_result_not_its_audit(audited) -> None:
    ruleset, tagger, convs, results = audited
    prep = Preparer(list(ruleset.infos().values()), zone(None))
    pooled = list(audit_in_pool(convs, ruleset, tagger, workers=2, chunk=8, preparer=prep, lean=True))
    assert [type(t) for t, _ in pooled] == [Tally] * len(results)
    assert [t for t, _ in pooled] == [Tally.of(r) for r in results]
    assert sum(t.findings for t, _ in pooled) > 0 and any(t.failed for t, _ in pooled)
    assert [unpack(blob) for _, (_, blob) in pooled] == [prep(r)[1] for r in results]


def test_losses_travel_as_tuples_and_come_back_as_the_same_rule_losses(audited) -> None:
    ruleset, _, _, results = audited
    prep = Preparer(list(ruleset.infos().values()), zone(None))
    for r in results:
        p = unpack(prep.packed(r)[1])
        assert all(type(x) is tuple for x in p.loss_rows)  # no RuleLoss object in the pickle
        assert p.losses == r.losses and list(p.losses) == list(r.losses)  # same losses, same order


def test_the_run_aggregates_are_the_same_from_loss_tuples(audited) -> None:
    ruleset, _, _, results = audited
    infos = ruleset.infos()
    prep = Preparer(list(infos.values()), zone(None))
    objects, tuples = Aggregator(), Aggregator()
    for r in results:
        p = prep(r)[1]
        objects.add(p.row, r.losses)
        tuples.add_rows(p.row, p.loss_rows)
    a, b = objects.result(infos, ruleset.policy), tuples.result(infos, ruleset.policy)
    assert a == b
    assert any(x["points"] > 0 for x in a.rules)  # the samples do lose points


def test_findings_lines_are_the_json_of_each_finding_json(audited) -> None:
    from qa_audit.report.prepare import findings_lines
    from qa_audit.report.tables import finding_json, finding_rows

    ruleset, _, _, results = audited
    rules = ruleset.infos()
    for r in results:
        frows = finding_rows(r, rules, r.losses or {}, zone(None))
        # the text findings.jsonl has always had: default separators, Chinese as it is, unknown types as str
        expected = "".join(
            jsonsafe.dumps(finding_json(r, f, row["counted"]), ensure_ascii=False, default=str) + "\n"
            for f, row in zip(r.audit.findings, frows, strict=True)
        )
        assert findings_lines(r, frows) == expected
        assert findings_lines(r, frows, [f.to_json() for f in r.audit.findings]) == expected


@pytest.mark.parametrize("separators", [(", ", ": "), (",", ":")])
def test_a_set_up_encoder_writes_what_dumps_writes(separators) -> None:
    values = [
        {"a": [1, 2.5, None, True, (3, 4)], "b": '中文"\\\n\u2028', "c": {"d": -0.0, "e": 1e300}},
        "text",
        7,
        [float("nan"), {"x": float("inf")}],
        {"t": object()},
    ]
    enc = jsonsafe.encoder(separators, default=str)
    for v in values:
        assert enc(v) == jsonsafe.dumps(v, ensure_ascii=False, separators=separators, default=str)
    with pytest.raises(TypeError):
        jsonsafe.encoder(separators)({"t": object()})
