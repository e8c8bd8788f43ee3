"""Print layout for every sheet: landscape A4, fit to width, titles repeated, page numbers, run date."""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

A4 = 9


def print_layout(
    ws: Any,
    footer: str,
    *,
    title_rows: str | None = "1:1",
    title_cols: str | None = "A:A",
    grid: bool = True,
    one_page: bool = False,
) -> None:
    """Set the sheet's print layout; call before its first row (write-only sheets write sheetPr first).

    `footer` (the run's date) goes bottom right; the sheet name bottom left; page n of N centred.
    The header row (`title_rows`) and identifying columns (`title_cols`) repeat on every page.
    `one_page` fits the sheet to one page tall as well (the summary: bounded, read at a glance).
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.2, footer=0.25)
    ws.print_options.gridLines = grid  # tables: cell borders on paper; the summary: none
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.oddFooter.right.text = footer
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 8


def print_columns(ws: Any, last_col: str, last_row: int) -> None:
    """Print only columns A..`last_col` (the readable subset) of rows 1..`last_row`."""
    ws.print_area = f"A1:{last_col}{max(last_row, 1)}"
