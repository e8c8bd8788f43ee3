"""Load and strictly validate a directory of YAML rule files.

The JSON Schema (generated from the specs: schema_gen.py) refuses every malformed document; the loader
then adds only what a schema cannot express: duplicate keys, non-finite numbers, RE2 syntax and size,
`at_least` over the length of its list, duplicate rule ids and a second `pack:` section.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.rules.fields import build, cond_paths
from qa_audit.rules.head import Head, Pack
from qa_audit.rules.kinds import KINDS
from qa_audit.rules.matchers import re2_set_compiles
from qa_audit.rules.operators import OPERATORS, make_cond, operator_of
from qa_audit.rules.spec import Rule, RuleSet
from qa_audit.rules.yamlfile import YamlDoc, YamlError, load_yaml


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rule file, pointing at file:line."""

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        tail = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.message}{tail}"


class RuleLoadError(Exception):
    """The rule files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@cache
def _validator() -> jsonschema.Draft202012Validator:
    # imported here: `python -m qa_audit.rules.schema_gen` must not find its module already imported
    from qa_audit.rules.schema_gen import schema

    return jsonschema.Draft202012Validator(schema())


def rule_files(rules_dir: Path) -> list[Path]:
    """Return the rule files of a directory (or the file itself), sorted."""
    if rules_dir.is_file():
        return [rules_dir]
    if not rules_dir.is_dir():
        raise RuleLoadError([RuleProblem(str(rules_dir), 0, "rule directory not found (规则目录不存在)")])
    files = sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise RuleLoadError([RuleProblem(str(rules_dir), 0, "no .yaml rule files in this directory")])
    return files


def load_ruleset(rules_dir: Path) -> RuleSet:
    """Load, validate and compile every rule file under `rules_dir`; raise RuleLoadError on any problem."""
    problems: list[RuleProblem] = []
    rules: list[Rule] = []
    policy = ScoringPolicy()
    pack_name, pack_seen = "default", None
    seen_ids: dict[str, str] = {}
    files = rule_files(Path(rules_dir))
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlError as exc:
            problems.append(RuleProblem(str(path), exc.line, exc.message))
            continue
        try:
            file_problems = _validate(doc)
        except RecursionError:  # load_yaml bounds the depth; this is a last line of defence
            file_problems = [RuleProblem(str(path), 1, "nested too deeply (嵌套过深)")]
        problems.extend(file_problems)
        if file_problems or not isinstance(doc.data, dict):
            continue
        if "pack" in doc.data:
            if pack_seen:
                problems.append(
                    RuleProblem(
                        str(path), doc.line_of(("pack",)), f"a second `pack:` section (the first is in {pack_seen})"
                    )
                )
            pack_seen = str(path)
            pack = build(Pack, doc.data["pack"], make_cond, "pack")
            pack_name = pack.name
            policy = ScoringPolicy(base=pack.base, pass_threshold=pack.pass_threshold, method=pack.scoring)
        for i, raw in enumerate(doc.data.get("rules") or []):
            line = doc.line_of(("rules", i))
            rid = raw["id"]
            if rid in seen_ids:
                problems.append(
                    RuleProblem(
                        str(path),
                        doc.line_of(("rules", i, "id")),
                        f"duplicate rule id {rid!r}",
                        f"first defined at {seen_ids[rid]}",
                    )
                )
                continue
            seen_ids[rid] = f"{path}:{line}"
            rule = _build_rule(raw, str(path), line)
            if rule is not None:
                rules.append(rule)
    if not problems:
        problems = _regex_set_problems(rules)
    if problems:
        raise RuleLoadError(problems)
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(rule.info.version.encode())
    digest.update(json.dumps([policy.base, policy.pass_threshold, policy.method]).encode())
    return RuleSet(
        rules=tuple(rules),
        policy=policy,
        version=digest.hexdigest()[:12],
        name=pack_name,
        files=tuple(str(f) for f in files),
    )


def _validate(doc: YamlDoc) -> list[RuleProblem]:
    file = str(doc.path)
    out = [
        RuleProblem(file, line, f"duplicate key {where[-1]!r}", "YAML keeps only the last one")
        for where, line in doc.duplicates
    ]
    if not isinstance(doc.data, dict):
        return [*out, RuleProblem(file, 1, "a rule file is a mapping with a `rules:` list")]
    for err in sorted(_validator().iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        problem = _explain(doc, err)
        if problem not in out:
            out.append(problem)
    if out:
        return out
    out.extend(_non_finite(doc, doc.data, ()))
    for i, raw in enumerate(doc.data.get("rules") or []):
        out.extend(_semantic(doc, i, raw))
    return out


def _non_finite(doc: YamlDoc, value: Any, where: tuple[Any, ...]) -> list[RuleProblem]:
    """Numbers such as `.nan` / `.inf` pass the schema's bounds but would poison every score."""
    stack = [(value, where)]
    out: list[RuleProblem] = []
    while stack:
        v, w = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            out.append(RuleProblem(str(doc.path), doc.line_of(w), f"{_name(w)} must be a finite number, not {v}"))
        elif isinstance(v, dict):
            stack.extend((x, (*w, k)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, (*w, i)) for i, x in enumerate(v))
    return out


def _regex_set_problems(rules: list[Rule]) -> list[RuleProblem]:
    """Every regex is compiled into one RE2 set at start-up; a set over RE2's memory budget would only
    fail then, so it is refused here, at load, with the rules that hold the regexes."""
    where = [(leaf.pattern, r) for r in rules for c in r.conditions() for leaf in c.leaves() if leaf.op == "regex"]
    if not where or re2_set_compiles(sorted({p for p, _ in where})):
        return []
    first = where[0][1]
    ids = ", ".join(dict.fromkeys(r.id for _, r in where))
    return [
        RuleProblem(
            first.file,
            first.line,
            f"the {len(where)} regexes of the rule set together are too large "
            "for the linear-time regex engine (RE2 set over its memory budget)",
            f"shorten counted repetitions such as .{{300}} or use phrase lists; rules: {ids}",
        )
    ]


