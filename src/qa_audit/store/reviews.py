"""`qa-audit review import`: reviewer verdicts from scorecard workbooks into the store.

Columns are found by their header names on any sheet that has 发现ID and 复核结果 headers, so a
sheet that was sorted, filtered, re-saved, given extra columns or renamed still imports. Rows are
matched to stored findings by their finding id only; an id the store does not hold is reported,
never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qa_audit.store import schema
from qa_audit.store.connect import Store
from qa_audit.store.verdicts import VERDICTS

HEADERS = {
    "finding_id": ("发现ID", "finding_id"),
    "verdict": ("复核结果", "review_result"),
    "reviewer": ("复核人", "reviewer"),
    "note": ("复核说明", "复核备注", "review_note"),
}
HEADER_ROWS = 10  # a header row is looked for among the first rows of a sheet
BATCH = 500


@dataclass(frozen=True)
class Verdict:
    """One reviewer's verdict on one finding, with where it was read."""

    finding_id: str
    verdict: str
    reviewer: str
    note: str
    where: str  # file, sheet and row


@dataclass(frozen=True)
class ImportReport:
    """What an import did: verdicts read, new, changed, unchanged, and the rows it could not use."""

    read: int
    added: int
    updated: int
    unchanged: int
    problems: tuple[str, ...]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"  # an all-digit id a spreadsheet turned into a number
    return str(value).strip()


def _header_key(value: Any) -> str | None:
    word = re.split(r"[\s(（:：/]", _text(value), maxsplit=1)[0]
    for key, names in HEADERS.items():
        if word in names:
            return key
    return None


def _columns(rows: Iterable[tuple]) -> tuple[int, dict[str, int]] | None:
    """Return (header row number, field -> 0-based column) when a row holds 发现ID and 复核结果."""
    for n, row in enumerate(rows, start=1):
        cols: dict[str, int] = {}
        for i, value in enumerate(row):
            key = _header_key(value)
            if key and key not in cols:
                cols[key] = i
        if "finding_id" in cols and "verdict" in cols:
            return n, cols
        if n >= HEADER_ROWS:
            break
    return None


def _cell(row: tuple, cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return _text(row[i]) if i is not None and i < len(row) else ""


def read_verdicts(path: Path) -> tuple[list[Verdict], list[str]]:
    """Return the verdicts filled in a workbook and the problems of the rows that cannot be used."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [f"{path}: cannot read the workbook ({type(exc).__name__}: {exc})"]
    verdicts, problems, sheets = [], [], 0
    try:
        for ws in wb.worksheets:
            found = _columns(ws.iter_rows(max_row=HEADER_ROWS, values_only=True))
            if found is None:
                continue
            sheets += 1
            head, cols = found
            for n, row in enumerate(ws.iter_rows(min_row=head + 1, values_only=True), start=head + 1):
                verdict, fid = _cell(row, cols, "verdict"), _cell(row, cols, "finding_id")
                where = f"{path.name} {ws.title}!{n}"
                if not verdict:
                    continue
                if verdict not in VERDICTS:
                    problems.append(f"{where}: 复核结果 {verdict!r} is not one of {'/'.join(VERDICTS)}")
                elif not fid:
                    problems.append(f"{where}: 复核结果 without a 发现ID")
                else:
                    verdicts.append(
                        Verdict(fid, verdict, _cell(row, cols, "reviewer"), _cell(row, cols, "note"), where)
                    )
    finally:
        wb.close()
    if not sheets:
        problems.append(f"{path}: no sheet with 发现ID and 复核结果 columns (is it a qa-audit scorecard?)")
    return verdicts, problems


def import_reviews(store: Store, paths: Sequence[Path]) -> ImportReport:
    """Store the verdicts of every workbook in one transaction; a later verdict on a finding replaces it."""
    latest: dict[str, Verdict] = {}
    problems: list[str] = []
    read = 0
    for path in paths:
        verdicts, bad = read_verdicts(path)
        read += len(verdicts)
        problems.extend(bad)
        for v in verdicts:
            latest[v.finding_id] = v  # the last file named wins
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    added = updated = unchanged = 0
    f, r = schema.findings.c, schema.reviews.c
    with store.writing() as conn:
        ids = list(latest)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            known = set(conn.execute(select(f.finding_id).where(f.finding_id.in_(chunk))).scalars())
            stored = {
                row.finding_id: (row.verdict, row.reviewer or "", row.note or "")
                for row in conn.execute(select(schema.reviews).where(r.finding_id.in_(chunk)))
            }
            new, changed = [], []
            for fid in chunk:
                v = latest[fid]
                if fid not in known:
                    problems.append(f"{v.where}: 发现ID {fid} is not in the store (not imported)")
                    continue
                row = {"finding_id": fid, "verdict": v.verdict, "reviewer": v.reviewer, "note": v.note}
                if fid not in stored:
                    new.append({**row, "reviewed_at": now, "source": v.where})
                elif stored[fid] != (v.verdict, v.reviewer, v.note):
                    changed.append({**row, "reviewed_at": now, "source": v.where})
                else:
                    unchanged += 1
            if new:
                conn.execute(schema.reviews.insert(), new)
            for row in changed:
                conn.execute(schema.reviews.update().where(r.finding_id == row["finding_id"]).values(**row))
            added += len(new)
            updated += len(changed)
    return ImportReport(read, added, updated, unchanged, tuple(problems))
