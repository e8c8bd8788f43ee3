"""The spooled hyperlinks are written as openpyxl (lxml) writes them, on both kinds of sheet writer."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

from qa_audit.report.fastrows import FastRows
from qa_audit.report.links import LinkSpool

LOCATIONS = ["'发现明细'!A5", "'a''b&<>\"\t'!B7", "'x😀é(2)'!C1", "no-bang"]


def _hyperlinks(tmp_path: Path, fast: bool) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    if fast:
        FastRows(ws)
    ws.append(["header"])
    spool = LinkSpool(ws)
    for i, location in enumerate(LOCATIONS, 2):
        spool.add(f"A{i}", location)
    path = tmp_path / f"{fast}.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    found = re.search(rb"<hyperlinks>.*</hyperlinks>", xml, re.S)
    assert found is not None
    return found.group(0)


def test_raw_hyperlinks_are_the_bytes_lxml_writes(tmp_path: Path) -> None:
    raw = _hyperlinks(tmp_path, fast=True)
    assert raw == _hyperlinks(tmp_path, fast=False)
    assert raw.count(b"<hyperlink ") == len(LOCATIONS)
