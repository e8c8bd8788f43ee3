"""`require`: some turn in scope must match; n/a when the `if` condition never holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qa_audit.evidence import RequireDetail
from qa_audit.model import Finding
from qa_audit.rules.fields import meta
from qa_audit.rules.kinds.base import Kind, Prepared, holds, in_role, scoped
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.spec import Cond, KindSpec, Rule, Scope


@dataclass(frozen=True)
class Require(KindSpec):
    """require: what the agent must say."""

    match: Cond = field(metadata=meta("some turn in scope must match"))
    where: Scope = field(default_factory=Scope)
    if_: Cond | None = field(
        default=None, metadata=meta("the rule applies only when some turn of the scope role matches this", key="if")
    )
    anchor: Literal["first", "last"] = field(
        default="last", metadata=meta("the turn of the scope role a failure points at")
    )


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """Some turn in scope must match; n/a without turns in scope or when the `if` condition never holds."""
    s: Require = rule.spec
    idx = scoped(s.where, prep)
    role_turns = in_role(prep, s.where.role)
    if not idx or not role_turns:
        return None
    if s.if_ is not None:
        cause = next((i for i in role_turns if holds(s.if_, prep.turns[i]).ok), None)
        if cause is None:
            return None
    dropped: list[dict[str, Any]] = []
    for i in idx:
        res = holds(s.match, prep.turns[i])
        if res.ok:
            return []
        dropped.extend(res.dropped)
    anchor = role_turns[0] if s.anchor == "first" else role_turns[-1]
    ev = RequireDetail(tuple(idx), tuple(dropped), cause if s.if_ is not None else None)
    return [make_finding(rule, prep, anchor, None, ev)]


KIND = Kind("require", Require, check, "some turn in scope must match")
