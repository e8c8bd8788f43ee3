"""Join a call-record export (通话记录) to the transcripts: agent, team, start time, channel.

A record matches a transcript by call id (= the transcript's conversation id) or by the transcript's
file name without extension (= the call id, or the stem of the record's recording-file column).
Matched transcripts get `agent_id`, `agent_name`, `team`, `started_at` where they have none, and
`channel: call`; a transcript matched by file name takes the record's call id as conversation id.
Calls without a record and records without a transcript are both reported (`CallJoin.report`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PureWindowsPath
from typing import Any

from qa_audit.model import Conversation
from qa_audit.readers.encoding import detect_encoding, has_bad_chars, open_text
from qa_audit.readers.headers import fold_header
from qa_audit.readers.paths import ReadError
from qa_audit.readers.values import parse_timestamp

MAX_IDS = 1000  # ids listed per category in summary.json (the counts are always exact)
MAX_BYTES = 64 << 20  # the records are held in memory for the join: ~500k calls, a big centre's day
FIELDS: dict[str, tuple[str, ...]] = {
    "call_id": ("call_id", "callid", "通话ID", "通话编号", "呼叫ID", "呼叫编号", "录音ID", "录音编号", "流水号"),
    "file": ("file", "recording", "录音文件", "录音文件名", "文件名", "录音"),
    "agent_id": ("agent_id", "工号", "坐席工号", "座席工号", "客服工号", "坐席ID", "坐席编号"),
    "agent_name": ("agent_name", "坐席姓名", "座席姓名", "客服姓名", "坐席名称", "坐席", "座席", "姓名"),
    "team": ("team", "group", "班组", "组别", "技能组", "小组", "团队"),
    "started_at": ("started_at", "start_time", "开始时间", "通话开始时间", "呼叫时间", "接通时间"),
    "direction": ("direction", "呼叫方向", "呼叫类型", "方向", "呼入呼出"),
    "duration": ("duration", "通话时长", "时长", "通话时长(秒)"),
}
_FIELD_OF = {fold_header(s): f for f, names in FIELDS.items() for s in names}


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One row of the call-record export."""

    call_id: str
    line: int
    file_stem: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    started_at: str | None = None
    direction: str | None = None
    duration: str | None = None


def _columns(headers: list[str], overrides: Mapping[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    folded = [fold_header(h) for h in headers]
    for i, h in enumerate(folded):
        if h in overrides:
            found.setdefault(overrides[h], i)
    for i, h in enumerate(folded):
        if h in _FIELD_OF and h not in overrides:
            found.setdefault(_FIELD_OF[h], i)
    return found


def read_calls(path: str | Path, columns: Mapping[str, str] | None = None) -> tuple[list[CallRecord], list[str]]:
    """Read a call-record CSV: the records and the problems of rows that could not be used.

    `columns` maps a header to one of `FIELDS` (like `--column`). Raises ReadError when the file
    cannot be read or has no call-id column.
    """
    path = Path(path)
    overrides = {}
    for header, field in (columns or {}).items():
        if field not in FIELDS:
            raise ReadError(
                f"--calls-column {header}={field}: unknown field (未知字段); expected one of {', '.join(FIELDS)}"
            )
        overrides[fold_header(header)] = field
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError(
                f"{path}: call-record file of {size / 2**20:.0f} MB is over the {MAX_BYTES >> 20} MB limit "
                "(通话记录文件过大); pass the export of the day being audited"
            )
        with open_text(path, detect_encoding(path), newline="") as f:
            rows = csv.reader(f)
            headers = next(rows, [])
            found = _columns(headers, overrides)
            if "call_id" not in found and "file" not in found:
                raise ReadError(
                    f"{path}: no call id column (缺少通话ID列) among {headers[:12]}; "
                    "map one with --calls-column HEADER=call_id"
                )
            records, problems = [], []
            for line, row in enumerate(rows, start=2):
                record = _record(row, found, line)
                if isinstance(record, str):
                    problems.append(f"{path}:{line}: {record}")
                elif record is not None:
                    records.append(record)
    except (OSError, csv.Error) as exc:
        raise ReadError(f"{path}: cannot read call records (无法读取通话记录): {exc}") from None
    return records, problems


def _record(row: list[str], found: Mapping[str, int], line: int) -> CallRecord | str | None:
    if not any(cell.strip() for cell in row):
        return None
    values: dict[str, Any] = {}
    for field, i in found.items():
        cell = row[i].strip() if i < len(row) else ""
        if has_bad_chars(cell):
            return f"undecodable bytes in {field} (无法解码的字节)"
        values[field] = cell or None
    stem = PureWindowsPath(values.pop("file")).stem if values.get("file") else None
    call_id = values.pop("call_id", None) or stem
    if not call_id:
        return "no call id (缺少通话ID)"
    if values.get("started_at"):
        try:
            values["started_at"] = parse_timestamp(values["started_at"])
        except ValueError as exc:
            return f"bad start time (无效的开始时间): {exc}"
    return CallRecord(call_id=call_id, line=line, file_stem=stem, **values)


class CallJoin:
    """Fills transcripts from call records and keeps count of what matched (main process, input order)."""

    def __init__(self, source: str, records: list[CallRecord], problems: list[str]) -> None:
        """Index the records by call id and by recording-file stem; a repeated call id is a problem."""
        self.source, self.problems = source, list(problems)
        self.by_id: dict[str, CallRecord] = {}
        self.by_stem: dict[str, CallRecord] = {}
        for r in records:
            if r.call_id in self.by_id:
                self.problems.append(f"{source}:{r.line}: duplicate call id {r.call_id!r} (重复的通话ID); first kept")
                continue
            self.by_id[r.call_id] = r
            if r.file_stem:
                self.by_stem.setdefault(r.file_stem, r)
        self.matched: set[str] = set()
        self.without_record: list[str] = []
        self.unmatched_count = 0

    def apply(self, conv: Conversation) -> Conversation:
        """Return `conv` filled from its call record; note a call without one (chats are not expected to have one)."""
        stem = Path(conv.source).stem if conv.source else None
        rec = self.by_id.get(conv.conversation_id) or (stem and (self.by_id.get(stem) or self.by_stem.get(stem)))
        if not rec:
            if conv.channel != "chat":
                self.unmatched_count += 1
                if len(self.without_record) < MAX_IDS:
                    self.without_record.append(conv.conversation_id)
            return conv
        self.matched.add(rec.call_id)
        return replace(
            conv,
            conversation_id=rec.call_id,
            agent_id=conv.agent_id or rec.agent_id,
            agent_name=conv.agent_name or rec.agent_name,
            team=conv.team or rec.team,
            started_at=conv.started_at or rec.started_at,
            channel="call",
        )

    def report(self) -> dict[str, Any]:
        """The summary.json `calls` object: counts and ids of both kinds of mismatch."""
        orphans = [cid for cid in self.by_id if cid not in self.matched]
        return {
            "file": self.source,
            "records": len(self.by_id),
            "matched": len(self.matched),
            "transcripts_without_record": {"count": self.unmatched_count, "ids": self.without_record},
            "records_without_transcript": {"count": len(orphans), "ids": orphans[:MAX_IDS]},
            "problems": self.problems[:MAX_IDS],
        }


def load_join(path: str | Path, columns: Mapping[str, str] | None = None) -> CallJoin:
    """Read the call records at `path` into a CallJoin (ReadError when unusable)."""
    records, problems = read_calls(path, columns)
    return CallJoin(str(path), records, problems)
