"""The published JSON Schema (rules/schema.json) and the loader agree on what a valid rule file is.

Editors check a rule file against the schema while it is typed; `qa-audit` loads it with the loader.
The schema is generated from the kind specs and the operator registry, so a document the loader
refuses is refused by the schema too, except for what a schema cannot express (RE2 syntax, numbers
that are not finite, duplicates), which the loader reports with file:line.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.rules import RuleLoadError, load_ruleset
from qa_audit.rules.schema_gen import render

RULES = Path(__file__).resolve().parents[1] / "rules"
SCHEMA = json.loads((RULES / "schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

FORBID: dict[str, Any] = {
    "id": "t.forbid",
    "title": "t",
    "kind": "forbid",
    "severity": "major",
    "points": 5,
    "message": "m",
    "source": "s",
    "match": {"any": ["不归我们管"]},
    "examples": {"fire": ["这不归我们管"], "pass": ["我帮您查"]},
}
METRIC = {
    **FORBID,
    "id": "t.metric",
    "kind": "metric",
    "metric": "talk_share",
    "max": 0.9,
    "match": None,
    "examples": {"fire": [["客服：好的好的好的", "客户：嗯"]], "pass": [["客服：好", "客户：嗯嗯嗯嗯"]]},
}
RESPOND = {
    **FORBID,
    "id": "t.respond",
    "kind": "respond",
    "match": None,
    "trigger": {"match": {"any": ["投诉"]}},
    "response": {"match": {"any": ["抱歉"]}},
    "examples": {"fire": [["客户：我要投诉", "客服：嗯"]], "pass": [["客户：我要投诉", "客服：抱歉"]]},
}
ORDER = {
    **FORBID,
    "id": "t.order",
    "kind": "order",
    "match": None,
    "first": {"any": ["您好"]},
    "then": {"any": ["再见"]},
}


def rule(base: dict[str, Any] = FORBID, **changes: Any) -> dict[str, Any]:
    """A copy of `base` with keys changed (a value of None removes the key); `if_` stands for `if`."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        key = "if" if key == "if_" else key
        out[key] = value
    return {k: v for k, v in out.items() if v is not None}


def doc_of(*rules: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"rules": list(rules), **top}


INVALID: dict[str, dict[str, Any]] = {
    "two operators in one condition": doc_of(rule(match={"any": ["你"], "regex": "你"})),
    "a condition without operator": doc_of(rule(match={"unless": ["帮您"]})),
    "forbid without match": doc_of(rule(match=None)),
    "require without match": doc_of(rule(kind="require", match=None)),
    "unlike without similar": doc_of(rule(match={"any": ["你"], "unlike": ["您"]})),
    "threshold without similar": doc_of(rule(match={"any": ["你"], "threshold": 0.5})),
    "at_least without of": doc_of(rule(match={"at_least": 1})),
    "of without at_least": doc_of(rule(match={"any": ["你"], "of": ["您"]})),
    "a metric rule without metric": doc_of(rule(METRIC, metric=None)),
    "a metric rule without min or max": doc_of(rule(METRIC, max=None)),
    "silence_gap without match": doc_of(rule(METRIC, metric="silence_gap", max=None, gap=60)),
    "ratio without numerator": doc_of(rule(METRIC, metric="ratio", denominator={"any": ["您"]})),
    "respond without trigger": doc_of(rule(RESPOND, trigger=None)),
    "a trigger without match": doc_of(rule(RESPOND, trigger={"role": "customer"})),
    "order without then": doc_of(rule(ORDER, then=None)),
    "a key of another kind (trigger on forbid)": doc_of(rule(trigger={"match": {"any": ["投诉"]}})),
    "a key of another kind (unless_nearby on require)": doc_of(
        rule(kind="require", unless_nearby={"match": {"any": ["您"]}})
    ),
    "a key of another kind (match on respond)": doc_of(rule(RESPOND, match={"any": ["你"]})),
    "an unknown key": doc_of(rule(mach={"any": ["你"]})),
    "an unknown kind": doc_of(rule(kind="suggest")),
    "a bad severity": doc_of(rule(severity="fatal")),
    "negative points": doc_of(rule(points=-1)),
    "a bad rule id": doc_of(rule(id="NoDots")),
    "no examples": doc_of(rule(examples=None)),
    "no example that must fire": doc_of(rule(examples={"fire": [], "pass": ["您好"]})),
    "an example turn with an unknown role": doc_of(
        rule(examples={"fire": [{"turns": [{"role": "boss", "text": "你"}]}], "pass": ["您"]})
    ),
    "an example turn with a time that is not a string": doc_of(
        rule(examples={"fire": [{"turns": [{"role": "agent", "text": "你", "ts": 20261121}]}], "pass": ["您"]})
    ),
    "a similar threshold above 1": doc_of(rule(match={"similar": ["不归我们管"], "threshold": 1.5})),
    "an empty phrase": doc_of(rule(match={"any": [""]})),
    "an empty and": doc_of(rule(match={"and": []})),
    "a bad scope role": doc_of(rule(where={"role": "boss"})),
    "a boolean operator as review operator": doc_of(rule(review_operators=["and"])),
    "a bad tier": doc_of(rule(tier="maybe")),
    "a pack with an unknown key": doc_of(rule(), pack={"name": "p", "bas": 100}),
    "a pack base of 0": doc_of(rule(), pack={"base": 0}),
    "an unknown top-level key": doc_of(rule(), rule=[]),
    "rules that are not a list": {"rules": {"id": "t.x"}},
}


