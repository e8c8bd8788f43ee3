"""What the workbook shows instead of the machine codes: Chinese labels and local times.

findings.jsonl, results.jsonl, CSV and Parquet keep the English codes; only the workbook is
translated, at the moment a cell is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

SEVERITY = {"critical": "严重", "major": "重要", "minor": "一般", "info": "提示"}
ROLE = {"agent": "坐席", "customer": "客户", "system": "系统"}
CHANNEL = {"chat": "在线", "call": "电话"}
TIER = {"deduct": "扣分", "review": "待复核"}
CHECK = {"pass": "通过", "fail": "不通过", "review": "待复核", "n/a": "不适用"}
PASSED = {True: "合格", False: "不合格"}
# workbook column key -> the labels of its values
VALUE_LABELS: dict[str, dict] = {
    "severity": SEVERITY,
    "role": ROLE,
    "channel": CHANNEL,
    "tier": TIER,
    "passed": PASSED,
}


def label(key: str, value: object) -> object:
    """Return the Chinese label of `value` in column `key`, or `value` itself when it has none."""
    labels = VALUE_LABELS.get(key)
    if labels is None or value is None:
        return value
    return labels.get(value, value)


def zone(name: str | None) -> tzinfo:
    """Return the time zone called `name` (IANA, e.g. Asia/Shanghai); ValueError when unknown."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as {DEFAULT_ZONE}") from exc


def parse_time(text: str | None, tz: tzinfo | None) -> datetime | None:
    """Parse an ISO-8601 time and move it into `tz`; a time without offset is taken as already in `tz`."""
    if not text:
        return None
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if tz is None:
        return when
    return when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)


def local_text(text: str | None, tz: tzinfo | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Return an ISO time as local wall-clock text in `tz` ('' when absent, as given when unreadable)."""
    when = parse_time(text, tz)
    if when is None:
        return text or ""
    return when.strftime(fmt)


def offset_text(seconds: float) -> str:
    """Return seconds from the start of a call as +HH:MM:SS."""
    total = max(int(seconds), 0)
    return f"+{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def zone_label(tz: tzinfo) -> str:
    """Return the zone's name with its UTC offset, e.g. 'Asia/Shanghai, UTC+08:00'."""
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{tz}, UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
