"""The rule operators and kinds, each on a small rule written for the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.model import Conversation, Turn
from qa_audit.rules import Engine, load_ruleset

BASE = {
    "title": "t",
    "severity": "minor",
    "points": 2,
    "message": "m",
    "source": "test",
    "examples": {"fire": ["x"], "pass": ["y"]},
}


def engine_for(tmp_path: Path, *rules: dict[str, Any]) -> Engine:
    body = {"rules": [{**BASE, **r} for r in rules]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return Engine(load_ruleset(tmp_path))


def conv(*turns: tuple[str, str] | Turn, channel: str | None = None) -> Conversation:
    out = [t if isinstance(t, Turn) else Turn(i, t[0], t[1]) for i, t in enumerate(turns)]
    return Conversation("c1", tuple(out), channel=channel)


def test_span_points_into_the_original_text(tmp_path: Path) -> None:
    eng = engine_for(tmp_path, {"id": "t.shift", "kind": "forbid", "match": {"any": ["不归我们管"]}})
    original = "　ＯＫ，這個不歸我們管！"
    audit = eng.audit(conv(("agent", original)))
    [f] = audit.findings
    assert original[f.span[0] : f.span[1]] == "不歸我們管"
    assert f.match == "不歸我們管"
    assert audit.checks["t.shift"] == "fail"


def test_negation_quotation_and_unless_are_exceptions_listed_in_evidence(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path, {"id": "t.promise", "kind": "forbid", "match": {"any": ["保证"], "unless": ["尽力"], "within": 6}}
    )
    for text in ("我们不能保证今天到", "您说“你们保证过的”", "我们尽力，保证不了"):
        audit = eng.audit(conv(("agent", text)))
        assert audit.checks["t.promise"] == "pass", text
    fired = eng.audit(conv(("agent", "我保证今天到")))
    assert fired.checks["t.promise"] == "fail"
    assert fired.findings[0].evidence["exceptions_considered"] == []


def test_at_least_all_none(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {
            "id": "t.atleast",
            "kind": "forbid",
            "negation": False,
            "match": {"at_least": 2, "of": ["退款", "退货", "换货"]},
        },
        {"id": "t.all", "kind": "forbid", "negation": False, "match": {"all": ["订单", "取消"]}},
        {"id": "t.none", "kind": "forbid", "negation": False, "match": {"none": ["请", "麻烦"]}},
    )
    a = eng.audit(conv(("agent", "退款还是退货都可以，订单不会取消")))
    assert a.checks == {"t.atleast": "fail", "t.all": "fail", "t.none": "fail"}
    b = eng.audit(conv(("agent", "请问退款到账了吗")))
    assert b.checks == {"t.atleast": "pass", "t.all": "pass", "t.none": "pass"}


def test_words_use_segmentation_boundaries(tmp_path: Path) -> None:
    eng = engine_for(tmp_path, {"id": "t.ni", "kind": "forbid", "negation": False, "match": {"words": ["你"]}})
    assert eng.audit(conv(("agent", "这款迷你音箱有货"))).checks["t.ni"] == "pass"
    assert eng.audit(conv(("agent", "你看一下"))).checks["t.ni"] == "fail"


def test_fuzzy_reports_the_variant_heard(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {"id": "t.greet", "kind": "require", "anchor": "first", "where": {"first": 1}, "match": {"fuzzy": ["您好"]}},
    )
    assert eng.audit(conv(("agent", "你号，请问有什么需要"))).checks["t.greet"] == "pass"
    assert eng.audit(conv(("agent", "请问有什么需要"))).checks["t.greet"] == "fail"
    forbid = engine_for(tmp_path, {"id": "t.f", "kind": "forbid", "negation": False, "match": {"fuzzy": ["抱歉"]}})
    [f] = forbid.audit(conv(("agent", "报歉让您久等了"))).findings
    assert f.evidence["variant"] == "报歉" and f.evidence["matched"] == "抱歉"


def test_similar_scores_clauses_and_respects_unlike(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {
            "id": "t.sim",
            "kind": "forbid",
            "match": {"similar": ["谁给您承诺的您找谁去"], "unlike": ["我帮您联系承诺的同事"], "threshold": 0.5},
        },
    )
    [f] = eng.audit(conv(("agent", "好的。谁答应您的您就找谁去"))).findings
    assert 0.5 <= f.evidence["score"] <= 1
    assert f.evidence["operator"] == "similar"
    assert eng.audit(conv(("agent", "我帮您联系承诺的同事"))).checks["t.sim"] == "pass"


def test_respond_is_na_without_trigger_and_checks_the_next_turn(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {
            "id": "t.thanks",
            "kind": "respond",
            "trigger": {"role": "customer", "match": {"any": ["谢谢"]}},
            "response": {"role": "agent", "match": {"any": ["不客气"]}},
        },
    )
    assert eng.audit(conv(("customer", "在吗"), ("agent", "您好"))).checks["t.thanks"] == "n/a"
    assert eng.audit(conv(("customer", "谢谢"))).checks["t.thanks"] == "n/a"
    fail = eng.audit(conv(("customer", "谢谢"), ("agent", "嗯"), ("agent", "不客气")))
    assert fail.checks["t.thanks"] == "fail"
    assert fail.findings[0].turn_index == 0 and fail.findings[0].evidence["checked_turns"] == [1]
    assert eng.audit(conv(("customer", "谢谢"), ("agent", "不客气"))).checks["t.thanks"] == "pass"


def test_order_apology_before_explanation(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path, {"id": "t.order", "kind": "order", "first": {"any": ["抱歉"]}, "then": {"any": ["因为"]}}
    )
    assert eng.audit(conv(("agent", "因为下雨"), ("agent", "抱歉"))).checks["t.order"] == "fail"
    assert eng.audit(conv(("agent", "抱歉，因为下雨"))).checks["t.order"] == "pass"
    assert eng.audit(conv(("agent", "因为下雨"))).checks["t.order"] == "n/a"


def test_metrics_and_na_without_timing(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {"id": "t.first", "kind": "metric", "metric": "first_response", "max": 30, "applies": {"timing": True}},
        {"id": "t.share", "kind": "metric", "metric": "talk_share", "max": 0.6},
        {
            "id": "t.ratio",
            "kind": "metric",
            "metric": "ratio",
            "min": 0.9,
            "negation": False,
            "numerator": {"words": ["您", "您好"]},
            "denominator": {"words": ["您", "您好", "你", "你好"]},
        },
    )
    timed = conv(Turn(0, "customer", "在吗", start=0, end=1), Turn(1, "agent", "你好您好您好", start=40, end=42))
    a = eng.audit(timed)
    assert a.checks["t.first"] == "fail"
    ev = next(f for f in a.findings if f.rule_id == "t.first").evidence
    assert ev["value"] == 40 and ev["max"] == 30
    assert a.checks["t.share"] == "fail"
    ratio = next(f for f in a.findings if f.rule_id == "t.ratio").evidence
    assert (ratio["numerator"], ratio["denominator"]) == (2, 3)
    untimed = eng.audit(conv(("customer", "在吗在吗在吗在吗"), ("agent", "您好")))
    assert untimed.checks["t.first"] == "n/a" and untimed.checks["t.share"] == "pass"


def test_rules_are_na_when_the_agent_never_spoke_or_not_a_complaint(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {"id": "t.greet", "kind": "require", "match": {"any": ["您好"]}},
        {"id": "t.apology", "kind": "require", "applies": {"complaint": True}, "match": {"any": ["抱歉"]}},
    )
    silent = eng.audit(conv(("customer", "在吗")), is_complaint=True)
    assert silent.checks == {"t.greet": "n/a", "t.apology": "n/a"}
    calm = eng.audit(conv(("customer", "在吗"), ("agent", "您好")), is_complaint=False)
    assert calm.checks == {"t.greet": "pass", "t.apology": "n/a"}
    angry = eng.audit(conv(("customer", "太差了"), ("agent", "您好")), is_complaint=True)
    assert angry.checks["t.apology"] == "fail"
    assert angry.findings[0].turn_index == 1 and angry.findings[0].span is None


def test_catastrophic_regex_runs_in_linear_time(tmp_path: Path) -> None:
    eng = engine_for(tmp_path, {"id": "t.redos", "kind": "forbid", "negation": False, "match": {"regex": "(x+x+)+y"}})
    # Python's re needs minutes on this input; RE2 answers at once (no timing assertion: it would hang).
    assert eng.audit(conv(("agent", "x" * 5000))).checks["t.redos"] == "pass"


def test_a_not_a_questions_are_not_negation(tmp_path: Path) -> None:
    eng = engine_for(tmp_path, {"id": "t.abuse", "kind": "forbid", "match": {"any": ["有病"]}})
    assert eng.audit(conv(("agent", "你是不是有病"))).checks["t.abuse"] == "fail"
    assert eng.audit(conv(("agent", "这个不是有病毒"))).checks["t.abuse"] == "pass"


def test_time_window_scope_is_na_without_timing(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path, {"id": "t.open", "kind": "require", "where": {"first_seconds": 10}, "match": {"any": ["您好"]}}
    )
    late = conv(
        Turn(0, "customer", "喂", start=0, end=1),
        Turn(1, "agent", "请讲", start=2, end=3),
        Turn(2, "agent", "您好", start=20, end=21),
    )
    assert eng.audit(late).checks["t.open"] == "fail"  # 您好 came, but not in the first 10 seconds
    early = conv(Turn(0, "customer", "喂", start=0, end=1), Turn(1, "agent", "您好", start=2, end=3))
    assert eng.audit(early).checks["t.open"] == "pass"
    assert eng.audit(conv(("customer", "喂"), ("agent", "您好"))).checks["t.open"] == "n/a"


def test_unless_nearby_excuses_a_match_by_what_is_said_in_the_next_turns(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {
            "id": "t.shift",
            "kind": "forbid",
            "match": {"any": ["不归我们管"]},
            "unless_nearby": {"match": {"any": ["为您转接"]}, "turns": 2},
        },
    )
    excused = conv(("agent", "这个不归我们管"), ("customer", "那怎么办"), ("agent", "我马上为您转接售后"))
    assert eng.audit(excused).checks["t.shift"] == "pass"
    blamed = conv(("agent", "这个不归我们管"), ("customer", "那怎么办"), ("agent", "您自己看着办"))
    audit = eng.audit(blamed)
    assert audit.checks["t.shift"] == "fail"
    considered = audit.findings[0].evidence["exceptions_considered"]
    assert {"exception": "nearby", "turns_checked": 2, "found": False} in considered


def test_expensive_operator_memo_is_bounded_and_keeps_results(tmp_path: Path, monkeypatch) -> None:
    import qa_audit.rules.prepared as prepared

    monkeypatch.setattr(prepared, "MEMO_SIZE", 5)
    eng = engine_for(
        tmp_path, {"id": "t.sim", "kind": "forbid", "match": {"similar": ["谁给您承诺的您找谁去"], "threshold": 0.5}}
    )
    for i in range(20):
        eng.audit(conv(("agent", f"第{i}单已经发货")))
    assert len(eng.matchers.outcomes) <= 5
    twice = [eng.audit(conv(("agent", "谁答应您的您就找谁去"))).checks["t.sim"] for _ in range(2)]
    assert twice == ["review", "review"]  # a `similar` hit is a 待复核 flag by default


def test_shortcuts_give_the_same_audit_as_evaluating_every_rule_on_every_turn(monkeypatch) -> None:
    """Skipping rules whose phrases occur nowhere, and the per-text memo, change no check and no finding."""
    import qa_audit.rules.engine as engine_mod
    import qa_audit.rules.prepared as prepared
    from qa_audit.paths import default_rules_dir
    from qa_audit.readers import read_inputs

    root = Path(__file__).resolve().parents[1]
    convs = [c for c in read_inputs([root / "sample_transcripts"]) if isinstance(c, Conversation)]
    ruleset = load_ruleset(default_rules_dir())
    fast = Engine(ruleset)
    monkeypatch.setattr(engine_mod, "_gated_rules", lambda rules, matchers: ({}, {}))
    monkeypatch.setattr(prepared, "MEMO_SIZE", 0)
    full = Engine(ruleset)
    assert fast._groups and not full._groups  # the fast engine does settle rules without evaluating them
    for _ in range(2):  # the second round answers from the memo
        for c in convs:
            for complaint in (False, True):
                got, want = fast.audit(c, complaint), full.audit(c, complaint)
                assert (got.findings, got.checks) == (want.findings, want.checks), c.conversation_id


def test_pinyin_readings_are_pypinyins_for_every_character_of_its_table() -> None:
    """The fuzzy operator reads pypinyin's table directly (start-up); it must say what lazy_pinyin says."""
    from pypinyin import Style, lazy_pinyin

    from qa_audit.rules.matchers import _readings, reading

    table = _readings()
    assert len(table) > 40_000
    differ = [
        chr(cp)
        for cp in table
        if reading(chr(cp)) != (lazy_pinyin(chr(cp), style=Style.NORMAL, errors="ignore") or [None])[0]
    ]
    assert differ == []
    assert (reading("绿"), reading("您"), reading("a"), reading("，")) == ("lv", "nin", None, None)


