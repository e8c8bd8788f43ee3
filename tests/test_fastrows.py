"""FastRows writes the same sheet XML as openpyxl's ws.append, cell for cell."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import IllegalCharacterError

from qa_audit.report.fastrows import FastRows, Styled

WRAP = Alignment(wrap_text=True, vertical="top")
FILL = PatternFill("solid", fgColor="FFC7CE")


def _rows(ws) -> list[tuple[list, float | None]]:
    def styled(value, **style):
        cell = WriteOnlyCell(ws, value=value)
        for k, v in style.items():
            setattr(cell, k, v)
        return cell

    quoted = WriteOnlyCell(ws, value="=SUM(A1)")
    quoted.data_type = "s"
    quoted.quotePrefix = True
    noted = WriteOnlyCell(ws, value="带批注")
    noted.comment = Comment("note", "qa")
    linked = WriteOnlyCell(ws, value="link")
    linked.hyperlink = "#'会话'!A1"
    rich = WriteOnlyCell(ws, value=CellRichText(["您好", TextBlock(InlineFont(b=True, color="C00000"), "抱歉"), "。"]))
    rich.fill = FILL
    return [
        (["纯文本", 1, 2.5, None, "a & b < c > d\r\ne\t\"q\" 'x'", " 前后空格 ", "", "😀 emoji"], None),
        ([styled("换行\n文本", alignment=WRAP), styled(None, fill=FILL), styled(3, font=Font(bold=True))], 45.0),
        (["=1+1", "#N/A", "-负号", quoted, float("nan"), 10**20, 1 / 3, True, datetime(2026, 1, 2, 3, 4)], 409.0),
        ([noted, linked, rich, styled("", fill=FILL), WriteOnlyCell(ws, value=None)], None),
        ([None, None, "x" * 40_000], 30.0),
        # short texts seen before: their cell XML comes from FastRows' memo, the rest as before
        (["纯文本", "=1+1", "#N/A", "", " 前后空格 ", "a & b < c > d\r\ne\t\"q\" 'x'", "纯文本", "x" * 40_000], None),
        (["=1+1", "#N/A", "", " 前后空格 ", "纯文本"], None),
        (  # light cells: Styled values with a cell's style array, as CellMaker(light=True) makes them
            [
                Styled("包起来的文本", styled("a", alignment=WRAP)._style),
                Styled(None, styled(None, fill=FILL)._style),
                Styled(7, styled(0, font=Font(bold=True))._style),
                Styled("#N/A", styled("a", fill=FILL)._style),
                Styled("无样式", WriteOnlyCell(ws, value="a")._style),
                Styled(" 空格 &", styled("a", alignment=WRAP)._style),
            ],
            60.0,
        ),
    ]


def _sheet_xml(tmp: Path, fast: bool) -> dict[str, bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    ws.column_dimensions["A"].width = 20
    ws.freeze_panes = "B2"
    rows = FastRows(ws) if fast else None
    ws.append(["表头", WriteOnlyCell(ws, value="head")])
    for i, (values, height) in enumerate(_rows(ws), 2):
        if rows is not None:
            rows.append(values, i, height)
            continue
        values = [v.cell(ws) if isinstance(v, Styled) else v for v in values]
        if height is not None:
            ws.row_dimensions[i].height = height
            ws.append(values)
            del ws.row_dimensions[i]
        else:
            ws.append(values)
    path = tmp / ("fast.xlsx" if fast else "plain.xlsx")
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps")}


def test_same_bytes_as_openpyxl(tmp_path: Path) -> None:
    plain, fast = _sheet_xml(tmp_path, False), _sheet_xml(tmp_path, True)
    assert plain.keys() == fast.keys()
    for name in plain:
        assert fast[name] == plain[name], name
    sheet = fast["xl/worksheets/sheet1.xml"]
    assert b'<row r="3" ht="45" customHeight="1">' in sheet
    assert b"a &amp; b &lt; c &gt; d&#13;\n" in sheet
    assert b"&#32431;&#25991;&#26412;" in sheet  # 纯文本, as lxml writes it


def test_illegal_character_raises_like_openpyxl(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    rows = FastRows(ws)
    ws.append(["head"])
    with pytest.raises(IllegalCharacterError):
        rows.append(["bad \x01 text"], 2)
    ws._rows.close()  # abandon the sheet as ScorecardWriter.abort does
    ws._writer.close()
    ws._writer.cleanup()
    plain = Workbook(write_only=True).create_sheet("t")
    with pytest.raises(IllegalCharacterError):
        plain.append(["bad \x01 text"])
