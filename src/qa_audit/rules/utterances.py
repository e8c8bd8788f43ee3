"""Measure rules on labelled single utterances (eval/utterances.jsonl): each line is one turn.

Lines: {"id", "split", "role", "text", "labels": {rule_id: true|false}}. Each utterance is audited as a
one-turn conversation of its role; a rule "fires" when it has a finding on that turn.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from qa_audit.model import Conversation, Turn
from qa_audit.rules.engine import Engine
from qa_audit.rules.gold import RuleScore, read_labelled
from qa_audit.rules.spec import RuleSet


def load_utterances(path: Path, split: str) -> list[dict]:
    """Read the labelled utterances of `split` ('all' keeps every line)."""
    return read_labelled(path, split, ("text", "role", "labels"), "utterance")


def evaluate_utterances(
    ruleset: RuleSet, rows: list[dict], *, deductions_only: bool = False
) -> tuple[list[RuleScore], list[dict]]:
    """Return per-rule scores and the disagreements (for reading, not for tuning on the test split).

    A rule fires on an utterance when it has a finding there (a 待复核 flag counts unless
    `deductions_only`)."""
    engine = Engine(ruleset)
    known = {r.id for r in ruleset.rules}
    c: dict[str, Counter[str]] = {}
    misses: list[dict] = []
    wrong: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        conv = Conversation(str(row.get("id", "")), (Turn(0, row["role"], row["text"]),))
        fired = {f.rule_id for f in engine.audit(conv, is_complaint=True).findings if f.deducts or not deductions_only}
        for rid, truth in row["labels"].items():
            if rid not in known:
                continue
            k = c.setdefault(rid, Counter())
            pred = rid in fired
            k["labelled"] += 1
            k["tp"] += truth and pred
            k["fp"] += pred and not truth
            k["fn"] += truth and not pred
            if pred != bool(truth):
                wrong.setdefault((rid, "fp" if pred else "fn"), []).append(str(row.get("id", "")))
                misses.append({"id": row.get("id"), "rule_id": rid, "expected": bool(truth), "text": row["text"]})
    scores = [
        RuleScore(
            rid,
            k["labelled"],
            k["tp"],
            k["fp"],
            k["fn"],
            0,
            0,
            0,
            tuple(wrong.get((rid, "fp"), ())),
            tuple(wrong.get((rid, "fn"), ())),
            tier=ruleset.get(rid).info.tier,
        )
        for rid, k in sorted(c.items())
    ]
    return scores, misses
