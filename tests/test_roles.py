"""Roles: inference without a map, the swapped-roles check, and role-dependent rules n/a (never failed)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_audit.model import Conversation, Roles, Turn
from qa_audit.paths import default_rules_dir
from qa_audit.report.tables import roles_label
from qa_audit.roles_infer import MIN_CONFIDENCE, RolesTally, check_roles, infer_roles
from qa_audit.rules import Engine, load_ruleset
from qa_audit.rules.engine import role_dependent

CALL = [
    ("agent", "您好，很高兴为您服务，请问有什么可以帮您？"),
    ("customer", "我的快递三天没动了，你们怎么还没发货"),
    ("agent", "非常抱歉让您久等了，请您提供一下订单号，我帮您查询一下。"),
    ("customer", "尾号一二三四"),
    ("agent", "已经为您催促仓库了，请问还有其他可以帮您的吗？"),
    ("customer", "没有了"),
    ("agent", "感谢您的来电，再见。"),
]


def conv(pairs, roles: Roles | None = None, cid: str = "C1") -> Conversation:
    turns = tuple(Turn(i, r, t) for i, (r, t) in enumerate(pairs))
    return Conversation(cid, turns, channel="call", roles=roles)


def swap(pairs):
    other = {"agent": "customer", "customer": "agent"}
    return [(other[r], t) for r, t in pairs]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_ruleset(default_rules_dir()))


def test_inference_without_a_map_finds_the_agent_whatever_its_number() -> None:
    for agent_id, customer_id in (("0", "1"), ("1", "0"), ("spk2", "spk1")):
        speakers = {
            agent_id: [t for r, t in CALL if r == "agent"],
            customer_id: [t for r, t in CALL if r == "customer"],
        }
        roles, confidence, _ = infer_roles(speakers)
        assert roles == {agent_id: "agent", customer_id: "customer"}
        assert confidence >= MIN_CONFIDENCE


def test_speakers_that_cannot_be_told_apart_have_low_confidence() -> None:
    _, confidence, _ = infer_roles({"0": ["嗯", "好的"], "1": ["对", "是这样"]})
    assert confidence < MIN_CONFIDENCE
    _, alone, why = infer_roles({"0": ["您好，请问有什么可以帮您"]})
    assert alone == 0.0 and "one speaker" in why


def test_given_roles_are_checked_and_kept() -> None:
    checked = check_roles(conv(CALL))
    assert checked.roles == Roles("given", 1.0, False, True, "")


def test_a_swapped_conversation_is_flagged() -> None:
    checked = check_roles(conv(swap(CALL)))
    assert checked.roles.swapped_suspected and not checked.roles.usable
    assert "颠倒" in checked.roles.evidence


def test_swapped_roles_make_role_rules_na_instead_of_failing_the_agent(engine: Engine) -> None:
    swapped = check_roles(conv(swap(CALL)))
    unchecked = replace(swapped, roles=None)
    blind = engine.audit(unchecked)
    assert "fail" in blind.checks.values()  # what happens without the check: the "agent" never greets
    audit = engine.audit(swapped)
    role_rules = {r.id for r in engine.ruleset.rules if role_dependent(r)}
    assert role_rules and all(audit.checks[r] == "n/a" for r in role_rules)
    assert not [f for f in audit.findings if f.rule_id in role_rules]


def test_unclear_inferred_roles_are_na_not_failed(engine: Engine) -> None:
    unclear = check_roles(conv([("agent", "嗯"), ("customer", "好的"), ("agent", "你等会")], Roles("inferred", 0.5)))
    assert not unclear.roles.usable and not unclear.roles.swapped_suspected
    audit = engine.audit(unclear)
    assert "fail" not in audit.checks.values() and not audit.findings


def test_workbook_label_says_why_a_conversation_needs_review() -> None:
    assert roles_label(Roles("inferred", 0.93)) == "推断 0.93"
    assert roles_label(Roles("inferred", 0.5, usable=False)) == "推断 0.50；角色无法区分·待复核"
    assert roles_label(Roles("given", swapped_suspected=True, usable=False)) == "给定；角色疑似颠倒·待复核"


def test_rules_on_any_role_stay_applicable(engine: Engine) -> None:
    for r in engine.ruleset.rules:
        where = getattr(r.spec, "where", None)
        any_role = where is not None and where.role == "any" and r.kind not in ("respond", "metric")
        assert role_dependent(r) is not any_role, r.id
    assert all(role_dependent(r) for r in engine.ruleset.rules if r.id in ("must.greeting", "dont.harsh"))


def test_tally_lists_swapped_and_unclear_conversations() -> None:
    tally = RolesTally()
    tally.add(check_roles(conv(CALL, cid="ok")))
    tally.add(check_roles(conv(swap(CALL), cid="swapped")))
    tally.add(check_roles(conv([("agent", "嗯"), ("customer", "好")], Roles("inferred", 0.4), cid="unclear")))
    out = tally.to_json()
    assert out["source"] == {"given": 2, "inferred": 1}
    assert out["swapped_suspected"] == {"count": 1, "ids": ["swapped"]}
    assert out["unclear"] == {"count": 1, "ids": ["unclear"]}


_utterance = st.text(alphabet="您你我好请问帮查订单号的吗谢再见稍等抱歉，。？", max_size=20)


@given(st.lists(st.tuples(st.sampled_from(["agent", "customer"]), _utterance), min_size=1, max_size=12))
def test_check_never_raises_and_only_flags_agent_language_on_the_customer_track(pairs) -> None:
    checked = check_roles(conv(pairs)).roles
    assert 0.0 <= checked.confidence <= 1.0
    if checked.swapped_suspected:  # the flag needs agent phrases on the customer side
        assert not check_roles(conv(swap(pairs))).roles.swapped_suspected
