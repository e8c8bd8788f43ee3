"""Score one conversation from its audit: one formula, documented in the README.

Only deducting findings count (tier "deduct"); 待复核 flags (tier "review") cost nothing until a
reviewer upholds them, and their rule's status is "review".

    lost(r)    = min(sum of the points of r's deducting findings, cap(r))     (no cap: no limit)
    deducted   = sum of lost(r) over the failed rules
    bonus      = sum over bonus rules of min(sum of the points of their findings, cap)
    vetoed     = any veto rule (一票否决) failed  ->  score = 0
    passed     = not vetoed and score >= pass_threshold

Two methods, chosen by the pack (`pack: scoring:`):

- deduction (扣分制, the default): score = clamp(base - deducted + bonus, 0, base). A rule that does
  not apply (n/a), or never fires, changes nothing: adding a rule or editing one rule's points never
  moves the score of a conversation that rule does not fail.
- rescaled: score = clamp(base * (possible - deducted) / possible + bonus, 0, base), where possible
  = the points of the applicable rules (pass, review or fail; n/a left out). With nothing
  applicable the score is base. This rewards conversations where few rules apply, and every rule
  added to the pack moves every score.
"""

from __future__ import annotations

from collections.abc import Mapping

from qa_audit.model import Audit, Finding, RuleInfo, RuleLoss, Score, ScoringPolicy

_COMMON_ZH = (
    "扣分：每条规则 = 分值 × 扣分类发现数，每通会话不超过该规则的封顶分；待复核发现不扣分",
    "一票否决规则不通过则得分为 0；未被否决且得分 ≥ 合格线为合格",
)
_COMMON_EN = (
    "deducted = per rule, points × deducting findings, at most the rule's cap; review flags cost nothing",
    "a failed veto rule scores 0; passed = not vetoed and score ≥ pass threshold",
)
FORMULAS = {
    "deduction": (
        ("得分 = 基准分 − 扣分 + 加分，取值 0~基准分（扣分制；不适用的规则不扣分）", *_COMMON_ZH),
        ("score = base − deducted + bonus, clamped to [0, base] (n/a rules deduct nothing)", *_COMMON_EN),
    ),
    "rescaled": (
        (
            "得分 = 基准分 × (适用规则总分 − 扣分) ÷ 适用规则总分 + 加分，取值 0~基准分",
            "适用规则总分：通过、待复核或不通过的规则的分值之和，不适用(n/a)的规则不计入",
            *_COMMON_ZH,
        ),
        (
            "score = base × (possible − deducted) / possible + bonus, clamped to [0, base]",
            "possible = points of the rules that passed, were flagged or failed (n/a excluded)",
            *_COMMON_EN,
        ),
    ),
}


def formula(method: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the (Chinese, English) lines that explain the score formula of a scoring method."""
    return FORMULAS.get(method, FORMULAS["deduction"])


# the default method's lines, for callers that do not know the pack
FORMULA_ZH, FORMULA_EN = formula("deduction")


def _status(rule_id: str, checks: Mapping[str, str], n_deducting: int, n_flags: int) -> str:
    # Findings are the evidence: a rule with deducting findings failed whatever its check says.
    if n_deducting:
        return "fail"
    if n_flags:
        return "review"
    status = checks.get(rule_id, "n/a")
    return status if status in ("pass", "fail", "review") else "n/a"


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
    deducting = [f for f in found if f.deducts]
    status = _status(rid, checks, len(deducting), len(found) - len(deducting))
    if deducting:
        raw = sum(float(f.points) for f in deducting)
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
        findings=len(deducting),
        raw=raw,
        points=points,
        capped=points < raw,
        bonus=bool(info and info.bonus),
        veto=bool(info and info.veto),
        flags=len(found) - len(deducting),
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
    per_rule = (rule_losses(audit, rules) if losses is None else losses).values()
    possible = 0.0
    # as sum() starts: a conversation without deductions reports 0, not 0.0
    deducted: float = 0
    bonus: float = 0
    vetoed = False
    for x in per_rule:
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
    elif policy.method == "rescaled":
        kept = base if possible <= 0 else base * max(possible - deducted, 0.0) / possible
        value = min(max(kept + bonus, 0.0), base)
    else:
        value = min(max(base - deducted + bonus, 0.0), base)
    value = round(value, 2)
    return Score(
        score=value,
        possible=round(possible, 4),
        deducted=round(deducted, 4),
        passed=not vetoed and value >= policy.pass_threshold,
        vetoed=vetoed,
    )


LossRow = tuple[str, str, int, float, float, bool, bool, bool, int]  # a RuleLoss's fields, in order


def loss_rows(losses: Mapping[str, RuleLoss]) -> tuple[LossRow, ...]:
    """`losses` as plain tuples (RuleLoss fields in order): a pipe carries them ten times faster."""
    return tuple(
        (rid, x.status, x.findings, x.raw, x.points, x.capped, x.bonus, x.veto, x.flags) for rid, x in losses.items()
    )


def from_loss_rows(rows: tuple[LossRow, ...]) -> dict[str, RuleLoss]:
    """The losses `loss_rows` was given, back (rule id -> RuleLoss, in the same order)."""
    return {r[0]: RuleLoss(*r) for r in rows}
