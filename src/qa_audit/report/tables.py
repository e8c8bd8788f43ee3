"""The two row tables every output is written from: conversations and findings.

The workbook, findings.jsonl, CSV and Parquet all take their rows from here, so they cannot
disagree. Values are plain Python (str, int, float, bool, None); each writer formats them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from qa_audit import jsonsafe
from qa_audit.evidence import evidence_json
from qa_audit.model import ConversationResult, Finding, Roles, RuleInfo, Turn
from qa_audit.report.evidence import evidence_sentence, missing_text
from qa_audit.report.labels import local_text, offset_text, parse_time
from qa_audit.scoring import RuleLoss

MARK_OPEN, MARK_CLOSE = "【", "】"


@dataclass(frozen=True)
class Column:
    """One output column: machine key, Chinese header, English header, Excel width."""

    key: str
    zh: str
    en: str
    width: float = 12


CONVERSATION_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "会话ID", "conversation id", 22),
    Column("agent_id", "坐席工号", "agent id", 11),
    Column("agent_name", "坐席姓名", "agent name", 10),
    Column("team", "班组", "team", 12),
    Column("channel", "渠道", "channel", 7),
    Column("day", "日期", "day", 11),
    Column("hour", "时段", "hour of day", 6),
    Column("started_at", "开始时间", "started at", 20),
    Column("turns", "轮数", "turns", 6),
    Column("score", "得分", "score", 8),
    Column("possible", "适用总分", "possible points (n/a excluded)", 9),
    Column("deducted", "扣分", "points deducted (after caps)", 7),
    Column("passed", "合格", "passed", 6),
    Column("vetoed", "一票否决", "vetoed (auto-fail)", 8),
    Column("findings", "发现数", "findings", 7),
    Column("lost_rules", "扣分规则", "rules that cost points", 30),
    Column("na_rules", "不适用规则", "rules not applicable", 22),
    Column("complaint_type", "投诉类型", "complaint type", 11),
    Column("complaint_prob", "投诉概率", "complaint probability", 8),
    Column("is_complaint", "是否投诉", "is complaint", 8),
    Column("customer_type", "客户类型", "customer type", 9),
    Column("roles", "角色", "roles: how decided; 待复核 when they cannot be trusted (role rules n/a)", 16),
    Column("ruleset_version", "规则版本", "rule-set version", 14),
    Column("source", "来源文件", "source file", 24),
    Column("line", "行号", "line", 7),
)

FINDING_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "会话ID", "conversation id (link to its row)", 22),
    Column("agent_id", "坐席工号", "agent id", 11),
    Column("agent_name", "坐席姓名", "agent name", 10),
    Column("team", "班组", "team", 12),
    Column("channel", "渠道", "channel", 7),
    Column("day", "日期", "day", 11),
    Column("time", "时间", "turn time (ts, or offset in the call)", 12),
    Column("turn_index", "轮次", "turn index", 6),
    Column("role", "角色", "role", 8),
    Column("rule_id", "规则ID", "rule id", 20),
    Column("rule_title", "规则名称", "rule title", 16),
    Column("severity", "严重度", "severity", 8),
    Column("tier", "处理", "tier: deduct (扣分) / review (待复核: costs nothing until a reviewer upholds it)", 8),
    Column("kind", "类别", "kind: 扣分 deduction / 加分 bonus / 一票否决 veto", 8),
    Column("points", "分值", "points of this finding", 6),
    Column("counted", "计入扣分", "points counted after the rule's cap", 8),
    Column("turn_text", "原文（命中处【】标出）", "turn text, matched words in 【】", 50),
    Column("match", "命中词", "matched words", 14),
    Column("message", "说明", "message", 30),
    Column("evidence", "证据", "evidence (JSON)", 30),
    Column("finding_id", "发现ID", "finding id: the same on every run (reviewer verdicts are matched by it)", 18),
)
REVIEW_COLUMNS: tuple[Column, ...] = (
    Column("review_result", "复核结果", "review result (for QA staff)", 10),
    Column("reviewer", "复核人", "reviewer", 9),
    Column("review_note", "复核备注", "review note", 20),
)


WHOLE_CONVERSATION = "（整通会话）"
WHOLE_METRICS = ("talk_share", "speech_rate")  # measured over the whole conversation, not at a turn


def parse_started(started_at: str | None, tz: tzinfo | None = None) -> tuple[str | None, int | None]:
    """Return (day 'YYYY-MM-DD', hour 0-23) of an ISO time in `tz` (None: as written), or (None, None)."""
    when = parse_time(started_at, tz)
    if when is None:
        return None, None
    return when.date().isoformat(), when.hour


def turn_time(turn: Turn | None, tz: tzinfo | None = None) -> str:
    """Return a turn's time: its ts in `tz` (HH:MM:SS), or +HH:MM:SS from the start of a call."""
    if turn is None:
        return ""
    if turn.ts:
        return local_text(turn.ts, tz, "%H:%M:%S") if tz is not None else turn.ts
    if turn.start is not None:
        return offset_text(turn.start)
    return ""


