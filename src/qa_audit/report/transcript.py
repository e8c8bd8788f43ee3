"""The 会话原文 sheet: every conversation that has a finding, one turn per row, its findings marked.

Each conversation opens with a banner row (agent, time, score); a turn with a finding is filled
(red: deducted, lavender: 待复核) and the finding's words are set in bold red rich text. Findings
link to their turn here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from qa_audit.model import ConversationResult
from qa_audit.report.excel_columns import TRANSCRIPT_COLUMNS, with_zone
from qa_audit.report.excel_parts import SplitSheet
from qa_audit.report.excel_style import (
    BAD_FILL,
    BANNER_FILL,
    BANNER_FONT,
    REVIEW_FILL,
    WRAP,
    sheet_location,
    wrapped_height,
)
from qa_audit.report.labels import CHANNEL, PASSED, ROLE
from qa_audit.report.safe import cell_text, looks_like_formula
from qa_audit.report.tables import turn_time

SHEET = "会话原文"
MARK_FONT = InlineFont(b=True, color="C00000", u="single")
TurnRow = tuple[int, str, str, str]  # index, role, text, time


def transcript_turns(result: ConversationResult, tz: tzinfo | None) -> tuple[TurnRow, ...]:
    """Return the turns of a conversation as plain tuples (small to spool for per-agent workbooks)."""
    return tuple((t.index, t.role, t.text, turn_time(t, tz)) for t in result.conversation.turns)


def _merge(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(x for x in spans if 0 <= x[0] < x[1] <= length):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def marked_text(text: str, spans: list[tuple[int, int]]) -> CellRichText | None:
    """Return `text` as rich text with `spans` in bold red, or None when there is nothing to mark."""
    clean, cut = cell_text(text)
    merged = _merge(spans, len(text))
    if cut or not merged:
        return None
    parts: list[Any] = []
    at = 0
    for s, e in merged:
        if s > at:
            parts.append(clean[at:s])
        parts.append(TextBlock(MARK_FONT, clean[s:e]))
        at = e
    if at < len(clean):
        parts.append(clean[at:])
    return CellRichText(parts)


def _note(f: Mapping[str, Any]) -> str:
    title = f.get("rule_title") or f["rule_id"]
    if f.get("tier") == "review":
        head = f"待复核：{title}"
    elif f.get("kind") == "加分":
        head = f"加 {float(f['points']):g} 分：{title}"
    else:
        head = f"扣 {float(f['counted']):g} 分：{title}"
    return f"{head}（{f['quote']}）" if f.get("missing") else head


def findings_by_turn(findings: Sequence[Mapping[str, Any]]) -> dict[Any, list[Mapping[str, Any]]]:
    """Group a conversation's finding rows by the turn they anchor on (None: the whole conversation)."""
    by_turn: dict[Any, list[Mapping[str, Any]]] = {}
    for f in findings:
        by_turn.setdefault(f["turn_index"], []).append(f)
    return by_turn


def banner_text(row: Mapping[str, Any], n_findings: int) -> str:
    """The banner line over a conversation's transcript: agent, team, channel, start, score, findings."""
    return " · ".join(
        str(x)
        for x in (
            f"坐席 {row['agent_id'] or ''} {row['agent_name'] or ''}".strip(),
            row["team"],
            CHANNEL.get(row["channel"], row["channel"]),
            row.get("started_local"),
            f"得分 {row['score']:g}（{PASSED[bool(row['passed'])]}）",
            f"{n_findings} 条发现",
        )
        if x
    )


class TranscriptSheet:
    """Write conversations turn by turn; tell where each turn landed."""

    def __init__(self, wb: Any, notes: Counter[str], max_rows: int, max_links: int, footer: str, zone: str) -> None:
        """Create the sheet (continued on 会话原文(2)… when full)."""
        self.table = SplitSheet(wb, SHEET, with_zone(TRANSCRIPT_COLUMNS, zone), notes, max_rows, max_links, footer)
        widths = {c.key: c.width for c in TRANSCRIPT_COLUMNS}
        self.text_width, self.note_width = widths["text"], widths["notes"]

    def add(
        self, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], turns: Sequence[TurnRow]
    ) -> dict[int | None, str]:
        """Write one conversation; return a link location per turn index (None: the banner row)."""
        table = self.table
        by_turn = findings_by_turn(findings)
        cells = table.cells
        cid = row["conversation_id"]
        banner = banner_text(row, len(findings))
        first = [
            cells.styled(cid, font=BANNER_FONT, fill=BANNER_FILL),
            None,
            None,
            None,
            cells.styled(banner, font=BANNER_FONT, fill=BANNER_FILL),
            None,
        ]
        where: dict[int | None, str] = {None: sheet_location(*table.append(first))}
        safe_cid = cells.value(cid)
        for index, role, text, time in turns:
            hits = by_turn.get(index, ())
            lead = [cid, index + 1, ROLE.get(role, role), time or None]
            if not hits:
                values: list[Any] = [safe_cid, *lead[1:]]  # the rest are numbers and our own labels
                height = wrapped_height([(text, self.text_width)])
                values += [cells.styled(text, alignment=WRAP) if height else cells.value(text), None]
                where[index] = sheet_location(*table.append(values, None, height))
                continue
            note = "\n".join(_note(f) for f in hits)
            rich = marked_text(text, [tuple(f["span"]) for f in hits if f.get("span")])
            fill = BAD_FILL if any(f.get("tier") != "review" for f in hits) else REVIEW_FILL
            out = [cells.styled(v, fill=fill) for v in lead]
            if rich is not None:
                text_cell = WriteOnlyCell(cells.ws, value=rich)
                text_cell.fill, text_cell.alignment = fill, WRAP
                text_cell.quotePrefix = looks_like_formula(text)  # stays text when someone edits it
            else:
                text_cell = cells.styled(text, fill=fill, alignment=WRAP)
            out += [text_cell, cells.styled(note, fill=fill, alignment=WRAP)]
            height = wrapped_height([(text, self.text_width), (note, self.note_width)])
            where[index] = sheet_location(*table.append(out, None, height))
        return where

    def finish(self) -> None:
        """Filters and print areas on every part."""
        self.table.finish()

    def abort(self) -> None:
        """Drop the link spools."""
        self.table.abort()
