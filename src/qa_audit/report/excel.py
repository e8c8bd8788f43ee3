"""Stream the scorecard workbook: conversation, finding and transcript rows go straight to disk.

openpyxl write-only mode keeps memory flat (measurements.md: 42 MiB for 200k rows vs 837 MiB);
the summary, agents, agent × rule, breakdown and rules sheets are filled at the end from the
aggregates. Values are shown in Chinese and times in the report's time zone; the machine codes
stay in findings.jsonl and the CSV/Parquet tables.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from qa_audit.atomic import atomic_path
from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.report import excel_sheets
from qa_audit.report.aggregate import Aggregates
from qa_audit.report.excel_columns import (
    CONVERSATION_SHEET_COLUMNS,
    FINDING_SHEET_COLUMNS,
    PRINT_CONVERSATIONS,
    PRINT_FINDINGS,
    WRAPPED,
    with_zone,
)
from qa_audit.report.excel_parts import SplitSheet
from qa_audit.report.excel_style import (
    LINK_FONT,
    REVIEW_FILL,
    WRAP,
    column_range,
    equals_rule,
    low_score_rule,
    sheet_location,
    wrapped_height,
)
from qa_audit.report.labels import VALUE_LABELS, zone
from qa_audit.report.links import EXCEL_MAX_LINKS
from qa_audit.report.matrix import write_matrix
from qa_audit.report.printing import print_layout
from qa_audit.report.safe import EXCEL_MAX_ROWS
from qa_audit.report.sheetrows import SheetRows
from qa_audit.report.transcript import TranscriptSheet, TurnRow

FINDINGS_SHEET, CONVERSATIONS_SHEET = "发现明细", "会话"
# zlib level of the workbook's parts: the sheets are ~80 MiB of XML on 10k real chats; level 3
# deflates them in 0.25 s instead of 0.56 s (openpyxl's default, 6) for a file 23 % larger
ZIP_LEVEL = 3
REVIEW_CHOICES = "属实,误判,存疑"


Plan = list[tuple[str, dict | None, float | None]]


def _plan(columns: Sequence[Any]) -> Plan:
    """(key, value labels, width when wrapped) per column, worked out once instead of per cell."""
    return [(c.key, VALUE_LABELS.get(c.key), c.width if c.key in WRAPPED else None) for c in columns]


class ScorecardWriter:
    """Write scorecard.xlsx: call `add` per conversation, then `close` with the aggregates."""

    def __init__(
        self,
        path: Path,
        rules: Sequence[RuleInfo],
        policy: ScoringPolicy,
        *,
        max_rows: int = EXCEL_MAX_ROWS,
        max_links: int = EXCEL_MAX_LINKS,
        title: str = "",
        tz: tzinfo | None = None,
    ) -> None:
        """Open the workbook; nothing appears at `path` until `close` succeeds."""
        self.path, self.rules, self.policy, self.title = path, list(rules), policy, title
        self.titles = {r.id: r.title for r in self.rules}
        self.tz = tz or zone(None)
        self.generated = datetime.now(self.tz)
        self.footer = f"生成于 {self.generated:%Y-%m-%d %H:%M}（{self.tz}）"
        self.notes: Counter[str] = Counter()
        self.wb = Workbook(write_only=True)
        self.summary = self.wb.create_sheet("汇总")
        print_layout(self.summary, self.footer, title_rows=None, title_cols=None, grid=False, one_page=True)
        self.agents = self.wb.create_sheet("坐席")
        print_layout(self.agents, self.footer, title_cols="A:B")
        self.matrix = self.wb.create_sheet("坐席×规则")
        print_layout(self.matrix, self.footer, title_cols="A:B")
        zone_name = str(self.tz)
        find_cols = with_zone(FINDING_SHEET_COLUMNS, zone_name)
        conv_cols = with_zone(CONVERSATION_SHEET_COLUMNS, zone_name)
        args = (self.notes, max_rows, max_links, self.footer)
        self.findings = SplitSheet(self.wb, FINDINGS_SHEET, find_cols, *args, print_cols=PRINT_FINDINGS)
        self.transcripts = TranscriptSheet(self.wb, *args, zone_name)
        self.conversations = SplitSheet(self.wb, CONVERSATIONS_SHEET, conv_cols, *args, print_cols=PRINT_CONVERSATIONS)
        self._conv_plan, self._find_plan = _plan(conv_cols), _plan(find_cols)
        self._turn_col = [c.key for c in find_cols].index("turn_no") + 1
        self._count_col = [c.key for c in conv_cols].index("findings") + 1
        # where each agent's (and each agent × rule's) first finding is: the agents' sheets link there
        self.first_finding: dict[str, str] = {}
        self.first_rule_finding: dict[tuple[str, str], str] = {}

    @staticmethod
    def _cells(table: SplitSheet, plan: Plan, row: Mapping[str, Any]) -> tuple[list[Any], float | None]:
        """The row's cells (labels in Chinese, long text wrapped) and the height that shows it all."""
        cells, out, wrapped = table.cells, [], []
        for key, labels, width in plan:
            value = row.get(key)
            if labels is not None and value is not None:
                value = labels.get(value, value)
            if width is not None and value:
                out.append(cells.styled(value, alignment=WRAP))
                wrapped.append((str(value), width))
            else:
                out.append(cells.value(value))
        return out, wrapped_height(wrapped) if wrapped else None

    def _lost_text(self, lost: Sequence[tuple[str, float, bool]]) -> str:
        return "；".join(
            f"{self.titles.get(rid) or rid} −{points:g}" + ("（一票否决）" if veto else "")
            for rid, points, veto in lost
        )

    def add(self, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], turns: Sequence[TurnRow] = ()) -> None:
        """Write one conversation row, its transcript (when it has findings) and its finding rows, all linked."""
        conv = self.conversations
        turn_at = self.transcripts.add(row, findings, turns) if findings and turns else {}
        shown = {**row, "lost_rules": self._lost_text(row.get("lost") or ())} if row.get("lost") else row
        values, height = self._cells(conv, self._conv_plan, shown)
        links: dict[int, str] = {}
        if findings:
            links[self._count_col] = sheet_location(*self.findings.next_location())
            if None in turn_at:
                links[1] = turn_at[None]
        if links and conv.can_link():
            for col in links:
                values[col - 1] = conv.cells.styled(values[col - 1], font=LINK_FONT)
        back = sheet_location(*conv.append(values, links or None, height))
        agent = str(row.get("agent_id") or "（未知）")
        for f in findings:
            table = self.findings
            out, height = self._cells(table, self._find_plan, f)
            links = {1: back}
            target = turn_at.get(f["turn_index"])
            if target is not None:
                links[self._turn_col] = target
            if table.can_link():
                for col in links:
                    out[col - 1] = table.cells.styled(out[col - 1], font=LINK_FONT)
            here = sheet_location(*table.append(out, links, height))  # past the link limit this only counts the drop
            self.first_finding.setdefault(agent, here)
            self.first_rule_finding.setdefault((agent, f["rule_id"]), here)

    def add_rendered(self, rows: SheetRows) -> None:
        """As `add`, from the rows report/sheetrows.py rendered where the conversation was audited."""
        turn_at = [sheet_location(*self.transcripts.table.append_rendered(r)) for r in rows.transcript]
        conv = self.conversations
        links: dict[int, str] = {}
        if rows.findings:
            links[self._count_col] = sheet_location(*self.findings.next_location())
            if turn_at:
                links[1] = turn_at[0]
        on = bool(links) and conv.can_link()
        linked = (on and bool(turn_at), on and bool(rows.findings))
        back = sheet_location(*conv.append_rendered(rows.conversation, links or None, linked))
        agent = rows.agent
        table = self.findings
        for row, turn, rule in zip(rows.findings, rows.finding_turns, rows.finding_rules, strict=True):
            links = {1: back}
            if turn >= 0:
                links[self._turn_col] = turn_at[turn]
            on = table.can_link()
            here = sheet_location(*table.append_rendered(row, links, (on, on and turn >= 0)))
            self.first_finding.setdefault(agent, here)
            self.first_rule_finding.setdefault((agent, rule), here)

    def close(self, agg: Aggregates) -> None:
        """Fill the summary, agents, agent × rule, breakdown and rules sheets and save atomically."""
        self.findings.finish()
        self.conversations.finish()
        self.transcripts.finish()
        threshold = self.policy.pass_threshold
        keys = [c.key for c in self.findings.columns]
        review, tier = keys.index("review_result") + 1, get_column_letter(keys.index("tier") + 1)
        last_col = get_column_letter(len(keys))
        for ws, last in self.findings.parts:
            dv = DataValidation(type="list", formula1=f'"{REVIEW_CHOICES}"', allow_blank=True)
            letter = get_column_letter(review)
            dv.add(f"{letter}2:{letter}{max(last, 2)}")
            ws.data_validations.append(dv)  # write-only sheets: no add_data_validation()
            # 待复核 rows in their own colour (and the 处理 column filters them)
            ws.conditional_formatting.add(
                f"A2:{last_col}{max(last, 2)}", equals_rule(f"${tier}2", "待复核", REVIEW_FILL)
            )
        conv_cols = self.conversations.columns
        for ws, last in self.conversations.parts:
            ws.conditional_formatting.add(column_range(conv_cols, "score", last), low_score_rule(threshold))
            veto = column_range(conv_cols, "vetoed", last)
            ws.conditional_formatting.add(veto, equals_rule(veto.split(":")[0], "是"))
            passed = column_range(conv_cols, "passed", last)
            ws.conditional_formatting.add(passed, equals_rule(passed.split(":")[0], "不合格"))
        excel_sheets.write_agents(self.agents, agg, threshold, self.notes, self.first_finding)
        write_matrix(self.matrix, agg, self.rules, self.notes, self.first_finding, self.first_rule_finding)
        groups = self.wb.create_sheet("分组统计")
        print_layout(groups, self.footer, title_rows=None, grid=False)
        excel_sheets.write_groups(groups, agg, self.notes)
        rules_ws = self.wb.create_sheet("规则")
        print_layout(rules_ws, self.footer, title_cols="A:B")
        excel_sheets.write_rules(rules_ws, self.rules, agg, self.notes)
        excel_sheets.write_summary(
            self.summary,
            agg,
            self.policy,
            self.rules,
            self._split_notes(),
            self.notes,
            excel_sheets.RunInfo(self.title, self.generated, self.tz),
        )
        self._order_sheets()
        with atomic_path(self.path) as tmp:
            save_workbook(self.wb, tmp)

    def abort(self) -> None:
        """Give up: close and delete openpyxl's per-sheet temporary files; write nothing."""
        self.findings.abort()
        self.conversations.abort()
        self.transcripts.abort()
        for ws in self.wb._sheets:
            writer = getattr(ws, "_writer", None)
            if writer is None:
                continue
            with contextlib.suppress(Exception):
                if ws._rows is not None:
                    ws._rows.close()
                writer.close()
                writer.cleanup()

    def _split_notes(self) -> list[str]:
        notes = []
        for table in (self.findings, self.transcripts.table, self.conversations):
            if len(table.parts) > 1:
                names = "、".join(ws.title for ws, _ in table.parts[1:])
                notes.append(
                    f"「{table.title}」超过 Excel 每表 {table.max_rows:,} 行上限，续表见：{names}"
                    f"（共 {table.rows:,} 行）"
                )
            if table.links_dropped:
                notes.append(
                    f"「{table.title}」每表超过 {table.max_links:,} 个超链接（Excel 上限）后的 "
                    f"{table.links_dropped:,} 个链接未设，请按会话ID筛选"
                )
        return notes

    def _order_sheets(self) -> None:
        order = [
            self.summary,
            self.agents,
            self.matrix,
            *(ws for ws, _ in self.findings.parts),
            *(ws for ws, _ in self.transcripts.table.parts),
            *(ws for ws, _ in self.conversations.parts),
        ]
        rest = [ws for ws in self.wb._sheets if ws not in order]
        self.wb._sheets = order + rest


def save_workbook(wb: Workbook, path: Path) -> None:
    """`wb.save(path)` (openpyxl's save_workbook) with the parts deflated at ZIP_LEVEL."""
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
    wb.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
    ExcelWriter(wb, archive).save()
