"""The default rule pack: fixed ids, metadata, and every rule's own examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.rules import load_ruleset
from qa_audit.rules.examples import run_examples

RULES = Path(__file__).resolve().parents[1] / "rules"
FIXED = (
    "must.greeting must.nin must.please_first must.goodbye must.anything_else must.confirmation dont.harsh "
    "dont.blame_shift dont.blame_customer dont.absolute_promise complaint.apology complaint.deadline"
).split()
PACK = load_ruleset(RULES)


def test_pack_defines_the_fixed_rule_ids() -> None:
    ids = {r.id for r in PACK.rules}
    assert set(FIXED) <= ids


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.id)
def test_every_rule_has_metadata_and_examples_both_ways(rule) -> None:
    assert rule.info.source and rule.info.message and rule.info.severity
    assert rule.examples_fire, f"{rule.id} has no example that must fire"
    assert rule.examples_pass, f"{rule.id} has no example that must not fire"


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.id)
def test_rule_examples_hold(rule) -> None:
    failed = [r for r in run_examples(PACK, rule.id) if not r.ok]
    assert not failed, "\n".join(f"{r.expected}[{r.index}]: {r.detail}" for r in failed)


def test_rules_test_command_reports_counts_and_fails_on_a_wrong_example(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["rules", "test"])
    assert ok.exit_code == 0, ok.output
    assert "0 failed" in ok.output
    text = (RULES / "dont.yaml").read_text(encoding="utf-8").replace('- "爱买不买"', '- "您好，请问有什么可以帮您"', 1)
    (tmp_path / "dont.yaml").write_text(text, encoding="utf-8")
    bad = CliRunner().invoke(main, ["rules", "test", str(tmp_path)])
    assert bad.exit_code == 1
    assert "FAIL dont.harsh fire[1]" in bad.output


@pytest.mark.parametrize(
    "utterance",
    ["你们就会推卸责任", "不是您的问题，是我们的失误", "请等一下，我有些不清楚"],
)
def test_seed_traps_do_not_fire_banned_rules(utterance: str) -> None:
    from qa_audit.model import Conversation, Turn
    from qa_audit.rules import Engine

    engine = Engine(PACK)
    for role in ("agent", "customer"):
        conv = Conversation("trap", (Turn(0, role, utterance),))
        audit = engine.audit(conv, is_complaint=True)
        banned = [f for f in audit.findings if f.rule_id.startswith("dont.")]
        assert not banned, (role, banned)


def test_rules_list_and_explain_come_from_the_rule_file() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["rules", "list", "--json"])
    assert listed.exit_code == 0
    assert len(listed.output.strip().splitlines()) == len(PACK.rules)
    explained = runner.invoke(main, ["rules", "explain", "dont.blame_shift"])
    assert explained.exit_code == 0
    assert "不是我受理的" in explained.output and "dont.yaml" in explained.output
    unknown = runner.invoke(main, ["rules", "explain", "no.such"])
    assert unknown.exit_code == 2


def test_rules_eval_measures_labelled_utterances(tmp_path: Path) -> None:
    utt = tmp_path / "u.jsonl"
    rows = [
        {"id": "a", "split": "test", "role": "agent", "text": "这个不归我们管", "labels": {"dont.blame_shift": True}},
        {"id": "b", "split": "test", "role": "agent", "text": "请您稍等", "labels": {"dont.blame_shift": True}},
        {
            "id": "c",
            "split": "test",
            "role": "customer",
            "text": "你们就会推卸责任",
            "labels": {"dont.blame_shift": False},
        },
        {"id": "d", "split": "tune", "role": "agent", "text": "不归我们管", "labels": {"dont.blame_shift": True}},
    ]
    utt.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "eval", "--utterances", str(utt), "--split", "test", "--json"])
    assert result.exit_code == 0, result.output
    [score] = [json.loads(x) for x in result.output.splitlines() if "dont.blame_shift" in x]
    assert (score["tp"], score["fp"], score["fn"], score["labelled"]) == (1, 0, 1, 3)
    both = CliRunner().invoke(main, ["rules", "eval", "--utterances", str(utt), "--gold", str(utt)])
    assert both.exit_code == 2
