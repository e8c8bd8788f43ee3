"""Read stored conversations back as the pipeline's own ConversationResult objects."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from qa_audit.model import (
    Audit,
    ComplaintTag,
    Conversation,
    ConversationResult,
    Finding,
    RuleInfo,
    Score,
    ScoringPolicy,
    Turn,
)
from qa_audit.store import schema

CHUNK = 1000  # conversations per findings query


@dataclass(frozen=True)
class Scope:
    """Which stored conversations a report, sample or precision covers (days inclusive, YYYY-MM-DD)."""

    day_from: str | None = None
    day_to: str | None = None
    team: str | None = None
    agent: str | None = None

    def clauses(self) -> list[Any]:
        """Return the WHERE clauses on qa_conversations."""
        c = schema.conversations.c
        out = []
        if self.day_from:
            out.append(c.day >= self.day_from)
        if self.day_to:
            out.append(c.day <= self.day_to)
        if self.team is not None:
            out.append(c.team == self.team)
        if self.agent is not None:
            out.append(c.agent_id == self.agent)
        return out


@dataclass(frozen=True)
class StoredRuleset:
    """The rules and scoring policy a stored score was computed with."""

    version: str
    name: str
    infos: Mapping[str, RuleInfo]
    policy: ScoringPolicy


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    """Build a dataclass from stored fields, ignoring fields this version does not know."""
    names = {f.name for f in dataclasses.fields(cls)}
    kept = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return cls(**kept)


def load_rulesets(conn: Connection) -> dict[str, StoredRuleset]:
    """Return every stored rule set by version."""
    out = {}
    for row in conn.execute(select(schema.rulesets)).mappings():
        infos = [_build(RuleInfo, r) for r in json.loads(row["rules"])]
        out[row["version"]] = StoredRuleset(
            row["version"], row["name"], {i.id: i for i in infos}, _build(ScoringPolicy, json.loads(row["policy"]))
        )
    return out


def latest_version(conn: Connection, scope: Scope) -> str | None:
    """Return the rule-set version of the latest conversation in `scope` (the rules in force then)."""
    c = schema.conversations.c
    query = select(c.ruleset_version).where(*scope.clauses()).order_by(c.day.desc(), c.conversation_id.desc())
    return conn.execute(query.limit(1)).scalar()


def _finding(row: RowMapping) -> Finding:
    span = (row["span_start"], row["span_end"]) if row["span_start"] is not None else None
    return Finding(
        rule_id=row["rule_id"],
        severity=row["severity"] or "",
        points=row["points"],
        turn_index=row["turn_index"],
        role=row["role"],
        span=span,
        match=row["match"] or "",
        message=row["message"] or "",
        evidence=json.loads(row["evidence"]) if row["evidence"] else {},
        tier=row["tier"],
        finding_id=row["finding_id"],
    )


def _result(row: RowMapping, findings: list[Finding]) -> ConversationResult:
    turns = tuple(
        Turn(index=i, role=role, text=text, start=start, end=end, ts=ts)
        for i, role, text, start, end, ts in json.loads(row["turns"])
    )
    conv = Conversation(
        conversation_id=row["conversation_id"],
        turns=turns,
        channel=row["channel"],
        agent_id=row["agent_id"],
        agent_name=row["agent_name"],
        team=row["team"],
        started_at=row["started_at"],
        source=row["source"] or "",
        line=row["line"],
    )
    tag = ComplaintTag(
        complaint_type=row["complaint_type"] or "",
        complaint_prob=row["complaint_prob"] or 0.0,
        uncertain=bool(row["complaint_uncertain"]),
        is_complaint=bool(row["is_complaint"]),
        customer_type=row["customer_type"] or "",
        explanation=tuple(json.loads(row["explanation"] or "[]")),
    )
    score = Score(row["score"], row["possible"], row["deducted"], bool(row["passed"]), bool(row["vetoed"]))
    audit = Audit(tuple(findings), json.loads(row["checks"]))
    return ConversationResult(conv, audit, score, tag, row["ruleset_version"])


def iter_results(conn: Connection, scope: Scope) -> Iterator[tuple[str, ConversationResult]]:
    """Yield (day, result as stored) for every conversation in `scope`, by day then id; memory stays flat."""
    c, f = schema.conversations.c, schema.findings.c
    ordered = select(schema.conversations).where(*scope.clauses()).order_by(c.day, c.conversation_id)
    rows = conn.execute(ordered, execution_options={"stream_results": True, "max_row_buffer": CHUNK}).mappings()
    for chunk in rows.partitions(CHUNK):
        ids = [r["conversation_id"] for r in chunk]
        found: dict[str, list[Finding]] = {}
        query = select(schema.findings).where(f.conversation_id.in_(ids)).order_by(f.conversation_id, f.seq)
        for fr in conn.execute(query).mappings():
            found.setdefault(fr["conversation_id"], []).append(_finding(fr))
        for r in chunk:
            yield r["day"], _result(r, found.get(r["conversation_id"], []))
