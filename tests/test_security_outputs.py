"""Outputs that cannot hurt their readers, checked end to end through `qa-audit audit`.

Every text a customer or an upstream system controls (turn text, agent id and name, team, conversation
id, source file name) is fed in starting with each character a spreadsheet evaluates (= + - @ tab CR),
and every cell of every workbook and every CSV field is inspected. test_report.py covers the writer
alone (one `=HYPERLINK` text, stems of ../../x); this covers the whole path and every field.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.report.safe import FORMULA_START

PAYLOADS = [
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
SNEAKY_AGENTS = ["../../x", "..\\..\\y", "/etc/cron.d/z", "C:\\Windows\\w", "CON", ".hidden", "a/../../b"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    src = root / "=cmd.jsonl"
    rows = []
    for i, payload in enumerate(PAYLOADS):
        rows.append(
            {
                "conversation_id": f"{payload.strip()}#{i}",
                "agent_id": payload.strip(),
                "agent_name": payload,
                "team": payload,
                "channel": "chat",
                "turns": [
                    {"role": "customer", "text": payload},
                    {"role": "agent", "text": payload + " 你好，不归我们管"},
                ],
            }
        )
    for i, agent in enumerate(SNEAKY_AGENTS):
        rows.append({"conversation_id": f"S{i}", "agent_id": agent, "turns": [{"role": "agent", "text": "你好"}]})
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = root / "deep" / "out"
    result = CliRunner().invoke(main, ["audit", str(src), "-o", str(out), "--format", "csv", "--split-by", "agent"])
    assert result.exit_code == 0, result.output
    return out


def dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not re.fullmatch(r"-\d+(\.\d+)?", value)


def test_no_workbook_cell_is_a_formula_and_formula_like_text_stays_text(run):
    books = [run / "scorecard.xlsx", *sorted((run / "by_agent").glob("*.xlsx"))]
    assert len(books) == 1 + len(PAYLOADS) + len(SNEAKY_AGENTS) - 1  # "\t=1+1" and "\r=1+1" strip to one id
    seen = 0
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, ws.title, cell.coordinate, cell.value)
                    if dangerous(cell.value):
                        seen += 1
                        assert cell.data_type == "s" and cell.quotePrefix, (book.name, ws.title, cell.coordinate)
    assert seen >= len(PAYLOADS) * 3  # ids, names, teams and turn texts did reach the workbooks


def test_no_csv_field_starts_with_a_formula_character(run):
    fields = 0
    for table in ("conversations.csv", "findings.csv"):
        with open(run / table, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for value in row:
                    assert not dangerous(value), (table, value)
                    fields += value.startswith(("'=", "'+", "'@"))
    assert fields >= len(PAYLOADS)  # the payloads are there, defused with a leading '


def test_agent_ids_never_place_a_file_outside_the_output_directory(run):
    root = run.parent.parent
    outside = [p for p in root.rglob("*") if p.is_file() and run not in p.parents and p.suffix != ".jsonl"]
    assert not outside, outside
    split = sorted(p.name for p in (run / "by_agent").iterdir())
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in split)
    assert len(split) == len(set(split)) == len(PAYLOADS) - 1 + len(SNEAKY_AGENTS)
