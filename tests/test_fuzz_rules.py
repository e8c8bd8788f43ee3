"""The rule loader under hostile rule files: a bad file is a RuleLoadError with file:line, never a crash.

A rule file that loads must also compile into an engine that audits a conversation and runs its own
examples (`qa-audit rules test`) without an unexpected exception.
"""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_audit.model import Conversation, Turn
from qa_audit.rules import Engine, RuleLoadError, load_ruleset
from qa_audit.rules.examples import run_examples

N = settings.default.max_examples

VALID_RULES: list[dict[str, Any]] = [
    {
        "id": "t.forbid",
        "title": "t",
        "kind": "forbid",
        "severity": "major",
        "points": 5,
        "cap": 10,
        "message": "m",
        "source": "s",
        "where": {"role": "agent", "first": 3},
        "match": {
            "or": [{"any": ["不归我们管", "你找谁去"], "unless": ["帮您"], "within": 4}, {"regex": "不是我(们)?的"}]
        },
        "examples": {"fire": ["这不归我们管"], "pass": ["我帮您查"]},
    },
    {
        "id": "t.require",
        "title": "t",
        "kind": "require",
        "severity": "minor",
        "points": 2,
        "message": "m",
        "source": "s",
        "where": {"last": 2},
        "match": {"any": ["再见", "祝您"]},
        "anchor": "last",
        "examples": {"fire": [["客服：好的"]], "pass": [["客服：再见"]]},
    },
    {
        "id": "t.respond",
        "title": "t",
        "kind": "respond",
        "severity": "minor",
        "points": 2,
        "message": "m",
        "source": "s",
        "trigger": {"match": {"any": ["投诉"]}, "role": "customer"},
        "response": {"match": {"similar": ["非常抱歉给您添麻烦了"], "threshold": 0.5}, "within": 1},
        "examples": {
            "fire": [["客户：我要投诉", "客服：嗯"]],
            "pass": [["客户：我要投诉", "客服：非常抱歉给您添麻烦了"]],
        },
    },
    {
        "id": "t.metric",
        "title": "t",
        "kind": "metric",
        "severity": "info",
        "points": 1,
        "message": "m",
        "source": "s",
        "metric": "talk_share",
        "max": 0.9,
        "examples": {
            "fire": [
                {"turns": [{"role": "agent", "text": "好的好的好的好的好的"}, {"role": "customer", "text": "嗯"}]}
            ],
            "pass": [{"turns": [{"role": "agent", "text": "好"}, {"role": "customer", "text": "嗯嗯嗯嗯"}]}],
        },
    },
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "(", "a{1001}", r"\pL{200}", "(?=x)", "\\", "*", "你", "$"]),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20,
)


def paths(value: Any, where: tuple = ()) -> list[tuple]:
    """Every path to a value inside `value`."""
    out = [where]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*where, i))
    return out


def put(doc: Any, where: tuple, value: Any) -> Any:
    if not where:
        return value
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    return doc


@st.composite
def mutated_files(draw: st.DrawFn) -> dict[str, Any]:
    """The valid rule files above with a few values replaced, deleted or added at random."""
    doc = {"rules": copy.deepcopy(draw(st.lists(st.sampled_from(VALID_RULES), min_size=1, max_size=4)))}
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(doc)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        target = doc
        for key in where:
            target = target[key]
        if action == "delete" and where:
            parent = doc
            for key in where[:-1]:
                parent = parent[key]
            del parent[where[-1]]
        elif action == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=8))] = draw(VALUES)
        else:
            doc = put(doc, where, draw(VALUES))
    return doc


def load_text(text: str) -> None:
    """Load a rule file holding `text`; if it loads, use it as the CLI would."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            rs = load_ruleset(path)
        except RuleLoadError as exc:
            assert exc.problems
            for p in exc.problems:
                assert p.file == str(path) and p.line >= 0 and p.message
            return
    engine = Engine(rs)
    conv = Conversation("c", (Turn(0, "customer", "我要投诉，不归我们管"), Turn(1, "agent", "这不归我们管，再见")))
    engine.audit(conv, is_complaint=True)
    run_examples(rs)


@settings(max_examples=N)
@given(mutated_files())
def test_a_mutated_rule_file_loads_or_is_refused_with_file_and_line(doc):
    load_text(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=N)
@given(VALUES)
def test_any_yaml_document_loads_or_is_refused(doc):
    load_text(yaml.safe_dump(doc, allow_unicode=True))


YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "rules:",
                "\n",
                "  - ",
                "id: ",
                "&a ",
                "*a ",
                "!!python/object:os.system",
                "{",
                "}",
                "[",
                "]",
                ": ",
                "'",
                '"',
                "\t",
                "? ",
                "<<: ",
                "|",
                ">",
                "#",
                "kind: forbid",
                "match:",
                "any: [",
                "regex: ",
                "---\n",
                "...\n",
            ]
        ),
        st.text(max_size=5),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=N)
@given(YAMLISH)
def test_any_text_loads_or_is_refused(text):
    load_text(text)


def test_valid_seed_rules_load_and_pass_their_examples():
    # the seeds above must be valid, or the mutation tests would only ever see refusals
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(yaml.safe_dump({"rules": VALID_RULES}, allow_unicode=True), encoding="utf-8")
        rs = load_ruleset(path)
    assert [r.id for r in rs.rules] == [r["id"] for r in VALID_RULES]
    assert all(r.ok for r in run_examples(rs)), [r for r in run_examples(rs) if not r.ok]


def test_an_unquoted_yaml_time_in_an_example_is_a_load_error_not_a_crash_in_rules_test(tmp_path):
    rule = copy.deepcopy(VALID_RULES[3])
    rule["examples"]["pass"][0]["turns"][0]["ts"] = dt.datetime(2026, 11, 21, 9, 12)  # YAML: ts: 2026-11-21 09:12
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True), encoding="utf-8")
    try:
        load_ruleset(tmp_path)
    except RuleLoadError as exc:
        [problem] = exc.problems
        assert problem.line == 13 and "2026-11-21 09:12" in problem.message and "quotes" in problem.message
    else:
        raise AssertionError("an example turn with a YAML timestamp loaded")
