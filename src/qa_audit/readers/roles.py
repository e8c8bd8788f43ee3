"""Synonyms of roles and channels, and lists of rule ids in annotations."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..normalize import to_simplified

ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "agent": (
        "agent",
        "staff",
        "helpdesk",
        "service",
        "客服",
        "坐席",
        "座席",
        "人工客服",
        "人工",
        "客服人员",
        "客服代表",
        "客服专员",
        "坐席人员",
        "话务员",
        "接线员",
    ),
    "customer": ("customer", "user", "client", "客户", "顾客", "用户", "买家", "访客", "来电人", "来电客户"),
    "system": ("system", "系统", "sys", "机器人", "智能客服", "robot", "bot", "ivr"),
}
CHANNEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "im", "online", "text", "聊天", "在线", "文字", "在线客服", "在线聊天", "网聊"),
    "call": ("call", "phone", "voice", "hotline", "电话", "语音", "热线", "通话", "来电"),
}
_ID_SEP = re.compile(r"[,，、;；\s]+")


def fold(text: str) -> str:
    """Return `text` NFKC-normalised, trimmed, case-folded (full-width letters become ASCII) and simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).strip().casefold())


_ROLE_OF = {fold(s): role for role, names in ROLE_SYNONYMS.items() for s in names}
_CHANNEL_OF = {fold(s): ch for ch, names in CHANNEL_SYNONYMS.items() for s in names}


def canonical_role(value: str) -> str | None:
    """Return agent/customer/system for a role name or synonym, None when unknown."""
    return _ROLE_OF.get(value) or _ROLE_OF.get(fold(value))


def canonical_channel(value: str) -> str | None:
    """Return chat/call for a channel name or synonym, None when unknown."""
    return _CHANNEL_OF.get(fold(value))


def split_ids(value: Any) -> tuple[str, ...]:
    """Return rule ids from `"a, b"` / `"a、b"` / `["a", "b"]` (deduplicated, in order).

    Raises ValueError when the value is neither text nor a list of text.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        parts = _ID_SEP.split(unicodedata.normalize("NFKC", value))
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            raise ValueError("expected rule ids as text")
        parts = [unicodedata.normalize("NFKC", v).strip() for v in value]
    else:
        raise ValueError(f"expected rule ids as text or a list, got {type(value).__name__}")
    return tuple(dict.fromkeys(p for p in parts if p))
