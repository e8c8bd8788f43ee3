"""The tables of the results store (SQLAlchemy Core; the same schema on SQLite and PostgreSQL).

JSON payloads are kept as text so that both databases store them alike. Days are 'YYYY-MM-DD'
strings: they sort and compare as dates on every backend.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 2  # bump with a step in migrate.STEPS

metadata = MetaData()

schema_versions = Table(
    "qa_schema",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

# one row per rule-set version seen: the rules and policy a stored score was computed with
rulesets = Table(
    "qa_rulesets",
    metadata,
    Column("version", String(80), primary_key=True),
    Column("name", Text, nullable=False),
    Column("policy", Text, nullable=False),  # JSON: ScoringPolicy fields
    Column("rules", Text, nullable=False),  # JSON: list of RuleInfo fields
)

runs = Table(
    "qa_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Column("inputs", Text, nullable=False),  # JSON list
    Column("ruleset_name", Text),
    Column("ruleset_version", String(80)),
    Column("model", Text),
    Column("qa_audit_version", String(40)),
    Column("day_default", String(10), nullable=False),
    Column("read", Integer),
    Column("audited", Integer),
    Column("quarantined", Integer),
    Column("findings", Integer),
    Column("interrupted", Boolean),  # v2
)

conversations = Table(
    "qa_conversations",
    metadata,
    Column("conversation_id", Text, primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("day", String(10), nullable=False),
    Column("agent_id", Text),
    Column("agent_name", Text),
    Column("team", Text),
    Column("channel", Text),
    Column("started_at", Text),
    Column("source", Text),
    Column("line", Integer),
    Column("turns", Text, nullable=False),  # JSON: [[index, role, text, start, end, ts], ...]
    Column("checks", Text, nullable=False),  # JSON: rule id -> pass | fail | review | n/a
    Column("score", Float, nullable=False),
    Column("possible", Float, nullable=False),
    Column("deducted", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("vetoed", Boolean, nullable=False),
    Column("ruleset_version", String(80), nullable=False),
    Column("complaint_type", Text),
    Column("complaint_prob", Float),
    Column("complaint_uncertain", Boolean),
    Column("is_complaint", Boolean),
    Column("customer_type", Text),
    Column("explanation", Text),  # JSON list
    Index("ix_qa_conversations_day", "day"),
)

findings = Table(
    "qa_findings",
    metadata,
    Column("conversation_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),  # order in the engine's report
    Column("finding_id", String(40), nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("tier", String(10), nullable=False),
    Column("severity", Text),
    Column("points", Float, nullable=False),
    Column("turn_index", Integer),
    Column("role", Text),
    Column("span_start", Integer),
    Column("span_end", Integer),
    Column("match", Text),
    Column("message", Text),
    Column("evidence", Text),  # JSON object
    Index("ix_qa_findings_finding_id", "finding_id"),
)

# v2: reviewer verdicts, keyed by the stable finding id so that they survive a re-audit
reviews = Table(
    "qa_reviews",
    metadata,
    Column("finding_id", String(40), primary_key=True),
    Column("verdict", String(10), nullable=False),  # 属实 | 误判 | 存疑
    Column("reviewer", Text),
    Column("note", Text),
    Column("reviewed_at", String(40), nullable=False),
    Column("source", Text),  # the workbook it came from
)
