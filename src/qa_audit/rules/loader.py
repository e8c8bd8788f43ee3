"""Load and strictly validate a directory of YAML rule files.

The JSON Schema (generated from the specs: schema_gen.py) refuses every malformed document
(schema_errors.py words its errors); the loader then adds only what a schema cannot express: duplicate
keys, non-finite numbers, RE2 syntax and size, `at_least` over the length of its list, blank phrases
(lint.py, which also warns about redundant phrases and oversized lists), duplicate rule ids and a second
`pack:` section. Every problem has a code (problems.py) and a line and column.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.rules.fields import build, cond_paths
from qa_audit.rules.head import Head, Pack
from qa_audit.rules.kinds import KINDS
from qa_audit.rules.lint import phrase_problems
from qa_audit.rules.matchers import re2_set_compiles
from qa_audit.rules.operators import OPERATORS, make_cond, operator_of
from qa_audit.rules.problems import RuleLoadError, RuleProblem
from qa_audit.rules.schema_errors import schema_problems, value_name
from qa_audit.rules.spec import Rule, RuleSet
from qa_audit.rules.yamlfile import YamlDoc, YamlError, load_yaml

__all__ = ["RuleLoadError", "RuleProblem", "check_ruleset", "load_ruleset", "rule_files"]


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
        raise RuleLoadError([RuleProblem(str(rules_dir), 0, "rule directory not found (规则目录不存在)", code="QA003")])
    files = sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise RuleLoadError([RuleProblem(str(rules_dir), 0, "no .yaml rule files in this directory", code="QA003")])
    return files


def load_ruleset(rules_dir: Path) -> RuleSet:
    """Load, validate and compile every rule file under `rules_dir`; raise RuleLoadError on any error
    (warnings are dropped: `check_ruleset` returns them)."""
    ruleset, problems = check_ruleset(rules_dir, warnings=False)
    errors = [p for p in problems if p.severity == "error"]
    if errors or ruleset is None:
        raise RuleLoadError(errors)
    return ruleset


def check_ruleset(rules_dir: Path, *, warnings: bool = True) -> tuple[RuleSet | None, list[RuleProblem]]:
    """Load every rule file under `rules_dir`: the rule set (None when there is an error) and every
    problem found, errors and (unless warnings=False) warnings, in file order. Raises RuleLoadError only
    when there are no files."""
    problems: list[RuleProblem] = []
    rules: list[Rule] = []
    policy = ScoringPolicy()
    pack_name, pack_seen = "default", None
    seen_ids: dict[str, str] = {}
    yielding: list[tuple[YamlDoc, int, str, list[Any]]] = []  # (file, rule index, id, its yields_to)
    files = rule_files(Path(rules_dir))
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlError as exc:
            problems.append(RuleProblem(str(path), exc.line, exc.message, col=exc.col, code="QA001"))
            continue
        try:
            file_problems = _validate(doc, warnings)
        except RecursionError:  # load_yaml bounds the depth; this is a last line of defence
            file_problems = [RuleProblem(str(path), 1, "nested too deeply (嵌套过深)", col=1, code="QA001")]
        problems.extend(file_problems)
        if any(p.severity == "error" for p in file_problems) or not isinstance(doc.data, dict):
            continue
        if "pack" in doc.data:
            if pack_seen:
                problems.append(
                    _at(doc, ("pack",), "QA302", f"a second `pack:` section (the first is in {pack_seen})", value=False)
                )
            pack_seen = str(path)
            pack = build(Pack, doc.data["pack"], make_cond, "pack")
            pack_name = pack.name
            policy = ScoringPolicy(base=pack.base, pass_threshold=pack.pass_threshold, method=pack.scoring)
        for i, raw in enumerate(doc.data.get("rules") or []):
            line = doc.line_of(("rules", i))
            rid = raw["id"]
            if rid in seen_ids:
                first = f"first defined at {seen_ids[rid]}"
                problems.append(_at(doc, ("rules", i, "id"), "QA301", f"duplicate rule id {rid!r}", first))
                continue
            seen_ids[rid] = f"{path}:{line}"
            if raw.get("yields_to"):
                yielding.append((doc, i, rid, raw["yields_to"]))
            rule = _build_rule(raw, str(path), line, _marks(doc, i, raw))
            if rule is not None:
                rules.append(rule)
    problems.extend(_yield_problems(yielding, seen_ids))
    if not any(p.severity == "error" for p in problems):
        problems.extend(_regex_set_problems(rules))
    if any(p.severity == "error" for p in problems):
        return None, problems
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(rule.info.version.encode())
    digest.update(json.dumps([policy.base, policy.pass_threshold, policy.method]).encode())
    ruleset = RuleSet(
        rules=tuple(rules),
        policy=policy,
        version=digest.hexdigest()[:12],
        name=pack_name,
        files=tuple(str(f) for f in files),
    )
    return ruleset, problems


def _yield_problems(yielding: list[tuple[YamlDoc, int, str, list[Any]]], ids: dict[str, str]) -> list[RuleProblem]:
    """QA303 for each `yields_to` entry that names no rule of the pack, the rule itself, or a rule that
    yields in turn (one level only, so the outcome never depends on the order rules are settled in)."""
    yields = {rid for _, _, rid, _ in yielding}
    out = []
    for doc, i, rid, targets in yielding:
        for k, target in enumerate(targets):
            if target == rid:
                why = "a rule cannot yield to itself"
            elif target not in ids:
                why = f"no rule {target!r} in the pack"
            elif target in yields:
                why = f"{target!r} yields to other rules itself; yield to the rules it yields to"
            else:
                continue
            out.append(_at(doc, ("rules", i, "yields_to", k), "QA303", why, "name a narrower rule of the pack"))
    return out


def _at(
    doc: YamlDoc, where: tuple[Any, ...], code: str, message: str, hint: str = "", *, value: bool = True
) -> RuleProblem:
    line, col = doc.mark_of(where, value=value)
    return RuleProblem(str(doc.path), line, message, hint, col, code)


def _marks(doc: YamlDoc, i: int, raw: dict[str, Any]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Where the rule's id and each of its examples are, for `rules test` / `rules check` messages."""
    examples = raw.get("examples") or {}
    out: dict[tuple[Any, ...], tuple[int, int]] = {("id",): doc.mark_of(("rules", i, "id"), value=True)}
    for expected in ("fire", "pass"):
        for k in range(len(examples.get(expected) or ())):
            out[(expected, k)] = doc.mark_of(("rules", i, "examples", expected, k), value=True)
    return out


