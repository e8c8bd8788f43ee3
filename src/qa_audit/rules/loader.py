"""Load and strictly validate a directory of YAML rule files (JSON Schema + semantic checks)."""

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
import re2

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.rules.spec import BOOL_OPS, LEAF_OPS, Applies, Cond, Rule, RuleSet, Scope
from qa_audit.rules.yamlfile import YamlDoc, YamlError, load_yaml

SCHEMA_FILE = "schema.json"
_KIND_NEEDS = {
    "forbid": ("match",),
    "require": ("match",),
    "respond": ("trigger", "response"),
    "order": ("first", "then"),
    "metric": ("metric",),
}
_METRIC_NEEDS = {"silence_gap": ("match",), "ratio": ("numerator", "denominator")}


# a `similar` hit is a paraphrase judged by a threshold: a reviewer confirms it before it costs points
DEFAULT_REVIEW_OPERATORS = ("similar",)


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
def _schema() -> dict[str, Any]:
    here = Path(__file__).resolve().parents[3] / "rules" / SCHEMA_FILE
    return json.loads(here.read_text(encoding="utf-8"))


def schema_keys() -> dict[str, list[str]]:
    """Return the allowed keys per object kind (for hints)."""
    defs = _schema()["$defs"]
    return {name: sorted(d.get("properties", {})) for name, d in defs.items() if "properties" in d}


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
            pack = doc.data["pack"]
            pack_name = pack.get("name", pack_name)
            policy = ScoringPolicy(
                base=float(pack.get("base", 100.0)),
                pass_threshold=float(pack.get("pass_threshold", 80.0)),
                method=pack.get("scoring", "deduction"),
            )
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
            if raw.get("enabled", True):
                rules.append(_build_rule(raw, str(path), line))
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
    validator = jsonschema.Draft202012Validator(_schema())
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        out.append(_explain(doc, err))
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


def _re2_set(patterns: list[str]) -> bool:
    """Whether RE2 can compile `patterns` as one set, exactly as the engine's RegexIndex does."""
    regex_set = re2.Set.SearchSet(re2.Options())
    try:
        for p in patterns:
            regex_set.Add(p)
        regex_set.Compile()
    except re2.error:
        return False
    return True


def _regex_set_problems(rules: list[Rule]) -> list[RuleProblem]:
    """Every regex is compiled into one RE2 set at start-up; a set over RE2's memory budget would only
    fail then, so it is refused here, at load, with the rules that hold the regexes."""
    where = [(leaf.pattern, r) for r in rules for c in r.conditions() for leaf in c.leaves() if leaf.op == "regex"]
    if not where or _re2_set(sorted({p for p, _ in where})):
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
    where = tuple(err.absolute_path)
    file = str(doc.path)
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
        return RuleProblem(
            file,
            doc.line_of(where),
            f"{_name(where)}: {err.message}",
            "every rule needs id, title, kind, severity, points, message, source and examples",
        )
    return RuleProblem(file, doc.line_of(where), f"{_name(where)}: {err.message}")


def _name(where: tuple[Any, ...]) -> str:
    return ".".join(str(w) for w in where) or "file"


def _semantic(doc: YamlDoc, i: int, raw: dict[str, Any]) -> list[RuleProblem]:
    file, base = str(doc.path), ("rules", i)
    out: list[RuleProblem] = []
    for need in _KIND_NEEDS[raw["kind"]] + _METRIC_NEEDS.get(raw.get("metric", ""), ()):
        if need not in raw:
            out.append(
                RuleProblem(file, doc.line_of(base), f"rule {raw['id']!r} of kind {raw['kind']!r} needs `{need}:`")
            )
    if raw["kind"] == "metric" and raw.get("metric") != "silence_gap" and "min" not in raw and "max" not in raw:
        out.append(RuleProblem(file, doc.line_of(base), f"metric rule {raw['id']!r} needs `min:` or `max:`"))
    for key in ("match", "if", "first", "then", "numerator", "denominator"):
        if key in raw:
            out.extend(_check_cond(doc, base + (key,), raw[key]))
    for key in ("trigger", "response", "unless_nearby"):
        if key in raw:
            out.extend(_check_cond(doc, base + (key, "match"), raw[key]["match"]))
    out.extend(_check_examples(doc, base, raw["examples"]))
    return out


