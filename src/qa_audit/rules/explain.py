"""`qa-audit rules explain ID`: what a compiled rule matches, where, when, and what its examples give.

Rendered generically: the fields of the rule's kind spec in order (their YAML keys and descriptions come
from rules/fields.py metadata), conditions through the operator registry (each operator's YAML key,
description and companions). A new kind or operator is explained without a change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from qa_audit.rules.examples import ExampleResult
from qa_audit.rules.fields import PHRASES, yaml_key
from qa_audit.rules.kinds import KINDS
from qa_audit.rules.operators import EXCEPTIONS, OPERATORS
from qa_audit.rules.spec import Cond, Rule

SHOWN_PHRASES = 30  # phrases of one list shown before "… (+N more)"
_GOT_NOTE = {
    "n/a": "n/a: the rule does not apply to this example, so it shows nothing about what the rule allows",
    "review": "review: 待复核 flag only",
}


def explain_rule(rule: Rule, results: list[ExampleResult], *, all_phrases: bool = False) -> str:
    """The text of `rules explain` for one rule, its examples' results included."""
    i = rule.info
    kind = KINDS[rule.kind]
    money = f"points: {i.points:g}" + (f"   cap: {i.cap:g}" if i.cap is not None else "")
    money += "   VETO (一票否决)" if i.veto else ""
    money += "   BONUS (加分: points are awarded)" if i.bonus else ""
    review_ops = ", ".join(i.review_operators) or "none"
    lines = [
        f"{i.id} — {i.title}",
        f"  kind: {rule.kind} ({kind.description})",
        f"  category: {i.category or '-'}   severity: {i.severity}   {money}",
        f"  tier: {i.tier}"
        + ("   (every finding is a 待复核 flag, costs nothing until upheld)" if i.tier == "review" else "")
        + f"   review_operators: {review_ops} (their hits are 待复核 flags)"
        + (f"   review_channels: {', '.join(i.review_channels)} (flags only there)" if i.review_channels else ""),
        *(
            [f"  yields_to: {', '.join(rule.yields_to)} (its finding on a turn one of them found is dropped)"]
            * bool(rule.yields_to)
        ),
        f"  source: {i.source}",
        f"  defined: {rule.file}:{rule.line}   version: {i.version}",
        f"  message: {i.message}",
    ]
    if rule.description.strip():
        lines += ["", *("  " + x for x in rule.description.strip().splitlines())]
    lines += ["", "  applies: " + _applies(rule), "", "  what it checks:"]
    used: dict[str, str] = {}
    lines += _fields(rule.spec, 2, all_phrases, used)
    if used:
        lines += ["", "  operators:", *(f"    {name}: {text}" for name, text in used.items())]
    lines += ["", "  examples (each run now, on this rule alone):"]
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        note = _GOT_NOTE.get(r.got, r.got)
        lines.append(f"    {mark} must {'fire' if r.expected == 'fire' else 'not fire'} → {note}   line {r.line}")
        lines.append(f"         {r.text}")
    return "\n".join(lines)


def _applies(rule: Rule) -> str:
    parts = [
        f"{yaml_key(f)}: {_scalar(getattr(rule.applies, f.name))}"
        for f in dataclasses.fields(rule.applies)
        if getattr(rule.applies, f.name) is not None
    ]
    return ", ".join(parts) if parts else "always (n/a only when nothing is in scope)"


def _fields(spec: Any, depth: int, all_phrases: bool, used: dict[str, str]) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if value is None:
            continue
        key, doc = yaml_key(f), f.metadata.get("description", "")
        note = f"   # {doc}" if doc else ""
        if isinstance(value, Cond):
            out.append(f"{pad}{key}:{note}")
            out += _cond(value, depth + 1, all_phrases, used, _NO_EXCEPTIONS)
        elif dataclasses.is_dataclass(value):
            out.append(f"{pad}{key}:{note}")
            out += _fields(value, depth + 1, all_phrases, used)
        else:
            out.append(f"{pad}{key}: {_scalar(value)}{note}")
    return out


def _exceptions(cond: Cond) -> dict[str, Any]:
    """The exceptions of a compiled condition (`within` goes with `unless`)."""
    return {key: (cond.unless, cond.within) if key == "unless" else getattr(cond, key) for key in _EXCEPTION_KEYS}


_EXCEPTION_KEYS = tuple(key for key in EXCEPTIONS if key != "within")
_NO_EXCEPTIONS = _exceptions(Cond(op="any", key=""))


def _cond(cond: Cond, depth: int, all_phrases: bool, used: dict[str, str], shown: dict[str, Any]) -> list[str]:
    """A compiled condition; an exception (unless...) shown once, where every leaf below shares it."""
    pad = "  " * depth
    op = OPERATORS[cond.op]
    used[op.name] = op.description
    if op.children is not None:
        out = [f"{pad}{op.name}:"]
        shared = _exceptions(cond)
        common = {
            k: shared[k]
            for k in _EXCEPTION_KEYS
            if shared[k] != shown[k] and all(_exceptions(leaf)[k] == shared[k] for leaf in cond.leaves())
        }
        out += _exception_lines(cond, common, pad + "  ", all_phrases, "every branch; ")
        shown = {**shown, **common}
        for child in cond.children:
            inner = _cond(child, depth + 2, all_phrases, used, shown)
            out += [f"{pad}  - {inner[0].lstrip()}", *inner[1:]]
        return out
    out = [f"{pad}{op.name}: {_value(cond, op.name, op.value, all_phrases)}"]
    for key, schema in op.companions.items():
        out.append(f"{pad}{key}: {_value(cond, key, schema, all_phrases)}")
    mine = {k: v for k, v in _exceptions(cond).items() if v != shown[k]}
    return out + _exception_lines(cond, mine, pad, all_phrases)


def _exception_lines(cond: Cond, which: dict[str, Any], pad: str, all_phrases: bool, scope: str = "") -> list[str]:
    out = []
    for key in _EXCEPTION_KEYS:
        if key in which and getattr(cond, key):
            within = f"within {cond.within} characters" if key == "unless" else ""
            note = f" ({scope}{within})".replace("; )", ")") if scope or within else ""
            out.append(f"{pad}{key}{note}: {_value(cond, key, EXCEPTIONS[key], all_phrases)}")
    return out


def _value(cond: Cond, key: str, schema: dict[str, Any], all_phrases: bool) -> str:
    """The compiled value of a condition key: the Cond field of that name, else the one its type fills."""
    if hasattr(cond, key):
        value = getattr(cond, key)
    elif schema.get("$ref") == PHRASES["$ref"]:
        value = cond.phrases
    elif schema.get("type") == "integer":
        value = cond.n
    else:
        value = cond.pattern
    if isinstance(value, tuple):
        return _phrases(value, all_phrases)
    return _scalar(value)


def _phrases(phrases: tuple[str, ...], all_phrases: bool) -> str:
    shown = phrases if all_phrases else phrases[:SHOWN_PHRASES]
    more = f" … (+{len(phrases) - len(shown)} more: --all)" if len(shown) < len(phrases) else ""
    return f"[{', '.join(shown)}]{more} ({len(phrases)})"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return f"[{', '.join(map(str, value))}]"
    return str(value)
