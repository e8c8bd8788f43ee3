"""What changed between two audits of one conversation, and between two rule packs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa_audit.model import ConversationResult, Finding
from qa_audit.rules.spec import RuleSet


@dataclass(frozen=True)
class FindingChange:
    """A finding one pack gives and the other does not (or gives with another tier or points)."""

    change: str  # added | removed | changed
    finding: Finding
    before: Finding | None = None  # for "changed": the old pack's finding with the same id

    def to_json(self, result: ConversationResult, score_before: float, score_after: float) -> dict[str, Any]:
        """Return the diff.jsonl line of this change."""
        f, c = self.finding, result.conversation
        line = {
            "change": self.change,
            "finding_id": f.finding_id,
            "conversation_id": c.conversation_id,
            "agent_id": c.agent_id,
            "rule_id": f.rule_id,
            "turn_index": f.turn_index,
            "span": list(f.span) if f.span else None,
            "match": f.match,
            "tier": f.tier,
            "points": f.points,
            "score_before": score_before,
            "score_after": score_after,
        }
        if self.before is not None:
            line["tier_before"] = self.before.tier
            line["points_before"] = self.before.points
        return line


@dataclass(frozen=True)
class ConversationDiff:
    """One conversation audited by both packs, and what differs."""

    old: ConversationResult
    new: ConversationResult
    changes: tuple[FindingChange, ...]
    check_flips: tuple[tuple[str, str, str], ...]  # (rule id, old check, new check)

    @property
    def score_changed(self) -> bool:
        """True when the two packs give this conversation different scores."""
        return self.old.score.score != self.new.score.score

    @property
    def passed_flip(self) -> str | None:
        """ "fail_to_pass" or "pass_to_fail" when the conversation's verdict flipped, else None."""
        before, after = self.old.score.passed, self.new.score.passed
        if before == after:
            return None
        return "fail_to_pass" if after else "pass_to_fail"

    @property
    def changed(self) -> bool:
        """True when anything differs: a finding, a check, the score or the verdict."""
        return bool(self.changes or self.check_flips or self.score_changed)


def _key(f: Finding) -> str:
    return f.finding_id


def diff_conversation(old: ConversationResult, new: ConversationResult) -> ConversationDiff:
    """Compare the audits of one conversation by two packs, finding by finding (by finding_id)."""
    before = {_key(f): f for f in old.audit.findings}
    after = {_key(f): f for f in new.audit.findings}
    changes: list[FindingChange] = []
    for fid, f in after.items():
        was = before.get(fid)
        if was is None:
            changes.append(FindingChange("added", f))
        elif (was.tier, was.points) != (f.tier, f.points):
            changes.append(FindingChange("changed", f, was))
    changes.extend(FindingChange("removed", f) for fid, f in before.items() if fid not in after)
    old_checks, new_checks = old.audit.checks, new.audit.checks
    flips = tuple(
        (rid, old_checks.get(rid, "absent"), new_checks.get(rid, "absent"))
        for rid in sorted(old_checks.keys() | new_checks.keys())
        if old_checks.get(rid, "absent") != new_checks.get(rid, "absent")
    )
    return ConversationDiff(old, new, tuple(changes), flips)


@dataclass(frozen=True)
class RulesChange:
    """Rules added, removed and changed between two packs (by each rule's version hash)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    policy_changed: bool

    def to_json(self) -> dict[str, Any]:
        """Return the `rules_changed` object of the --json summary."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "policy_changed": self.policy_changed,
        }


def compare_rules(old: RuleSet, new: RuleSet) -> RulesChange:
    """Name the rules a pack change adds, removes and changes (any edit to a rule changes its hash)."""
    a: Mapping[str, str] = {r.id: r.info.version for r in old.rules}
    b: Mapping[str, str] = {r.id: r.info.version for r in new.rules}
    return RulesChange(
        added=tuple(sorted(b.keys() - a.keys())),
        removed=tuple(sorted(a.keys() - b.keys())),
        changed=tuple(sorted(k for k in a.keys() & b.keys() if a[k] != b[k])),
        policy_changed=old.policy != new.policy,
    )
