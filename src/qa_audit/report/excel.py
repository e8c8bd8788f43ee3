"""Stream the scorecard workbook: conversation and finding rows go straight to disk.

openpyxl write-only mode keeps memory flat (measurements.md: 42 MiB for 200k rows vs 837 MiB);
the summary, agents, breakdown and rules sheets are filled at the end from the aggregates.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.report import excel_sheets
from qa_audit.report.aggregate import Aggregates
from qa_audit.report.excel_style import (
    LINK_FONT,
    CellMaker,
    column_range,
    equals_rule,
    finish_table,
    low_score_rule,
    prepare_table,
    sheet_location,
)
from qa_audit.report.links import EXCEL_MAX_LINKS, LinkSpool
from qa_audit.report.safe import EXCEL_MAX_ROWS, atomic_path
from qa_audit.report.tables import CONVERSATION_COLUMNS, FINDING_COLUMNS, REVIEW_COLUMNS, Column

FINDINGS_SHEET, CONVERSATIONS_SHEET = "发现明细", "会话"
REVIEW_CHOICES = "属实,误判,存疑"


class SplitSheet:
    """A table that continues on 'Name(2)', 'Name(3)'... when a sheet is full."""

    def __init__(
        self,
        wb: Workbook,
        title: str,
        columns: Sequence[Column],
        notes: Counter[str],
        max_rows: int = EXCEL_MAX_ROWS,
        max_links: int = EXCEL_MAX_LINKS,
    ) -> None:
        """Create the first part; `max_rows` counts the header row, like Excel's limit."""
        self.wb, self.title, self.columns, self.notes = wb, title, columns, notes
        self.max_rows, self.max_links = max_rows, max_links
        self.parts: list[tuple[Any, int]] = []  # (sheet, last row written)
        self.links: list[LinkSpool] = []
        self._new_part()

    def _new_part(self) -> None:
        n = len(self.parts) + 1
        ws = self.wb.create_sheet(self.title if n == 1 else f"{self.title}({n})")
        prepare_table(ws, self.columns)
        ws.append(CellMaker(ws, self.notes).header(self.columns))
        self.parts.append((ws, 1))
        self.links.append(LinkSpool(ws, self.max_links))
        self.cells = CellMaker(ws, self.notes)

    def next_location(self) -> tuple[str, int]:
        """Return (sheet title, row) the next appended row will land on."""
        ws, last = self.parts[-1]
        if last >= self.max_rows:
            return f"{self.title}({len(self.parts) + 1})", 2
        return ws.title, last + 1

    def roll(self) -> None:
        """Start the next part when the current sheet is full (call before building cells)."""
        if self.parts[-1][1] >= self.max_rows:
            self._new_part()

    def can_link(self) -> bool:
        """True while the current sheet is under Excel's hyperlink limit."""
        self.roll()
        return not self.links[-1].full()

    def append(self, values: list[Any], links: Mapping[int, str] | None = None) -> tuple[str, int]:
        """Append one row; `links` maps 1-based columns to link targets. Return where it landed."""
        self.roll()
        ws, last = self.parts[-1]
        ws.append(values)
        self.parts[-1] = (ws, last + 1)
        for col, location in (links or {}).items():
            self.links[-1].add(f"{get_column_letter(col)}{last + 1}", location)
        return ws.title, last + 1

    @property
    def rows(self) -> int:
        """Data rows written over all parts."""
        return sum(last - 1 for _, last in self.parts)

    @property
    def links_dropped(self) -> int:
        """Links left out because a sheet hit Excel's hyperlink limit."""
        return sum(spool.dropped for spool in self.links)

    def finish(self) -> None:
        """Put a filter on every part."""
        for ws, last in self.parts:
            finish_table(ws, self.columns, last)

    def abort(self) -> None:
        """Drop the link spools."""
        for spool in self.links:
            spool.close()


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
    ) -> None:
        """Open the workbook; nothing appears at `path` until `close` succeeds."""
        self.path, self.rules, self.policy, self.title = path, list(rules), policy, title
        self.notes: Counter[str] = Counter()
        self.wb = Workbook(write_only=True)
        self.summary = self.wb.create_sheet("汇总")
        self.agents = self.wb.create_sheet("坐席")
        self.findings = SplitSheet(
            self.wb, FINDINGS_SHEET, FINDING_COLUMNS + REVIEW_COLUMNS, self.notes, max_rows, max_links
        )
        self.conversations = SplitSheet(
            self.wb, CONVERSATIONS_SHEET, CONVERSATION_COLUMNS, self.notes, max_rows, max_links
        )
        self._conv_keys = [c.key for c in CONVERSATION_COLUMNS]
        self._find_keys = [c.key for c in FINDING_COLUMNS]

    def add(self, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> None:
        """Write one conversation row and its finding rows, linked both ways."""
        conv = self.conversations
        linked = bool(findings) and conv.can_link()
        cells = conv.cells
        values = [cells.value(row[k]) for k in self._conv_keys]
        col = self._conv_keys.index("findings")
        if linked:
            values[col] = cells.styled(row["findings"], font=LINK_FONT)
        first = sheet_location(*self.findings.next_location())
        where = conv.append(values, {col + 1: first} if findings else None)
        back = sheet_location(*where)
        for f in findings:
            linked = self.findings.can_link()
            fc = self.findings.cells
            out = [fc.value(f[k]) for k in self._find_keys]
            if linked:
                out[0] = fc.styled(f["conversation_id"], font=LINK_FONT)
            self.findings.append(out, {1: back})  # past the link limit this only counts the drop

    def close(self, agg: Aggregates) -> None:
        """Fill the summary, agents, breakdown and rules sheets and save atomically."""
        self.findings.finish()
        self.conversations.finish()
        threshold = self.policy.pass_threshold
        review = [c.key for c in FINDING_COLUMNS + REVIEW_COLUMNS].index("review_result") + 1
        for ws, last in self.findings.parts:
            dv = DataValidation(type="list", formula1=f'"{REVIEW_CHOICES}"', allow_blank=True)
            letter = get_column_letter(review)
            dv.add(f"{letter}2:{letter}{max(last, 2)}")
            ws.data_validations.append(dv)  # write-only sheets: no add_data_validation()
        for ws, last in self.conversations.parts:
            score = column_range(CONVERSATION_COLUMNS, "score", last)
            ws.conditional_formatting.add(score, low_score_rule(threshold))
            veto = column_range(CONVERSATION_COLUMNS, "vetoed", last)
            ws.conditional_formatting.add(veto, equals_rule(veto.split(":")[0], "是"))
        excel_sheets.write_agents(self.agents, agg, threshold, self.notes)
        groups = self.wb.create_sheet("分组统计")
        excel_sheets.write_groups(groups, agg, self.notes)
        rules_ws = self.wb.create_sheet("规则")
        excel_sheets.write_rules(rules_ws, self.rules, agg, self.notes)
        excel_sheets.write_summary(
            self.summary, agg, self.policy, self.rules, self._split_notes(), self.notes, self.title
        )
        self._order_sheets()
        with atomic_path(self.path) as tmp:
            self.wb.save(tmp)

    def abort(self) -> None:
        """Give up: close and delete openpyxl's per-sheet temporary files; write nothing."""
        self.findings.abort()
        self.conversations.abort()
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
        for table in (self.findings, self.conversations):
            if len(table.parts) > 1:
                names = "、".join(ws.title for ws, _ in table.parts[1:])
                notes.append(
                    f"「{table.title}」超过 Excel 每表 {table.max_rows:,} 行上限，续表见：{names}"
                    f"（共 {table.rows:,} 行）"
                )
            if table.links_dropped:
                notes.append(
                    f"「{table.title}」每表超过 {table.max_links:,} 个超链接（Excel 上限）后的 "
                    f"{table.links_dropped:,} 行未设链接，请按会话ID筛选"
                )
        return notes

    def _order_sheets(self) -> None:
        order = [
            self.summary,
            self.agents,
            *(ws for ws, _ in self.findings.parts),
            *(ws for ws, _ in self.conversations.parts),
        ]
        rest = [ws for ws in self.wb._sheets if ws not in order]
        self.wb._sheets = order + rest
