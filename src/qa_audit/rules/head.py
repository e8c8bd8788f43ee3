"""The keys every rule has (whatever its kind), the examples it carries, and the pack settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qa_audit.rules.fields import meta
from qa_audit.rules.operators import DEFAULT_REVIEW_OPERATORS, LEAF_OPS
from qa_audit.rules.spec import Applies

RULE_ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
_EXAMPLES = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/example"}}


@dataclass(frozen=True)
class Examples:
    """Conversations on which the rule must fire, and on which it must not (`qa-audit rules test`)."""

    fire: tuple[Any, ...] = field(metadata=meta("the rule must find something in each", schema=_EXAMPLES))
    pass_: tuple[Any, ...] = field(metadata=meta("the rule must find nothing in each", key="pass", schema=_EXAMPLES))


@dataclass(frozen=True)
class Head:
    """A quality-assurance rule."""

    id: str = field(metadata=meta(pattern=RULE_ID))
    title: str = field(metadata=meta(minLength=1))
    kind: str = field(metadata=meta("the rule kind; the other keys depend on it"))
    severity: Literal["critical", "major", "minor", "info"]
    points: float = field(metadata=meta("deducted per finding (or awarded, for bonus rules)", minimum=0))
    message: str = field(metadata=meta("what a finding says (for QA staff)", minLength=1))
    source: str = field(metadata=meta("where the standard is written (seed file and section)", minLength=1))
    examples: Examples
    category: str = ""
    description: str = ""
    cap: int | float | None = field(
        default=None, metadata=meta("most points this rule can cost in one conversation", minimum=0)
    )
    veto: bool = field(default=False, metadata=meta("一票否决: a failure fails the whole conversation"))
    bonus: bool = False
    tier: Literal["deduct", "review"] = field(
        default="deduct",
        metadata=meta(
            "deduct: a finding costs points; review: every finding is a 待复核 flag that costs nothing "
            "until a reviewer upholds it"
        ),
    )
    review_operators: tuple[str, ...] = field(
        default=DEFAULT_REVIEW_OPERATORS,
        metadata=meta(
            "hits of these operators are 待复核 flags, not deductions",
            schema={"type": "array", "uniqueItems": True, "items": {"enum": list(LEAF_OPS)}},
        ),
    )
    review_channels: tuple[Literal["chat", "call"], ...] = field(
        default=(),
        metadata=meta(
            "on these channels every finding is a 待复核 flag (the rule was measured sure on the others only)",
            schema={"type": "array", "uniqueItems": True, "items": {"enum": ["chat", "call"]}},
        ),
    )
    yields_to: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "ids of narrower rules: a finding of this rule on a turn where one of them already has a finding is"
            " dropped (one flag per turn for the reviewer); each rule alone in `rules test`",
            schema={"type": "array", "uniqueItems": True, "items": {"type": "string", "pattern": RULE_ID}},
        ),
    )
    enabled: bool = True
    applies: Applies = field(
        default_factory=Applies, metadata=meta("when the rule applies at all; otherwise its check is n/a")
    )


@dataclass(frozen=True)
class Pack:
    """Pack-level settings; exactly one file of a rule directory may carry them."""

    name: str = "default"
    description: str = ""
    base: float = field(default=100.0, metadata=meta("Score of a conversation with nothing lost.", exclusiveMinimum=0))
    pass_threshold: float = field(
        default=80.0, metadata=meta("A conversation passes at this score or above (and not vetoed).", minimum=0)
    )
    scoring: Literal["deduction", "rescaled"] = field(
        default="deduction",
        metadata=meta(
            "deduction (扣分制): base minus the points lost, n/a rules deduct nothing; "
            "rescaled: base × (possible − lost) ÷ possible"
        ),
    )


TURN = {
    "description": "a '客服：…' / '客户：…' string, or a turn object",
    "type": ["string", "object"],
    "additionalProperties": False,
    "required": ["role", "text"],
    "properties": {
        "role": {"enum": ["agent", "customer", "system"]},
        "text": {"type": "string"},
        "start": {"type": "number", "minimum": 0, "description": "seconds from the start"},
        "end": {"type": "number", "minimum": 0, "description": "seconds from the start"},
        "ts": {"type": "string", "description": "ISO-8601 time, in quotes ('2026-11-21T09:12:00')"},
    },
}

# type-dependent keywords (minLength, items, properties) rather than oneOf, so that an error points at
# the very key that is wrong
EXAMPLE = {
    "description": "A single utterance of the scope role, a list of '客服：…' / '客户：…' lines, "
    "or a conversation object.",
    "type": ["string", "array", "object"],
    "minLength": 1,
    "minItems": 1,
    "items": {"type": "string"},
    "additionalProperties": False,
    "required": ["turns"],
    "properties": {
        "turns": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/turn"}},
        "channel": {"enum": ["chat", "call"]},
        "complaint": {"type": "boolean"},
        "note": {"type": "string"},
    },
}
