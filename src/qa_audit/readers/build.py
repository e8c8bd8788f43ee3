"""Validate one record (a dict in the canonical JSONL shape) into a Conversation, or say why not.

Every reader (JSONL, CSV/TSV/XLSX, TXT) builds such a dict and calls `build_conversation`, so the
validation rules and the wording of the reasons exist once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from ..model import Conversation, Rejected, Turn
from .encoding import bad_text_reason, has_bad_chars, printable
from .limits import MAX_TURN_CHARS, MAX_TURNS
from .roles import canonical_channel, canonical_role, split_ids
from .values import parse_seconds, parse_timestamp, to_text

RAW_LIMIT = 2000
META_FIELDS = ("agent_id", "agent_name", "team")


class _Invalid(Exception):
    """Internal: carries the reason a record is rejected."""


def reject(source: str, line: int | None, reason: str, record_id: str | None = None, raw: str = "") -> Rejected:
    """Return a Rejected with `raw` made printable and cut to 2000 characters."""
    rid = printable(record_id) if record_id is not None else None
    return Rejected(source, line, printable(reason), rid, _cut(printable(raw[: RAW_LIMIT + 100]), RAW_LIMIT))


def _cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, not inside a number: the masker, which runs later, must see
    a number whole or not at all (a cut one would stay readable but for a digit or two)."""
    if len(text) <= limit:
        return text
    end = limit
    while end > limit - _NUMBER_SPAN and _numberish(text[end - 1]):
        end -= 1
    return text[:end] if end > limit - _NUMBER_SPAN else text[:limit]  # a longer run is a blob, not a number


def _numberish(ch: str) -> bool:
    return ch.isdigit() or ch in _NUMBER_CHARS or unicodedata.category(ch) in ("Cf", "Zs", "No")


_NUMBER_SPAN = 48  # longer than any phone, ID or card number with separators
_NUMBER_CHARS = "-\t零〇○一二三四五六七八九幺两"


def build_conversation(
    record: Mapping[str, Any],
    *,
    source: str,
    line: int | None,
    raw: str,
    turn_where: Sequence[str] | None = None,
    role_hint: str = "",
) -> Conversation | Rejected:
    """Return the Conversation for `record`, or a Rejected naming the first problem found.

    `turn_where[i]` names where turn i came from (e.g. "row 12"); default `turns[i]`. `role_hint` is
    appended to an unknown-role reason.
    Unknown keys are ignored. Text fields keep their content except that `\\r` is removed.
    """
    cid: str | None = None
    try:
        cid = _text(record.get("conversation_id"), "conversation_id")
        if cid is None:
            raise _Invalid("missing conversation_id (缺少会话ID)")
        agent_id, agent_name, team = (_text(record.get(key), key) for key in META_FIELDS)
        channel = _channel(record.get("channel"))
        started_at = _value(parse_timestamp, record.get("started_at"), "started_at")
        turns = _turns(record.get("turns"), turn_where, role_hint)
        expect = _value(split_ids, record.get("expect"), "expect")
        ok = _value(split_ids, record.get("ok"), "ok")
    except _Invalid as exc:
        return reject(source, line, str(exc), cid, raw)
    return Conversation(
        conversation_id=cid,
        turns=turns,
        channel=channel,
        started_at=started_at,
        source=source,
        line=line,
        expect=expect,
        ok=ok,
        agent_id=agent_id,
        agent_name=agent_name,
        team=team,
    )


def _value(parse: Any, value: Any, what: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise _Invalid(f"bad {what} (无效的值): {exc}") from None


def _text(value: Any, what: str) -> str | None:
    text = _value(to_text, value, what)
    if text is not None and has_bad_chars(text):
        raise _Invalid(f"{bad_text_reason(text)} in {what}")
    return text


def _channel(value: Any) -> str | None:
    text = _text(value, "channel")
    if text is None:
        return None
    channel = canonical_channel(text)
    if channel is None:
        raise _Invalid(f"unknown channel {text!r} (未知渠道); expected chat (聊天/在线/文字) or call (电话/语音/热线)")
    return channel


def _turns(value: Any, where: Sequence[str] | None, hint: str) -> tuple[Turn, ...]:
    if value is None:
        raise _Invalid("missing turns (缺少turns)")
    if not isinstance(value, list):
        raise _Invalid(f"turns must be a list (turns应为列表), got {type(value).__name__}")
    if not value:
        raise _Invalid("no turns (没有对话轮次)")
    if len(value) > MAX_TURNS.value():
        raise _Invalid(MAX_TURNS.exceeded(len(value)))
    max_chars = MAX_TURN_CHARS.value()
    try:
        return tuple(_turn(i, t, hint, max_chars) for i, t in enumerate(value))
    except _TurnInvalid as exc:
        where_ = where[exc.index] if where else f"turns[{exc.index}]"
        raise _Invalid(f"{where_}: {exc.reason}") from None


class _TurnInvalid(Exception):
    """Internal: a turn's problem; the caller prefixes where the turn came from (lazily: hot path)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index, self.reason = index, reason


def _turn(index: int, turn: Any, hint: str, max_chars: int) -> Turn:
    if not isinstance(turn, dict):
        raise _TurnInvalid(index, f"turn is not an object (轮次不是对象), got {type(turn).__name__}")
    role_value = turn.get("role")
    if role_value is None or (isinstance(role_value, str) and not role_value.strip()):
        raise _TurnInvalid(index, "missing role (缺少角色)")
    if not isinstance(role_value, str):
        raise _TurnInvalid(index, f"role is not text (角色不是文本), got {type(role_value).__name__}")
    role = canonical_role(role_value)
    if role is None:
        if has_bad_chars(role_value):
            raise _TurnInvalid(index, f"{bad_text_reason(role_value)} in role")
        raise _TurnInvalid(
            index,
            f"unknown role {role_value.strip()!r} (未知角色); "
            f"expected agent/customer/system or a synonym such as 客服/客户/系统{hint}",
        )
    text = turn.get("text")
    if text is None:
        raise _TurnInvalid(index, "missing text (缺少文本)")
    if not isinstance(text, str):
        raise _TurnInvalid(index, f"text is not a string (文本不是字符串), got {type(text).__name__}")
    if len(text) > max_chars:
        raise _TurnInvalid(index, MAX_TURN_CHARS.exceeded(len(text)))
    if has_bad_chars(text):
        raise _TurnInvalid(index, f"{bad_text_reason(text)} in text")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "")
    values: dict[str, Any] = {}
    for key, parse in _TURN_FIELDS:
        value = turn.get(key)
        if value is None:
            continue
        if isinstance(value, str) and has_bad_chars(value):
            raise _TurnInvalid(index, f"{bad_text_reason(value)} in {key}")
        try:
            values[key] = parse(value)
        except ValueError as exc:
            raise _TurnInvalid(index, f"bad {key} (无效的值): {exc}") from None
    start, end = values.get("start"), values.get("end")
    if start is not None and end is not None and end < start:
        raise _TurnInvalid(index, f"end {end:g} is before start {start:g} (结束早于开始)")
    return Turn(index=index, role=role, text=text, **values)


_TURN_FIELDS = (
    ("start", parse_seconds),
    ("end", parse_seconds),
    ("ts", parse_timestamp),
    ("expect", split_ids),
    ("ok", split_ids),
)
