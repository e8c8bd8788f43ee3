"""The compiled form of a rule file: frozen specs that the engine evaluates.

The fields of `Scope` and `Applies` (and of each kind's spec, in rules/kinds/) are the YAML keys:
rules/fields.py turns them into the JSON Schema and builds them from a rule file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from qa_audit.model import RuleInfo, ScoringPolicy


def meta(
    description: str = "", *, key: str = "", cond_key: str = "", schema: dict[str, Any] | None = None, **bounds: Any
) -> dict[str, Any]:
    """Metadata of a spec field (rules/fields.py): its description, its YAML key when not the field
    name, the name its condition is cached under (`cond_key`), a whole JSON Schema instead of the one
    its type gives, or JSON Schema bounds (minimum=0, exclusiveMinimum=0, minLength=1, pattern=...)."""
    return {"description": description, "key": key, "cond_key": cond_key, "schema": schema, "bounds": bounds}


@dataclass(frozen=True)
class Cond:
    """A condition on one turn: a leaf operator, or and/or/not over children (see rules/operators.py)."""

    op: str
    key: str  # unique within the rule set: rule id + path, used for caching and evidence
    phrases: tuple[str, ...] = ()
    n: int = 1
    pattern: str = ""
    children: tuple[Cond, ...] = ()
    unlike: tuple[str, ...] = ()
    threshold: float = 0.6  # `similar`: cosine needed; `learned`: the model's probability needed (`min`)
    model: str = ""  # `learned`: the turn model
    unless: tuple[str, ...] = ()
    within: int = 8
    unless_before: tuple[str, ...] = ()

    def leaves(self) -> list[Cond]:
        """Return every leaf condition below (and including) this one."""
        if self.children:
            return [leaf for child in self.children for leaf in child.leaves()]
        return [self]


Role = Literal["agent", "customer", "any"]


@dataclass(frozen=True)
class Scope:
    """Whose turns a rule looks at, and which of them."""

    role: Role = field(default="agent", metadata=meta("whose turns are checked"))
    first: int | None = field(default=None, metadata=meta("only the first N turns of that role", minimum=1))
    last: int | None = field(default=None, metadata=meta("only the last N turns of that role", minimum=1))
    first_seconds: float | None = field(
        default=None,
        metadata=meta("only turns starting within the first N seconds (needs timing; n/a without)", exclusiveMinimum=0),
    )
    last_seconds: float | None = field(
        default=None,
        metadata=meta("only turns starting within the last N seconds (needs timing; n/a without)", exclusiveMinimum=0),
    )

    @property
    def timed(self) -> bool:
        """True when the scope is a time window (the rule is n/a without timing)."""
        return self.first_seconds is not None or self.last_seconds is not None


@dataclass(frozen=True)
class Applies:
    """When the rule applies at all; otherwise its check is n/a."""

    complaint: bool | None = field(default=None, metadata=meta("only in (true) or outside (false) a complaint"))
    timing: bool | None = field(default=None, metadata=meta("only when the turns carry timing"))
    channel: Literal["chat", "call"] | None = field(default=None, metadata=meta("only on this channel"))
    min_turns: int | None = field(default=None, metadata=meta("only conversations of at least N turns", minimum=1))
    complete: bool | None = field(
        default=None,
        metadata=meta(
            "n/a when the transcript is cut off (the customer's last message unanswered) or ends on the agent's"
            " unanswered question; the reason is recorded"
        ),
    )


class KindSpec:
    """Base of the per-kind specs (rules/kinds/*.py): what the engine, the examples runner and the
    corpus warnings ask of a rule beyond running its check."""

    per_turn: ClassVar[bool] = False  # findings point at the offending turn (else: the whole conversation)
    fire_unit: ClassVar[str] = "conversations"  # `rules check` rate: per "turns" in scope, or per conversation

    def gate(self) -> tuple[Cond, str] | None:
        """A condition the rule can find nothing without, and the role whose turns it reads (None: none)."""
        return None

    def quiet(self, prep: Any) -> str:
        """The check of an applicable rule whose gate condition has no phrase or pattern in the conversation."""
        return "n/a"

    def example_role(self) -> str:
        """The role of an example given as a bare utterance."""
        return getattr(self, "where", Scope()).role

    def is_per_turn(self) -> bool:
        """True when findings point at the offending turn; else the rule judges the whole conversation."""
        return self.per_turn


@dataclass(frozen=True)
class Rule:
    """One rule, ready to evaluate: the fields every rule has, and its kind's spec."""

    info: RuleInfo
    kind: str
    spec: Any  # the spec dataclass of its kind (a KindSpec)
    applies: Applies
    description: str = ""
    yields_to: tuple[str, ...] = ()  # rules whose finding on a turn drops this rule's finding there
    examples_fire: tuple[Any, ...] = field(default=(), hash=False, compare=False)
    examples_pass: tuple[Any, ...] = field(default=(), hash=False, compare=False)
    file: str = ""
    line: int = 0
    # where things are in the rule file, (line, col): ("id",) its id, ("fire"|"pass", k) its example k
    marks: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def id(self) -> str:
        """The rule id."""
        return self.info.id

    @property
    def per_turn(self) -> bool:
        """True when findings point at the offending turn; else the rule judges the whole conversation."""
        return self.spec.is_per_turn()

    def conditions(self) -> list[Cond]:
        """Return every top-level condition of this rule."""
        return _conds(self.spec)


def _conds(spec: Any) -> list[Cond]:
    out: list[Cond] = []
    for value in vars(spec).values():
        if isinstance(value, Cond):
            out.append(value)
        elif hasattr(value, "__dataclass_fields__") and not isinstance(value, (Scope, Applies)):
            out.extend(_conds(value))
    return out


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
