"""Map spreadsheet headers (English or Chinese, or the user's own) to canonical field names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from ..normalize import to_simplified
from .paths import ReadError

REQUIRED = ("conversation_id", "role", "text")
CONVERSATION_FIELDS = (
    "conversation_id",
    "agent_id",
    "agent_name",
    "team",
    "channel",
    "started_at",
    "conversation_expect",
    "conversation_ok",
)
TURN_FIELDS = ("role", "text", "start", "end", "ts", "expect", "ok")
FIELDS = CONVERSATION_FIELDS + TURN_FIELDS

SYNONYMS: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "conversation_id",
        "conv_id",
        "session_id",
        "dialog_id",
        "dialogue_id",
        "chat_id",
        "call_id",
        "会话ID",
        "会话编号",
        "会话id",
        "会话号",
        "对话ID",
        "对话编号",
        "通话ID",
        "通话编号",
    ),
    "role": ("role", "speaker", "sender", "角色", "发言人", "发送方", "说话人", "发言方", "身份"),
    "text": (
        "text",
        "content",
        "message",
        "utterance",
        "内容",
        "文本",
        "消息内容",
        "聊天内容",
        "消息",
        "对话内容",
        "发言内容",
        "转写文本",
    ),
    "start": ("start", "start_s", "start_sec", "开始(秒)", "开始时间(秒)", "开始秒"),
    "end": ("end", "end_s", "end_sec", "结束(秒)", "结束时间(秒)", "结束秒"),
    "ts": ("ts", "timestamp", "time", "时间", "发送时间", "消息时间"),
    "agent_id": ("agent_id", "坐席工号", "客服工号", "工号", "坐席ID", "客服ID"),
    "agent_name": ("agent_name", "坐席姓名", "客服姓名", "坐席名称", "客服名称"),
    "team": ("team", "group", "班组", "组别", "团队", "小组"),
    "channel": ("channel", "渠道", "来源渠道"),
    "started_at": ("started_at", "start_time", "会话开始时间"),
    "expect": ("expect",),
    "ok": ("ok",),
    "conversation_expect": ("conversation_expect",),
    "conversation_ok": ("conversation_ok",),
}


def fold_header(header: object) -> str:
    """Return a header folded for matching: NFKC, case-folded, simplified (會話ID -> 会话id), without spaces,
    `_` or `-`."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header)).replace("\ufeff", "")
    return to_simplified(re.sub(r"[\s_\-]+", "", text).casefold())


_FIELD_OF = {fold_header(s): field for field, names in SYNONYMS.items() for s in names}


def normalize_overrides(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Check a user mapping header -> field; raise ReadError naming an unknown field."""
    out: dict[str, str] = {}
    for header, field in (columns or {}).items():
        target = str(field).strip()
        if target not in FIELDS:
            raise ReadError(
                f"column mapping {header}={field}: unknown field {target!r} (未知字段); "
                f"expected one of {', '.join(FIELDS)}"
            )
        out[fold_header(header)] = target
    return out


def map_headers(headers: Sequence[object], overrides: Mapping[str, str]) -> dict[str, int]:
    """Return field -> column index. User overrides win; otherwise the leftmost synonym wins."""
    folded = [fold_header(h) for h in headers]
    found: dict[str, int] = {}
    for i, h in enumerate(folded):
        if h in overrides:
            found.setdefault(overrides[h], i)
    for i, h in enumerate(folded):
        field = _FIELD_OF.get(h)
        if field and h not in overrides:
            found.setdefault(field, i)
    return found


def missing_required(found: Mapping[str, int]) -> list[str]:
    """Return the required fields not in `found`."""
    return [f for f in REQUIRED if f not in found]
