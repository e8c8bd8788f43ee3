"""`forbid`: each turn in scope that matches is a finding (negated and quoted matches do not count)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from qa_audit.evidence import ForbidDetail
from qa_audit.model import Finding
from qa_audit.rules.fields import meta
from qa_audit.rules.kinds.base import Kind, Prepared, holds, scoped
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.spec import Cond, KindSpec, Rule, Scope


@dataclass(frozen=True)
class Nearby:
    """A match does not count when this condition holds on a turn within `turns` turns before or after (any role)."""

    match: Cond = field(metadata=meta(cond_key="nearby"))
    turns: int = field(default=1, metadata=meta(minimum=1))


@dataclass(frozen=True)
class Forbid(KindSpec):
    """forbid: what the agent must not say."""

    match: Cond = field(metadata=meta("a turn in scope that matches is a finding"))
    where: Scope = field(default_factory=Scope)
    unless_nearby: Nearby | None = None
    quoted: Literal["ignore", "count"] = field(default="ignore", metadata=meta("matches inside quotation marks"))
    negation: bool = field(default=True, metadata=meta("a match right after 不/没/不能/无法… does not count"))

    per_turn: ClassVar[bool] = True
    fire_unit: ClassVar[str] = "turns"

    def gate(self) -> tuple[Cond, str]:
        """No phrase or pattern of `match` in the scope role's turns: nothing to find."""
        return self.match, self.where.role

    def quiet(self, prep: Prepared) -> str:
        """Nothing can match: pass, or n/a without turns in scope."""
        return "pass" if scoped(self.where, prep) else "n/a"


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """Each turn in scope that matches is a finding; n/a without turns in scope."""
    s: Forbid = rule.spec
    idx = scoped(s.where, prep)
    if not idx:
        return None
    out = []
    for i in idx:
        res = holds(s.match, prep.turns[i], s.negation, s.quoted)
        if not res.ok:
            continue
        dropped = list(res.dropped)
        if s.unless_nearby is not None:
            near = s.unless_nearby.turns
            if any(
                holds(s.unless_nearby.match, prep.turns[j]).ok
                for j in range(max(0, i - near), min(len(prep.turns), i + near + 1))
                if j != i
            ):
                continue  # excused by what was said in a nearby turn
            dropped.append({"exception": "nearby", "turns_checked": near, "found": False})
        out.append(make_finding(rule, prep, i, res.hits[0] if res.hits else None, ForbidDetail(tuple(dropped))))
    return out


KIND = Kind("forbid", Forbid, check, "each turn in scope that matches is a finding")
