"""`yields_to`: a broad rule steps aside on a turn a narrower rule already found (one flag per turn)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa_audit.model import Conversation, Turn
from qa_audit.rules import load_ruleset
from qa_audit.rules.engine import Engine
from qa_audit.rules.loader import check_ruleset

ROOT = Path(__file__).resolve().parents[1]
YIELDS = (
    "    yields_to: [dont.harsh, dont.blame_shift, dont.blame_customer, dont.abuse, dont.deflect,"
    " dont.deflect_referral]\n"
)
FAMILY = {
    "dont.harsh",
    "dont.blame_shift",
    "dont.blame_customer",
    "dont.abuse",
    "dont.deflect",
    "dont.deflect_referral",
}

PACK = """\
rules:
  - id: x.narrow
    title: narrow
    severity: major
    points: 10
    message: narrow
    source: test
    kind: forbid
    match: {any: [不归我们管]}
    examples: {fire: [这个不归我们管], pass: [我帮您看看]}
  - id: x.broad
    title: broad
    severity: minor
    points: 3
    tier: review
    message: broad
    source: test
    yields_to: %s
    kind: forbid
    match: {any: [不归, 找别人]}
    examples: {fire: [您找别人吧], pass: [我帮您看看]}
"""


def engine_of(tmp_path: Path, yields: str = "[x.narrow]") -> Engine:
    """An engine of the two-rule pack above, x.broad yielding to `yields`."""
    (tmp_path / "p.yaml").write_text(PACK % yields, encoding="utf-8")
    return Engine(load_ruleset(tmp_path))


def chat(*agent: str) -> Conversation:
    """A chat of one customer turn and the given agent turns."""
    turns = [Turn(0, "customer", "我的快递丢了")] + [Turn(i + 1, "agent", t) for i, t in enumerate(agent)]
    return Conversation("c", tuple(turns), channel="chat")


def by_rule(audit) -> dict[str, list[int | None]]:
    out: dict[str, list[int | None]] = {}
    for f in audit.findings:
        out.setdefault(f.rule_id, []).append(f.turn_index)
    return out


def test_the_broad_rule_drops_its_finding_on_a_turn_the_narrow_one_found(tmp_path) -> None:
    audit = engine_of(tmp_path).audit(chat("这个不归我们管", "您找别人吧"))
    assert by_rule(audit) == {"x.narrow": [1], "x.broad": [2]}
    assert audit.checks == {"x.narrow": "fail", "x.broad": "review"}


def test_a_broad_rule_left_with_nothing_passes(tmp_path) -> None:
    audit = engine_of(tmp_path).audit(chat("这个不归我们管", "我帮您看看"))
    assert by_rule(audit) == {"x.narrow": [1]}
    assert audit.checks["x.broad"] == "pass"


def test_without_yields_to_both_rules_flag_the_same_turn(tmp_path) -> None:
    audit = engine_of(tmp_path, "[]").audit(chat("这个不归我们管"))
    assert by_rule(audit) == {"x.narrow": [1], "x.broad": [1]}


@pytest.mark.parametrize(
    ("yields", "says"),
    [
        ("[x.nowhere]", "no rule 'x.nowhere'"),
        ("[x.broad]", "cannot yield to itself"),
    ],
)
def test_the_loader_refuses_a_yield_to_no_rule_or_to_itself(tmp_path, yields, says) -> None:
    (tmp_path / "p.yaml").write_text(PACK % yields, encoding="utf-8")
    _, problems = check_ruleset(tmp_path)
    [p] = [p for p in problems if p.code == "QA303"]
    assert says in p.message and (p.line, p.col) == (18, 17)  # the very item


def test_the_loader_refuses_a_chain_of_yields(tmp_path) -> None:
    text = (PACK % "[x.narrow]").replace(
        "    kind: forbid\n    match: {any: [不归我们管]}",
        "    yields_to: [x.broad]\n    kind: forbid\n    match: {any: [不归我们管]}",
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    _, problems = check_ruleset(tmp_path)
    assert [p.code for p in problems if p.severity == "error"] == ["QA303", "QA303"]
    assert all("yields to other rules itself" in p.message for p in problems)


def family_turns_of_blind9(engine: Engine) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """(turns flagged by dont.improper_language, turns found by another rule of the family) on eval/blind9."""
    mine, others = set(), set()
    for channel in ("chat", "call"):
        path = ROOT / "eval" / "blind9" / channel / "conversations.jsonl"
        for raw in map(json.loads, path.open(encoding="utf-8")):
            turns = tuple(
                Turn(i, t["role"], t["text"], t.get("start"), t.get("end")) for i, t in enumerate(raw["turns"])
            )
            for f in engine.audit(Conversation(raw["conversation_id"], turns, channel=raw["channel"])).findings:
                key = (raw["conversation_id"], f.turn_index)
                (mine if f.rule_id == "dont.improper_language" else others if f.rule_id in FAMILY else set()).add(key)
    return mine, others


def test_the_shipped_learned_flag_never_doubles_a_family_finding(tmp_path) -> None:
    # on the written conversations of blind9, the model's flag and a rule of the family met on some turns;
    # with yields_to the model's flag is left only where no rule of the family said anything
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "dont.yaml").read_text(encoding="utf-8")
    assert YIELDS in text
    (rules / "dont.yaml").write_text(text.replace(YIELDS, ""), encoding="utf-8")
    mine, others = family_turns_of_blind9(Engine(load_ruleset(rules)))
    assert mine & others, "without yields_to the flag doubles some family findings"
    shipped, shipped_others = family_turns_of_blind9(Engine(load_ruleset(ROOT / "rules")))
    assert shipped == mine - others and shipped_others == others
