"""Applicability that depends on the transcript itself: empty turns and a visibly cut-off end.

Kept apart from the rule kinds so that every kind sees the same answer: an empty turn is never in
any rule's scope, and rules with `applies: {complete: true}` (closing standards) are n/a when the
customer's last message was never answered, with the reason recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CUT_OFF = "会话被截断：客户最后的提问没有坐席回复 (transcript cut off: the customer's last question is unanswered)"
# a question or a request still waiting for the agent; a closing 好的/谢谢/嗯 is a natural end, not a cut
_OPEN = re.compile(r"[?？]|吗|么|呢|怎么|什么|为什么|为啥|多久|几天|哪|是不是|能不能|可不可以|有没有|帮我|麻烦|请")


def is_empty(text: str) -> bool:
    """True when a (normalised) turn text has nothing to judge: empty or only spaces."""
    return not text.strip()


def cut_off(roles: Sequence[str], texts: Sequence[str]) -> bool:
    """True when the transcript ends on a customer question or request no agent turn answers.

    Only when an agent spoke before it: a transcript of customer turns alone is not judged here.
    """
    spoken = [(r, t) for r, t in zip(roles, texts, strict=True) if r in ("agent", "customer") and not is_empty(t)]
    if not spoken or spoken[-1][0] != "customer" or all(r != "agent" for r, _ in spoken):
        return False
    return bool(_OPEN.search(spoken[-1][1]))


def na_reason(complete: bool | None, roles: Sequence[str], texts: Sequence[str]) -> str | None:
    """Why a rule with `applies.complete` is n/a on this transcript (None when it applies)."""
    if complete and cut_off(roles, texts):
        return CUT_OFF
    return None
