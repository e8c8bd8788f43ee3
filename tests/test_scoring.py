"""Scores checked against hand-computed expectations (the README's worked example uses these)."""

from __future__ import annotations

import pytest

from qa_audit.model import Audit, Finding, RuleInfo, ScoringPolicy
from qa_audit.scoring import rule_losses, score_conversation

POLICY = ScoringPolicy(base=100.0, pass_threshold=80.0)
RESCALED = ScoringPolicy(base=100.0, pass_threshold=80.0, method="rescaled")
PACK = {
    r.id: r
    for r in (
        RuleInfo("must.greeting", "首句问候", "minor", 10),
        RuleInfo("must.nin", "您字不离口", "minor", 5, cap=10),
        RuleInfo("must.goodbye", "再见结尾", "minor", 10),
        RuleInfo("dont.harsh", "生硬语言", "major", 20, cap=30),
        RuleInfo("dont.blame_shift", "推卸责任", "critical", 20, veto=True),
        RuleInfo("complaint.apology", "投诉致歉", "major", 20),
        RuleInfo("complaint.deadline", "答复时限", "major", 15),
        RuleInfo("bonus.empathy", "共情表达", "info", 2, cap=4, bonus=True),
    )
}
COMPLAINT_RULES = ("complaint.apology", "complaint.deadline")


def finding(rule_id: str, turn: int | None = 1, match: str = "你", points: float | None = None) -> Finding:
    rule = PACK.get(rule_id)
    pts = points if points is not None else rule.points
    return Finding(rule_id, rule.severity if rule else "minor", pts, turn, "agent", (0, len(match)), match, "")


def audit(findings: list[Finding], na: tuple[str, ...] = (), **override: str) -> Audit:
    failed = {f.rule_id for f in findings}
    checks = {rid: "n/a" if rid in na else "fail" if rid in failed else "pass" for rid in PACK}
    checks.update({k.replace("__", "."): v for k, v in override.items()})
    return Audit(tuple(findings), checks)


def test_all_rules_apply_score_is_base_minus_capped_deductions():
    # 你 three times: 3 x 5 = 15, capped at 10; no goodbye: 10. possible 100 -> 100 - 20 = 80, a pass
    a = audit(
        [finding("must.nin", 1), finding("must.nin", 3), finding("must.nin", 5), finding("must.goodbye", 7, "好的")]
    )
    s = score_conversation(a, PACK, POLICY)
    assert (s.score, s.possible, s.deducted, s.passed, s.vetoed) == (80.0, 100.0, 20.0, True, False)


def test_na_rules_deduct_nothing_under_the_default_deduction_method():
    # not a complaint: the two complaint rules (35 points) are n/a; one harsh reply costs 20: 100 - 20
    s = score_conversation(audit([finding("dont.harsh", 2, "急什么")], na=COMPLAINT_RULES), PACK, POLICY)
    assert (s.possible, s.deducted, s.score, s.passed, s.vetoed) == (65.0, 20.0, 80.0, True, False)


def test_rescaled_method_scales_what_remains_by_the_points_possible():
    # the pack option `scoring: rescaled`: possible = 65, 100 x (65 - 20) / 65 = 69.23, below the threshold
    s = score_conversation(audit([finding("dont.harsh", 2, "急什么")], na=COMPLAINT_RULES), PACK, RESCALED)
    assert (s.possible, s.deducted, s.score) == (65.0, 20.0, 69.23)
    assert not s.passed and not s.vetoed


def test_a_rule_that_never_fires_or_changes_points_moves_no_other_score():
    a = audit([finding("dont.harsh", 2, "急什么")], na=COMPLAINT_RULES)
    before = score_conversation(a, PACK, POLICY).score
    quiet = {**PACK, "must.new": RuleInfo("must.new", "新规则", "minor", 5)}
    with_quiet = Audit(a.findings, {**a.checks, "must.new": "pass"})
    heavier = {**PACK, "must.greeting": RuleInfo("must.greeting", "首句问候", "minor", 40)}
    assert score_conversation(with_quiet, quiet, POLICY).score == before == 80.0
    assert score_conversation(a, heavier, POLICY).score == before
    # under the rescaled method the same never-firing rule moves the score: why it is not the default
    assert score_conversation(with_quiet, quiet, RESCALED).score != score_conversation(a, PACK, RESCALED).score