def _explain(doc: YamlDoc, err: jsonschema.ValidationError) -> RuleProblem:
    """A schema error in the words of a rule author, at the line of the key it is about."""
    where = tuple(err.absolute_path)
    file = str(doc.path)
    turn = _example_turn(where)
    if turn is not None:
        return _turn_problem(doc, turn)
    if err.validator == "additionalProperties":
        unknown = re.findall(r"'([^']+)' (?:was|were) unexpected", err.message) or re.findall(r"'([^']+)'", err.message)
        key = unknown[0] if unknown else "?"
        allowed = sorted(err.schema.get("properties", {}))
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return RuleProblem(file, doc.line_of(where + (key,)), f"unknown key {key!r}", hint)
    if err.validator == "enum":
        return RuleProblem(
            file, doc.line_of(where), f"{_name(where)} must be one of {err.validator_value}, not {err.instance!r}"
        )
    if err.validator == "required":
        title = err.schema.get("title", "")
        hint = f"a {title} needs {', '.join(err.schema['required'])}" if title else ""
        return RuleProblem(file, doc.line_of(where), f"{_name(where)}: {err.message}", hint)
    if err.validator == "oneOf" and err.schema.get("title") == "condition" and isinstance(err.instance, dict):
        got = ", ".join(operator_of(err.instance)) or "none"
        return RuleProblem(
            file,
            doc.line_of(where),
            f"a condition needs exactly one operator, got {got}",
            f"operators: {', '.join(OPERATORS)}",
        )
    if err.validator == "dependentRequired":
        key = next(k for k, needs in err.validator_value.items() if k in err.instance and needs[0] not in err.instance)
        need = err.validator_value[key][0]
        text = f"`{key}:` needs `{need}:`" if key in OPERATORS else f"`{key}` only goes with `{need}`"
        return RuleProblem(file, doc.line_of(where + (key,)), text)
    if err.validator in ("anyOf", "oneOf") and "description" in err.schema:
        return RuleProblem(file, doc.line_of(where), f"{_name(where)}: {err.schema['description']}")
    return RuleProblem(file, doc.line_of(where), f"{_name(where)}: {err.message}")


def _name(where: tuple[Any, ...]) -> str:
    return ".".join(str(w) for w in where) or "file"


def _semantic(doc: YamlDoc, i: int, raw: dict[str, Any]) -> list[RuleProblem]:
    """Checks of a schema-valid rule that a schema cannot express (per operator: `Operator.check`)."""
    out: list[RuleProblem] = []
    for where, cond in cond_paths(KINDS[raw["kind"]].spec, raw, ("rules", i)):
        out.extend(_check_cond(doc, where, cond))
    return out


def _check_cond(doc: YamlDoc, where: tuple[Any, ...], cond: dict[str, Any]) -> list[RuleProblem]:
    op = OPERATORS[operator_of(cond)[0]]
    out = [RuleProblem(str(doc.path), doc.line_of((*where, key)), msg, hint) for key, msg, hint in op.check(cond)]
    if op.children is not None:
        for path, _, child in op.children(cond):
            out.extend(_check_cond(doc, (*where, *path), child))
    return out


_TURN_KEYS = ("role", "text", "start", "end", "ts")


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
    return RuleProblem(
        str(doc.path),
        doc.line_of(where),
        f"examples.{expected}[{k}].turns[{j}]: {_example_turn_problem(turn)}",
        "a turn is a '客服：…' string or {role: agent|customer|system, text: …}",
    )


def _example_turn_problem(turn: Any) -> str:
    if isinstance(turn, str):
        return "must not be empty"
    if not isinstance(turn, dict):
        return f"expected a string or an object, got {type(turn).__name__}"
    unknown = [str(key) for key in turn if key not in _TURN_KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r} (allowed: {', '.join(_TURN_KEYS)})"
    if turn.get("role") not in ("agent", "customer", "system"):
        return f"role must be agent, customer or system, not {turn.get('role')!r}"
    if not isinstance(turn.get("text"), str):
        return "text must be a string"
    for key in ("start", "end"):
        value = turn.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            return f"{key} must be seconds >= 0, not {value!r}"
    if turn.get("ts") is not None and not isinstance(turn["ts"], str):
        return f"ts must be an ISO-8601 string in quotes (ts: '2026-11-21T09:12:00'), not {turn['ts']!r}"
    return "not a valid turn"


def _build_rule(raw: dict[str, Any], file: str, line: int) -> Rule | None:
    """The rule of a validated mapping, or None when it is not `enabled`."""
    rid = raw["id"]
    # default=str: YAML dates inside free-form example turns are not JSON
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    version = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    head: Head = build(Head, raw, make_cond, rid)
    if not head.enabled:
        return None
    info = RuleInfo(
        id=rid,
        title=head.title,
        severity=head.severity,
        points=head.points,
        cap=head.cap,
        veto=head.veto,
        bonus=head.bonus,
        message=head.message,
        source=head.source,
        category=head.category,
        version=version,
        tier=head.tier,
        review_operators=head.review_operators,
    )
    return Rule(
        info=info,
        kind=head.kind,
        spec=build(KINDS[head.kind].spec, raw, make_cond, rid),
        applies=head.applies,
        description=head.description,
        examples_fire=head.examples.fire,
        examples_pass=head.examples.pass_,
        file=file,
        line=line,
    )
