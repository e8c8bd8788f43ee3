"""Score one conversation from its audit: one formula, documented in the README.

    applicable = the non-bonus rules whose check is "pass" or "fail" (n/a rules are left out)
    possible   = sum of `points` of the applicable rules
    lost(r)    = min(sum of the points of r's findings, cap(r))     (no cap: no limit)
    deducted   = sum of lost(r) over the failed rules
    bonus      = sum over bonus rules of min(sum of the points of their findings, cap)
    score      = clamp(base * (possible - deducted) / possible + bonus, 0, base)
    vetoed     = any veto rule (一票否决) failed  ->  score = 0
    passed     = not vetoed and score >= pass_threshold

When every rule applies and the pack's points add up to `base`, the score is simply
`base - deducted`; n/a rules shrink `possible`, so what remains is scaled back to `base` and a
conversation is never marked down for a standard that did not apply to it. With nothing
applicable the score is `base`.
"""

from __future__ import annotations

from collections.abc import Mapping

from qa_audit.model import Audit, Finding, RuleInfo, RuleLoss, Score, ScoringPolicy

FORMULA_ZH = (
    "得分 = 基准分 × (适用规则总分 − 扣分) ÷ 适用规则总分 + 加分，取值 0~基准分",
    "适用规则总分：通过或不通过的规则的分值之和，不适用(n/a)的规则不计入",
    "扣分：每条规则 = 分值 × 发现数，每通会话不超过该规则的封顶分",
    "一票否决规则不通过则得分为 0；未被否决且得分 ≥ 合格线为合格",
)
FORMULA_EN = (
    "score = base × (possible − deducted) / possible + bonus, clamped to [0, base]",
    "possible = points of the rules that passed or failed (n/a excluded)",
    "deducted = per rule, points × findings, at most the rule's cap per conversation",
    "a failed veto rule scores 0; passed = not vetoed and score ≥ pass threshold",
)


def _status(rule_id: str, checks: Mapping[str, str], n_findings: int) -> str:
    # Findings are the evidence: a rule with findings failed whatever its check says.
    if n_findings:
        return "fail"
    status = checks.get(rule_id, "n/a")
    return status if status in ("pass", "fail") else "n/a"


def rule_losses(audit: Audit, rules: Mapping[str, RuleInfo]) -> dict[str, RuleLoss]:
    """Return, per rule id, its status and the points it cost (or awarded) in this conversation.

    Covers every rule in `rules`, every rule named in the checks and every rule that has a
    finding (a rule unknown to `rules` is scored from its findings' own points, no cap).
    """
    by_rule: dict[str, list[Finding]] = {}
    for f in audit.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    checks = audit.checks
    quiet = _quiet_losses(rules)
    known = checks.keys() <= rules.keys() and by_rule.keys() <= rules.keys()
    out: dict[str, RuleLoss] = {}
    for rid in rules if known else dict.fromkeys([*rules, *checks, *by_rule]):
        if rid not in by_rule:
            # most rules pass or are n/a: their (immutable) loss is the same in every conversation
            loss = quiet.get((rid, checks.get(rid)))
            if loss is not None:
                out[rid] = loss
                continue
        out[rid] = _loss(rid, rules.get(rid), checks, by_rule.get(rid, []), quiet)
    return out


def _loss(
    rid: str,
    info: RuleInfo | None,
    checks: Mapping[str, str],
    found: list[Finding],
    quiet: dict[tuple[str, str | None], RuleLoss],
) -> RuleLoss:
    status = _status(rid, checks, len(found))
    if found:
        raw = sum(float(f.points) for f in found)
    elif status == "fail":
        # a conversation-level failure the engine reported without a finding: one deduction
        raw = float(info.points) if info else 0.0
    else:
        raw = 0.0
    cap = info.cap if info else None
    points = raw if cap is None else min(raw, float(cap))
    loss = RuleLoss(
        rule_id=rid,
        status=status,
        findings=len(found),
        raw=raw,
        points=points,
        capped=points < raw,
        bonus=bool(info and info.bonus),
        veto=bool(info and info.veto),
    )
    if not found and not raw:
        quiet[(rid, checks.get(rid))] = loss
    return loss


# per rules mapping (kept alive here, so its id stays its own): (rule id, check as given) -> loss without findings
_QUIET: dict[int, tuple[Mapping[str, RuleInfo], dict[tuple[str, str | None], RuleLoss]]] = {}


def _quiet_losses(rules: Mapping[str, RuleInfo]) -> dict[tuple[str, str | None], RuleLoss]:
    entry = _QUIET.get(id(rules))
    if entry is None or entry[0] is not rules:
        if len(_QUIET) >= 16:
            _QUIET.clear()
        entry = _QUIET[id(rules)] = (rules, {})
    return entry[1]


def score_conversation(
    audit: Audit, rules: Mapping[str, RuleInfo], policy: ScoringPolicy, losses: Mapping[str, RuleLoss] | None = None
) -> Score:
    """Score one conversation (see the module docstring for the formula).

    `Score.possible` is the points total of the applicable rules, `Score.deducted` the points
    lost after the per-rule caps; both are in rule points, `Score.score` is on the 0..base scale.
    `losses` are `rule_losses(audit, rules)` when the caller has them already.
    """
    losses = (rule_losses(audit, rules) if losses is None else losses).values()
    possible = 0.0
    deducted = bonus = 0  # as sum() starts: a conversation without deductions reports 0, not 0.0
    vetoed = False
    for x in losses:
        if x.bonus:
            bonus += x.points
        elif x.status != "n/a":
            info = rules.get(x.rule_id)
            # a rule the pack does not know is worth what its findings cost, so it cannot go negative
            possible += float(info.points) if info else x.raw
            if x.status == "fail":
                deducted += x.points
                vetoed = vetoed or x.veto
    base = float(policy.base)
    if vetoed:
        value = 0.0
    else:
        kept = base if possible <= 0 else base * max(possible - deducted, 0.0) / possible
        value = min(max(kept + bonus, 0.0), base)
    value = round(value, 2)
    return Score(
        score=value,
        possible=round(possible, 4),
        deducted=round(deducted, 4),
        passed=not vetoed and value >= policy.pass_threshold,
        vetoed=vetoed,
    )
