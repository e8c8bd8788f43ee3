"""`respond`: after each trigger turn, one of the next `within` response-role turns must match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from qa_audit.evidence import RespondDetail
from qa_audit.model import Finding
from qa_audit.rules.fields import meta
from qa_audit.rules.kinds.base import Kind, Prepared, holds, in_role
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.spec import Cond, KindSpec, Role, Rule


@dataclass(frozen=True)
class Trigger:
    """The turns that call for a response."""

    match: Cond = field(metadata=meta(cond_key="trigger"))
    role: Role = "customer"


@dataclass(frozen=True)
class Response:
    """What must follow a trigger."""

    match: Cond = field(metadata=meta(cond_key="response"))
    role: Role = "agent"
    within: int = field(default=1, metadata=meta("turns of the response role after the trigger", minimum=1))
    same_turn: bool = field(default=False, metadata=meta("the trigger turn itself may hold the response"))


@dataclass(frozen=True)
class Respond(KindSpec):
    """respond: what must follow what the customer says."""

    trigger: Trigger
    response: Response

    per_turn: ClassVar[bool] = True

    def gate(self) -> tuple[Cond, str]:
        """No phrase or pattern of the trigger in the trigger role's turns: never triggered (n/a)."""
        return self.trigger.match, self.trigger.role

    def example_role(self) -> str:
        """A bare example utterance is a trigger."""
        return self.trigger.role


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """A finding per trigger turn without a response; n/a when nothing triggers the rule."""
    s: Respond = rule.spec
    trigger, response = s.trigger, s.response
    judged, out = False, []
    responders = in_role(prep, response.role)
    for i in in_role(prep, trigger.role):
        trig = holds(trigger.match, prep.turns[i])
        if not trig.ok:
            continue
        window = [j for j in responders if j > i][: response.within]
        if response.same_turn:
            window = [i, *window]
        if not window:
            continue
        judged = True
        if not any(holds(response.match, prep.turns[j]).ok for j in window):
            out.append(make_finding(rule, prep, i, trig.hits[0] if trig.hits else None, RespondDetail(tuple(window))))
    return out if judged else None


KIND = Kind("respond", Respond, check, "after each trigger turn, one of the next response-role turns must match")
