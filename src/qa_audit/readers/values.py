"""Parse the scalar fields of a record: ids and names, seconds, timestamps."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

MAX_SECONDS = 366 * 86400  # a turn's start or end; beyond a year from the start it is a broken export

_CLOCK = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)")
_DATETIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:[ T]+|日)(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,6}))?秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
# one way to match each text (no `\d+\.?\d*`, whose split of a digit run backtracks quadratically)
_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?")


def to_text(value: Any) -> str | None:
    """Return an id or name as trimmed text (None when empty); integers and whole floats are accepted.

    Raises ValueError for anything else (lists, objects, booleans).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected text, got a boolean")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise ValueError(f"expected text, got {type(value).__name__}")


def parse_seconds(value: Any) -> float | None:
    """Return seconds from `2.4`, `"2.4"`, `"01:02"` (mm:ss), `"00:01:02.5"` (hh:mm:ss) or an Excel duration.

    Empty -> None. Raises ValueError for anything else, negative or non-finite values.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected seconds, got a boolean")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError(f"expected seconds, got a {len(str(value))}-digit integer") from None
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not text:
            return None
        seconds = _seconds_from_text(text)
    else:
        raise ValueError(f"expected seconds, got {type(value).__name__}")
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_SECONDS:
        raise ValueError(f"expected seconds from 0 to {MAX_SECONDS} (one year), got {str(value)[:40]!r}")
    # microseconds are finer than any recording; subnormal values (5e-324) once made rates infinite
    return round(seconds, 6)


def _seconds_from_text(text: str) -> float:
    if _FLOAT.fullmatch(text):
        return float(text)
    m = _CLOCK.fullmatch(text)
    if not m or int(m.group(2)) >= 60 or float(m.group(3)) >= 60:
        raise ValueError(f"expected seconds like 2.4 or 00:01:02, got {text!r}")
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def parse_timestamp(value: Any) -> str | None:
    """Return an ISO-8601 date-time (`datetime.isoformat()`) or time of day (`time.isoformat()`).

    Accepts ISO-8601, `2026/11/21 09:12:00`, `2026年11月21日 09:12`, a trailing `Z` or `+0800`,
    `09:12:05`, and Excel date/time cells. Empty -> None. Raises ValueError otherwise.
    """
    if value is None:
        return None
    if isinstance(value, (datetime, time)):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 time, got {type(value).__name__}")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    try:
        if m := _DATETIME.fullmatch(text):
            return _datetime_from(m).isoformat()
        if m := _TIME.fullmatch(text):
            return time(int(m[1]), int(m[2]), int(m[3] or 0), _micro(m[4])).isoformat()
    except ValueError:
        pass
    raise ValueError(f"expected an ISO-8601 time like 2026-11-21T09:12:00+08:00, got {value!r}")


def _micro(fraction: str | None) -> int:
    return int((fraction or "0").ljust(6, "0")[:6])


def _datetime_from(m: re.Match[str]) -> datetime | date:
    y, mo, d, h, mi, s, frac, tz = m.groups()
    tzinfo = None
    if tz == "Z":
        tzinfo = timezone.utc
    elif tz:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    if h is None:
        if tz:
            raise ValueError("time zone without a time")
        return date(int(y), int(mo), int(d))
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), _micro(frac), tzinfo)
