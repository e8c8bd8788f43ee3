"""The workbook's own column order and headers (the CSV/Parquet columns are tables.py's).

The findings sheet starts with the columns a supervisor reads and prints (up to PRINT_FINDINGS);
the rest (ids, codes, review columns) follow and are left off the printout.
"""

from __future__ import annotations

from qa_audit.report.tables import REVIEW_COLUMNS, Column

QUOTE_HEADER = "原文（命中处【】标出；缺失写明应有内容）"
FINDING_SHEET_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "会话ID", "conversation id (link to its row in 会话)", 18),
    Column("agent_id", "坐席工号", "agent id", 9),
    Column("agent_name", "坐席姓名", "agent name", 8),
    Column("turn_no", "轮次", "turn number from 1 (link to the turn in 会话原文)", 5),
    Column("role", "角色", "role", 5),
    Column("rule_title", "规则名称", "rule title", 14),
    Column("tier", "处理", "tier: 扣分 deduct / 待复核 review (costs nothing until a reviewer upholds it)", 7),
    Column("severity", "严重度", "severity", 6),
    Column("counted", "计入扣分", "points counted after the rule's cap", 6),
    Column("quote", QUOTE_HEADER, "the turn with the matched words in 【】, or what was missing and where", 44),
    Column("evidence_text", "证据", "evidence in words (the JSON is in findings.jsonl)", 36),
    Column("time", "时间", "turn time in the report's time zone, or +HH:MM:SS into the call", 9),
    Column("team", "班组", "team", 10),
    Column("channel", "渠道", "channel", 6),
    Column("day", "日期", "day (report time zone)", 10),
    Column("rule_id", "规则ID", "rule id", 20),
    Column("kind", "类别", "kind: 扣分 deduction / 加分 bonus / 一票否决 veto", 8),
    Column("points", "分值", "points of this finding", 6),
    Column("match", "命中词", "matched words", 12),
    Column("message", "说明", "the rule's message", 40),
    Column("finding_id", "发现ID", "finding id: the same on every run (reviewer verdicts are matched by it)", 18),
    *REVIEW_COLUMNS,
)
PRINT_FINDINGS = 11  # conversation id .. evidence
WRAPPED = frozenset({"quote", "evidence_text", "message", "lost_rules", "text", "notes", "top_lost"})

CONVERSATION_SHEET_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "会话ID", "conversation id (link to its transcript in 会话原文)", 18),
    Column("agent_id", "坐席工号", "agent id", 9),
    Column("agent_name", "坐席姓名", "agent name", 8),
    Column("team", "班组", "team", 10),
    Column("channel", "渠道", "channel", 6),
    Column("started_local", "开始时间", "start time in the report's time zone", 16),
    Column("turns", "轮数", "turns", 5),
    Column("score", "得分", "score", 6),
    Column("deducted", "扣分", "points deducted (after caps)", 6),
    Column("passed", "合格", "passed", 7),
    Column("vetoed", "一票否决", "vetoed (auto-fail)", 7),
    Column("findings", "发现数", "findings (link to the first)", 6),
    Column("lost_rules", "扣分规则", "rules that cost points", 30),
    Column("complaint_type", "投诉类型", "complaint type", 10),
    Column("is_complaint", "是否投诉", "is complaint", 6),
    Column("customer_type", "客户类型", "customer type", 8),
    Column("possible", "适用总分", "possible points (n/a excluded)", 8),
    Column("complaint_prob", "投诉概率", "complaint probability", 7),
    Column("na_rules", "不适用规则", "rules not applicable", 22),
    Column("roles", "角色", "roles: how decided; 待复核 when they cannot be trusted (role rules n/a)", 16),
    Column("day", "日期", "day (report time zone)", 10),
    Column("hour", "时段", "hour of day (report time zone)", 5),
    Column("ruleset_version", "规则版本", "rule-set version", 14),
    Column("source", "来源文件", "source file", 24),
    Column("line", "行号", "line", 6),
)
PRINT_CONVERSATIONS = 16  # conversation id .. customer type

TRANSCRIPT_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "会话ID", "conversation id", 18),
    Column("turn_no", "轮次", "turn number from 1", 5),
    Column("role", "角色", "role", 5),
    Column("time", "时间", "time in the report's time zone, or +HH:MM:SS into the call", 9),
    Column("text", "原文（命中处标红）", "what was said; the words of a finding in bold red", 70),
    Column("notes", "发现", "findings on this turn", 34),
)


def with_zone(columns: tuple[Column, ...], zone: str) -> tuple[Column, ...]:
    """Return `columns` with the time zone named in the headers of time columns."""
    timed = {"time", "started_local"}
    return tuple(Column(c.key, f"{c.zh}（{zone}）", c.en, c.width + 2) if c.key in timed else c for c in columns)
