"""eval/complaint_eval.py scores the adjudicated test labels on the very turns of the test split they relabel."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def complaint_eval():
    spec = importlib.util.spec_from_file_location("complaint_eval", ROOT / "eval" / "complaint_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEXTS = {("c1", 0): "怎么还没到", ("c1", 2): "好的谢谢", ("c2", 1): "你们就知道推卸责任"}


def write(path: Path, labels: list[tuple[str, int, bool]]) -> Path:
    lines = [
        {"conversation_id": c, "turn": t, "split": "test", "is_complaint": y, "code": "N", "reason": "", "source": "x"}
        for c, t, y in labels
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_each_label_is_paired_with_its_own_turn_whatever_the_line_order(complaint_eval, tmp_path):
    path = write(tmp_path / "adj.jsonl", [("c2", 1, True), ("c1", 2, False), ("c1", 0, True)])
    rows = complaint_eval.adjudicated_rows(path, TEXTS)
    assert sorted(rows) == sorted([("你们就知道推卸责任", True), ("好的谢谢", False), ("怎么还没到", True)])


@pytest.mark.parametrize(
    "labels, problem",
    [
        ([("c1", 0, True), ("c1", 2, False)], "missing"),  # a test turn left unlabelled
        ([("c1", 0, True), ("c1", 2, False), ("c2", 1, True), ("c9", 4, True)], "not in the test split"),
        ([("c1", 0, True), ("c1", 0, False), ("c1", 2, False), ("c2", 1, True)], "twice"),
    ],
)
def test_labels_that_do_not_cover_the_test_split_exactly_are_refused(complaint_eval, tmp_path, labels, problem):
    path = write(tmp_path / "adj.jsonl", labels)
    with pytest.raises(ValueError, match=problem):
        complaint_eval.adjudicated_rows(path, TEXTS)