def _missing(f: Finding, ev: Mapping[str, Any] | None = None) -> bool:
    """True for a finding about something never said (nothing in its turn to mark); `ev`: its evidence JSON."""
    kind = (f.evidence if ev is None else ev).get("kind")
    return f.span is None and not f.match and kind in ("require", "metric")


def _quote(
    f: Finding,
    info: RuleInfo | None,
    turn: Turn | None,
    turns: tuple[Turn, ...],
    ev: Mapping[str, Any] | None = None,
    missing: bool | None = None,
) -> str:
    """The workbook's 原文 cell: the turn with the words marked, or what was missing and where.

    `ev`, `missing`: the finding's evidence JSON and `_missing`, when the caller has them.
    """
    ev = evidence_json(f.evidence) if ev is None else ev
    if ev.get("kind") == "require" and (_missing(f, ev) if missing is None else missing):
        return missing_text(f, info, turns, ev)
    if turn is None or (ev.get("kind") == "metric" and ev.get("metric") in WHOLE_METRICS):
        return WHOLE_CONVERSATION
    return mark_span(turn.text, f.span, f.match)


def mark_span(text: str, span: tuple[int, int] | None, match: str = "") -> str:
    """Return `text` with the characters of `span` (or else the first `match`) put in 【】."""
    if span and 0 <= span[0] < span[1] <= len(text):
        s, e = span
    elif match and match in text:
        s = text.index(match)
        e = s + len(match)
    else:
        return text
    return f"{text[:s]}{MARK_OPEN}{text[s:e]}{MARK_CLOSE}{text[e:]}"


def _fmt_points(value: float) -> str:
    return f"{value:g}"


def conversation_row(
    result: ConversationResult, losses: Mapping[str, RuleLoss], tz: tzinfo | None = None
) -> dict[str, Any]:
    """Return the conversations-table row of one result; day and hour are taken in `tz`."""
    c, s, t = result.conversation, result.score, result.tag
    day, hour = parse_started(c.started_at, tz)
    lost = sorted(
        (x for x in losses.values() if x.status == "fail" and not x.bonus), key=lambda x: (-x.points, x.rule_id)
    )
    return {
        "conversation_id": c.conversation_id,
        "agent_id": c.agent_id,
        "agent_name": c.agent_name,
        "team": c.team,
        "channel": c.channel,
        "day": day,
        "hour": hour,
        "started_at": c.started_at,
        "started_local": local_text(c.started_at, tz, "%Y-%m-%d %H:%M") if tz is not None else c.started_at,
        "turns": len(c.turns),
        "score": s.score,
        "possible": s.possible,
        "deducted": s.deducted,
        "passed": s.passed,
        "vetoed": s.vetoed,
        "findings": len(result.audit.findings),
        "lost_rules": "; ".join(
            f"{x.rule_id} −{_fmt_points(x.points)}" + ("（一票否决）" if x.veto else "") for x in lost
        ),
        "na_rules": ", ".join(sorted(r for r, x in losses.items() if x.status == "n/a")),
        "lost": [(x.rule_id, x.points, x.veto) for x in lost],  # the workbook names them by title
        "complaint_type": t.complaint_type,
        "complaint_prob": round(float(t.complaint_prob), 4),
        "is_complaint": t.is_complaint,
        "customer_type": t.customer_type,
        "roles": roles_label(c.roles),
        "ruleset_version": result.ruleset_version,
        "source": c.source,
        "line": c.line,
    }