_TURN_KEYS = ("role", "text", "start", "end", "ts")


def _check_examples(doc: YamlDoc, base: tuple[Any, ...], examples: dict[str, Any]) -> list[RuleProblem]:
    """The turns of an example conversation object are free-form in the schema; check them here."""
    out: list[RuleProblem] = []
    for expected in ("fire", "pass"):
        for k, example in enumerate(examples[expected]):
            if not isinstance(example, dict):
                continue  # a string, or a list of strings: the schema checked them
            for j, turn in enumerate(example["turns"]):
                where = (*base, "examples", expected, k, "turns", j)
                problem = _example_turn_problem(turn)
                if problem:
                    out.append(
                        RuleProblem(
                            str(doc.path),
                            doc.line_of(where),
                            f"examples.{expected}[{k}].turns[{j}]: {problem}",
                            "a turn is a '客服：…' string or {role: agent|customer|system, text: …}",
                        )
                    )
    return out


def _example_turn_problem(turn: Any) -> str | None:
    if isinstance(turn, str):
        return None
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
    return None


def _check_cond(doc: YamlDoc, where: tuple[Any, ...], cond: dict[str, Any]) -> list[RuleProblem]:
    file = str(doc.path)
    ops = [k for k in cond if k in LEAF_OPS or k in BOOL_OPS]
    out: list[RuleProblem] = []
    if len(ops) != 1:
        got = ", ".join(ops) or "none"
        return [
            RuleProblem(
                file,
                doc.line_of(where),
                f"a condition needs exactly one operator, got {got}",
                f"operators: {', '.join(LEAF_OPS + BOOL_OPS)}",
            )
        ]
    op = ops[0]
    if op == "at_least" and "of" not in cond:
        out.append(RuleProblem(file, doc.line_of(where + (op,)), "`at_least:` needs `of:` (the phrases)"))
    if op == "at_least" and "of" in cond and cond["at_least"] > len(cond["of"]):
        out.append(RuleProblem(file, doc.line_of(where + (op,)), "`at_least` is larger than the phrase list"))
    if op == "regex":
        try:
            re2.compile(cond["regex"])
        except re2.error as exc:
            why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            out.append(
                RuleProblem(
                    file,
                    doc.line_of(where + ("regex",)),
                    f"bad regex {cond['regex']!r}: {why}",
                    "RE2 syntax: no lookaround, no backreferences",
                )
            )
        else:
            if not _re2_set([cond["regex"]]):
                out.append(
                    RuleProblem(
                        file,
                        doc.line_of(where + ("regex",)),
                        f"regex {cond['regex']!r} is too large for the linear-time regex engine",
                        "shorten counted repetitions such as .{300}",
                    )
                )
    if op in ("and", "or"):
        for j, child in enumerate(cond[op]):
            out.extend(_check_cond(doc, where + (op, j), child))
    if op == "not":
        out.extend(_check_cond(doc, where + ("not",), cond["not"]))
    stray = [k for k in ("unlike", "threshold") if k in cond and op != "similar"]
    if stray:
        out.append(RuleProblem(file, doc.line_of(where + (stray[0],)), f"`{stray[0]}` only goes with `similar`"))
    return out


