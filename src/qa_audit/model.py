"""The records that flow through the pipeline: read -> normalise -> check -> classify -> score -> write.

Every stage takes these frozen dataclasses and returns new ones; nothing is mutated downstream.
Field names follow the input and output contracts in design.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote
from typing import Any

from qa_audit.evidence import evidence_json

ROLES = ("agent", "customer", "system")
CHECK_VALUES = ("pass", "fail", "review", "n/a")  # review: only 待复核 flags, nothing deducted
TIERS = ("deduct", "review")


@dataclass(frozen=True)
class Turn:
    """One utterance as read from the input; `text` is exactly what the user sees."""

    index: int
    role: str
    text: str
    start: float | None = None  # seconds from the start of the conversation (calls, ASR)
    end: float | None = None
    ts: str | None = None  # ISO-8601 time (chats)
    # Semgrep-style annotations used by the sample set as a black-box test of the rules
    expect: tuple[str, ...] = ()
    ok: tuple[str, ...] = ()
    speaker: str | None = None  # ASR speaker or channel id, as the vendor numbered it
    # per-turn values from the ASR vendor (speech_rate in characters/second, emotion, silence seconds)
    extras: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Roles:
    """How far the agent/customer labels of a conversation can be trusted (results.jsonl `roles`)."""

    source: str = "given"  # given (in the input) | mapped (--speaker-map) | inferred (from content)
    confidence: float = 1.0
    swapped_suspected: bool = False
    usable: bool = True  # False: role-dependent rules are n/a and the conversation is listed for review
    evidence: str = ""  # why, in a few words (for reviewers)

    def to_json(self) -> dict[str, Any]:
        """Return the results.jsonl `roles` object."""
        return {
            "source": self.source,
            "confidence": round(self.confidence, 3),
            "swapped_suspected": self.swapped_suspected,
            "usable": self.usable,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Conversation:
    """One conversation in canonical form, with where it came from."""

    conversation_id: str
    turns: tuple[Turn, ...]
    channel: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    started_at: str | None = None
    source: str = ""
    line: int | None = None  # 1-based line (JSONL/TXT) or first row (CSV/XLSX) in `source`
    # conversation-level annotations (rules with no single turn, e.g. a missing greeting)
    expect: tuple[str, ...] = ()
    ok: tuple[str, ...] = ()
    roles: Roles | None = None  # None until roles_infer.check_roles has looked at the conversation

    @property
    def has_timing(self) -> bool:
        """True when every agent/customer turn carries start/end seconds or an ISO timestamp."""
        spoken = [t for t in self.turns if t.role != "system"]
        return bool(spoken) and all(t.start is not None or t.ts is not None for t in spoken)


@dataclass(frozen=True)
class Rejected:
    """A record that could not be read; it goes to quarantine.jsonl, never silently dropped."""

    source: str
    line: int | None
    reason: str
    record_id: str | None = None
    raw: str = ""  # the offending text, truncated

    def to_json(self) -> dict[str, Any]:
        """Return the quarantine.jsonl row."""
        return {
            "source": self.source,
            "line": self.line,
            "conversation_id": self.record_id,
            "reason": self.reason,
            "raw": self.raw[:2000],
        }


@dataclass(frozen=True)
class Finding:
    """One failed check, explained (Output contract in design.md)."""

    rule_id: str
    severity: str
    points: float
    turn_index: int | None
    role: str | None
    span: tuple[int, int] | None  # [start, end) in characters of the ORIGINAL turn text
    match: str
    message: str
    # a RuleEvidence from the engine (qa_audit.evidence), or its plain JSON read back from the store
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    tier: str = "deduct"  # deduct: costs points; review: 待复核, costs nothing until a reviewer upholds it
    finding_id: str = ""  # stable across runs: see finding_id()

    @property
    def deducts(self) -> bool:
        """True when this finding costs points (tier "deduct")."""
        return self.tier == "deduct"

    def to_json(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready dict."""
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "tier": self.tier,
            "severity": self.severity,
            "points": self.points,
            "turn_index": self.turn_index,
            "role": self.role,
            "span": list(self.span) if self.span else None,
            "match": self.match,
            "message": self.message,
            "evidence": evidence_json(self.evidence),
        }


