"""Applicability that depends on the transcript itself: empty turns and a visibly cut-off end.

Kept apart from the rule kinds so that every kind sees the same answer: an empty turn is never in
any rule's scope, and rules with `applies: {complete: true}` (closing standards) are n/a when the
customer's last message was never answered, with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

CUT_OFF = "会话被截断：客户最后一条消息没有坐席回复 (transcript cut off: the customer's last message is unanswered)"


def is_empty(text: str) -> bool:
    """True when a (normalised) turn text has nothing to judge: empty or only spaces."""
    return not text.strip()


def cut_off(roles: Sequence[str], texts: Sequence[str]) -> bool:
    """True when the last non-empty agent/customer turn is the customer's (unanswered) and an agent spoke before it."""
    spoken = [r for r, t in zip(roles, texts, strict=True) if r in ("agent", "customer") and not is_empty(t)]
    return bool(spoken) and spoken[-1] == "customer" and "agent" in spoken


def na_reason(complete: bool | None, roles: Sequence[str], texts: Sequence[str]) -> str | None:
    """Why a rule with `applies.complete` is n/a on this transcript (None when it applies)."""
    if complete and cut_off(roles, texts):
        return CUT_OFF
    return None
