"""The compiled form of a rule file: frozen specs that the engine evaluates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_audit.model import RuleInfo, ScoringPolicy

LEAF_OPS = ("any", "all", "none", "at_least", "regex", "words", "fuzzy", "similar")
BOOL_OPS = ("and", "or", "not")


@dataclass(frozen=True)
class Cond:
    """A condition on one turn: a leaf operator, or and/or/not over children."""

    op: str
    key: str  # unique within the rule set: rule id + path, used for caching and evidence
    phrases: tuple[str, ...] = ()
    n: int = 1
    pattern: str = ""
    children: tuple[Cond, ...] = ()
    unlike: tuple[str, ...] = ()
    threshold: float = 0.6
    unless: tuple[str, ...] = ()
    within: int = 8
    unless_before: tuple[str, ...] = ()

    def leaves(self) -> list[Cond]:
        """Return every leaf condition below (and including) this one."""
        if self.op in BOOL_OPS:
            return [leaf for child in self.children for leaf in child.leaves()]
        return [self]


@dataclass(frozen=True)
class Scope:
    """Whose turns a rule looks at, and which of them."""

    role: str = "agent"
    first: int | None = None
    last: int | None = None
    first_seconds: float | None = None  # only turns starting within the first N seconds (timing needed)
    last_seconds: float | None = None  # only turns starting within the last N seconds (timing needed)

    @property
    def timed(self) -> bool:
        """True when the scope is a time window (the rule is n/a without timing)."""
        return self.first_seconds is not None or self.last_seconds is not None


@dataclass(frozen=True)
class Applies:
    """When a rule applies at all; otherwise its check is n/a."""

    complaint: bool | None = None
    timing: bool | None = None
    channel: str | None = None
    min_turns: int | None = None
    complete: bool | None = None  # n/a when the transcript is visibly cut off (see applicability.py)


@dataclass(frozen=True)
class Rule:
    """One rule, ready to evaluate."""

    info: RuleInfo
    kind: str
    where: Scope
    applies: Applies
    description: str = ""
    match: Cond | None = None
    if_: Cond | None = None
    anchor: str = "last"
    quoted: str = "ignore"
    negation: bool = True
    trigger: Cond | None = None
    trigger_role: str = "customer"
    response: Cond | None = None
    response_role: str = "agent"
    within: int = 1
    same_turn: bool = False
    first: Cond | None = None
    then: Cond | None = None
    metric: str = ""
    min: float | None = None
    max: float | None = None
    gap: float = 120.0
    numerator: Cond | None = None
    denominator: Cond | None = None
    nearby: Cond | None = None  # forbid: a match does not count when this holds within `nearby_turns` turns
    nearby_turns: int = 1
    examples_fire: tuple[Any, ...] = field(default=(), hash=False, compare=False)
    examples_pass: tuple[Any, ...] = field(default=(), hash=False, compare=False)
    file: str = ""
    line: int = 0

    @property
    def id(self) -> str:
        """The rule id."""
        return self.info.id

    @property
    def per_turn(self) -> bool:
        """True when findings point at the offending turn; else the rule judges the whole conversation."""
        return self.kind in ("forbid", "respond", "order") or self.metric in ("silence_gap", "overlap")

    def conditions(self) -> list[Cond]:
        """Return every top-level condition of this rule."""
        conds = (
            self.match,
            self.if_,
            self.trigger,
            self.response,
            self.first,
            self.then,
            self.numerator,
            self.denominator,
            self.nearby,
        )
        return [c for c in conds if c is not None]


@dataclass(frozen=True)
class RuleSet:
    """All rules in force, the scoring policy, and a version hash of both."""

    rules: tuple[Rule, ...]
    policy: ScoringPolicy
    version: str
    name: str = "default"
    files: tuple[str, ...] = ()

    def get(self, rule_id: str) -> Rule:
        """Return the rule with this id (KeyError when unknown)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def infos(self) -> dict[str, RuleInfo]:
        """Return rule id -> RuleInfo for scoring and reports."""
        return {r.id: r.info for r in self.rules}
