"""Read .xlsx workbooks (openpyxl, read-only) with one row per turn."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import openpyxl

from ..model import Conversation, Rejected
from .build import reject
from .limits import XLSX_MAX_COLUMNS, xlsx_problem
from .tabular import Row, find_header, header_problem, is_blank, records_from_rows


def read_xlsx(path: Path, source: str, overrides: Mapping[str, str]) -> Iterator[Conversation | Rejected]:
    """Yield the conversations of every worksheet that has a header row with the required columns.

    Worksheets without such a header (notes, pivot tables) are skipped; when no worksheet has one
    the file is one Rejected naming the headers of the first. A workbook that cannot be opened or
    parsed is one Rejected with line None. Conversations are grouped per worksheet.
    """
    problem = xlsx_problem(path)
    if problem is not None:
        yield reject(source, None, f"cannot read Excel file (无法读取Excel文件): {problem}")
        return
    try:
        sheets = _load(path)
    except Exception as exc:  # openpyxl raises many types (BadZipFile, KeyError, XML errors) on bad files
        yield reject(source, None, f"cannot read Excel file (无法读取Excel文件): {type(exc).__name__}: {exc}")
        return
    found = [(title, rows, h) for title, rows in sheets if (h := find_header(rows, overrides)) is not None]
    if not found:
        title, rows = sheets[0] if sheets else ("", [])
        line, reason = header_problem(rows, overrides)
        if line is None and all(is_blank(c) for _, rows in sheets for _, c in rows):
            return  # an empty workbook holds no record
        yield reject(source, line, f"sheet {title!r}: {reason}" if title else reason)
        return
    for title, rows, header in found:
        prefix = f"sheet {title} " if len(sheets) > 1 else ""
        yield from records_from_rows(rows, header, source, prefix=prefix, sep="\t")


def _load(path: Path) -> list[tuple[str, list[Row]]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out: list[tuple[str, list[Row]]] = []
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers store a wrong size; read every row there is
            # only the columns a transcript can use, and no padding: a stray cell at XFD would
            # otherwise widen every row to 16,384 cells
            rows = ws.iter_rows(max_col=XLSX_MAX_COLUMNS.value(), values_only=True)
            out.append((ws.title, [(n, _trim(cells)) for n, cells in enumerate(rows, start=1)]))
        return out
    finally:
        wb.close()


def _trim(cells: tuple) -> tuple:
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return cells[:end]
