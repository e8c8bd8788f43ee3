"""Measure rules against hand-labelled conversations (`qa-audit rules eval --gold FILE`).

Gold lines: {"conversation_id", "split", "is_complaint", "labels": {rule_id: {"status", "turns"}}}.
Transcripts are joined by conversation id. The gold `is_complaint` is given to the engine, so a rule
is measured on its own, not through the complaint detector's errors.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qa_audit.model import Conversation
from qa_audit.readers import read_inputs
from qa_audit.rules.engine import Engine
from qa_audit.rules.spec import RuleSet


class GoldError(Exception):
    """The gold file or its transcripts cannot be used."""


@dataclass(frozen=True)
class RuleScore:
    """Conversation-level (and, for turn-level labels, turn-level) agreement for one rule."""

    rule_id: str
    labelled: int
    tp: int
    fp: int
    fn: int
    turn_tp: int
    turn_fp: int
    turn_fn: int
    false_positives: tuple[str, ...] = ()  # ids the rule failed that the labels pass
    false_negatives: tuple[str, ...] = ()  # ids the labels fail that the rule did not
    turn_false_positives: tuple[tuple[str, int], ...] = ()  # (conversation id, 0-based turn) for per-turn labels
    turn_false_negatives: tuple[tuple[str, int], ...] = ()
    tier: str = "deduct"  # the rule's tier: "review" rules fire as 待复核 flags only

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    @property
    def precision(self) -> float | None:
        """Of the conversations the rule failed, the share gold also fails."""
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """Of the conversations gold fails, the share the rule failed."""
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def turn_precision(self) -> float | None:
        """Precision over (conversation, turn) pairs, for rules labelled per turn."""
        return self._ratio(self.turn_tp, self.turn_tp + self.turn_fp)

    @property
    def turn_recall(self) -> float | None:
        """Recall over (conversation, turn) pairs."""
        return self._ratio(self.turn_tp, self.turn_tp + self.turn_fn)

    def to_json(self) -> dict:
        """Return the score as a JSON-ready dict."""
        return {
            "rule_id": self.rule_id,
            "tier": self.tier,
            "labelled": self.labelled,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "turn_precision": self.turn_precision,
            "turn_recall": self.turn_recall,
            "false_positives": list(self.false_positives),
            "false_negatives": list(self.false_negatives),
            "turn_false_positives": [{"conversation_id": c, "turn_index": t} for c, t in self.turn_false_positives],
            "turn_false_negatives": [{"conversation_id": c, "turn_index": t} for c, t in self.turn_false_negatives],
        }


def read_labelled(path: Path, split: str, required: tuple[str, ...], what: str) -> list[dict]:
    """Read a labelled JSONL file, keeping lines of `split` ('all' keeps every line).

    Each line must be an object with the `required` keys; a bad line is a GoldError naming file:line.
    """
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GoldError(f"cannot read {what} file {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [k for k in required if k not in row]
        except (json.JSONDecodeError, TypeError) as exc:
            raise GoldError(f"{path}:{n}: not a {what} line ({exc})") from exc
        if missing:
            raise GoldError(f"{path}:{n}: not a {what} line (missing {', '.join(missing)})")
        if split == "all" or row.get("split") == split:
            rows.append(row)
    return rows


def load_gold(path: Path, split: str) -> list[dict]:
    """Read the gold conversations of `split` ('all' keeps every line)."""
    return read_labelled(path, split, ("conversation_id", "labels"), "gold")


def evaluate_gold(
    ruleset: RuleSet, gold: list[dict], transcripts: Iterable[str | Path], *, deductions_only: bool = False
) -> list[RuleScore]:
    """Run the rules on the gold conversations and compare with the labels, rule by rule.

    A rule fires on a conversation when it has a finding there, a deduction or a 待复核 flag (what the
    rule detects, whatever its tier); with `deductions_only`, flags do not count (what costs points)."""
    fired_checks = ("fail",) if deductions_only else ("fail", "review")
    wanted = {row["conversation_id"]: row for row in gold}
    convs: dict[str, Conversation] = {}
    for item in read_inputs(list(transcripts)):
        if isinstance(item, Conversation) and item.conversation_id in wanted:
            convs[item.conversation_id] = item
    missing = sorted(set(wanted) - set(convs))
    if missing:
        raise GoldError(f"{len(missing)} gold conversation(s) not found in the transcripts, e.g. {missing[:3]}")
    engine = Engine(ruleset)
    ids = [r.id for r in ruleset.rules]
    c: dict[str, Counter[str]] = {rid: Counter() for rid in ids}
    wrong: dict[str, dict[str, list]] = {rid: {"fp": [], "fn": [], "tfp": [], "tfn": []} for rid in ids}
    for cid, row in wanted.items():
        audit = engine.audit(convs[cid], is_complaint=bool(row.get("is_complaint")))
        predicted_turns: dict[str, set[int | None]] = {}
        for f in audit.findings:
            if f.deducts or not deductions_only:
                predicted_turns.setdefault(f.rule_id, set()).add(f.turn_index)
        for rid, label in row["labels"].items():
            if rid not in c:
                continue
            gold_fail = label.get("status") == "fail"
            pred_fail = audit.checks.get(rid) in fired_checks
            # n: the conversations where the gold set says pass or fail (n/a labels are not a judgement)
            c[rid]["labelled"] += label.get("status") in ("pass", "fail")
            c[rid]["tp"] += gold_fail and pred_fail
            c[rid]["fp"] += pred_fail and not gold_fail
            c[rid]["fn"] += gold_fail and not pred_fail
            if pred_fail != gold_fail:
                wrong[rid]["fp" if pred_fail else "fn"].append(cid)
            gold_turns = set(label.get("turns") or [])
            if gold_turns or (pred_fail and ruleset.get(rid).per_turn):
                pred = predicted_turns.get(rid, set())
                c[rid]["turn_tp"] += len(gold_turns & pred)
                c[rid]["turn_fp"] += len(pred - gold_turns)
                c[rid]["turn_fn"] += len(gold_turns - pred)
                wrong[rid]["tfp"] += [(cid, t) for t in sorted(pred - gold_turns, key=lambda t: (t is None, t))]
                wrong[rid]["tfn"] += [(cid, t) for t in sorted(gold_turns - pred)]
    labelled = {rid for row in gold for rid in row["labels"]}
    return [
        RuleScore(
            rid,
            c[rid]["labelled"],
            c[rid]["tp"],
            c[rid]["fp"],
            c[rid]["fn"],
            c[rid]["turn_tp"],
            c[rid]["turn_fp"],
            c[rid]["turn_fn"],
            tuple(wrong[rid]["fp"]),
            tuple(wrong[rid]["fn"]),
            tuple(wrong[rid]["tfp"]),
            tuple(wrong[rid]["tfn"]),
            ruleset.get(rid).info.tier,
        )
        for rid in ids
        if rid in labelled
    ]


def unlabelled_rules(ruleset: RuleSet, gold: list[dict]) -> list[str]:
    """Return the ids of the rules in force that no gold line labels (they cannot be measured here)."""
    labelled = {rid for row in gold for rid in row["labels"]}
    return [r.id for r in ruleset.rules if r.id not in labelled]