def test_review_flags_cost_nothing_and_their_rule_is_review():
    flag = Finding("dont.harsh", "major", 20, 2, "agent", (0, 3), "急什么", "", tier="review")
    a = Audit((flag,), {**dict.fromkeys(PACK, "pass"), "dont.harsh": "review"})
    s = score_conversation(a, PACK, POLICY)
    assert (s.score, s.deducted) == (100.0, 0)
    loss = rule_losses(a, PACK)["dont.harsh"]
    assert (loss.status, loss.findings, loss.flags, loss.points) == ("review", 0, 1, 0.0)
    both = Audit((flag, finding("dont.harsh", 4, "烦不烦")), a.checks)
    assert score_conversation(both, PACK, POLICY).score == 80.0
    assert rule_losses(both, PACK)["dont.harsh"].status == "fail"


def test_na_is_never_a_loss_compared_with_passing():
    clean_na = score_conversation(audit([], na=COMPLAINT_RULES), PACK, POLICY)
    assert clean_na.score == 100.0 and clean_na.passed


def test_a_failed_veto_rule_fails_the_whole_conversation():
    a = audit([finding("dont.blame_shift", 4, "不是我受理的")])
    s = score_conversation(a, PACK, POLICY)
    assert (s.score, s.vetoed, s.passed) == (0.0, True, False)
    assert s.deducted == 20.0  # what the rule itself cost is still reported


def test_cap_limits_one_rule_per_conversation():
    a = audit([finding("dont.harsh", 2), finding("dont.harsh", 4)])  # 40 -> cap 30
    s = score_conversation(a, PACK, POLICY)
    assert s.deducted == 30.0 and s.score == 70.0
    loss = rule_losses(a, PACK)["dont.harsh"]
    assert loss.capped and loss.raw == 40.0 and loss.points == 30.0


def test_bonus_adds_up_to_the_base_and_is_capped():
    # 你 once (-5) and three empathy findings (3 x 2 = 6, capped at 4): 95 + 4 = 99
    a = audit([finding("must.nin", 1)] + [finding("bonus.empathy", t, "理解您的心情") for t in (2, 4, 6)])
    s = score_conversation(a, PACK, POLICY)
    assert s.score == 99.0 and s.deducted == 5.0 and s.possible == 100.0
    full = audit([finding("bonus.empathy", 2, "理解您的心情")])
    assert score_conversation(full, PACK, POLICY).score == 100.0


def test_every_rule_na_scores_the_base():
    s = score_conversation(audit([], na=tuple(PACK)), PACK, POLICY)
    assert (s.score, s.possible, s.passed) == (100.0, 0.0, True)


def test_a_fail_without_findings_costs_the_rule_points_once():
    s = score_conversation(audit([], must__greeting="fail"), PACK, POLICY)
    assert s.deducted == 10.0 and s.score == 90.0


def test_findings_win_over_a_pass_check_and_unknown_rules_still_count():
    a = Audit(
        (finding("must.goodbye", 7, "好的"), finding("custom.slang", 3, "亲", points=5)), dict.fromkeys(PACK, "pass")
    )
    s = score_conversation(a, PACK, POLICY)
    # possible 100 + 5 for the unknown rule, deducted 10 + 5: 100 - 15 (rescaled: 100 x 90 / 105)
    assert s.possible == 105.0 and s.deducted == 15.0 and s.score == 85.0
    assert score_conversation(a, PACK, RESCALED).score == pytest.approx(85.71)


def test_threshold_is_inclusive_and_policy_is_respected():
    a = audit([finding("dont.harsh", 2)])  # 100 - 20 = 80
    assert score_conversation(a, PACK, POLICY).passed
    strict = ScoringPolicy(base=100.0, pass_threshold=85.0)
    assert not score_conversation(a, PACK, strict).passed
    ten = score_conversation(a, PACK, ScoringPolicy(base=10.0, pass_threshold=6.0, method="rescaled"))
    assert ten.score == 8.0 and ten.passed
    # under deduction, points are in the base's units: 20 points off a base of 10 leaves 0
    assert score_conversation(a, PACK, ScoringPolicy(base=10.0, pass_threshold=6.0)).score == 0.0
