"""What every ASR vendor parser returns: sentences with a speaker, times in ms and vendor values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class AsrError(ValueError):
    """The file has a vendor's shape but cannot be used (failed task, missing field); the reason is shown."""


@dataclass(frozen=True)
class Segment:
    """One recognised sentence."""

    text: str
    start_ms: float | None
    end_ms: float | None
    speaker: str | None = None  # channel or speaker id as the vendor numbers it
    role: str | None = None  # a role the vendor itself states (Huawei AGENT/USER)
    extras: Mapping[str, Any] = field(default_factory=dict)


def pick(obj: Mapping[str, Any], *names: str) -> Any:
    """The first of `names` present in `obj` (exact key, then lower-camel: BeginTime -> beginTime)."""
    for name in names:
        if name in obj:
            return obj[name]
        camel = name[:1].lower() + name[1:]
        if camel in obj:
            return obj[camel]
    return None


MAX_NUMBER = 1e12


def number(value: Any, what: str, where: str) -> float | None:
    """A number from a number or numeric string; None when absent; AsrError when not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise AsrError(f"{where}: {what} is not a number (不是数字): {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise AsrError(f"{where}: {what} is not a number (不是数字): {str(value)[:40]!r}") from None
    if out != out or out in (float("inf"), float("-inf")):
        raise AsrError(f"{where}: {what} is not a finite number (不是有效数字)")
    if abs(out) > MAX_NUMBER:  # times in ms, rates: beyond this, sums and rates overflow into Infinity
        raise AsrError(f"{where}: {what} {out:g} is out of range (超出范围, at most {MAX_NUMBER:g})")
    return round(out, 6)


def speaker_id(value: Any) -> str | None:
    """A speaker/channel id as text ("0", "1"); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def records(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of objects, or AsrError naming `what`."""
    if not isinstance(value, list):
        raise AsrError(f"{what} is not a list (不是列表)")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise AsrError(f"{what}[{i}] is not an object (不是对象)")
    return value


def extras(**values: Any) -> dict[str, Any]:
    """The vendor values that are present."""
    return {k: v for k, v in values.items() if v is not None}
