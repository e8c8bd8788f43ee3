"""What every rule kind shares: the prepared conversation, turn scopes, and building a finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa_audit.evidence import HitDetail, KindDetail, RuleEvidence
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
    # (and whatever else is worked out once per conversation)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


Check = Callable[[Rule, Prepared], "list[Finding] | None"]


@dataclass(frozen=True)
class Kind:
    """One rule kind: its spec (the YAML keys of its own; see rules/fields.py) and its check, which
    returns the findings of a rule on a prepared conversation, or None when the rule does not apply (n/a).

    `schema` adds JSON Schema constraints across the spec's fields (allOf), for what field types alone
    cannot say (a metric rule needs `min` or `max`). `problems` checks a schema-valid rule mapping for
    what a schema cannot see (a learned rule's model loads): (key, code, message, hint) per problem.
    """

    name: str
    spec: type
    check: Check
    description: str
    schema: tuple[dict[str, Any], ...] = ()
    problems: Callable[[dict[str, Any]], list[tuple[str, str, str, str]]] | None = None


def in_role(prep: Prepared, role: str) -> list[int]:
    """Indices of the turns spoken by `role` ('any' = agent and customer)."""
    found = prep.cache.get(role)
    if found is None:
        # an empty turn is in no rule's scope (never judged, never the anchor of a finding)
        turns = prep.conv.turns
        if role == "any":
            found = [i for i, t in enumerate(turns) if t.role != "system" and not is_empty(prep.turns[i].text)]
        else:
            found = [i for i, t in enumerate(turns) if t.role == role and not is_empty(prep.turns[i].text)]
        prep.cache[role] = found
    return found


def scoped(where: Scope, prep: Prepared) -> list[int]:
    """Indices of the turns a scope selects (role, first/last N turns, first/last N seconds)."""
    found = prep.cache.get(where)
    if found is None:
        found = prep.cache[where] = _scoped(where, prep)
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
            if (start := times[i][0]) is not None
            and (w.first_seconds is None or start - begin <= w.first_seconds)
            and (w.last_seconds is None or finish - start <= w.last_seconds)
        ]
    return idx


def holds(cond: Cond, turn: PreparedTurn, negation: bool = False, quoted: str = "count") -> Outcome:
    """The outcome of `cond` on a turn (with negation / quoted='ignore': such matches do not count)."""
    return turn.outcome(cond, negation, quoted)


def anchor_turn(prep: Prepared, role: str, anchor: str) -> int | None:
    """The first or last turn of `role` (what a conversation-level finding points at)."""
    turns = in_role(prep, role)
    if not turns:
        return None
    return turns[0] if anchor == "first" else turns[-1]


def finding(rule: Rule, prep: Prepared, index: int, hit: Hit | None, detail: KindDetail) -> Finding:
    """A finding of `rule` on turn `index`, at `hit` (None: the whole turn), with its kind's evidence."""
    turn = prep.turns[index]
    span, match = None, ""
    hit_detail = None
    if hit is not None:
        span = turn.norm.to_original(*hit.span)
        match = turn.turn.text[span[0] : span[1]]
        hit_detail = HitDetail.of(hit.op, hit.matched, hit.variant, hit.score)
    info = rule.info
    review = (
        info.tier == "review"
        or (hit is not None and hit.op in info.review_operators)
        or prep.conv.channel in info.review_channels
    )
    return Finding(
        rule_id=rule.id,
        severity=info.severity,
        points=info.points,
        turn_index=index,
        role=turn.turn.role,
        span=span,
        match=match,
        message=info.message,
        evidence=RuleEvidence(rule.kind, hit_detail, detail),
        tier="review" if review else "deduct",
        finding_id=finding_id(prep.conv.conversation_id, rule.id, index, span),
    )
