"""End to end: a phone number hidden with invisible characters, NBSP, full-width, circled or mathematical
digits is masked in every file `audit` writes and in everything `classify` prints.

The number is the masker's own fake test number (138 0013 8000), never a real one. A file is read the
way a reader sees it: NFKC (styled digits become digits) and everything but digits dropped, so no
separator can hide the number from this check either.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
from click.testing import CliRunner

from qa_audit.cli import main

SECRET = "1380013"  # the part of 13800138000 a mask hides
HIDDEN = (
    "138\u200b0013\u200b8000",  # zero-width spaces
    "138\u00a00013\u00a08000",  # NBSP
    "１３８００１３８０００",  # full-width
    "①③⑧⓪⓪①③⑧⓪⓪⓪",  # circled
    "\U0001d7cf\U0001d7d1\U0001d7d6\U0001d7ce\U0001d7ce\U0001d7cf\U0001d7d1\U0001d7d6\U0001d7ce\U0001d7ce\U0001d7ce",
    "138\u00ad0013\u20608000",  # soft hyphen, word joiner
)


def _input(tmp: Path) -> Path:
    rows = []
    for i, number in enumerate(HIDDEN):
        rows.append(
            {
                "conversation_id": f"M{i}",
                "agent_id": f"A{i % 2}",
                "turns": [
                    {"role": "agent", "text": f"你好，你的号码是{number}吗？这个不归我们管"},
                    {"role": "customer", "text": f"快递没到，我要投诉，电话{number}"},
                    {"role": "agent", "text": f"我保证{number}这个号码会收到短信，再见"},
                ],
            }
        )
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines += [
        json.dumps({"conversation_id": "Q1", "turns": [{"role": f"客户{n}", "text": n}]}, ensure_ascii=False)
        for n in HIDDEN
    ]
    path = tmp / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _digits(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts(path: Path) -> Iterator[str]:
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            yield from _strings(json.loads(line))
    elif path.suffix == ".json":
        yield from _strings(json.loads(path.read_text(encoding="utf-8")))
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                yield from row
    elif path.suffix == ".parquet":
        for column in pq.read_table(path).to_pylist():
            yield from (v for v in column.values() if isinstance(v, str))
    elif path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                yield from (v for v in row if isinstance(v, str))
        wb.close()
    else:
        raise AssertionError(f"an output this test does not read: {path.name}")


def test_hidden_numbers_are_masked_in_every_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["audit", str(_input(tmp_path)), "-o", str(out), "--format", "csv", "--format", "parquet"]
    res = CliRunner().invoke(main, [*args, "--split-by", "agent"])
    assert res.exit_code == 1, res.output  # the records with a bad role are quarantined
    assert SECRET not in _digits(res.output)
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    names = {p.name for p in files}
    expected = {"results.jsonl", "findings.jsonl", "quarantine.jsonl", "summary.json", "scorecard.xlsx"}
    assert expected | {"findings.csv", "conversations.parquet"} <= names
    assert len([p for p in files if p.parent.name == "by_agent"]) == 2
    seen = 0
    for path in files:
        for text in _texts(path):
            assert SECRET not in _digits(text), f"{path.relative_to(out)}: {text[:200]!r}"
            seen += "8000" in _digits(text)
    assert seen > 10  # the masked numbers are there, only hidden: the files were really read
    quarantined = [json.loads(x) for x in (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(quarantined) == len(HIDDEN)


def test_classify_masks_what_it_prints_on_stdout_and_stderr(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["classify", str(_input(tmp_path))])
    assert res.exit_code == 1, res.output
    assert res.stdout.count("\n") == len(HIDDEN) and res.stderr.count("skipped") == len(HIDDEN)
    assert SECRET not in _digits(res.stdout) and SECRET not in _digits(res.stderr)
    assert "8000" in res.stderr  # the reasons still quote the value, masked
