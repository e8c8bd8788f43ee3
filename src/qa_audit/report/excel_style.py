"""Cells, styles and sheet furniture for the write-only scorecard workbook."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from copy import copy
from functools import lru_cache
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qa_audit.report.fastrows import Styled
from qa_audit.report.safe import EXCEL_MAX_CELL, FORMULA_START, ILLEGAL_CHARS, cell_text, looks_like_formula
from qa_audit.report.tables import Column

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
TITLE_FONT = Font(bold=True, size=16, color="1F3864")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")
LINK_FONT = Font(color="0563C1", underline="single")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
BAD_FONT = Font(color="9C0006")
WARN_FILL = PatternFill("solid", fgColor="FFEB9C")
REVIEW_FILL = PatternFill("solid", fgColor="E4DFEC")  # 待复核 flags: lavender, never the red of a deduction
BANNER_FILL = PatternFill("solid", fgColor="D9E1F2")  # a conversation's first row in 会话原文
BANNER_FONT = Font(bold=True, color="1F3864")
WRAP = Alignment(wrap_text=True, vertical="top")
YES, NO = "是", "否"
_bad = ILLEGAL_CHARS.search


class CellMaker:
    """Turn plain values into cells for one write-only sheet, counting what had to be cut."""

    def __init__(self, ws: Any, notes: Counter[str], *, light: bool = False) -> None:
        """Bind to a sheet; `notes` counts truncated cells per sheet title.

        `light`: styled plain values come back as `Styled` (for a sheet written by FastRows only).
        """
        self.ws = ws
        self.notes = notes
        self.light = light
        self._styles: dict[tuple, tuple[Any, tuple]] = {}

    def value(self, value: Any) -> Any:
        """Return a plain value or a cell; text never becomes a formula."""
        if type(value) is str and len(value) <= EXCEL_MAX_CELL and not (value.startswith(FORMULA_START) or _bad(value)):
            return value  # the common case, as below without the copies: clean text of normal length
        if value is None:
            return None
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, (int, float)):
            return value
        text, cut = cell_text(str(value))
        if cut:
            self.notes[self.ws.title] += 1
        if looks_like_formula(text) or cut:
            return self.text(text, quote=looks_like_formula(text))
        return text

    def text(self, text: str, *, quote: bool = False, font: Font | None = None) -> Cell:
        """Return a cell that holds `text` as a string, whatever its first character."""
        cell = WriteOnlyCell(self.ws, value=text)
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if quote:
            cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell
        if font is not None:
            cell.font = font
        return cell

    def styled(
        self,
        value: Any,
        *,
        font: Font | None = None,
        number_format: str | None = None,
        alignment: Alignment | None = None,
        fill: PatternFill | None = None,
    ) -> Any:
        """Return `value` as a styled cell (also `fill`)."""
        plain = self.value(value)
        if isinstance(plain, Cell):  # quoted or cut text: rare, style it the slow way
            return self._apply(plain, font, number_format, alignment, fill)
        # openpyxl hashes every style object on assignment; a transcript has many thousands of
        # styled cells, so each combination is registered once and its style array copied after
        key = (id(font), number_format, id(alignment), id(fill))
        known = self._styles.get(key)
        if known is None:
            cell = self._apply(WriteOnlyCell(self.ws, value=plain), font, number_format, alignment, fill)
            # the objects are kept so that their ids cannot be reused while the key lives
            known = self._styles[key] = (copy(cell._style), (font, alignment, fill))
            if not self.light:
                return cell
        if self.light:
            return Styled(plain, known[0])
        cell = WriteOnlyCell(self.ws, value=plain)
        cell._style = copy(known[0])
        return cell

    @staticmethod
    def _apply(
        cell: Cell, font: Font | None, number_format: str | None, alignment: Alignment | None, fill: PatternFill | None
    ) -> Cell:
        if font is not None:
            cell.font = font
        if number_format:
            cell.number_format = number_format
        if alignment is not None:
            cell.alignment = alignment
        if fill is not None:
            cell.fill = fill
        return cell

    def header(self, columns: Sequence[Column]) -> list[Cell]:
        """Return a header row: Chinese names, the English name in each cell's note."""
        row = []
        for col in columns:
            cell = self.text(col.zh, font=HEADER_FONT)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.comment = Comment(f"{col.key}: {col.en}", "qa-audit", width=240, height=60)
            row.append(cell)
        return row


HEADER_HEIGHT = 32.0  # two lines: headers wrap in narrow columns
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_ROW_HEIGHT = 409.0  # Excel's limit


def text_units(text: str) -> int:
    """Width of `text` in column-width units: a CJK or full-width character takes about 1.8."""
    n = len(text)
    return round(n + 0.4 * (len(text.encode("utf-8", "surrogatepass")) - n))  # CJK: 3 bytes -> 1.8


def wrapped_height(cells: Sequence[tuple[str, float]]) -> float | None:
    """Row height that shows every (text, column width) pair wrapped in full; None for one line.

    Needed because LibreOffice (and Excel for files it did not write) keep the default height of
    rows written without one, which cuts wrapped text to its first line on screen and on paper.
    """
    lines = 1
    for text, width in cells:
        lines = max(lines, wrapped_lines(text, width))
    return lines_height(lines)


def wrapped_lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped in a column `width` wide."""
    per_line = max(width - 1.0, 1.0)
    if len(text) * 1.8 <= per_line and "\n" not in text:
        return 1
    return sum(max(1, -(-text_units(part) // int(per_line))) for part in text.split("\n"))


def lines_height(lines: int) -> float | None:
    """Row height for `lines` lines of wrapped text (wrapped_height of the row's tallest cell)."""
    if lines == 1:
        return None
    return min(lines * LINE_HEIGHT + 2.0, MAX_ROW_HEIGHT)


def sheet_location(title: str, row: int, col: int = 1) -> str:
    """Return a hyperlink location like 'Sheet'!A5."""
    return f"{_quoted(title)}{get_column_letter(col)}{row}"


@lru_cache(maxsize=64)
def _quoted(title: str) -> str:
    """'Sheet'! of a sheet title (a quote in it doubled); a few sheets take every link."""
    return f"'{title.replace(chr(39), chr(39) * 2)}'!"


def prepare_table(ws: Any, columns: Sequence[Column]) -> None:
    """Set widths and frozen header; must run before the first row of a write-only sheet."""
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = HEADER_HEIGHT


def finish_table(ws: Any, columns: Sequence[Column], last_row: int) -> None:
    """Add the filter over the header and all rows written."""
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_row, 2)}"


def column_range(columns: Sequence[Column], key: str, last_row: int) -> str:
    """Return the data range (row 2 down) of the column named `key`."""
    letter = get_column_letter([c.key for c in columns].index(key) + 1)
    return f"{letter}2:{letter}{max(last_row, 2)}"


def low_score_rule(threshold: float) -> CellIsRule:
    """Conditional format: scores under the pass threshold in red."""
    return CellIsRule(operator="lessThan", formula=[f"{threshold:g}"], fill=BAD_FILL, font=BAD_FONT)


def equals_rule(cell_ref: str, text: str, fill: PatternFill = BAD_FILL) -> FormulaRule:
    """Conditional format for cells equal to `text` (cell_ref is the range's top-left cell)."""
    return FormulaRule(formula=[f'{cell_ref}="{text}"'], fill=fill)


def starts_rule(cell_ref: str, text: str, fill: PatternFill = WARN_FILL) -> FormulaRule:
    """Conditional format for cells starting with `text`."""
    return FormulaRule(formula=[f'LEFT({cell_ref},{len(text)})="{text}"'], fill=fill)
