"""The adjudicated test labels (eval/complaint_turns_adjudicated.jsonl) are what their inputs give."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("build_adj", ROOT / "eval" / "build_complaint_adjudicated.py")
assert _SPEC is not None and _SPEC.loader is not None
adj = importlib.util.module_from_spec(_SPEC)
sys.modules["build_adj"] = adj  # dataclasses look their module up there
_SPEC.loader.exec_module(adj)


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _row(cid: str, turn: int, flag: bool, code: str, **extra) -> dict:
    return {"conversation_id": cid, "turn": turn, "is_complaint": flag, "code": code, "reason": "r", **extra}


def test_committed_file_is_built_from_the_two_annotators_and_the_decisions():
    result = adj.build()
    assert result.problems == []
    assert (ROOT / "eval" / "complaint_turns_adjudicated.jsonl").read_text(encoding="utf-8") == adj.render(result.lines)
    lines = result.lines
    assert len(lines) == len({(x["conversation_id"], x["turn"]) for x in lines})
    assert {x["split"] for x in lines} == {"test"}
    assert sum(x["source"] == "adjudicated" for x in lines) == result.counts["disagreements"]
    for x in lines:
        assert x["code"] in (adj.POSITIVE if x["is_complaint"] else adj.NEGATIVE)


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    first = _write(
        tmp_path / "first.jsonl",
        [
            _row("c1", 0, True, "REP", split="test"),
            _row("c1", 2, False, "Q", split="test"),
            _row("c2", 0, False, "N", split="test"),
            _row("c9", 0, True, "NEG", split="tune"),
        ],
    )
    second = _write(
        tmp_path / "second.jsonl", [_row("c1", 0, False, "U"), _row("c1", 2, False, "Q"), _row("c2", 0, False, "T")]
    )
    return first, second


def test_a_disagreement_takes_the_decision_and_an_agreement_keeps_the_first_label(tmp_path, inputs):
    decisions = _write(
        tmp_path / "d.jsonl",
        [_row("c1", 0, False, "U", kind="disagreement"), _row("c2", 0, True, "NEG", kind="spot_check")],
    )
    result = adj.build(*inputs, decisions)
    assert result.problems == []
    by_key = {(x["conversation_id"], x["turn"]): x for x in result.lines}
    assert set(by_key) == {("c1", 0), ("c1", 2), ("c2", 0)}
    assert (by_key["c1", 0]["is_complaint"], by_key["c1", 0]["source"]) == (False, "adjudicated")
    agreed = by_key["c2", 0]
    assert (agreed["is_complaint"], agreed["code"], agreed["source"]) == (False, "N", "agreed")
    assert result.counts["sided_with"] == {"first": 0, "second": 1}
    assert result.counts["spot_check_changed"] == {"both_complaint": [], "both_not": ["c2#0"]}


@pytest.mark.parametrize(
    ("decisions", "problem"),
    [
        ([], "has no decision"),
        ([_row("c1", 0, False, "U", kind="disagreement"), _row("c1", 2, True, "NEG", kind="disagreement")], "not a"),
        ([_row("c1", 0, False, "NEG", kind="disagreement")], "code 'NEG' with is_complaint False"),
        ([_row("c1", 0, False, "U", kind="disagreement"), _row("c1", 0, False, "U", kind="disagreement")], "twice"),
        ([_row("c1", 0, False, "U", kind="disagreement"), _row("c9", 0, False, "U", kind="spot_check")], "spot check"),
    ],
)
def test_an_inconsistent_decision_file_stops_the_build(tmp_path, inputs, decisions, problem):
    result = adj.build(*inputs, _write(tmp_path / "d.jsonl", decisions))
    assert any(problem in p for p in result.problems), result.problems
