"""A rule finding's evidence as typed records: what matched, and what the rule's kind checked.

The engine builds a `RuleEvidence` (the kind, the hit of the leaf operator that matched, if any, and
one detail record per kind); `to_json()` gives the plain JSON object written to findings.jsonl,
results.jsonl, the workbook and the store, keys in a fixed order:

    kind, [operator, matched], <the kind's detail>, [variant], [score]

A `RuleEvidence` also reads as that JSON object (it is a read-only Mapping), so code that looks up
`evidence["kind"]` works the same on a finding just audited and on one read back from the store,
where evidence stays a plain JSON dict (`JsonDict`). The exceptions a rule set aside
(`exceptions_considered`) stay JSON dicts: their shape depends on the exception.
This module imports nothing of qa_audit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]  # evidence as stored and read back: a plain JSON object
Number = int | float


@dataclass(frozen=True)
class HitDetail:
    """The leaf operator's match a finding points at (normalised text)."""

    operator: str
    matched: str  # the phrase, pattern or exemplar that matched
    variant: str = ""  # what the text said, when it differs from `matched` (fuzzy); "" otherwise
    score: float | None = None  # similarity, for `similar`

    @classmethod
    def of(cls, op: str, matched: str, variant: str, score: float | None) -> HitDetail:
        """Return the detail of a hit; a variant equal to the match is not repeated."""
        return cls(op, matched, variant if variant and variant != matched else "", score)


@dataclass(frozen=True)
class RequireDetail:
    """require: the turns searched in vain, and why the rule applied (its `if` turn)."""

    searched_turns: tuple[int, ...]
    exceptions_considered: tuple[JsonDict, ...]
    required_because_of_turn: int | None = None

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        out: JsonDict = {
            "searched_turns": list(self.searched_turns),
            "exceptions_considered": list(self.exceptions_considered),
        }
        if self.required_because_of_turn is not None:
            out["required_because_of_turn"] = self.required_because_of_turn
        return out


@dataclass(frozen=True)
class ForbidDetail:
    """forbid: the matches set aside (negated, quoted, excused) before the one that counted."""

    exceptions_considered: tuple[JsonDict, ...]

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        return {"exceptions_considered": list(self.exceptions_considered)}


@dataclass(frozen=True)
class RespondDetail:
    """respond: the turns where a response was looked for."""

    checked_turns: tuple[int, ...]

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        return {"checked_turns": list(self.checked_turns)}


@dataclass(frozen=True)
class OrderDetail:
    """order: where what should have come first was found."""

    first_found_at_turn: int

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        return {"first_found_at_turn": self.first_found_at_turn}


@dataclass(frozen=True)
class MetricDetail:
    """metric over the conversation (talk_share, speech_rate, first_response, ratio): value and bounds."""

    metric: str
    value: Number
    min: Number | None
    max: Number | None
    unit: str | None = None  # every metric but ratio
    numerator: int | None = None  # ratio
    denominator: int | None = None  # ratio

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        out: JsonDict = {"metric": self.metric, "value": self.value, "min": self.min, "max": self.max}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.numerator is not None:
            out["numerator"] = self.numerator
            out["denominator"] = self.denominator
        return out


@dataclass(frozen=True)
class TurnMetricDetail:
    """metric at one turn (silence_gap, overlap): the seconds measured and the most allowed."""

    metric: str
    value: Number
    max: Number
    unit: str = "seconds"
    interrupted_turn: int | None = None  # overlap: the customer turn cut into

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        out: JsonDict = {"metric": self.metric, "value": self.value, "max": self.max, "unit": self.unit}
        if self.interrupted_turn is not None:
            out["interrupted_turn"] = self.interrupted_turn
        return out


@dataclass(frozen=True)
class LearnedDetail:
    """learned: the turn model, its probability for the turn, the rule's threshold, the strongest n-grams."""

    model: str
    probability: float
    min: float
    features: tuple[str, ...]

    def to_json(self) -> JsonDict:
        """Return the JSON fields."""
        return {"model": self.model, "probability": self.probability, "min": self.min, "features": list(self.features)}


KindDetail = (
    RequireDetail | ForbidDetail | RespondDetail | OrderDetail | MetricDetail | TurnMetricDetail | LearnedDetail
)


@dataclass(frozen=True, eq=False)
class RuleEvidence(Mapping[str, Any]):
    """Why a rule found something: its kind, the hit (None: the whole turn) and the kind's detail.

    Reads as its JSON object (`evidence["kind"]`, `dict(evidence)`); equal to any mapping with the
    same JSON.
    """

    kind: str
    hit: HitDetail | None
    detail: KindDetail

    def to_json(self) -> JsonDict:
        """Return the evidence as written to findings.jsonl (keys in the order documented above)."""
        hit = self.hit
        out: JsonDict = {"kind": self.kind}
        if hit is not None:
            out["operator"] = hit.operator
            out["matched"] = hit.matched
        out.update(self.detail.to_json())
        if hit is not None:
            if hit.variant:
                out["variant"] = hit.variant
            if hit.score is not None:
                out["score"] = hit.score
        return out

    def _json(self) -> JsonDict:
        """`to_json()`, made once: the reports read a finding's evidence about nine times."""
        out = self.__dict__.get("_cached")
        if out is None:
            out = self.to_json()
            object.__setattr__(self, "_cached", out)  # not a field: not compared, not pickled (__reduce__)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.hit, self.detail))

    def __getitem__(self, key: str) -> Any:
        return self._json()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._json())

    def __len__(self) -> int:
        return len(self._json())


def evidence_json(evidence: Mapping[str, Any]) -> JsonDict:
    """Return a finding's evidence as a plain JSON dict (a RuleEvidence, or a dict read back from the store).

    A new dict each time (its values shared with the evidence's own, not to be changed).
    """
    return dict(evidence._json()) if isinstance(evidence, RuleEvidence) else dict(evidence)
