"""`learned`: each turn in scope that a shipped turn model scores at or above `min` is a finding.

For what phrase lists cannot name: a model trained on labelled turns (rules/learned_model.py) reads
the whole turn. Its findings carry the probability, the threshold and the n-grams that weighed most,
so a reviewer sees why; a rule of this kind is meant to be `tier: review` (a 待复核 flag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from qa_audit.evidence import LearnedDetail
from qa_audit.model import Finding
from qa_audit.rules.fields import MODEL_FOLDER, meta
from qa_audit.rules.kinds.base import Kind, Prepared, scoped
from qa_audit.rules.kinds.base import finding as make_finding
from qa_audit.rules.learned_model import MIN_LETTERS, load_turn_model, model_problems
from qa_audit.rules.spec import KindSpec, Rule, Scope


@dataclass(frozen=True)
class Learned(KindSpec):
    """learned: what a turn model trained on reviewers' labels flags."""

    model: str = field(
        metadata=meta("a shipped turn model (a folder of models/, e.g. agent_language)", pattern=f"^{MODEL_FOLDER}$")
    )
    min: float = field(
        metadata=meta("the model's probability at or above which a turn is a finding", exclusiveMinimum=0, maximum=1)
    )
    min_chars: int = field(
        default=MIN_LETTERS,
        metadata=meta("turns with fewer letters and digits are not scored: too little for a model to read", minimum=1),
    )
    where: Scope = field(default_factory=Scope)

    per_turn: ClassVar[bool] = True
    fire_unit: ClassVar[str] = "turns"


def check(rule: Rule, prep: Prepared) -> list[Finding] | None:
    """Each turn in scope scored at or above `min` is a finding; n/a without turns in scope."""
    s: Learned = rule.spec
    idx = scoped(s.where, prep)
    if not idx:
        return None
    model = load_turn_model(s.model)
    out = []
    for i in idx:
        turn = prep.turns[i]
        if turn.letters < s.min_chars:
            continue
        prob = turn.model_probability(model)
        if prob >= s.min:
            detail = LearnedDetail(s.model, round(prob, 4), s.min, model.strongest(turn.text))
            out.append(make_finding(rule, prep, i, None, detail))
    return out


def problems(raw: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The rule's model cannot be loaded: (key, code, message, hint)."""
    return model_problems("model", str(raw["model"]))


KIND = Kind(
    "learned",
    Learned,
    check,
    "each turn in scope that a shipped turn model scores at or above `min` is a finding",
    problems=problems,
)
