"""Selection of the complaint model: repeated grouped folds, the bars a learned decision must pass, the intents data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from qa_audit.classify.complaint_train import MIN_ADDED, Row, best_threshold, folds, prepare
from qa_audit.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "eval" / "complaint_intents_turns.jsonl"
POSITIVE = {"EXP", "NEG", "ANG", "REP", "BRK", "RHE", "CMP", "BLM"}
NEGATIVE = {"N", "Q", "R", "P", "U", "T", "D", "F", "X"}

STRONG_TEXT = "你们的服务太差了，我要投诉"  # strong cues: the cues alone decide
PLAIN_TEXT = "请帮我查一下物流"  # no cue


def _rows(labels: list[bool], texts: list[str]) -> list[Row]:
    return [Row(f"g{i}", t, y, "test") for i, (t, y) in enumerate(zip(texts, labels, strict=True))]


def test_fold_assignments_keep_conversations_whole_and_differ_between_repeats():
    rows = [Row(f"c{i // 3}", "x", False, "s") for i in range(300)]
    for repeat in (0, 1, 2):
        parts = folds(rows, repeat)
        assert sorted(np.concatenate(parts).tolist()) == list(range(300))
        for part in parts:
            groups = {rows[i].group for i in part}
            assert all(rows[j].group not in groups for other in parts if other is not part for j in other)
        assert [p.tolist() for p in folds(rows, repeat)] == [p.tolist() for p in parts]  # deterministic
    assert [p.tolist() for p in folds(rows, 1)] != [p.tolist() for p in folds(rows, 0)]


def _case(n_added_right: int, n_added_wrong: int):
    # 20 strong-cue complaints, then the model's candidates without a cue, then 40 plain negatives
    labels = [True] * 20 + [True] * n_added_right + [False] * n_added_wrong + [False] * 40
    texts = [STRONG_TEXT] * 20 + [PLAIN_TEXT] * (len(labels) - 20)
    rows = _rows(labels, texts)
    prepared = [prepare(t) for t in texts]
    probs = np.array([0.1] * 20 + [0.95] * (n_added_right + n_added_wrong) + [0.1] * 40)
    return rows, prepared, probs


def test_model_additions_must_pass_in_every_fold_assignment():
    rows, prepared, probs = _case(6, 0)
    assert best_threshold(rows, prepared, probs, "cues-or-model")[0] == 0.95
    bad = probs.copy()
    bad[20:26] = 0.1  # in another assignment the same turns score low and plain turns high
    bad[26:32] = 0.95
    t, s = best_threshold(rows, prepared, [probs, bad], "cues-or-model")
    assert t == 1.0 and s["recall"] == round(20 / 26, 3)


def test_too_few_additions_measure_no_precision():
    rows, prepared, probs = _case(MIN_ADDED - 1, 0)
    assert best_threshold(rows, prepared, probs, "cues-or-model")[0] == 1.0


def test_the_model_alone_must_find_more_than_the_cues_by_a_margin():
    # the model scores the cue complaints high too; one extra complaint is noise, MIN_ADDED are a gain
    rows, prepared, probs = _case(1, 0)
    probs[:20] = 0.9
    assert best_threshold(rows, prepared, probs, "model")[0] == 1.0
    rows, prepared, probs = _case(MIN_ADDED, 0)
    probs[:20] = 0.9
    assert best_threshold(rows, prepared, probs, "model")[0] == 0.9


def test_intent_labels_are_training_rows_with_rubric_codes():
    lines = [json.loads(line) for line in INTENTS.open(encoding="utf-8")]
    assert len(lines) > 9000
    assert {x["split"] for x in lines} == {"train"}
    assert len({x["conversation_id"] for x in lines}) == len(lines)
    for x in lines:
        assert x["code"] in (POSITIVE if x["is_complaint"] else NEGATIVE), x
        assert x["text"].strip() and x["intent"]
        assert not re.search(r"1[3-9]\d{9}|[\w.]+@[\w-]+\.\w+", x["text"]), x  # no phone number, no e-mail
    assert 250 < sum(x["is_complaint"] for x in lines) < 400


def test_no_intent_query_repeats_a_held_out_turn():
    # the held-out parts must not be trained on through the intent data (compared by text only)
    def key(text: str) -> str:
        return re.sub(r"\s+", "", normalize(text).text)

    held = {
        key(r["text"])
        for r in map(json.loads, (ROOT / "eval" / "complaint_turns.jsonl").open(encoding="utf-8"))
        if r["split"] == "test"
    }
    assert not {key(x["text"]) for x in map(json.loads, INTENTS.open(encoding="utf-8"))} & held


def test_the_parallel_selection_gives_the_serial_table() -> None:
    from qa_audit.classify.complaint_train import Params, select

    lines = (ROOT / "eval" / "complaint_train_turns.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    rows = [Row(r["conversation_id"], r["text"], r["is_complaint"], "t") for r in map(json.loads, lines)]
    assert 5 < sum(r.label for r in rows) < len(rows)  # both labels, or the fits say nothing
    grid = (Params(1.0, 0.0, 1), Params(3.0, 1.0, 2), Params(0.3, 2.0, 1))
    serial = select(rows, grid, repeats=2, jobs=1)
    assert select(rows, grid, repeats=2, jobs=2) == serial
    assert [(r["C"], r["rule"]) for r in serial[2]] == [
        (p.c, rule) for p in grid for rule in ("model", "cues-or-model")
    ]