_ROLE_SOURCES = {"given": "给定", "mapped": "映射", "inferred": "推断"}


def roles_label(roles: Roles | None) -> str:
    """The 角色 cell: how the roles were decided, and 待复核 with the reason when they cannot be trusted."""
    if roles is None:
        return ""
    label = _ROLE_SOURCES.get(roles.source, roles.source)
    if roles.source == "inferred":
        label += f" {roles.confidence:.2f}"
    if roles.swapped_suspected:
        return f"{label}；角色疑似颠倒·待复核"
    return label if roles.usable else f"{label}；角色无法区分·待复核"


def _kind(info: RuleInfo | None) -> str:
    if info and info.bonus:
        return "加分"
    if info and info.veto:
        return "一票否决"
    return "扣分"


_EVIDENCE = jsonsafe.encoder(default=str)  # the 证据 (JSON) column: as in findings.jsonl


def finding_rows(
    result: ConversationResult,
    rules: Mapping[str, RuleInfo],
    losses: Mapping[str, RuleLoss],
    tz: tzinfo | None = None,
) -> list[dict[str, Any]]:
    """Return the findings-table rows of one result, in the order the engine reported them.

    `counted` spreads each rule's capped loss over its findings in order, so the counted points
    of a conversation's deductions add up to its `deducted`. Besides the machine columns, each
    row carries what the workbook shows: `turn_no` (from 1), `quote`, `evidence_text`, `span`.
    """
    c = result.conversation
    day, _ = parse_started(c.started_at, tz)
    turns = {t.index: t for t in c.turns}
    left = {rid: x.points for rid, x in losses.items()}
    started = local_text(c.started_at, tz, "%H:%M:%S") if tz is not None else (c.started_at or "")
    rows = []
    for f in result.audit.findings:
        info = rules.get(f.rule_id)
        counted = min(float(f.points), left.get(f.rule_id, float(f.points))) if f.deducts else 0.0
        left[f.rule_id] = left.get(f.rule_id, 0.0) - counted
        turn = turns.get(f.turn_index) if f.turn_index is not None else None
        text = mark_span(turn.text, f.span, f.match) if turn else ""
        ev = evidence_json(f.evidence)  # read by four cells: made once
        missing = _missing(f, ev)
        rows.append(
            {
                "conversation_id": c.conversation_id,
                "agent_id": c.agent_id,
                "agent_name": c.agent_name,
                "team": c.team,
                "channel": c.channel,
                "day": day,
                "time": turn_time(turn, tz) or started,
                "turn_index": f.turn_index,
                "turn_no": f.turn_index + 1 if f.turn_index is not None else None,
                "role": f.role,
                "rule_id": f.rule_id,
                "rule_title": info.title if info else "",
                "severity": f.severity,
                "tier": f.tier,
                "kind": _kind(info),
                "points": float(f.points),
                "counted": round(counted, 4),
                "turn_text": text if turn else "（整通会话 whole conversation）",
                "match": f.match,
                "message": f.message,
                "evidence": _EVIDENCE(ev) if ev else "",
                "finding_id": f.finding_id,
                "quote": _quote(f, info, turn, c.turns, ev, missing),
                "evidence_text": evidence_sentence(f, info, c.turns, ev),
                "span": f.span,
                "missing": missing,
            }
        )
    return rows


def finding_json(result: ConversationResult, finding: Finding | None, counted: float) -> dict[str, Any]:
    """Return one findings.jsonl line: where the finding belongs, then the finding's own fields.

    With `finding` None: only where it belongs (the fields up to started_at).
    """
    c = result.conversation
    day, _ = parse_started(c.started_at)
    where = {
        "conversation_id": c.conversation_id,
        "agent_id": c.agent_id,
        "agent_name": c.agent_name,
        "team": c.team,
        "channel": c.channel,
        "day": day,
        "started_at": c.started_at,
    }
    if finding is None:
        return where
    return {**where, **finding.to_json(), "counted": counted, "ruleset_version": result.ruleset_version}
