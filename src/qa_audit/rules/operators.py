"""The condition operators, one registry entry each: its YAML shape, how it is built, how it matches.

A condition is one operator key (`any: [...]`, `regex: ...`, `and: [...]`, ...) plus the keys that go
only with that operator (`of` with `at_least`; `unlike`, `threshold` with `similar`) and the exceptions
every leaf takes (`unless`, `within`, `unless_before`). The condition part of the JSON Schema is
generated from this registry (`cond_schema`), the loader builds `Cond`s with `build`, the engine finds
hits with `hits` on the matcher named by `engine`, and decides with `decide`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import re2

from qa_audit.normalize import normalize_phrase
from qa_audit.rules.fields import COND, MODEL_FOLDER, PHRASES
from qa_audit.rules.hits import Hit, Outcome
from qa_audit.rules.matchers import re2_set_compiles
from qa_audit.rules.spec import Cond

if TYPE_CHECKING:
    from qa_audit.rules.hits import TurnLike

Gate = tuple[frozenset[int], frozenset[int]]  # phrase ids, regex ids: a turn needs one of them
Problem = tuple[str, str, str, str]  # (key of the condition it is about, code (rules/problems.py), message, hint)
SIMILAR_THRESHOLD = 0.6
MAX_EXEMPLARS = 1000  # per `similar` condition: its vectors are exemplars x n-grams
UNLESS_WITHIN = 8


@dataclass(frozen=True)
class Operator:
    """One condition operator: what the schema, the loader and the engine need to know about it."""

    name: str
    description: str
    value: dict[str, Any]  # JSON Schema of the operator key's value
    build: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # leaf: raw condition -> Cond fields
    hits: Callable[[Cond, TurnLike], list[Hit]] | None = None  # leaf: its matches in a turn
    decide: Callable[[Cond, list[Hit]], bool] = lambda cond, kept: bool(kept)  # leaf: holds, given kept hits
    companions: dict[str, dict[str, Any]] = field(default_factory=dict)  # keys that go only with it
    needs: tuple[str, ...] = ()  # companions that must be given
    engine: str = ""  # the shared matcher it reads: phrases | regex | words | fuzzy | similar
    gated: bool = False  # holds only when its engine finds one of its phrases/patterns in the turn
    user_words: bool = False  # its phrases join jieba's dictionary (so segmentation keeps them whole)
    review: bool = False  # its hits are 待复核 flags unless a rule says otherwise (review_operators)
    check: Callable[[dict[str, Any]], list[Problem]] = lambda raw: []  # what a schema cannot express
    # and / or / not: children of a raw condition as (YAML path part, key suffix, raw child) ...
    children: Callable[[dict[str, Any]], list[tuple[tuple[Any, ...], str, Any]]] | None = None
    combine: Callable[[list[Outcome]], Outcome] | None = None  # ... their outcomes combined ...
    gate: Callable[[list[Gate | None]], Gate | None] = lambda gates: None  # ... and their gates combined

    @property
    def boolean(self) -> bool:
        """True for and / or / not."""
        return self.children is not None


def _phrase_hits(cond: Cond, turn: TurnLike) -> list[Hit]:
    return [Hit(span, cond.op, turn.text[span[0] : span[1]]) for span in turn.phrase_spans(cond.phrases)]


def _phrases(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda raw: {"phrases": tuple(raw[name])}


def _all_found(cond: Cond, kept: list[Hit]) -> bool:
    found = {h.matched for h in kept}
    return all(normalize_phrase(p) in found for p in cond.phrases)


def _at_least_check(raw: dict[str, Any]) -> list[Problem]:
    if raw["at_least"] > len(raw["of"]):
        message = f"`at_least: {raw['at_least']}` is larger than the phrase list (`of` has {len(raw['of'])})"
        return [("at_least", "QA203", message, "")]
    return []


def _regex_check(raw: dict[str, Any]) -> list[Problem]:
    options = re2.Options()
    options.log_errors = False  # RE2 would print C++ log lines on stderr; the problem is reported instead
    try:
        re2.compile(raw["regex"], options)
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        shown, why = (t if len(t) <= 60 else t[:59] + "…" for t in (raw["regex"], why))
        return [("regex", "QA201", f"bad regex {shown!r}: {why}", "RE2 syntax: no lookaround, no backreferences")]
    if not re2_set_compiles([raw["regex"]]):
        return [
            (
                "regex",
                "QA202",
                f"regex {raw['regex'][:60]!r} is too large for the linear-time regex engine",
                "shorten counted repetitions such as .{300}",
            )
        ]
    return []


def _list_children(name: str) -> Callable[[dict[str, Any]], list[tuple[tuple[Any, ...], str, Any]]]:
    return lambda raw: [((name, j), f"{name}{j}", c) for j, c in enumerate(raw[name])]


def _and(parts: list[Outcome]) -> Outcome:
    ok = all(p.ok for p in parts)
    return Outcome(
        ok, tuple(h for p in parts for h in p.hits) if ok else (), tuple(d for p in parts for d in p.dropped)
    )


def _or(parts: list[Outcome]) -> Outcome:
    return Outcome(
        any(p.ok for p in parts),
        tuple(h for p in parts if p.ok for h in p.hits),
        tuple(d for p in parts for d in p.dropped),
    )


def _or_gate(gates: list[Gate | None]) -> Gate | None:
    known = [g for g in gates if g is not None]
    if len(known) < len(gates):
        return None
    return frozenset().union(*(g[0] for g in known)), frozenset().union(*(g[1] for g in known))


def _regex_hits(cond: Cond, turn: TurnLike) -> list[Hit]:
    return [Hit(span, "regex", cond.pattern, turn.text[span[0] : span[1]]) for span in turn.regex_spans(cond.pattern)]


def _learned_check(raw: dict[str, Any]) -> list[Problem]:
    from qa_audit.rules.learned_model import model_problems  # the models load only for a pack that names one

    return model_problems("learned", str(raw["learned"]))


def _similar_build(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "phrases": tuple(raw["similar"]),
        "unlike": tuple(raw.get("unlike", ())),
        "threshold": float(raw.get("threshold", SIMILAR_THRESHOLD)),
    }


_LIST = {"type": "array", "minItems": 1, "items": COND}

ANY = Operator(
    name="any",
    description="true when any phrase occurs",
    value=PHRASES,
    build=_phrases("any"),
    hits=_phrase_hits,
    engine="phrases",
    gated=True,
    user_words=True,
)
ALL = Operator(
    name="all",
    description="true when every phrase occurs",
    value=PHRASES,
    build=_phrases("all"),
    hits=_phrase_hits,
    decide=_all_found,
    engine="phrases",
    gated=True,
    user_words=True,
)
NONE = Operator(
    name="none",
    description="true when no phrase occurs",
    value=PHRASES,
    build=_phrases("none"),
    hits=_phrase_hits,
    decide=lambda cond, kept: not kept,
    engine="phrases",
)
AT_LEAST = Operator(
    name="at_least",
    description="with `of`: true when at least N different phrases occur",
    value={"type": "integer", "minimum": 1},
    build=lambda raw: {"phrases": tuple(raw["of"]), "n": int(raw["at_least"])},
    hits=_phrase_hits,
    decide=lambda cond, kept: len({h.matched for h in kept}) >= cond.n,
    companions={"of": {**PHRASES, "description": "with `at_least`: the phrases"}},
    needs=("of",),
    engine="phrases",
    gated=True,
    user_words=True,
    check=_at_least_check,
)
REGEX = Operator(
    name="regex",
    description="RE2 syntax (linear time; no lookaround, no backreferences)",
    value={"type": "string", "minLength": 1},
    build=lambda raw: {"pattern": raw["regex"]},
    hits=_regex_hits,
    engine="regex",
    gated=True,
    check=_regex_check,
)
WORDS = Operator(
    name="words",
    description="whole jieba tokens (word boundaries from segmentation)",
    value=PHRASES,
    build=_phrases("words"),
    hits=lambda cond, turn: [Hit(span, "words", word) for span, word in turn.word_spans(cond.phrases)],
    engine="words",
    user_words=True,
)
FUZZY = Operator(
    name="fuzzy",
    description="pinyin-tolerant match for ASR errors (您好 heard as 你号)",
    value=PHRASES,
    build=_phrases("fuzzy"),
    hits=lambda cond, turn: turn.fuzzy(cond),
    engine="fuzzy",
)
SIMILAR = Operator(
    name="similar",
    description="exemplar utterances (at most 1000: memory grows with exemplars x n-grams); "
    "a clause similar enough to one of them matches",
    value={**PHRASES, "maxItems": MAX_EXEMPLARS},
    build=_similar_build,
    hits=lambda cond, turn: turn.similar(cond),
    companions={
        "unlike": {
            **PHRASES,
            "description": "with `similar`: counter-examples; a clause closer to one of these does not match",
        },
        "threshold": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "default": SIMILAR_THRESHOLD,
            "description": "with `similar`: cosine similarity needed",
        },
    },
    engine="similar",
    review=True,  # a paraphrase judged by a threshold: a reviewer confirms it before it costs points
)
LEARNED = Operator(
    name="learned",
    description="a shipped turn model (a folder of models/, e.g. agent_harsh): the whole turn matches when "
    "the model's probability is at least `min` (turns of fewer than 6 letters and digits are not scored)",
    value={"type": "string", "pattern": f"^{MODEL_FOLDER}$"},
    build=lambda raw: {"model": raw["learned"], "threshold": float(raw["min"])},
    hits=lambda cond, turn: turn.learned(cond),
    companions={
        "min": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "description": "with `learned`: the model's probability at or above which the turn matches",
        }
    },
    needs=("min",),
    engine="learned",
    review=True,  # a model's judgement: a reviewer confirms it before it costs points
    check=_learned_check,
)
AND = Operator(
    name="and",
    description="true when every condition holds",
    value=_LIST,
    children=_list_children("and"),
    combine=_and,
    gate=lambda gates: next((g for g in gates if g is not None), None),
)
OR = Operator(
    name="or",
    description="true when any condition holds",
    value=_LIST,
    children=_list_children("or"),
    combine=_or,
    gate=_or_gate,
)
NOT = Operator(
    name="not",
    description="true when the condition does not hold",
    value=COND,
    children=lambda raw: [(("not",), "not", raw["not"])],
    combine=lambda parts: Outcome(not parts[0].ok, (), parts[0].dropped),
)

OPERATORS: dict[str, Operator] = {
    op.name: op for op in (ANY, ALL, NONE, AT_LEAST, REGEX, WORDS, FUZZY, SIMILAR, LEARNED, AND, OR, NOT)
}
LEAF_OPS = tuple(name for name, op in OPERATORS.items() if not op.boolean)
BOOL_OPS = tuple(name for name, op in OPERATORS.items() if op.boolean)
DEFAULT_REVIEW_OPERATORS = tuple(name for name, op in OPERATORS.items() if op.review)

EXCEPTIONS: dict[str, dict[str, Any]] = {
    "unless": {
        **PHRASES,
        "description": "exception: a match with one of these phrases within `within` characters does not count",
    },
    "within": {
        "type": "integer",
        "minimum": 0,
        "default": UNLESS_WITHIN,
        "description": "window of `unless`, in characters on each side",
    },
    "unless_before": {
        **PHRASES,
        "description": "exception: a match preceded by one of these phrases earlier in the same clause "
        "does not count (请 before 稍等)",
    },
}


def operator_of(raw: dict[str, Any]) -> list[str]:
    """The operator keys of a raw condition (a valid one has exactly one)."""
    return [k for k in raw if k in OPERATORS]


def build_cond(
    raw: dict[str, Any], key: str, inherited: tuple[tuple[str, ...], int, tuple[str, ...]] = ((), UNLESS_WITHIN, ())
) -> Cond:
    """Build a validated condition; exceptions on and/or/not apply to every leaf below."""
    op = OPERATORS[operator_of(raw)[0]]
    unless = inherited[0] + tuple(raw.get("unless", ()))
    within = int(raw.get("within", inherited[1]))
    before = inherited[2] + tuple(raw.get("unless_before", ()))
    if op.children is not None:
        kids = tuple(build_cond(c, f"{key}.{suffix}", (unless, within, before)) for _, suffix, c in op.children(raw))
        return Cond(op=op.name, key=key, children=kids, unless=unless, within=within, unless_before=before)
    if op.build is None:
        raise TypeError(f"operator {op.name!r} has neither children nor build")
    return Cond(op=op.name, key=key, unless=unless, within=within, unless_before=before, **op.build(raw))


def make_cond(raw: dict[str, Any], key: str) -> Cond:
    """`build_cond` with nothing inherited (a rule's top-level condition)."""
    return build_cond(raw, key)


@functools.cache
def cond_schema() -> dict[str, Any]:
    """The JSON Schema of a condition, generated from the registry."""
    props: dict[str, Any] = {}
    depends: dict[str, list[str]] = {}
    for op in OPERATORS.values():
        props[op.name] = {**op.value, "description": op.description}
        props.update(op.companions)
        depends.update({c: [op.name] for c in op.companions})
        if op.needs:
            depends[op.name] = list(op.needs)
    props.update(EXCEPTIONS)
    return {
        "title": "condition",
        "description": "A condition on one turn: exactly one operator key, plus the keys that go with it "
        "and optional exceptions (unless/within/unless_before).",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "oneOf": [{"required": [name]} for name in OPERATORS],
        "dependentRequired": depends,
    }