def write(tmp_path: Path, doc: Any, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def refusal(path: Path) -> list:
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(path)
    return info.value.problems


def test_the_committed_schema_is_the_generated_one() -> None:
    # regenerate with: python -m qa_audit.rules.schema_gen > rules/schema.json
    assert (RULES / "schema.json").read_text(encoding="utf-8") == render()


def test_the_seed_documents_are_valid_for_both() -> None:
    # else every refusal below could be caused by the base rule, not by the change under test
    doc = doc_of(rule(), rule(METRIC), rule(RESPOND), rule(ORDER), rule(kind="require", if_={"any": ["你"]}))
    assert not list(VALIDATOR.iter_errors(doc))


@pytest.mark.parametrize("name", sorted(INVALID))
def test_an_invalid_document_is_refused_by_both_schema_and_loader(tmp_path: Path, name: str) -> None:
    doc = INVALID[name]
    assert not VALIDATOR.is_valid(doc), f"the schema accepts: {name}"
    path = write(tmp_path, doc)
    problems = refusal(path)
    assert all(p.file == str(path) and p.line >= 1 for p in problems), problems


def test_there_are_at_least_twenty_invalid_documents() -> None:
    assert len(INVALID) >= 20


def test_the_default_pack_is_valid_for_both() -> None:
    for path in sorted(RULES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in VALIDATOR.iter_errors(data)]
        assert not errors, f"{path.name}: {errors}"
    assert load_ruleset(RULES).rules


@pytest.mark.parametrize(
    ("doc", "line", "words"),
    [
        (doc_of(rule(match={"regex": "(不归"})), 10, "bad regex"),  # line 9 is `match:`
        (doc_of(rule(match={"at_least": 3, "of": ["您好", "请问"]})), 10, "larger than the phrase list"),
        (doc_of(rule(points=math.nan)), 6, "finite"),
        (doc_of(rule(), rule(title="u")), 17, "duplicate rule id"),  # the second rule's id
    ],
    ids=["RE2 syntax", "at_least over its list", "not finite", "duplicate id"],
)
def test_what_a_schema_cannot_express_is_refused_by_the_loader_at_file_and_line(
    tmp_path: Path, doc: dict, line: int, words: str
) -> None:
    assert VALIDATOR.is_valid(doc)
    [problem] = refusal(write(tmp_path, doc))
    assert problem.line == line and words in problem.message, str(problem)


def test_a_duplicate_id_or_pack_across_files_is_refused_by_the_loader(tmp_path: Path) -> None:
    write(tmp_path, doc_of(rule(), pack={"name": "a"}), "a.yaml")
    write(tmp_path, doc_of(rule(title="u"), pack={"name": "b"}), "b.yaml")
    messages = [p.message for p in refusal(tmp_path)]
    assert any("duplicate rule id 't.forbid'" in m for m in messages)
    assert any("a second `pack:` section" in m for m in messages)


def test_a_missing_key_names_what_the_kind_needs(tmp_path: Path) -> None:
    [problem] = refusal(write(tmp_path, doc_of(rule(RESPOND, response=None))))
    assert "'response' is a required property" in problem.message
    assert "respond rule needs" in problem.hint and "trigger" in problem.hint


def test_an_unknown_key_hint_lists_the_keys_of_that_kind(tmp_path: Path) -> None:
    [problem] = refusal(write(tmp_path, doc_of(rule(RESPOND, respons={}))))
    assert problem.message == "unknown key 'respons'" and problem.hint == "did you mean 'response'?"


LOADER_ONLY = ("bad regex", "too large", "larger than the phrase list", "finite number", "duplicate")
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from(["", "你", "(", "agent", "forbid", "silence_gap", "similar", "last", 0.5, 1.5]),
    st.sampled_from([["你"], [], [""], {"any": ["你"]}, {"similar": ["你"]}, {"at_least": 1}, {"match": {}}]),
)
KEYS = st.sampled_from(
    ["match", "if", "trigger", "response", "metric", "min", "max", "gap", "where", "unless", "of", "at_least",
     "unlike", "threshold", "any", "regex", "role", "within", "kind", "anchor", "turns", "examples"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid rule of each kind with one to three keys set, replaced or removed anywhere inside."""
    r = copy.deepcopy(draw(st.sampled_from([rule(), rule(METRIC), rule(RESPOND), rule(ORDER)])))
    for _ in range(draw(st.integers(1, 3))):
        target = r
        for _ in range(draw(st.integers(0, 2))):
            inner = [v for v in target.values() if isinstance(v, dict)]
            if not inner:
                break
            target = draw(st.sampled_from(inner))
        key = draw(KEYS)
        value = draw(VALUES)
        if value is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)
    return doc_of(r)


@settings(max_examples=150, deadline=None)
@given(mutated())
def test_schema_and_loader_agree_on_mutated_documents(tmp_path_factory: pytest.TempPathFactory, doc) -> None:
    path = write(tmp_path_factory.mktemp("m"), doc)
    try:
        load_ruleset(path)
    except RuleLoadError as exc:
        loader_only = all(any(w in p.message for w in LOADER_ONLY) for p in exc.problems)
        assert not VALIDATOR.is_valid(doc) or loader_only, exc.problems
    else:
        assert VALIDATOR.is_valid(doc), [e.message for e in VALIDATOR.iter_errors(doc)]