def _validate(doc: YamlDoc, warnings: bool) -> list[RuleProblem]:
    out = [
        RuleProblem(str(doc.path), line, f"duplicate key {where[-1]!r}", "YAML keeps only the last one", col, "QA002")
        for where, (line, col) in doc.duplicates
    ]
    if not isinstance(doc.data, dict):
        return [*out, _at(doc, (), "QA102", "a rule file is a mapping with a `rules:` list")]
    for problem in schema_problems(doc, _validator().iter_errors(doc.data)):
        if problem not in out:
            out.append(problem)
    if out:
        return out
    out.extend(_non_finite(doc, doc.data, ()))
    for i, raw in enumerate(doc.data.get("rules") or []):
        out.extend(_semantic(doc, i, raw))
        out.extend(phrase_problems(doc, i, raw, warnings=warnings))
    return sorted(out, key=lambda p: (p.line, p.col))


def _non_finite(doc: YamlDoc, value: Any, where: tuple[Any, ...]) -> list[RuleProblem]:
    """Numbers such as `.nan` / `.inf` pass the schema's bounds but would poison every score."""
    stack = [(value, where)]
    out: list[RuleProblem] = []
    while stack:
        v, w = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            out.append(_at(doc, w, "QA108", f"{value_name(w)} must be a finite number, not {v}"))
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
            code="QA202",
        )
    ]


def _semantic(doc: YamlDoc, i: int, raw: dict[str, Any]) -> list[RuleProblem]:
    """Checks of a schema-valid rule that a schema cannot express (`Operator.check`, `Kind.problems`)."""
    out: list[RuleProblem] = []
    kind = KINDS[raw["kind"]]
    for where, cond in cond_paths(kind.spec, raw, ("rules", i)):
        out.extend(_check_cond(doc, where, cond))
    if kind.problems is not None:
        out.extend(_at(doc, ("rules", i, key), code, msg, hint) for key, code, msg, hint in kind.problems(raw))
    return out


def _check_cond(doc: YamlDoc, where: tuple[Any, ...], cond: dict[str, Any]) -> list[RuleProblem]:
    op = OPERATORS[operator_of(cond)[0]]
    out = [_at(doc, (*where, key), code, msg, hint) for key, code, msg, hint in op.check(cond)]
    if op.children is not None:
        for path, _, child in op.children(cond):
            out.extend(_check_cond(doc, (*where, *path), child))
    return out


def _build_rule(
    raw: dict[str, Any], file: str, line: int, marks: dict[tuple[Any, ...], tuple[int, int]]
) -> Rule | None:
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
        review_channels=head.review_channels,
    )
    return Rule(
        info=info,
        kind=head.kind,
        spec=build(KINDS[head.kind].spec, raw, make_cond, rid),
        applies=head.applies,
        description=head.description,
        yields_to=head.yields_to,
        examples_fire=head.examples.fire,
        examples_pass=head.examples.pass_,
        file=file,
        line=line,
        marks=marks,
    )
