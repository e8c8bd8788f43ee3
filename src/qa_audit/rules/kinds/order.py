"""`order`: `first` must come before `then`; n/a unless both occur."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from qa_audit.evidence import OrderDetail
from qa_audit.model import Finding
from qa_audit.rules.conditions import Hit
from qa_audit.rules.fields import meta
from qa_audit.rules.kinds.base import Kind, Prepared, holds, scoped
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.spec import Cond, KindSpec, Rule, Scope


@dataclass(frozen=True)
class Order(KindSpec):
    """order: what must come before what."""

    first: Cond = field(metadata=meta("this must come ..."))
    then: Cond = field(metadata=meta("... before this"))
    where: Scope = field(default_factory=Scope)

    per_turn: ClassVar[bool] = True


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """A finding at `then` when it comes before `first`; n/a unless both occur in scope."""
    s: Order = rule.spec
    idx = scoped(s.where, prep)

    def locate(cond: Cond) -> tuple[tuple[int, int], int, Hit | None] | None:
        for i in idx:
            res = holds(cond, prep.turns[i])
            if res.ok:
                pos = min((h.span[0] for h in res.hits), default=0)
                return (i, pos), i, (res.hits[0] if res.hits else None)
        return None

    a, b = locate(s.first), locate(s.then)
    if a is None or b is None:
        return None
    if b[0] < a[0]:
        return [make_finding(rule, prep, b[1], b[2], OrderDetail(a[1]))]
    return []


KIND = Kind("order", Order, check, "`first` must come before `then`")
