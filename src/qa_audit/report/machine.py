"""Machine-readable outputs beside the workbook: findings.jsonl, and CSV / Parquet on request.

They are written from the same rows as the workbook, streaming, each file atomically.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from qa_audit.atomic import atomic_path, atomic_text
from qa_audit.report.safe import csv_text
from qa_audit.report.tables import CONVERSATION_COLUMNS, FINDING_COLUMNS, Column

FORMATS = ("csv", "parquet")
_BATCH = 5_000
_INT = {"hour", "turns", "findings", "line", "turn_index"}
_FLOAT = {"score", "possible", "deducted", "complaint_prob", "points", "counted"}
_BOOL = {"passed", "vetoed", "is_complaint"}


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return csv_text(value)
    return value


class _CsvTable:
    def __init__(self, stack: contextlib.ExitStack, path: Path, columns: Sequence[Column]) -> None:
        # utf-8-sig: Excel and WPS read a BOM-less UTF-8 CSV as the local code page
        fh = stack.enter_context(atomic_text(path, newline="", encoding="utf-8-sig"))
        self.keys = [c.key for c in columns]
        self.writer = csv.writer(fh)
        self.writer.writerow(self.keys)

    def add(self, row: Mapping[str, Any]) -> None:
        self.writer.writerow([_csv_value(row.get(k)) for k in self.keys])


class _ParquetTable:
    def __init__(self, stack: contextlib.ExitStack, path: Path, columns: Sequence[Column]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def kind(key: str) -> Any:
            if key in _INT:
                return pa.int64()
            if key in _FLOAT:
                return pa.float64()
            return pa.bool_() if key in _BOOL else pa.string()

        self.pa = pa
        self.schema = pa.schema([(c.key, kind(c.key)) for c in columns])
        tmp = stack.enter_context(atomic_path(path))
        # registered after atomic_path, so the writer is closed before the file is moved into place
        self.writer = stack.enter_context(pq.ParquetWriter(tmp, self.schema))
        self.rows: list[dict[str, Any]] = []
        stack.callback(self.flush)

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows.append(dict(row))
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []


class MachineOutputs:
    """findings.jsonl always; conversations/findings as CSV and/or Parquet when asked."""

    def __init__(self, outdir: Path, formats: Collection[str]) -> None:
        """Open every output (as temporary files until `close`)."""
        self.stack = contextlib.ExitStack()
        self.paths = [outdir / "findings.jsonl"]
        self.jsonl = self.stack.enter_context(atomic_text(self.paths[0]))
        self.tables: list[tuple[Any, Any]] = []
        for fmt in FORMATS:
            if fmt not in formats:
                continue
            cls = _CsvTable if fmt == "csv" else _ParquetTable
            conv, find = outdir / f"conversations.{fmt}", outdir / f"findings.{fmt}"
            self.tables.append((cls(self.stack, conv, CONVERSATION_COLUMNS), cls(self.stack, find, FINDING_COLUMNS)))
            self.paths += [conv, find]

    def add(self, lines: str, row: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> None:
        """Write one conversation: its findings.jsonl `lines` (report/prepare.py), its table rows."""
        self.jsonl.write(lines)
        for conv, find in self.tables:
            conv.add(row)
            for frow in findings:
                find.add(frow)

    def close(self) -> None:
        """Finish every file and move it into place."""
        self.stack.close()

    def abort(self, exc: BaseException) -> None:
        """Drop every temporary file; nothing is moved into place."""
        self.stack.__exit__(type(exc), exc, exc.__traceback__)
