"""The 坐席×规则 sheet: agents as rows (worst first), rules as columns, points lost in each cell.

The rule that costs an agent most is outlined in bold; colour deepens with the points. Each agent
links to their first finding, each non-empty cell to the first finding of that agent and rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from qa_audit.model import RuleInfo
from qa_audit.report.aggregate import Aggregates
from qa_audit.report.excel_style import LINK_FONT, SECTION_FONT, CellMaker, finish_table, prepare_table
from qa_audit.report.links import LinkSpool
from qa_audit.report.tables import Column

LEAD: tuple[Column, ...] = (
    Column("agent_id", "坐席工号", "agent id (link to the agent's first finding)", 9),
    Column("agent_name", "坐席姓名", "agent name", 8),
    Column("team", "班组", "team", 10),
    Column("mean_score", "平均分", "mean score", 7),
    Column("deducted", "合计扣分", "points lost, all rules (= the findings sheet's 计入扣分)", 7),
    Column("deductions", "扣分发现", "deducting findings", 6),
    Column("flags", "待复核", "待复核 flags (cost nothing)", 6),
    Column("top_rule", "失分最多", "the rule that costs this agent most", 14),
)
TOTAL = "合计"
MAX_RULES = 12  # rule columns that still print legibly on one landscape page; the rest go to 其他
OTHER = "__other__"


def matrix_rules(agg: Aggregates, rules: Sequence[RuleInfo]) -> list[str]:
    """Rules that cost anyone points or were flagged for review, most costly first."""
    info = {r.id: r for r in rules}
    lost: Counter[str] = Counter()
    flagged: set[str] = set()
    for a in agg.agents:
        lost.update(a["lost_by_rule"])
        flagged.update(a["flags_by_rule"])
    shown = [rid for rid in {*lost, *flagged} if not (info.get(rid) and info[rid].bonus)]
    return sorted(shown, key=lambda rid: (-lost[rid], rid))


def write_matrix(
    ws: Any,
    agg: Aggregates,
    rules: Sequence[RuleInfo],
    notes: Counter[str],
    first_finding: Mapping[str, str],
    first_rule_finding: Mapping[tuple[str, str], str],
) -> None:
    """Write the agent × rule table of points lost, with links to the findings behind it."""
    info = {r.id: r for r in rules}
    ranked = matrix_rules(agg, rules)
    rids, rest = ranked[:MAX_RULES], set(ranked[MAX_RULES:])
    columns = LEAD + tuple(
        Column(rid, (info[rid].title if rid in info and info[rid].title else rid), f"points lost: {rid}", 8)
        for rid in rids
    )
    if rest:
        rids = [*rids, OTHER]
        columns += (Column(OTHER, f"其他 {len(rest)} 条规则", "points lost: " + ", ".join(sorted(rest)), 8),)
    cells = CellMaker(ws, notes)
    prepare_table(ws, columns)
    ws.row_dimensions[1].height = 62  # rule titles wrap over up to four lines
    ws.freeze_panes = "C2"
    header = cells.header(columns)
    for cell in header[len(LEAD) :]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.append(header)
    links = LinkSpool(ws)
    totals: Counter[str] = Counter()
    row_no = 1
    for a in agg.agents:
        by_rule = dict(a["lost_by_rule"])
        if rest:
            by_rule[OTHER] = round(sum(p for rid, p in by_rule.items() if rid in rest), 2)
        lost = {rid: p for rid, p in a["lost_by_rule"].items() if rid in ranked and p > 0}
        top = min(lost, key=lambda rid: (-lost[rid], rid), default=None)
        top_title = (info[top].title or top) if top in info else (top or "")
        row_no += 1
        values = [
            cells.value(a["agent_id"]),
            cells.value(a["agent_name"]),
            cells.value(a["team"]),
            a["mean_score"],
            round(sum(by_rule.get(r, 0) for r in rids), 2),  # every rule that costs points is a column or in 其他
            a["deductions"],
            a["flags"],
            cells.value(top_title),
        ]
        agent = str(a["agent_id"])
        if agent in first_finding:
            values[0] = cells.styled(a["agent_id"], font=LINK_FONT)
            links.add(f"A{row_no}", first_finding[agent])
        for i, rid in enumerate(rids):
            points = by_rule.get(rid, 0)
            totals[rid] += points
            values.append(points or None)
            target = first_rule_finding.get((agent, rid))
            if points and target:
                links.add(f"{get_column_letter(len(LEAD) + i + 1)}{row_no}", target)
        ws.append(values)
    last = max(row_no, 2)
    finish_table(ws, columns, row_no)
    if rids and agg.agents:
        first, end = get_column_letter(len(LEAD) + 1), get_column_letter(len(columns))
        block = f"{first}2:{end}{last}"
        ws.conditional_formatting.add(
            block,
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF", end_type="max", end_color="F8696B"),
        )
        ws.conditional_formatting.add(
            block, FormulaRule(formula=[f"AND({first}2>0,{first}2=MAX(${first}2:${end}2))"], font=Font(bold=True))
        )
    bold = Font(bold=True)
    ws.append(
        [
            cells.styled(TOTAL, font=bold),
            None,
            None,
            agg.overall.get("mean_score"),
            cells.styled(round(sum(totals.values()), 2), font=bold),
            sum(a["deductions"] for a in agg.agents),
            sum(a["flags"] for a in agg.agents),
            None,
            *(cells.styled(round(totals[r], 2), font=bold) for r in rids),
        ]
    )
    if not rids:
        ws.append([cells.styled("本期没有扣分或待复核的发现", font=SECTION_FONT)])
