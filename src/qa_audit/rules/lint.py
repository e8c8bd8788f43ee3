"""Checks of the phrase lists of a schema-valid rule: what is wrong (an error) and what is useless (a warning).

- A phrase that is empty once normalised (whitespace only, `_`) is an error (QA204): it would match
  nothing, or everywhere.
- A phrase already covered by another phrase of the same list is a warning (QA401): in `any: [不归我们管,
  不归我们管了]` every hit of the second is a hit of the first. Only for lists where one hit is enough
  (`any`, `none` and the `unless` / `unless_before` exceptions; not `all`, `at_least`, `words`, `fuzzy`,
  `similar`, whose matching is not plain containment), and only when the shorter phrase is judged the
  same way inside the longer one: not when it is two characters long (a two-character hit inside a
  dictionary word does not count, a longer phrase is not cut so) nor when the longer one holds a negator
  or an `unless_before` phrase before it (不满意 is not covered by 满意: a negated hit does not count).
- More than `MAX_PHRASES` phrases in one rule is a warning (QA402): such lists belong in a word list
  maintained elsewhere, and every one of them slows every audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qa_audit.normalize import normalize_phrase
from qa_audit.rules.fields import PHRASES, cond_paths
from qa_audit.rules.kinds import KINDS
from qa_audit.rules.operators import EXCEPTIONS, OPERATORS, operator_of
from qa_audit.rules.problems import RuleProblem, clip
from qa_audit.rules.schema_errors import value_name
from qa_audit.rules.yamlfile import YamlDoc

MAX_PHRASES = 2000  # per rule, all lists together
_ONE_HIT_ENOUGH = ("any", "none", "unless", "unless_before")
_NEGATOR_CHARS = set("不没别未勿无非")
_MAX_SUB = 40  # longest phrase looked for inside another (longer ones are rare and never covered by accident)

Where = tuple[Any, ...]


def _holds_any(text: str, phrases: set[str]) -> bool:
    return bool(text) and any(p and p in text for p in phrases)


def phrase_problems(doc: YamlDoc, i: int, raw: dict[str, Any], *, warnings: bool = True) -> list[RuleProblem]:
    """Errors and (unless warnings=False: an audit's start-up) warnings about the phrase lists of rule `i`
    of a schema-valid file."""
    out: list[RuleProblem] = []
    lists = list(_phrase_lists(raw, ("rules", i)))
    before = {normalize_phrase(p) for _, key, phrases in lists if key == "unless_before" for p in phrases}
    total = 0
    for where, key, phrases in lists:
        total += len(phrases)
        out.extend(_blank(doc, where + (key,), phrases))
        if warnings and key in _ONE_HIT_ENOUGH:
            out.extend(_covered(doc, where + (key,), phrases, before))
    if warnings and total > MAX_PHRASES:
        line, col = doc.mark_of(("rules", i, "id"), value=True)
        out.append(
            RuleProblem(
                str(doc.path),
                line,
                f"rule {clip(raw['id'])} has {total:,} phrases (more than {MAX_PHRASES:,})",
                "every phrase slows every audit; keep rules to the phrases that matter",
                col,
                "QA402",
                "warning",
            )
        )
    return out


def _phrase_lists(raw: dict[str, Any], rule_where: Where) -> Iterator[tuple[Where, str, list[str]]]:
    """(path of the condition, key, phrases) of every phrase list in the rule's conditions."""
    stack = list(cond_paths(KINDS[raw["kind"]].spec, raw, rule_where))
    while stack:
        where, cond = stack.pop()
        op = OPERATORS[operator_of(cond)[0]]
        schemas = {op.name: op.value, **op.companions, **EXCEPTIONS}
        for key, value in cond.items():
            if schemas.get(key, {}).get("$ref") == PHRASES["$ref"]:
                yield where, key, value
        if op.children is not None:
            stack.extend(((*where, *path), child) for path, _, child in op.children(cond))


def _blank(doc: YamlDoc, where: Where, phrases: list[str]) -> list[RuleProblem]:
    out = []
    for k, phrase in enumerate(phrases):
        if phrase and not normalize_phrase(phrase).strip():
            line, col = doc.mark_of((*where, k), value=True)
            out.append(
                RuleProblem(
                    str(doc.path),
                    line,
                    f"{value_name(where)}[{k}]: phrase {clip(phrase)} is empty once normalised "
                    "(whitespace or `_` only)",
                    "remove it",
                    col,
                    "QA204",
                )
            )
    return out


def _covered(doc: YamlDoc, where: Where, phrases: list[str], before: set[str]) -> list[RuleProblem]:
    first: dict[str, int] = {}
    for k, phrase in enumerate(phrases):
        first.setdefault(normalize_phrase(phrase), k)
    out = []
    for k, phrase in enumerate(phrases):
        norm = normalize_phrase(phrase)
        if not norm.strip():
            continue
        if first[norm] != k:
            by = first[norm]
        else:
            hit = _shorter_inside(norm, first, before)
            if hit is None:
                continue
            by = first[hit]
        line, col = doc.mark_of((*where, k), value=True)
        same = "repeats" if normalize_phrase(phrases[by]) == norm else "is already covered by"
        out.append(
            RuleProblem(
                str(doc.path),
                line,
                f"{value_name(where)}[{k}]: phrase {clip(phrase)} {same} {clip(phrases[by])} "
                f"({value_name(where)}[{by}])",
                "remove it: every hit of it is already a hit of the other phrase",
                col,
                "QA401",
                "warning",
            )
        )
    return out


def _shorter_inside(norm: str, phrases: dict[str, int], before: set[str]) -> str | None:
    """A shorter phrase of the list that every occurrence of `norm` also contains, judged the same way
    (no negator and no `unless_before` phrase of the rule in `norm` before it)."""
    n = len(norm)
    for size in range(1, min(n - 1, _MAX_SUB) + 1):
        if size == 2:
            continue  # a two-character hit inside a dictionary word does not count; the longer phrase's does
        for start in range(n - size + 1):
            sub = norm[start : start + size]
            prefix = norm[:start]
            if sub in phrases and sub.strip() and not (_NEGATOR_CHARS & set(prefix)) and not _holds_any(prefix, before):
                return sub
    return None
