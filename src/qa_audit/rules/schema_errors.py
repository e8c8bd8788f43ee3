"""JSON Schema errors in the words of a rule author: one problem per mistake, at its line and column.

jsonschema can report one mistake several times (a `oneOf` and a `dependentRequired` about the same
condition) and quotes whole values in its messages (a 5,000-phrase list). Here the errors about one
place are reduced to the most relevant one (jsonschema's own relevance order: `anyOf`/`oneOf` give way
to a specific keyword), every message is written from the error's parts with values clipped, and each
problem points at the key (an unknown or misplaced key) or at the value (a wrong value).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import jsonschema
from jsonschema.exceptions import relevance

from qa_audit.rules.operators import OPERATORS, operator_of
from qa_audit.rules.problems import RuleProblem, clip
from qa_audit.rules.yamlfile import YamlDoc

_RANGE = {
    "minimum": "at least {v}",
    "exclusiveMinimum": "greater than {v}",
    "maximum": "at most {v}",
    "exclusiveMaximum": "less than {v}",
    "minLength": "at least {v} character(s) long",
    "maxLength": "at most {v} characters long",
    "minItems": "a list of at least {v} item(s)",
    "maxItems": "a list of at most {v} items",
}
_TYPES = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false"}
_TYPES.update(array="a list", object="a mapping (key: value)", null="empty")
_TURN_KEYS = ("role", "text", "start", "end", "ts")


def schema_problems(doc: YamlDoc, errors: Iterable[jsonschema.ValidationError]) -> list[RuleProblem]:
    """One problem per place: the most relevant error of each path, in file order."""
    best: dict[tuple[Any, ...], jsonschema.ValidationError] = {}
    for err in errors:
        where = _example_turn(tuple(err.absolute_path)) or tuple(err.absolute_path)
        if where not in best or relevance(err) > relevance(best[where]):
            best[where] = err
    out: list[RuleProblem] = []
    for err in best.values():
        for p in explain(doc, err):
            if p not in out:
                out.append(p)
    return sorted(out, key=lambda p: (p.line, p.col))


def explain(doc: YamlDoc, err: jsonschema.ValidationError) -> list[RuleProblem]:
    """A schema error as problems (several only for several unknown keys of one mapping)."""
    where = tuple(err.absolute_path)
    file = str(doc.path)
    turn = _example_turn(where)
    if turn is not None:
        return [_turn_problem(doc, turn)]

    def at(path: tuple[Any, ...], code: str, message: str, hint: str = "", *, value: bool = True) -> RuleProblem:
        line, col = doc.mark_of(path, value=value)
        return RuleProblem(file, line, message, hint, col, code)

    v, name, got = err.validator, value_name(where), err.instance
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        return [
            at(where + (key,), "QA101", f"unknown key {clip(key)}", _did_you_mean(str(key), allowed), value=False)
            for key in got
            if key not in allowed
        ]
    if v == "type":
        types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        want = " or ".join(_TYPES.get(t, t) for t in types)
        return [at(where, "QA102", f"{name} must be {want}, not {_kind_of(got)} {clip(got)}")]
    if v in ("enum", "const"):
        allowed = err.validator_value if v == "enum" else [err.validator_value]
        hint = _did_you_mean(str(got), [str(a) for a in allowed])
        return [at(where, "QA103", f"{name} must be one of {', '.join(map(str, allowed))}, not {clip(got)}", hint)]
    if v == "required":
        missing = [k for k in err.validator_value if isinstance(got, dict) and k not in got]
        title = err.schema.get("title", "")
        hint = f"a {title} needs {', '.join(err.validator_value)}" if title else ""
        text = f"{name}: {' and '.join(map(repr, missing))} is a required property"
        return [at(where, "QA104", text, hint, value=False)]
    if v == "minLength" and got == "" and where and isinstance(where[-1], int) and "examples" not in where:
        return [at(where, "QA204", f"{name}: empty phrase", "remove it: an empty phrase matches nothing useful")]
    if v in _RANGE:
        size = f" ({len(got)})" if isinstance(got, (list, str)) and v.endswith(("Items", "Length")) else ""
        rule = _RANGE[v].format(v=err.validator_value)
        return [at(where, "QA105", f"{name} must be {rule}, not {clip(got)}{size}")]
    if v == "pattern":
        hint = "ids look like must.greeting: lowercase words joined by dots" if where[-1:] == ("id",) else ""
        return [at(where, "QA105", f"{name} {clip(got)} does not have the required form", hint)]
    if v == "uniqueItems":
        return [at(where, "QA110", f"{name}: an item is repeated")]
    if v == "oneOf" and err.schema.get("title") == "condition" and isinstance(got, dict):
        ops = ", ".join(operator_of(got)) or "none"
        hint = f"operators: {', '.join(OPERATORS)}"
        return [at(where, "QA106", f"a condition needs exactly one operator, got {ops}", hint)]
    if v == "dependentRequired":
        key = next(k for k, needs in err.validator_value.items() if k in got and needs[0] not in got)
        need = err.validator_value[key][0]
        text = f"`{key}:` needs `{need}:`" if key in OPERATORS else f"`{key}` only goes with `{need}`"
        return [at(where + (key,), "QA107", text, value=False)]
    if v in ("anyOf", "oneOf") and "description" in err.schema:
        return [at(where, "QA111", f"{name}: {err.schema['description']}", value=False)]
    return [at(where, "QA111", f"{name}: does not satisfy `{v}` of the schema ({clip(err.validator_value)})")]


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(choices)}"


def _kind_of(value: Any) -> str:
    names = {str: "text", bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping"}
    return "empty" if value is None else names.get(type(value), type(value).__name__)


def value_name(where: tuple[Any, ...]) -> str:
    """The path of a value inside its rule (rules[3].match.any[2] → match.any[2])."""
    if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
        where = where[2:] or where
    out = ""
    for step in where:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out.lstrip(".") or "file"


def _example_turn(where: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The path of the example turn an error is in (rules, i, examples, fire|pass, k, turns, j), if any."""
    if len(where) >= 7 and where[0] == "rules" and where[2] == "examples" and where[5] == "turns":
        return where[:7]
    return None