def _fuzzy_reference(matcher, text: str) -> list:
    """The fuzzy operator's definition: every start position tried (the matcher skips most of them)."""
    from qa_audit.rules.matchers import FuzzyHit, _syllable, heard_as

    sylls = [_syllable(c) for c in text]
    hits = []
    for phrase, target in zip(matcher.phrases, matcher._sylls, strict=True):
        k = len(target)
        for i in range(len(text) - k + 1):
            if heard_as(text[i : i + k], sylls[i : i + k], phrase, target):
                hits.append(FuzzyHit((i, i + k), phrase, text[i : i + k]))
    return hits


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="您你泥尼拟好号嚎豪耗请清情问闻文再在载见建件谢写蟹,. a", max_size=14))
def test_fuzzy_matches_are_those_of_trying_every_position(text: str) -> None:
    from qa_audit.rules.matchers import FuzzyMatcher

    matcher = FuzzyMatcher(("您好", "请问", "再见", "谢谢您", "您好请问"))
    assert matcher.find(text) == _fuzzy_reference(matcher, text)


def test_similar_hits_are_review_flags_by_default_and_phrase_hits_deduct(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {
            "id": "t.shift",
            "kind": "forbid",
            "match": {"or": [{"any": ["不归我们管"]}, {"similar": ["谁给您承诺的您找谁去"]}]},
        },
    )
    phrase = eng.audit(conv(("agent", "这个不归我们管")))
    assert [f.tier for f in phrase.findings] == ["deduct"] and phrase.checks["t.shift"] == "fail"
    paraphrase = eng.audit(conv(("agent", "谁答应您的您就找谁去")))
    assert [f.tier for f in paraphrase.findings] == ["review"] and paraphrase.checks["t.shift"] == "review"
    both = eng.audit(conv(("agent", "谁答应您的您就找谁去"), ("agent", "这个不归我们管")))
    assert sorted(f.tier for f in both.findings) == ["deduct", "review"] and both.checks["t.shift"] == "fail"


