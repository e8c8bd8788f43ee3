"""Applicability that depends on the transcript itself: empty turns and a visibly cut-off end.

Kept apart from the rule kinds so that every kind sees the same answer: an empty turn is never in
any rule's scope, and rules with `applies: {complete: true}` (closing standards) are n/a when the
customer's last message was never answered, or when it ends on the agent's question that the customer
never answered (the customer left before the agent could close), with the reason recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CUT_OFF = "会话被截断：客户最后一条消息没有坐席回复 (transcript cut off: the customer's last message is unanswered)"

AWAITING = "会话在坐席提问后结束：客户未作答 (the conversation ends on the agent's question, never answered)"

# the last clause of a turn is a question: a question mark, a question particle at its end, a 请问 with
# no comma after it (…应该做的呢  请问还有什么可以帮助您的), or an interrogative with a closing 呢
_LAST_CLAUSE = re.compile(r"[^。！!；;\n]*$")
_QUESTION = re.compile(
    r"[?？]|(吗|么|嘛)[\s~～。.…]*$|请问[^，,]*$|(请问|什么|是否|有没有|哪|怎么|多少).*呢[\s~～。.…]*$"
)


def is_empty(text: str) -> bool:
    """True when a (normalised) turn text has nothing to judge: empty or only spaces."""
    return not text.strip()


def cut_off(roles: Sequence[str], texts: Sequence[str]) -> bool:
    """True when the last non-empty agent/customer turn is the customer's (unanswered) and an agent spoke before it."""
    spoken = [r for r, t in zip(roles, texts, strict=True) if r in ("agent", "customer") and not is_empty(t)]
    return bool(spoken) and spoken[-1] == "customer" and "agent" in spoken


def awaiting_answer(roles: Sequence[str], texts: Sequence[str]) -> bool:
    """True when the last non-empty agent/customer turn is the agent's and its last clause asks a question."""
    spoken = [(r, t) for r, t in zip(roles, texts, strict=True) if r in ("agent", "customer") and not is_empty(t)]
    if not spoken or spoken[-1][0] != "agent":
        return False
    clause = _LAST_CLAUSE.search(spoken[-1][1].strip().rstrip("!！。~～.… "))
    return bool(clause and _QUESTION.search(clause.group()))


def na_reason(complete: bool | None, roles: Sequence[str], texts: Sequence[str]) -> str | None:
    """Why a rule with `applies.complete` is n/a on this transcript (None when it applies)."""
    if complete and cut_off(roles, texts):
        return CUT_OFF
    if complete and awaiting_answer(roles, texts):
        return AWAITING
    return None