def _turn_problem(doc: YamlDoc, where: tuple[Any, ...]) -> RuleProblem:
    turn: Any = doc.data
    for step in where:
        turn = turn[step]
    _, _, _, expected, k, _, j = where
    line, col = doc.mark_of(where, value=True)
    return RuleProblem(
        str(doc.path),
        line,
        f"examples.{expected}[{k}].turns[{j}]: {_example_turn_problem(turn)}",
        "a turn is a '客服：…' string or {role: agent|customer|system, text: …}",
        col,
        "QA109",
    )


def _example_turn_problem(turn: Any) -> str:
    if isinstance(turn, str):
        return "must not be empty"
    if not isinstance(turn, dict):
        return f"expected a string or an object, got {_kind_of(turn)}"
    unknown = [str(key) for key in turn if key not in _TURN_KEYS]
    if unknown:
        return f"unknown key {clip(unknown[0])} (allowed: {', '.join(_TURN_KEYS)})"
    if turn.get("role") not in ("agent", "customer", "system"):
        return f"role must be agent, customer or system, not {clip(turn.get('role'))}"
    if not isinstance(turn.get("text"), str):
        return "text must be a string"
    for key in ("start", "end"):
        value = turn.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            return f"{key} must be seconds >= 0, not {clip(value)}"
    if turn.get("ts") is not None and not isinstance(turn["ts"], str):
        return f"ts must be an ISO-8601 string in quotes (ts: '2026-11-21T09:12:00'), not {clip(turn['ts'])}"
    return "not a valid turn"
