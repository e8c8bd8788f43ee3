"""Rows of a spreadsheet (one row per turn) -> conversations; and the CSV/TSV reader.

A conversation is the set of rows sharing a conversation id, in the order the ids first appear;
its turns are its rows in row order (rows of a conversation need not be adjacent). Row numbers
are what a spreadsheet shows: the header row of a plain file is row 1.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ..model import Conversation, Rejected
from .build import build_conversation, reject
from .encoding import detect_encoding, open_text
from .headers import map_headers, missing_required
from .roles import split_ids
from .values import to_text

Row = tuple[int, Sequence[Any]]
HEADER_SEARCH_ROWS = 10  # title rows above the header are skipped, up to this many non-blank rows
_FIELD_LIMIT = 1 << 26
MAX_CELL_LINES = 1000  # a quoted cell spanning more lines is taken for an unterminated quote
_META = ("agent_id", "agent_name", "team", "channel", "started_at")


def is_blank(cells: Sequence[Any]) -> bool:
    """True when every cell is empty or whitespace."""
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def find_header(rows: Sequence[Row], overrides: Mapping[str, str]) -> tuple[int, dict[str, int]] | None:
    """Return (index in `rows` of the header row, field -> column) or None when no row qualifies."""
    candidates = [i for i, (_, cells) in enumerate(rows) if not is_blank(cells)][:HEADER_SEARCH_ROWS]
    for i in candidates:
        found = map_headers(rows[i][1], overrides)
        if not missing_required(found):
            return i, found
    return None


def header_problem(rows: Sequence[Row], overrides: Mapping[str, str]) -> tuple[int | None, str]:
    """Return (row number, reason) explaining why no header row was found."""
    first = next(((n, cells) for n, cells in rows if not is_blank(cells)), None)
    if first is None:
        return None, "no header row (没有表头): the table is empty"
    n, cells = first
    missing = missing_required(map_headers(cells, overrides))
    found = ", ".join(str(c).strip() for c in cells if c is not None and str(c).strip())
    return n, (
        f"missing required column(s) {', '.join(missing)} (缺少必需的列); headers found: {found}; "
        "map a header with --column HEADER=FIELD"
    )


def records_from_rows(
    rows: Sequence[Row],
    header: tuple[int, dict[str, int]],
    source: str,
    *,
    prefix: str = "",
    sep: str = ",",
    bad: Mapping[int, str] | None = None,
) -> Iterator[Conversation | Rejected]:
    """Yield one Conversation or Rejected per conversation id (and per row without an id).

    `bad` maps a row number to why that row could not be parsed: its whole conversation is
    rejected (never audited with a turn missing).
    """
    bad = bad or {}
    start, cols = header
    groups: dict[tuple[str, Any], list[Row]] = {}
    for n, cells in rows[start + 1 :]:
        if is_blank(cells):
            continue
        cid = _cell(cells, cols["conversation_id"])
        key = ("row", n) if cid is None or (isinstance(cid, str) and not cid.strip()) else ("id", _key(cid))
        groups.setdefault(key, []).append((n, cells))
    for (kind, _), group in groups.items():
        n = group[0][0]
        raw = "\n".join(sep.join("" if c is None else str(c) for c in cells) for _, cells in islice(group, 20))
        broken = next((m for m, _ in group if m in bad), None)
        if broken is not None:
            rid = None if kind == "row" else _key(_cell(group[0][1], cols["conversation_id"]))
            yield reject(source, n, f"{prefix}row {broken}: {bad[broken]}", rid, raw)
            continue
        if kind == "row":
            yield reject(source, n, f"{prefix}row {n}: missing conversation_id (缺少会话ID)", raw=raw)
            continue
        yield build_conversation(
            _record(group, cols), source=source, line=n, raw=raw, turn_where=[f"{prefix}row {m}" for m, _ in group]
        )


def _key(value: Any) -> str:
    try:
        return to_text(value) or ""
    except ValueError:
        return repr(value)


def _cell(cells: Sequence[Any], col: int | None) -> Any:
    if col is None or col >= len(cells):
        return None
    value = cells[col]
    return value.strip() or None if isinstance(value, str) else value


def _cell_text(cells: Sequence[Any], col: int | None) -> str | None:
    value = _cell(cells, col)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _record(group: list[Row], cols: Mapping[str, int]) -> dict[str, Any]:
    get = cols.get
    record: dict[str, Any] = {"conversation_id": _cell(group[0][1], cols["conversation_id"])}
    for field in _META:  # the first non-empty value of the conversation's rows
        record[field] = next((v for _, c in group if (v := _cell(c, get(field))) is not None), None)
    for field in ("expect", "ok"):
        ids = (i for _, c in group for i in split_ids(_cell_text(c, get(f"conversation_{field}"))))
        record[field] = list(dict.fromkeys(ids))
    record["turns"] = [
        {
            "role": _cell_text(c, get("role")),
            "text": _cell_text(c, get("text")) or "",
            "start": _cell(c, get("start")),
            "end": _cell(c, get("end")),
            "ts": _cell(c, get("ts")),
            "expect": _cell_text(c, get("expect")),
            "ok": _cell_text(c, get("ok")),
        }
        for _, c in group
    ]
    return record


def read_csv(
    path: Path, source: str, encoding: str | None, overrides: Mapping[str, str], delimiter: str | None = None
) -> Iterator[Conversation | Rejected]:
    """Yield the conversations of a CSV/TSV file (delimiter sniffed from the header line for .csv).

    The file is parsed whole before anything is yielded (rows of a conversation may be anywhere);
    a file that cannot be read or parsed, or has no usable header, is one Rejected.
    """
    try:
        enc = encoding or detect_encoding(path)
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))  # default 128 KB is too small
        with open_text(path, enc) as stream:
            first = stream.readline()
            delim = delimiter or max(",\t;", key=first.count)
            # NUL becomes an undecodable-byte marker (the row is rejected); stray \r is dropped, as
            # the csv module would otherwise end a record at it
            lines = [ln.replace("\r", "").replace("\x00", "\udc00") for ln in chain([first], stream)]
        rows, bad = parse_rows(lines, delim)
    except OSError as exc:
        yield reject(source, None, f"cannot read file (无法读取文件): {exc}")
        return
    header = find_header(rows, overrides)
    if header is None:
        line, reason = header_problem(rows, overrides)
        if line is not None:
            yield reject(source, line, reason, raw=delim.join(rows[line - 1][1]))
        return
    yield from records_from_rows(rows, header, source, sep=delim, bad=bad)


_HEAD_LINES, _HEAD_CHARS = 100, 64 * 1024  # blank lines skipped before a .txt's header, and its length at most


def is_tab_table(path: Path, encoding: str, overrides: Mapping[str, str]) -> bool:
    """True when a .txt file's first non-blank line is a tab-separated header naming the required columns.

    Excel's "Save as Unicode Text" writes such a table (UTF-16, tabs) under a .txt name; a transcript
    (客服：…) never starts with one. `encoding`: the file's, already detected.
    """
    try:
        with open_text(path, encoding) as stream:
            for _ in range(_HEAD_LINES):
                line = stream.readline(_HEAD_CHARS)
                if not line or line.strip():
                    break
    except OSError:
        return False  # the text reader reports it
    cells = line.rstrip("\r\n").split("\t")
    return len(cells) >= 3 and not missing_required(map_headers(cells, overrides))


class _RecordTooLong(Exception):
    """Internal: a quoted cell ran over MAX_CELL_LINES lines (an unterminated quote)."""


def parse_rows(lines: Sequence[str], delim: str) -> tuple[list[Row], dict[int, str]]:
    """Parse CSV `lines` strictly into numbered rows; return (rows, {row number: problem}).

    A record the csv module cannot parse (an unterminated quote runs to the end of the file or
    over MAX_CELL_LINES lines; text after a closing quote) becomes a bad row, split naively from
    its first line so that its conversation id is known, and parsing goes on at the next line.
    """
    rows: list[Row] = []
    bad: dict[int, str] = {}
    start = 0  # index in `lines` where the current parse begins
    while start < len(lines):
        feed = _Feed(lines, start)
        try:
            for cells in csv.reader(feed, delimiter=delim, strict=True):
                rows.append((len(rows) + 1, cells))
                start += feed.used
                feed.used = 0
            return rows, bad
        except (csv.Error, _RecordTooLong) as exc:
            row = len(rows) + 1
            rows.append((row, next(csv.reader([lines[start]], delimiter=delim), [])))
            bad[row] = _quote_problem(exc, start + 1)
            start += 1
    return rows, bad


class _Feed:
    """Lines from `start` on, counting those taken by the record being parsed."""

    def __init__(self, lines: Sequence[str], start: int) -> None:
        self._lines = islice(lines, start, None)
        self.used = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.used += 1
        if self.used > MAX_CELL_LINES:
            raise _RecordTooLong
        return line


def _quote_problem(exc: Exception, line: int) -> str:
    if isinstance(exc, _RecordTooLong):
        what = f"a quoted cell runs over {MAX_CELL_LINES} lines"
    elif "end of data" in str(exc):
        what = "a quoted cell is never closed"
    else:
        what = f"bad CSV quoting: {exc}"
    return (
        f"unterminated or broken quote at line {line} (引号未闭合或格式错误): {what}; "
        "the rest of the file is read from the next line"
    )
