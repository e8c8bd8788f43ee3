"""Typed evidence (qa_audit.evidence) writes exactly the JSON the findings files always had."""

from __future__ import annotations

import json
import pickle

from qa_audit.evidence import (
    ForbidDetail,
    HitDetail,
    MetricDetail,
    RequireDetail,
    RuleEvidence,
    TurnMetricDetail,
    evidence_json,
)


def test_hit_keys_wrap_the_kind_detail_in_the_documented_order():
    hit = HitDetail.of("fuzzy", "抱歉", "报歉", None)
    ev = RuleEvidence("forbid", hit, ForbidDetail(({"match": "x", "exception": "quoted"},)))
    assert list(ev.to_json()) == ["kind", "operator", "matched", "exceptions_considered", "variant"]
    assert ev["variant"] == "报歉" and ev.get("score") is None
    same = HitDetail.of("fuzzy", "抱歉", "抱歉", 0.8)  # a variant equal to the match is not repeated
    assert list(RuleEvidence("forbid", same, ForbidDetail(()))) == [
        "kind",
        "operator",
        "matched",
        "exceptions_considered",
        "score",
    ]


def test_metric_details_keep_min_only_for_whole_conversation_metrics():
    ratio = MetricDetail("ratio", 0.5, None, 0.4, numerator=0, denominator=2)
    assert list(ratio.to_json().items()) == [
        ("metric", "ratio"),
        ("value", 0.5),
        ("min", None),
        ("max", 0.4),
        ("numerator", 0),
        ("denominator", 2),
    ]
    assert list(TurnMetricDetail("overlap", 1.5, 0.0, interrupted_turn=3).to_json()) == [
        "metric",
        "value",
        "max",
        "unit",
        "interrupted_turn",
    ]


def test_evidence_reads_as_its_json_and_survives_a_worker_and_the_store():
    ev = RuleEvidence("require", None, RequireDetail((0, 2), (), required_because_of_turn=1))
    expected = {"kind": "require", "searched_turns": [0, 2], "exceptions_considered": [], "required_because_of_turn": 1}
    assert ev == expected and dict(ev) == expected and evidence_json(ev) == expected
    assert pickle.loads(pickle.dumps(ev)).to_json() == expected  # pool and Dask workers send findings back
    stored = json.loads(json.dumps(evidence_json(ev), ensure_ascii=False))
    assert evidence_json(stored) == expected  # read back from the store: a plain dict


def test_evidence_json_is_a_new_dict_each_time_and_the_reading_cache_is_not_pickled() -> None:
    ev = RuleEvidence("require", None, RequireDetail((0, 2), ()))
    first = evidence_json(ev)
    first["kind"] = "changed"
    assert evidence_json(ev)["kind"] == "require" and ev["kind"] == "require"
    assert len(ev) == 3 and list(ev) == ["kind", "searched_turns", "exceptions_considered"]
    back = pickle.loads(pickle.dumps(ev))
    assert "_cached" in ev.__dict__ and "_cached" not in back.__dict__
    assert back.to_json() == ev.to_json()