def _build_cond(
    raw: dict[str, Any], key: str, inherited: tuple[tuple[str, ...], int, tuple[str, ...]] = ((), 8, ())
) -> Cond:
    """Build a condition; exceptions (`unless`, `within`, `unless_before`) on and/or/not apply to every leaf below."""
    op = next(k for k in raw if k in LEAF_OPS or k in BOOL_OPS)
    unless = inherited[0] + tuple(raw.get("unless", ()))
    within = int(raw.get("within", inherited[1]))
    before = inherited[2] + tuple(raw.get("unless_before", ()))
    common = {"unless": unless, "within": within, "unless_before": before}
    if op in ("and", "or"):
        kids = tuple(_build_cond(c, f"{key}.{op}{j}", (unless, within, before)) for j, c in enumerate(raw[op]))
        return Cond(op=op, key=key, children=kids, **common)
    if op == "not":
        return Cond(
            op=op, key=key, children=(_build_cond(raw["not"], f"{key}.not", (unless, within, before)),), **common
        )
    if op == "regex":
        return Cond(op=op, key=key, pattern=raw["regex"], **common)
    if op == "at_least":
        return Cond(op=op, key=key, phrases=tuple(raw["of"]), n=int(raw["at_least"]), **common)
    if op == "similar":
        return Cond(
            op=op,
            key=key,
            phrases=tuple(raw["similar"]),
            unlike=tuple(raw.get("unlike", ())),
            threshold=float(raw.get("threshold", 0.6)),
            **common,
        )
    return Cond(op=op, key=key, phrases=tuple(raw[op]), **common)


def _opt_cond(raw: dict[str, Any] | None, key: str) -> Cond | None:
    return _build_cond(raw, key) if raw else None


def _build_rule(raw: dict[str, Any], file: str, line: int) -> Rule:
    rid = raw["id"]
    # default=str: YAML dates inside free-form example turns are not JSON
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    version = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    info = RuleInfo(
        id=rid,
        title=raw["title"],
        severity=raw["severity"],
        points=float(raw["points"]),
        cap=raw.get("cap"),
        veto=bool(raw.get("veto", False)),
        bonus=bool(raw.get("bonus", False)),
        message=raw["message"],
        source=raw["source"],
        category=raw.get("category", ""),
        version=version,
        tier=raw.get("tier", "deduct"),
        review_operators=tuple(raw.get("review_operators", DEFAULT_REVIEW_OPERATORS)),
    )
    where = raw.get("where", {})
    app = raw.get("applies", {})
    trig, resp = raw.get("trigger", {}), raw.get("response", {})
    return Rule(
        info=info,
        kind=raw["kind"],
        description=raw.get("description", ""),
        where=Scope(
            role=where.get("role", "agent"),
            first=where.get("first"),
            last=where.get("last"),
            first_seconds=where.get("first_seconds"),
            last_seconds=where.get("last_seconds"),
        ),
        applies=Applies(
            complaint=app.get("complaint"),
            timing=app.get("timing"),
            channel=app.get("channel"),
            min_turns=app.get("min_turns"),
            complete=app.get("complete"),
        ),
        match=_opt_cond(raw.get("match"), f"{rid}:match"),
        if_=_opt_cond(raw.get("if"), f"{rid}:if"),
        anchor=raw.get("anchor", "last"),
        quoted=raw.get("quoted", "ignore"),
        negation=bool(raw.get("negation", True)),
        trigger=_opt_cond(trig.get("match"), f"{rid}:trigger"),
        trigger_role=trig.get("role", "customer"),
        response=_opt_cond(resp.get("match"), f"{rid}:response"),
        response_role=resp.get("role", "agent"),
        within=int(resp.get("within", 1)),
        same_turn=bool(resp.get("same_turn", False)),
        first=_opt_cond(raw.get("first"), f"{rid}:first"),
        then=_opt_cond(raw.get("then"), f"{rid}:then"),
        metric=raw.get("metric", ""),
        min=raw.get("min"),
        max=raw.get("max"),
        gap=float(raw.get("gap", 120.0)),
        numerator=_opt_cond(raw.get("numerator"), f"{rid}:numerator"),
        denominator=_opt_cond(raw.get("denominator"), f"{rid}:denominator"),
        nearby=_opt_cond(raw.get("unless_nearby", {}).get("match"), f"{rid}:nearby"),
        nearby_turns=int(raw.get("unless_nearby", {}).get("turns", 1)),
        examples_fire=tuple(raw["examples"]["fire"]),
        examples_pass=tuple(raw["examples"]["pass"]),
        file=file,
        line=line,
    )
