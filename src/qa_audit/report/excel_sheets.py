"""The small sheets written at the end: summary (汇总), agents (坐席), breakdowns (分组统计), rules (规则)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.report.aggregate import Aggregates
from qa_audit.report.excel_columns import WRAPPED
from qa_audit.report.excel_style import (
    LINK_FONT,
    SECTION_FONT,
    TITLE_FONT,
    WRAP,
    CellMaker,
    column_range,
    finish_table,
    low_score_rule,
    prepare_table,
    starts_rule,
    wrapped_height,
)
from qa_audit.report.labels import CHANNEL, SEVERITY, zone_label
from qa_audit.report.links import LinkSpool
from qa_audit.report.tables import Column
from qa_audit.scoring import formula

PCT = "0.0%"
CHART_AGENTS = 30
CHART_RULES = 10

AGENT_COLUMNS: tuple[Column, ...] = (
    Column("agent_id", "坐席工号", "agent id", 11),
    Column("agent_name", "坐席姓名", "agent name", 10),
    Column("team", "班组", "team", 12),
    Column("conversations", "会话数", "conversations", 8),
    Column("mean_score", "平均分", "mean score", 8),
    Column("min_score", "最低分", "lowest score", 8),
    Column("pass_rate", "合格率", "pass rate", 8),
    Column("vetoed", "一票否决", "vetoed conversations", 8),
    Column("findings", "发现数", "findings", 8),
    Column("deducted", "扣分合计", "points deducted", 9),
    Column("top_lost", "主要失分规则", "top lost rules (points, conversations)", 40),
    Column("complaints", "投诉会话", "complaint conversations", 8),
    Column("busy_mean", "忙时均分", "mean score in busy hours", 8),
    Column("quiet_mean", "闲时均分", "mean score in quiet hours", 8),
    Column("load_gap", "忙闲差", "busy minus quiet", 8),
    Column("agitated_mean", "激动型客户均分", "mean score with agitated customers", 10),
    Column("calm_mean", "其他客户均分", "mean score with other customers", 10),
    Column("mood_gap", "情绪差", "agitated minus others", 8),
    Column("consistency", "四个一样", "consistency (busy/quiet, agitated/calm)", 16),
)
GROUP_COLUMNS: tuple[Column, ...] = (
    Column("key", "分组", "group", 16),
    Column("conversations", "会话数", "conversations", 9),
    Column("mean_score", "平均分", "mean score", 9),
    Column("min_score", "最低分", "lowest score", 9),
    Column("pass_rate", "合格率", "pass rate", 9),
    Column("vetoed", "一票否决", "vetoed", 9),
    Column("findings", "发现数", "findings", 9),
    Column("deducted", "扣分合计", "points deducted", 9),
)
RULE_COLUMNS: tuple[Column, ...] = (
    Column("id", "规则ID", "rule id", 22),
    Column("title", "名称", "title", 18),
    Column("severity", "严重度", "severity", 8),
    Column("points", "分值", "points per finding", 6),
    Column("cap", "单通封顶", "cap per conversation", 8),
    Column("veto", "一票否决", "veto (auto-fail)", 8),
    Column("bonus", "加分项", "bonus", 7),
    Column("category", "类别", "category", 10),
    Column("message", "说明", "message", 30),
    Column("source", "依据", "source", 20),
    Column("version", "版本哈希", "version hash", 16),
    Column("applicable", "适用会话", "conversations where it applied", 9),
    Column("failed", "不通过会话", "conversations failed", 9),
    Column("findings", "发现数", "findings", 8),
    Column("lost", "扣分合计", "points lost", 9),
    Column("fail_rate", "不通过率", "fail rate", 9),
)


@dataclass(frozen=True)
class RunInfo:
    """What the summary says about the run itself."""

    title: str
    generated: datetime
    tz: tzinfo


def _table(
    ws: Any,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    notes: Counter[str],
    pct: Sequence[str] = (),
    links: Mapping[str, str] | None = None,
) -> int:
    """Write a header and rows; `links` maps a first-column value to the location it links to."""
    cells = CellMaker(ws, notes)
    prepare_table(ws, columns)
    ws.append(cells.header(columns))
    spool = LinkSpool(ws) if links else None
    for n, row in enumerate(rows, 2):
        values, wrapped = [], []
        for c in columns:
            value = row.get(c.key)
            if c.key in pct:
                values.append(cells.styled(value, number_format=PCT))
            elif c.key in WRAPPED and value:
                values.append(cells.styled(value, alignment=WRAP))
                wrapped.append((str(value), c.width))
            else:
                values.append(cells.value(value))
        target = links.get(str(row.get(columns[0].key))) if links else None
        if spool is not None and target:
            values[0] = cells.styled(row.get(columns[0].key), font=LINK_FONT)
            spool.add(f"A{n}", target)
        height = wrapped_height(wrapped) if wrapped else None
        if height:
            ws.row_dimensions[n].height = height
        ws.append(values)
    last = len(rows) + 1
    finish_table(ws, columns, last)
    return last


def write_agents(
    ws: Any, agg: Aggregates, threshold: float, notes: Counter[str], first_finding: Mapping[str, str] | None = None
) -> None:
    """One row per agent (worst first) linked to their first finding; failing means in red, inconsistency in amber."""
    last = _table(ws, AGENT_COLUMNS, agg.agents, notes, pct=("pass_rate",), links=first_finding)
    ws.conditional_formatting.add(column_range(AGENT_COLUMNS, "mean_score", last), low_score_rule(threshold))
    ws.conditional_formatting.add(column_range(AGENT_COLUMNS, "min_score", last), low_score_rule(threshold))
    consistency = column_range(AGENT_COLUMNS, "consistency", last)
    ws.conditional_formatting.add(consistency, starts_rule(consistency.split(":")[0], "⚠"))


def write_rules(ws: Any, rules: Sequence[RuleInfo], agg: Aggregates, notes: Counter[str]) -> None:
    """Every rule in force, its scoring settings, its version hash and what it cost."""
    stats = {r["rule_id"]: r for r in agg.rules}
    rows = []
    for r in rules:
        st = stats.get(r.id, {})
        rows.append(
            {
                "id": r.id,
                "title": r.title,
                "severity": SEVERITY.get(r.severity, r.severity),
                "points": r.points,
                "cap": r.cap,
                "veto": r.veto,
                "bonus": r.bonus,
                "category": r.category,
                "message": r.message,
                "source": r.source,
                "version": r.version,
                "applicable": st.get("applicable", 0),
                "failed": st.get("failed", 0),
                "findings": st.get("findings", 0),
                "lost": st.get("points", 0),
                "fail_rate": st.get("fail_rate"),
            }
        )
    _table(ws, RULE_COLUMNS, rows, notes, pct=("fail_rate",))


def write_groups(ws: Any, agg: Aggregates, notes: Counter[str]) -> None:
    """Per team, day and channel, then the complaint-type and customer-type mix."""
    cells = CellMaker(ws, notes)
    for i, col in enumerate(GROUP_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    mix_cols = (
        Column("key", "类型", "type"),
        Column("count", "会话数", "conversations"),
        Column("share", "占比", "share"),
    )
    basis = agg.overall.get("complaint_mix_basis", "")
    sections = (
        ("按班组", GROUP_COLUMNS, agg.teams),
        ("按日期", GROUP_COLUMNS, agg.days),
        ("按渠道", GROUP_COLUMNS, [{**r, "key": CHANNEL.get(r["key"], r["key"])} for r in agg.channels]),
        (f"投诉类型分布（{basis}）", mix_cols, agg.complaint_types),
        ("客户类型分布", mix_cols, agg.customer_types),
    )
    for title, columns, rows in sections:
        ws.append([cells.styled(title, font=SECTION_FONT)])
        ws.append(cells.header(columns))
        for row in rows:
            ws.append(
                [
                    cells.styled(row.get(c.key), number_format=PCT)
                    if c.key in ("pass_rate", "share")
                    else cells.value(row.get(c.key))
                    for c in columns
                ]
            )
        ws.append([])


def _flags(agg: Aggregates) -> str:
    flagged = [
        f"{a['agent_id']} {a['agent_name']}：{a['consistency'].lstrip('⚠ ')}"
        for a in agg.agents
        if a["consistency"].startswith("⚠")
    ]
    if not flagged:
        return "无"
    more = f" 等 {len(flagged)} 人" if len(flagged) > 5 else ""
    return "；".join(flagged[:5]) + more


def _worst(agg: Aggregates, rules: Sequence[RuleInfo]) -> tuple[str, str]:
    """(lowest-scoring agent, most costly rule) in words, for the top of the summary."""
    titles = {r.id: r.title or r.id for r in rules}
    scored = [a for a in agg.agents if a["mean_score"] is not None]
    agent = "—"
    if scored:
        a = scored[0]  # agents come worst first
        who = f"{a['agent_id']} {a['agent_name']}".strip()
        agent = f"{who}（平均分 {a['mean_score']:g}，扣分 {a['deducted']:g}）"
    lost = [r for r in agg.rules if r["points"] > 0]
    rule = f"{titles.get(lost[0]['rule_id'], lost[0]['rule_id'])}（扣 {lost[0]['points']:g} 分）" if lost else "—"
    return agent, rule


def _headline(agg: Aggregates, policy: ScoringPolicy, rules: Sequence[RuleInfo], run: RunInfo) -> list[tuple]:
    o = agg.overall
    versions = o.get("ruleset_versions") or []
    worst_agent, worst_rule = _worst(agg, rules)
    return [
        ("平均分最低的坐席", worst_agent, None),
        ("扣分最多的规则", worst_rule, None),
        ("会话数", o["conversations"], None),
        ("坐席数", o["agents"], None),
        ("平均分", o["mean_score"], None),
        ("合格率", o["pass_rate"], PCT),
        ("一票否决", o["vetoed"], None),
        ("发现数", o["findings"], None),
        ("扣分合计", o["deducted"], None),
        ("投诉会话", o["complaints"], None),
        ("基准分 / 合格线", f"{policy.base:g} / {policy.pass_threshold:g}", None),
        ("规则数", len(rules), None),
        ("规则版本", ", ".join(versions) or "—", None),
        ("忙闲划分", agg.busy_hours, None),
        ("四个一样预警", _flags(agg), None),
        ("时区", zone_label(run.tz), None),
        ("生成时间", run.generated.strftime("%Y-%m-%d %H:%M"), None),
    ]


def axis_range(values: Sequence[float], floor: float = 0.0, ceiling: float | None = None) -> tuple[float, float]:
    """Axis limits that fit the data with a little room (so close scores do not look alike)."""
    low, high = min(values), max(values)
    pad = max((high - low) * 0.15, 1.0)
    lo: float = max(floor, math.floor(low - pad))
    hi: float = math.ceil(high + pad)
    if ceiling is not None:
        hi = min(hi, ceiling)
    if hi <= lo:
        hi = lo + 1
    return float(lo), float(hi)


def _chart(
    ws: Any, title: str, y_title: str, first: int, last: int, col: int, anchor: str, limits: tuple[float, float]
) -> None:
    chart = BarChart()
    chart.x_axis.tickLblSkip = 1  # label every bar
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = limits
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.type = "bar"
    chart.style = 10
    chart.title = title
    chart.y_axis.title = y_title
    chart.legend = None
    chart.add_data(Reference(ws, min_col=col, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # first row on top, like the table
    chart.width = 17
    chart.height = max(6.0, 0.9 * (last - first + 1) + 3.0)
    ws.add_chart(chart, anchor)


def write_summary(
    ws: Any,
    agg: Aggregates,
    policy: ScoringPolicy,
    rules: Sequence[RuleInfo],
    split_notes: Sequence[str],
    notes: Counter[str],
    run: RunInfo,
) -> None:
    """Headline numbers (worst agent and costliest rule first), the formula, and two charts."""
    cells = CellMaker(ws, notes)
    for letter, width in zip("ABCDEF", (22, 30, 9, 9, 9, 4), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([cells.styled(run.title or "客服质检评分卡", font=TITLE_FONT)])
    ws.append([])
    row = 2
    for label, value, fmt in _headline(agg, policy, rules, run):
        ws.append([cells.value(label), cells.styled(value, number_format=fmt) if fmt else cells.value(value)])
        row += 1
    zh, _ = formula(policy.method)
    for i, line in enumerate(zh):
        ws.append([cells.value("评分公式" if i == 0 else None), cells.value(line)])
        row += 1
    for note in [*split_notes, *(f"「{k}」有 {n} 个单元格超过 32,767 字被截断（已标注）" for k, n in notes.items())]:
        ws.append([cells.value("注意"), cells.value(note)])
        row += 1
    ws.append([])
    row += 1

    shown = [a for a in agg.agents if a["mean_score"] is not None][:CHART_AGENTS]  # worst first
    ws.append([cells.styled(f"坐席平均分（最低 {len(shown)} 位）", font=SECTION_FONT)])
    ws.append(
        cells.header(
            (
                Column("agent", "坐席", "agent"),
                Column("team", "班组", "team"),
                Column("mean", "平均分", "mean score"),
                Column("pass", "合格率", "pass rate"),
                Column("n", "会话数", "conversations"),
            )
        )
    )
    row += 2
    first = row + 1
    for a in shown:
        label = f"{a['agent_id']} {a['agent_name']}".strip()
        ws.append(
            [
                cells.value(label),
                cells.value(a["team"]),
                cells.value(a["mean_score"]),
                cells.styled(a["pass_rate"], number_format=PCT),
                cells.value(a["conversations"]),
            ]
        )
        row += 1
    if shown:
        limits = axis_range([a["mean_score"] for a in shown], 0.0, policy.base)
        _chart(ws, "坐席平均分（坐标轴按数据范围）", "平均分", first, row, 3, "H2", limits)
    ws.append([])
    row += 1

    titles = {r.id: r.title or r.id for r in rules}
    lost = [r for r in agg.rules if r["points"] > 0][:CHART_RULES]
    ws.append([cells.styled("扣分最多的规则", font=SECTION_FONT)])
    ws.append(
        cells.header(
            (
                Column("title", "规则", "rule title"),
                Column("rule", "规则ID", "rule id"),
                Column("lost", "扣分合计", "points lost"),
                Column("failed", "不通过会话", "failed"),
                Column("rate", "不通过率", "fail rate"),
            )
        )
    )
    row += 2
    first = row + 1
    for r in lost:
        ws.append(
            [
                cells.value(titles.get(r["rule_id"], r["rule_id"])),
                cells.value(r["rule_id"]),
                cells.value(r["points"]),
                cells.value(r["failed"]),
                cells.styled(r["fail_rate"], number_format=PCT),
            ]
        )
        row += 1
    if lost:
        agents_h = max(6.0, 0.9 * len(shown) + 3.0)
        limits = (0.0, float(math.ceil(max(r["points"] for r in lost) * 1.1)))
        _chart(ws, "扣分最多的规则", "扣分", first, row, 3, f"H{4 + int(agents_h * 2)}", limits)
