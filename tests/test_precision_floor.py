"""Issue 12's floor as a test: every rule of the default pack that costs points is measured sure.

The blind sets (eval/blind*/chat, eval/blind*/call) were written by people who never saw the rules. A rule
of tier `deduct` must, on every channel where it deducts (not in its `review_channels`), have at least
5 deductions there of which at least 90 % the gold labels uphold. Making a rule deduct without that
measurement, or a change that makes a deducting rule wrong more often, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_audit.rules import load_ruleset
from qa_audit.rules.gold import evaluate_gold, load_gold
from test_rules_precision import pack_with_review_channels

ROOT = Path(__file__).resolve().parents[1]
RULESET = load_ruleset(ROOT / "rules")
DEDUCTING = [r for r in RULESET.rules if r.info.tier == "deduct" and not r.info.bonus]
MIN_DEDUCTIONS, FLOOR = 5, 0.9


def channel_scores(channel: str) -> dict[str, tuple[int, int]]:
    """Per rule (upheld, deducted) on every blind set's conversations of `channel`."""
    totals: dict[str, tuple[int, int]] = {}
    for folder in sorted(ROOT.glob(f"eval/blind*/{channel}")):
        gold = load_gold(folder / "gold.jsonl", "test")
        for s in evaluate_gold(RULESET, gold, [folder / "conversations.jsonl"], deductions_only=True):
            upheld, deducted = totals.get(s.rule_id, (0, 0))
            totals[s.rule_id] = (upheld + s.tp, deducted + s.tp + s.fp)
    return totals


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, tuple[int, int]]]:
    return {channel: channel_scores(channel) for channel in ("chat", "call")}


def test_the_pack_deducts_at_all() -> None:
    assert {"must.greeting", "must.nin"} <= {r.id for r in DEDUCTING}


# where a rule deducts: every channel but its review_channels (only 待复核 flags there)
WHERE = [(r, ch) for r in DEDUCTING for ch in ("chat", "call") if ch not in r.info.review_channels]


@pytest.mark.parametrize(("rule", "channel"), WHERE, ids=[f"{r.id}-{ch}" for r, ch in WHERE])
def test_every_deduction_is_measured_sure_on_blind_conversations(scores, rule, channel) -> None:
    upheld, deducted = scores[channel].get(rule.id, (0, 0))
    assert deducted >= MIN_DEDUCTIONS, f"{rule.id} deducts on {channel} but was measured on {deducted} deductions"
    assert upheld / deducted >= FLOOR, f"{rule.id} on {channel}: {upheld} of {deducted} upheld"


def test_a_channel_a_rule_only_flags_on_costs_nothing_there(tmp_path) -> None:
    # a copy of the pack where dont.blame_shift deducts except on chats (as it did before blind8)
    ruleset = load_ruleset(pack_with_review_channels(tmp_path, "[chat]"))
    blame_shift = ruleset.get("dont.blame_shift")
    assert blame_shift.info.tier == "deduct" and "chat" in blame_shift.info.review_channels
    folder = ROOT / "eval/blind3/chat"
    gold, chats = load_gold(folder / "gold.jsonl", "test"), [folder / "conversations.jsonl"]
    found = {s.rule_id: s for s in evaluate_gold(ruleset, gold, chats)}["dont.blame_shift"]
    deducted = {s.rule_id: s for s in evaluate_gold(ruleset, gold, chats, deductions_only=True)}["dont.blame_shift"]
    assert found.tp + found.fp > 0 and deducted.tp + deducted.fp == 0