def test_tier_and_review_operators_are_set_per_rule(tmp_path: Path) -> None:
    eng = engine_for(
        tmp_path,
        {"id": "t.all_review", "kind": "forbid", "tier": "review", "match": {"any": ["不归我们管"]}},
        {
            "id": "t.sim_deducts",
            "kind": "forbid",
            "review_operators": [],
            "match": {"similar": ["谁给您承诺的您找谁去"], "threshold": 0.5},
        },
        {"id": "t.any_flags", "kind": "forbid", "review_operators": ["any"], "match": {"any": ["烦不烦"]}},
    )
    audit = eng.audit(conv(("agent", "这个不归我们管"), ("agent", "谁答应您的您就找谁去"), ("agent", "烦不烦")))
    assert {f.rule_id: f.tier for f in audit.findings} == {
        "t.all_review": "review",
        "t.sim_deducts": "deduct",
        "t.any_flags": "review",
    }
    assert audit.checks == {"t.all_review": "review", "t.sim_deducts": "fail", "t.any_flags": "review"}


def test_finding_id_is_stable_and_differs_by_conversation_rule_turn_and_span(tmp_path: Path) -> None:
    eng = engine_for(tmp_path, {"id": "t.shift", "kind": "forbid", "match": {"any": ["不归我们管"]}})
    turns = (("agent", "这个不归我们管"), ("agent", "那个也不归我们管"))
    first = [f.finding_id for f in eng.audit(conv(*turns)).findings]
    again = [
        f.finding_id
        for f in engine_for(tmp_path, {"id": "t.shift", "kind": "forbid", "match": {"any": ["不归我们管"]}})
        .audit(conv(*turns))
        .findings
    ]
    assert first == again and len(set(first)) == 2 and all(len(x) == 16 for x in first)
    other = Conversation("c2", conv(*turns).turns)
    assert not set(first) & {f.finding_id for f in eng.audit(other).findings}


@settings(max_examples=300, deadline=None)
@given(
    st.text(),
    st.text(),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.tuples(st.integers(0, 10**6), st.integers(0, 10**6))),
)
def test_finding_id_hashes_the_json_of_its_parts(
    conversation_id: str, rule_id: str, turn: int | None, span: tuple[int, int] | None
) -> None:
    import hashlib
    import json

    from qa_audit.model import finding_id

    key = json.dumps([conversation_id, rule_id, turn, list(span) if span else None], ensure_ascii=False)
    expected = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    assert finding_id(conversation_id, rule_id, turn, span) == expected