def finding_id(conversation_id: str, rule_id: str, turn_index: int | None, span: tuple[int, int] | None) -> str:
    """Return the stable id of a finding: the same on every run for the same conversation, rule, turn and span."""
    # the text json.dumps([conversation_id, rule_id, turn_index, list(span) or None], ensure_ascii=False)
    # gives, built without the encoder's per-call set-up (tests/test_rules_engine.py checks the two agree)
    where = "null" if turn_index is None else str(int(turn_index))
    at = f"[{int(span[0])}, {int(span[1])}]" if span else "null"
    key = f"[{_quote(conversation_id)}, {_quote(rule_id)}, {where}, {at}]"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class RuleInfo:
    """What scoring and reporting need to know about one rule (taken from its rule file)."""

    id: str
    title: str
    severity: str  # critical | major | minor | info
    points: float  # deducted per finding (or awarded, for bonus rules)
    cap: float | None = None  # most points this rule can cost in one conversation
    veto: bool = False  # 一票否决: a failure fails the whole conversation
    bonus: bool = False
    message: str = ""
    source: str = ""
    category: str = ""
    version: str = ""  # content hash of the rule's definition
    tier: str = "deduct"  # the tier of every finding of this rule ...
    review_operators: tuple[str, ...] = ()  # ... except hits of these operators, which only flag for review
    review_channels: tuple[str, ...] = ()  # ... and every finding on these channels, which only flags


@dataclass(frozen=True)
class ScoringPolicy:
    """Pack-level scoring settings."""

    base: float = 100.0
    pass_threshold: float = 80.0
    method: str = "deduction"  # deduction (扣分制: base minus deductions) | rescaled (by the points possible)


@dataclass(frozen=True)
class ComplaintTag:
    """Complaint type, complaint detection and customer type of one conversation."""

    complaint_type: str
    complaint_prob: float
    uncertain: bool
    is_complaint: bool
    customer_type: str
    explanation: tuple[str, ...] = ()  # top contributing features
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Audit:
    """What the rule engine says about one conversation."""

    findings: tuple[Finding, ...]
    checks: Mapping[str, str] = field(hash=False, compare=False)  # rule id -> pass | fail | n/a
    na_reasons: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)  # rule id -> why n/a
    empty_turns: int = 0  # turns with no text: skipped by every rule


@dataclass(frozen=True)
class Score:
    """The score of one conversation under a scoring policy."""

    score: float
    possible: float
    deducted: float
    passed: bool
    vetoed: bool


@dataclass(frozen=True)
class RuleLoss:
    """What one rule did to one conversation's score."""

    rule_id: str
    status: str  # pass | fail | review | n/a
    findings: int  # deducting findings
    raw: float  # points of its findings before the cap
    points: float  # after the cap: deducted (or awarded, for bonus rules)
    capped: bool
    bonus: bool
    veto: bool
    flags: int = 0  # 待复核 findings, which cost nothing


@dataclass(frozen=True)
class ConversationResult:
    """Everything the pipeline learned about one conversation; one line of results.jsonl."""

    conversation: Conversation
    audit: Audit
    score: Score
    tag: ComplaintTag
    ruleset_version: str
    # per rule id, kept from scoring so the reports need not work them out again
    losses: Mapping[str, RuleLoss] | None = field(default=None, compare=False, repr=False)

    def to_json(self, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Return the results.jsonl row (Output contract in design.md).

        `findings`: the findings' `to_json()`, when the caller has them already.
        """
        c, t = self.conversation, self.tag
        return {
            "conversation_id": c.conversation_id,
            "agent_id": c.agent_id,
            "agent_name": c.agent_name,
            "team": c.team,
            "channel": c.channel,
            "started_at": c.started_at,
            "source": c.source,
            "line": c.line,
            "turns": len(c.turns),
            "score": self.score.score,
            "possible": self.score.possible,
            "deducted": self.score.deducted,
            "passed": self.score.passed,
            "vetoed": self.score.vetoed,
            "complaint_type": t.complaint_type,
            "complaint_prob": round(t.complaint_prob, 4),
            "complaint_uncertain": t.uncertain,
            "complaint_explanation": list(t.explanation),
            "is_complaint": t.is_complaint,
            "customer_type": t.customer_type,
            "ruleset_version": self.ruleset_version,
            "roles": (c.roles or Roles()).to_json(),
            "checks": dict(self.audit.checks),
            "na_reasons": dict(self.audit.na_reasons),
            "empty_turns": self.audit.empty_turns,
            "findings": [f.to_json() for f in self.audit.findings] if findings is None else findings,
        }
