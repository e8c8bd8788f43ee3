"""`metric`: a measured value must lie within [min, max]; n/a when it cannot be measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qa_audit.evidence import MetricDetail, TurnMetricDetail
from qa_audit.model import Finding
from qa_audit.rules import metrics
from qa_audit.rules.fields import meta
from qa_audit.rules.kinds.base import Kind, Prepared, anchor_turn, holds, in_role, scoped
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.spec import Cond, KindSpec, Rule, Scope

DEFAULT_GAP = 120.0


@dataclass(frozen=True)
class Metric(KindSpec):
    """metric: a measured value of the conversation."""

    metric: Literal[
        "talk_share",
        "speech_rate",
        "first_response",
        "silence_gap",
        "overlap",
        "ratio",
        "emotion_energy",
        "angry_turns",
    ]
    min: int | float | None = None
    max: int | float | None = None
    gap: float = field(
        default=DEFAULT_GAP, metadata=meta("silence_gap: seconds of customer silence", exclusiveMinimum=0)
    )
    match: Cond | None = field(default=None, metadata=meta("silence_gap: an agent turn matching this ends the silence"))
    numerator: Cond | None = field(default=None, metadata=meta("ratio: hits of this ..."))
    denominator: Cond | None = field(default=None, metadata=meta("ratio: ... over hits of this"))
    where: Scope = field(default_factory=Scope)
    anchor: Literal["first", "last"] = field(default="last", metadata=meta("the agent turn a failure points at"))
    quoted: Literal["ignore", "count"] = field(default="ignore", metadata=meta("ratio: matches inside quotation marks"))
    negation: bool = field(default=True, metadata=meta("ratio: a match right after 不/没/不能/无法… does not count"))

    def is_per_turn(self) -> bool:
        """silence_gap and overlap point at turns; the other metrics judge the whole conversation."""
        return self.metric in ("silence_gap", "overlap")


def _when(metric: str) -> dict[str, Any]:
    return {"required": ["metric"], "properties": {"metric": {"const": metric}}}


SCHEMA = (
    {"if": _when("silence_gap"), "then": {"required": ["match"]}},
    {"if": _when("ratio"), "then": {"required": ["numerator", "denominator"]}},
    {
        "if": {"required": ["metric"], "properties": {"metric": {"not": {"const": "silence_gap"}}}},
        "then": {
            "description": "a metric rule needs `min:` or `max:` (silence_gap: `gap:`)",
            "anyOf": [{"required": ["min"]}, {"required": ["max"]}],
        },
    },
)


# what a measured value is in: a unit, or (numerator, denominator) for a ratio
_In = str | tuple[int, int]


def _value(rule: Rule, prep: Prepared) -> tuple[float | None, int | None, _In]:
    s: Metric = rule.spec
    conv = prep.conv
    anchor = anchor_turn(prep, "agent", s.anchor)
    if s.metric == "talk_share":
        value, unit = metrics.talk_share(conv)
        return value, anchor, unit
    if s.metric == "speech_rate":
        return metrics.speech_rate(conv), anchor, "characters per second"
    if s.metric == "first_response":
        value, index = metrics.first_response(conv)
        return value, index, "seconds"
    if s.metric == "emotion_energy":
        value, index = metrics.emotion_energy(conv, scoped(s.where, prep))
        return value, index, ""
    if s.metric == "angry_turns":
        count, index = metrics.angry_turns(conv, scoped(s.where, prep))
        return count, index, ""
    numerator, denominator = s.numerator, s.denominator
    if numerator is None or denominator is None:  # the schema requires both for a ratio
        raise ValueError(f"rule {rule.id}: a ratio metric needs numerator and denominator")
    idx = scoped(s.where, prep)
    num = sum(len(holds(numerator, prep.turns[i], s.negation, s.quoted).hits) for i in idx)
    den = sum(len(holds(denominator, prep.turns[i], s.negation, s.quoted).hits) for i in idx)
    return (round(num / den, 3) if den else None), anchor, (num, den)


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """A finding when the value is outside [min, max]; n/a when it cannot be measured."""
    s: Metric = rule.spec
    if s.metric == "silence_gap":
        return _silence(rule, prep)
    if s.metric == "overlap":
        tolerance = s.max if s.max is not None else 0.0
        return [
            make_finding(
                rule,
                prep,
                j,
                None,
                TurnMetricDetail("overlap", sec, tolerance, "seconds", interrupted_turn=i),
            )
            for j, i, sec in metrics.interruptions(prep.conv, tolerance)
        ]
    value, anchor, measured_in = _value(rule, prep)
    if value is None or anchor is None:
        return None
    low = s.min is not None and value < s.min
    high = s.max is not None and value > s.max
    if not (low or high):
        return []
    return [make_finding(rule, prep, anchor, None, _detail(s, value, measured_in))]


def _detail(s: Metric, value: float, measured_in: _In) -> MetricDetail:
    if isinstance(measured_in, str):
        return MetricDetail(s.metric, value, s.min, s.max, unit=measured_in)
    num, den = measured_in
    return MetricDetail(s.metric, value, s.min, s.max, numerator=num, denominator=den)


def _silence(rule: Rule, prep: Prepared) -> list[Finding] | None:
    s: Metric = rule.spec
    match = s.match
    if match is None:  # the schema requires it for silence_gap
        raise ValueError(f"rule {rule.id}: a silence_gap metric needs match")
    silences = metrics.customer_silences(prep.conv, s.gap)
    if not silences:
        return [] if prep.conv.has_timing else None
    out = []
    for i, nxt, seconds in silences:
        stop = nxt if nxt is not None else len(prep.turns)
        candidates = [j for j in in_role(prep, "agent") if i <= j < stop]
        if not any(holds(match, prep.turns[j]).ok for j in candidates):
            out.append(make_finding(rule, prep, i, None, TurnMetricDetail("silence_gap", seconds, s.gap, "seconds")))
    return out


KIND = Kind("metric", Metric, check, "a measured value must lie within [min, max]", SCHEMA)
