"""A write-only table that continues on a numbered sheet when full, with its links spooled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from qa_audit.report.excel_style import CellMaker, finish_table, prepare_table
from qa_audit.report.fastrows import FastRows
from qa_audit.report.links import EXCEL_MAX_LINKS, LinkSpool
from qa_audit.report.printing import print_columns, print_layout
from qa_audit.report.safe import EXCEL_MAX_ROWS
from qa_audit.report.sheetmarks import LINK_K, LINK_STYLE, LINKED, RECIPES, ROW, SLOT, STYLE, Row
from qa_audit.report.tables import Column

_ROW, _LINK_STYLE = ROW.encode(), LINK_STYLE.encode()
_SLOT, _STYLE = [m.encode() for m in SLOT], [m.encode() for m in STYLE]


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
        footer: str = "",
        print_cols: int | None = None,
    ) -> None:
        """Create the first part; `max_rows` counts the header row, like Excel's limit.

        Every part prints landscape with the header row and column A on each page and `footer`
        at the bottom; `print_cols` limits the printout to the first columns.
        """
        self.wb, self.title, self.columns, self.notes = wb, title, columns, notes
        self.footer, self.print_cols = footer, print_cols
        self.max_rows, self.max_links = max_rows, max_links
        self.parts: list[tuple[Any, int]] = []  # (sheet, last row written)
        self.links: list[LinkSpool] = []
        self._sids: dict[int, bytes] = {}  # RECIPES index -> style id (workbook-wide)
        self._attrs: dict[int, bytes] = {}  # RECIPES index -> its ` s="id"` attribute
        self._new_part()

    def _new_part(self) -> None:
        n = len(self.parts) + 1
        ws = self.wb.create_sheet(self.title if n == 1 else f"{self.title}({n})")
        prepare_table(ws, self.columns)
        print_layout(ws, self.footer)
        self.fast = FastRows(ws)  # takes the sheet's writer over: before its first row
        ws.append(CellMaker(ws, self.notes).header(self.columns))
        self.parts.append((ws, 1))
        self.links.append(LinkSpool(ws, self.max_links))
        self.cells = CellMaker(ws, self.notes, light=self.fast.enabled)

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

    def append(
        self, values: list[Any], links: Mapping[int, str] | None = None, height: float | None = None
    ) -> tuple[str, int]:
        """Append one row (`height` in points, for wrapped text); `links` maps 1-based columns to targets.

        Return (sheet title, row) where it landed.
        """
        self.roll()
        ws, last = self.parts[-1]
        self.fast.append(values, last + 1, height)
        self.parts[-1] = (ws, last + 1)
        for col, location in (links or {}).items():
            self.links[-1].add(f"{get_column_letter(col)}{last + 1}", location)
        return ws.title, last + 1

    def append_rendered(
        self, rendered: Row, links: Mapping[int, str] | None = None, linked: tuple[bool, bool] = (False, False)
    ) -> tuple[str, int]:
        """Append a row rendered by report/sheetrows.py as `append` writes it; `linked`: slots in the link font.

        Return (sheet title, row) where it landed.
        """
        self.roll()
        ws, last = self.parts[-1]
        n = last + 1
        xml, keys, alts = rendered
        for i, (plain, link) in enumerate(alts):
            xml = xml.replace(_SLOT[i], link if linked[i] else plain)
        link_style = True  # one replace puts the link style on every linked slot
        for k in keys:
            if k >= LINKED:
                if link_style and linked[k - LINKED]:
                    xml = xml.replace(_LINK_STYLE, self._style_id(LINK_K))
                    link_style = False
            else:
                attr = self._attrs.get(k)
                if attr is None:
                    attr = self._attrs[k] = b' s="' + self._style_id(k) + b'"'
                xml = xml.replace(_STYLE[k], attr)
        self.fast.write_raw(xml.replace(_ROW, str(n).encode()))
        self.parts[-1] = (ws, n)
        for col, location in (links or {}).items():
            self.links[-1].add(f"{get_column_letter(col)}{n}", location)
        return ws.title, n

    def _style_id(self, k: int) -> bytes:
        """The workbook's style id of RECIPES[k], registered as fastrows registers a cell's style on first use."""
        sid = self._sids.get(k)
        if sid is None:
            kw, quote = RECIPES[k]
            if quote:
                cell = WriteOnlyCell(self.parts[-1][0])
                CellMaker._apply(cell, kw.get("font"), None, kw.get("alignment"), kw.get("fill"))
                cell.quotePrefix = True
                style = cell._style
            else:
                style = self.cells.styled("x", **kw).style
            sid = self._sids[k] = str(self.wb._cell_styles.add(style)).encode()
        return sid

    @property
    def rows(self) -> int:
        """Data rows written over all parts."""
        return sum(last - 1 for _, last in self.parts)

    @property
    def links_dropped(self) -> int:
        """Links left out because a sheet hit Excel's hyperlink limit."""
        return sum(spool.dropped for spool in self.links)

    def finish(self) -> None:
        """Put a filter (and the print area) on every part."""
        for ws, last in self.parts:
            finish_table(ws, self.columns, last)
            if self.print_cols:
                print_columns(ws, get_column_letter(self.print_cols), last)

    def abort(self) -> None:
        """Drop the link spools."""
        for spool in self.links:
            spool.close()
