"""The trends sheet (趋势): per team and per agent, mean score and top lost rules by day or ISO week.

Periods up to DAILY_MAX_DAYS days are shown day by day, longer ones week by week. Agents whose
mean score fell the most from their first to their last period are flagged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from openpyxl.chart import LineChart, Reference, Series
from openpyxl.utils import get_column_letter

from qa_audit.model import ConversationResult, RuleInfo
from qa_audit.report.excel_style import SECTION_FONT, TITLE_FONT, CellMaker

DAILY_MAX_DAYS = 31
DROP_FLAG = 5.0  # points lost between an agent's first and last period that can earn a flag ...
FLAG_AGENTS = 5  # ... for at most this many agents, the biggest drops
CHART_AGENTS = 10
TOP_RULES = 3
UNKNOWN = "（未知）"
SHEET = "趋势"


class _Cell:
    """Score and losses of one (team or agent, period)."""

    __slots__ = ("lost", "n", "total", "touched")

    def __init__(self) -> None:
        self.total, self.n = 0.0, 0
        self.lost: defaultdict[str, float] = defaultdict(float)  # rule -> points
        self.touched: Counter[str] = Counter()  # rule -> conversations that lost points to it

    def mean(self) -> float | None:
        return round(self.total / self.n, 2) if self.n else None


class Trends:
    """Accumulate (day, result) pairs; `write` adds the trends sheet to a workbook."""

    def __init__(self, day_from: str, day_to: str) -> None:
        """Choose daily or weekly periods from the length of the reported period."""
        span = (date.fromisoformat(day_to) - date.fromisoformat(day_from)).days + 1
        self.daily = span <= DAILY_MAX_DAYS
        self.cells: dict[tuple[str, str], dict[str, _Cell]] = defaultdict(lambda: defaultdict(_Cell))
        self.periods: set[str] = set()
        self.agents: dict[str, tuple[str, str]] = {}  # id -> (name, team)

    def period(self, day: str) -> str:
        """Return the period label of a day: the day itself, or its ISO week (2026-W47)."""
        if self.daily:
            return day
        year, week, _ = date.fromisoformat(day).isocalendar()
        return f"{year}-W{week:02d}"

    def add(self, day: str, result: ConversationResult) -> None:
        """Count one conversation (its `losses` filled in) in its team's and agent's period."""
        c = result.conversation
        p = self.period(day)
        self.periods.add(p)
        agent = c.agent_id or UNKNOWN
        self.agents.setdefault(agent, (c.agent_name or "", c.team or ""))
        for key in (("team", c.team or UNKNOWN), ("agent", agent)):
            cell = self.cells[key][p]
            cell.total += result.score.score
            cell.n += 1
            for rid, loss in (result.losses or {}).items():
                if loss.status == "fail" and not loss.bonus and loss.points:
                    cell.lost[rid] += loss.points
                    cell.touched[rid] += 1

    def changes(self) -> list[tuple[str, float | None]]:
        """Return (agent, last-period mean minus first-period mean), biggest drop first (None: one period)."""
        out = []
        for agent in self.agents:
            by = self.cells[("agent", agent)]
            seen = [m for p in sorted(by) if (m := by[p].mean()) is not None]  # a cell exists once counted
            out.append((agent, round(seen[-1] - seen[0], 2) if len(seen) > 1 else None))
        return sorted(out, key=lambda x: (x[1] is None, x[1] if x[1] is not None else 0.0, x[0]))

    def flagged(self) -> list[str]:
        """Return the agents flagged for the biggest score drops."""
        return [a for a, ch in self.changes() if ch is not None and ch <= -DROP_FLAG][:FLAG_AGENTS]

    def write(self, wb: Any, rules: Mapping[str, RuleInfo], notes: Counter[str]) -> None:
        """Add the 趋势 sheet: team and agent tables by period with line charts, then top lost rules."""
        ws = wb.create_sheet(SHEET)
        cm = CellMaker(ws, notes)
        periods = sorted(self.periods)
        rows = [0]

        def append(values: list[Any]) -> int:
            ws.append(values)
            rows[0] += 1
            return rows[0]

        unit = "按日 day by day" if self.daily else "按周 ISO week by week"
        append([cm.styled("趋势 trends", font=TITLE_FONT)])
        append(
            [
                f"平均分与主要失分规则，{unit}；坐席按首末期平均分之差排序，"
                f"下降 ≥{DROP_FLAG:g} 分最多的 {FLAG_AGENTS} 位标记 ⚠"
            ]
        )
        append([])
        append([cm.styled("班组平均分 team mean score", font=SECTION_FONT)])
        team_head = append(["班组", *periods])
        teams = sorted(key for kind, key in self.cells if kind == "team")
        for team in teams:
            by = self.cells[("team", team)]
            append([cm.value(team), *(by[p].mean() if p in by else None for p in periods)])
        append([])
        append([cm.styled("坐席平均分 agent mean score（下降最多在前）", font=SECTION_FONT)])
        agent_head = append(["坐席工号", "坐席姓名", "班组", "变化（末期−首期）", "标记", *periods])
        flagged = set(self.flagged())
        changes = self.changes()
        for agent, change in changes:
            by = self.cells[("agent", agent)]
            name, team = self.agents[agent]
            mark = "⚠ 下降最多" if agent in flagged else ""
            means = [by[p].mean() if p in by else None for p in periods]
            append([cm.value(agent), cm.value(name), cm.value(team), change, mark, *means])
        append([])
        append([cm.styled("主要失分规则 top lost rules", font=SECTION_FONT)])
        append(["周期", "范围", "名称", "会话数", "平均分", "主要失分规则"])
        for p in periods:
            for kind, label in (("team", "班组"), ("agent", "坐席")):
                for (kd, key), by in sorted(self.cells.items()):
                    if kd == kind and p in by:
                        cell = by[p]
                        append([p, label, cm.value(key), cell.n, cell.mean(), cm.value(_top(cell, rules))])
        for col, width in zip("ABCDEF", (16, 12, 12, 16, 12, 60), strict=True):
            ws.column_dimensions[col].width = width
        if periods:
            anchor = get_column_letter(len(periods) + 8)
            _chart(ws, "班组平均分", team_head, teams, 2, len(periods), f"{anchor}4")
            top = [a for a, _ in changes[:CHART_AGENTS]]
            _chart(ws, "坐席平均分（下降最多的坐席）", agent_head, top, 6, len(periods), f"{anchor}22")


def _top(cell: _Cell, rules: Mapping[str, RuleInfo]) -> str:
    ranked = sorted(cell.lost.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_RULES]
    parts = []
    for rid, pts in ranked:
        title = f"（{rules[rid].title}）" if rid in rules and rules[rid].title else ""
        parts.append(f"{rid}{title} −{pts:g}（{cell.touched[rid]}通）")
    return "; ".join(parts)


def _chart(ws: Any, title: str, head: int, names: list[str], first: int, k: int, anchor: str) -> None:
    """Add a line chart of the `len(names)` rows under row `head`, periods in columns first..first+k-1."""
    if not names:
        return
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = "平均分"
    chart.height, chart.width = 8, 18
    for r, name in enumerate(names, start=head + 1):
        values = Reference(ws, min_col=first, max_col=first + k - 1, min_row=r, max_row=r)
        chart.series.append(Series(values, title=str(name)))
    chart.set_categories(Reference(ws, min_col=first, max_col=first + k - 1, min_row=head, max_row=head))
    ws.add_chart(chart, anchor)
