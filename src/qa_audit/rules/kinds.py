"""The five rule kinds: forbid, require, respond, order, metric.

Each takes a rule and a prepared conversation and returns findings, or None when the rule does not
apply (n/a). Findings point at the original turn text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa_audit.model import Conversation, Finding, finding_id
from qa_audit.rules import metrics
from qa_audit.rules.applicability import is_empty
from qa_audit.rules.conditions import Hit, Outcome
from qa_audit.rules.prepared import PreparedTurn
from qa_audit.rules.spec import Cond, Rule, Scope


@dataclass(frozen=True)
class Prepared:
    """A conversation with its turns prepared once."""

    conv: Conversation
    turns: tuple[PreparedTurn, ...]
    is_complaint: bool
    # turn lists by role and by scope, shared by the rules that ask for the same (callers never mutate them)
    cache: dict[Any, list[int]] = field(default_factory=dict, compare=False, repr=False)


def in_role(prep: Prepared, role: str) -> list[int]:
    """Indices of the turns spoken by `role` ('any' = agent and customer)."""
    found = prep.cache.get(role)
    if found is None:
        # an empty turn is in no rule's scope (never judged, never the anchor of a finding)
        if role == "any":
            found = [
                i for i, t in enumerate(prep.conv.turns) if t.role != "system" and not is_empty(prep.turns[i].text)
            ]
        else:
            found = [i for i, t in enumerate(prep.conv.turns) if t.role == role and not is_empty(prep.turns[i].text)]
        prep.cache[role] = found
    return found


def scoped(rule: Rule, prep: Prepared) -> list[int]:
    """Indices of the turns a rule looks at (role, first/last N turns, first/last N seconds)."""
    found = prep.cache.get(rule.where)
    if found is None:
        found = prep.cache[rule.where] = _scoped(rule.where, prep)
    return found


def _scoped(w: Scope, prep: Prepared) -> list[int]:
    idx = in_role(prep, w.role)
    if w.first:
        idx = idx[: w.first]
    if w.last:
        idx = idx[-w.last :]
    if w.timed:
        times = metrics.turn_times(prep.conv)
        starts = [t[0] for t in times if t[0] is not None]
        if not starts:
            return []
        begin, finish = min(starts), max(t[1] if t[1] is not None else t[0] for t in times if t[0] is not None)
        idx = [
            i
            for i in idx
            if times[i][0] is not None
            and (w.first_seconds is None or times[i][0] - begin <= w.first_seconds)
            and (w.last_seconds is None or finish - times[i][0] <= w.last_seconds)
        ]
    return idx


def _eval(rule: Rule, cond: Cond, turn: PreparedTurn, banned: bool = False) -> Outcome:
    if banned:
        return turn.outcome(cond, rule.negation, rule.quoted)
    return turn.outcome(cond)


def _finding(rule: Rule, prep: Prepared, index: int, hit: Hit | None, evidence: dict[str, Any]) -> Finding:
    turn = prep.turns[index]
    span, match = None, ""
    if hit is not None:
        span = turn.norm.to_original(*hit.span)
        match = turn.turn.text[span[0] : span[1]]
        evidence = {"operator": hit.op, "matched": hit.matched, **evidence}
        if hit.variant and hit.variant != hit.matched:
            evidence["variant"] = hit.variant
        if hit.score is not None:
            evidence["score"] = hit.score
    info = rule.info
    review = info.tier == "review" or (hit is not None and hit.op in info.review_operators)
    return Finding(
        rule_id=rule.id,
        severity=info.severity,
        points=info.points,
        turn_index=index,
        role=turn.turn.role,
        span=span,
        match=match,
        message=info.message,
        evidence={"kind": rule.kind, **evidence},
        tier="review" if review else "deduct",
        finding_id=finding_id(prep.conv.conversation_id, rule.id, index, span),
    )


def forbid(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """Each turn in scope that matches is a finding (negated and quoted matches do not count)."""
    idx = scoped(rule, prep)
    if not idx:
        return None
    out = []
    for i in idx:
        res = _eval(rule, rule.match, prep.turns[i], banned=True)
        if not res.ok:
            continue
        dropped = list(res.dropped)
        if rule.nearby is not None:
            near = [
                j
                for j in range(max(0, i - rule.nearby_turns), min(len(prep.turns), i + rule.nearby_turns + 1))
                if j != i and _eval(rule, rule.nearby, prep.turns[j]).ok
            ]
            if near:
                continue  # excused by what was said in a nearby turn
            dropped.append({"exception": "nearby", "turns_checked": rule.nearby_turns, "found": False})
        out.append(_finding(rule, prep, i, res.hits[0] if res.hits else None, {"exceptions_considered": dropped}))
    return out


def require(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """Some turn in scope must match; n/a when the `if` condition never holds."""
    idx = scoped(rule, prep)
    role_turns = in_role(prep, rule.where.role)
    if not idx or not role_turns:
        return None
    if rule.if_ is not None:
        cause = next((i for i in role_turns if _eval(rule, rule.if_, prep.turns[i]).ok), None)
        if cause is None:
            return None
    dropped: list[dict[str, Any]] = []
    for i in idx:
        res = _eval(rule, rule.match, prep.turns[i])
        if res.ok:
            return []
        dropped.extend(res.dropped)
    anchor = role_turns[0] if rule.anchor == "first" else role_turns[-1]
    ev: dict[str, Any] = {"searched_turns": idx, "exceptions_considered": dropped}
    if rule.if_ is not None:
        ev["required_because_of_turn"] = cause
    return [_finding(rule, prep, anchor, None, ev)]


def respond(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """After each trigger turn, one of the next `within` response-role turns must match."""
    judged, out = False, []
    responders = in_role(prep, rule.response_role)
    for i in in_role(prep, rule.trigger_role):
        trig = _eval(rule, rule.trigger, prep.turns[i])
        if not trig.ok:
            continue
        window = [j for j in responders if j > i][: rule.within]
        if rule.same_turn:
            window = [i, *window]
        if not window:
            continue
        judged = True
        if not any(_eval(rule, rule.response, prep.turns[j]).ok for j in window):
            out.append(_finding(rule, prep, i, trig.hits[0] if trig.hits else None, {"checked_turns": window}))
    return out if judged else None


def order(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """`first` must come before `then`; n/a unless both occur."""
    idx = scoped(rule, prep)

    def locate(cond: Cond) -> tuple[tuple[int, int], int, Hit | None] | None:
        for i in idx:
            res = _eval(rule, cond, prep.turns[i])
            if res.ok:
                pos = min((h.span[0] for h in res.hits), default=0)
                return (i, pos), i, (res.hits[0] if res.hits else None)
        return None

    a, b = locate(rule.first), locate(rule.then)
    if a is None or b is None:
        return None
    if b[0] < a[0]:
        return [_finding(rule, prep, b[1], b[2], {"first_found_at_turn": a[1]})]
    return []


def _metric_value(rule: Rule, prep: Prepared) -> tuple[float | None, int | None, dict[str, Any]]:
    conv = prep.conv
    agent = in_role(prep, "agent")
    anchor = (agent[0] if rule.anchor == "first" else agent[-1]) if agent else None
    if rule.metric == "talk_share":
        value, unit = metrics.talk_share(conv)
        return value, anchor, {"unit": unit}
    if rule.metric == "speech_rate":
        return metrics.speech_rate(conv), anchor, {"unit": "characters per second"}
    if rule.metric == "first_response":
        value, index = metrics.first_response(conv)
        return value, index, {"unit": "seconds"}
    idx = scoped(rule, prep)
    num = sum(len(_eval(rule, rule.numerator, prep.turns[i], True).hits) for i in idx)
    den = sum(len(_eval(rule, rule.denominator, prep.turns[i], True).hits) for i in idx)
    return (round(num / den, 3) if den else None), anchor, {"numerator": num, "denominator": den}


def metric(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """A measured value must lie within [min, max]; n/a when it cannot be measured."""
    if rule.metric == "silence_gap":
        return _silence(rule, prep)
    if rule.metric == "overlap":
        tolerance = rule.max if rule.max is not None else 0.0
        return [
            _finding(
                rule,
                prep,
                j,
                None,
                {"metric": "overlap", "value": sec, "max": tolerance, "unit": "seconds", "interrupted_turn": i},
            )
            for j, i, sec in metrics.interruptions(prep.conv, tolerance)
        ]
    value, anchor, ev = _metric_value(rule, prep)
    if value is None or anchor is None:
        return None
    low = rule.min is not None and value < rule.min
    high = rule.max is not None and value > rule.max
    if not (low or high):
        return []
    return [
        _finding(
            rule, prep, anchor, None, {"metric": rule.metric, "value": value, "min": rule.min, "max": rule.max, **ev}
        )
    ]


def _silence(rule: Rule, prep: Prepared) -> list[Finding] | None:
    silences = metrics.customer_silences(prep.conv, rule.gap)
    if not silences:
        return [] if prep.conv.has_timing else None
    out = []
    for i, nxt, seconds in silences:
        stop = nxt if nxt is not None else len(prep.turns)
        candidates = [j for j in in_role(prep, "agent") if i <= j < stop]
        if not any(_eval(rule, rule.match, prep.turns[j]).ok for j in candidates):
            out.append(
                _finding(
                    rule, prep, i, None, {"metric": "silence_gap", "value": seconds, "max": rule.gap, "unit": "seconds"}
                )
            )
    return out


KINDS: dict[str, Callable[[Rule, Prepared], list[Finding] | None]] = {
    "forbid": forbid,
    "require": require,
    "respond": respond,
    "order": order,
    "metric": metric,
}
