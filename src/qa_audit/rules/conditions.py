"""Evaluate a condition tree on one prepared turn, with exceptions, negation and quotation."""

from __future__ import annotations

import re
from typing import Any

from qa_audit.rules.hits import Hit, Outcome, Span, TurnLike
from qa_audit.rules.operators import OPERATORS
from qa_audit.rules.spec import Cond
from qa_audit.segment import dictionary_word

# Multi-character negators anywhere shortly before a match; single characters only right before it.
NEGATORS = (
    "不能",
    "不会",
    "不是",
    "没有",
    "无法",
    "不可能",
    "不敢",
    "并非",
    "绝不",
    "不用",
    "不必",
    "决不",
    "从不",
    "不再",
    "没法",
    "没办法",
)
SHORT_NEGATORS = ("不", "没", "别", "未", "勿")
_BREAKS = set(",.!?;:~，。！？；：～、…\n")
_A_NOT_A = re.compile(r"(.)[不没]\1")
PHRASE_OPS = ("any", "all", "none", "at_least")
QUOTE_PAIRS = {"「": "」", "『": "』", "“": "”", "‘": "’", '"': '"'}


def quote_regions(text: str) -> list[Span]:
    """Return the spans inside quotation marks (the marks excluded)."""
    regions: list[Span] = []
    i = 0
    while i < len(text):
        close = QUOTE_PAIRS.get(text[i])
        if close is not None:
            j = text.find(close, i + 1)
            if j > i:
                regions.append((i + 1, j))
                i = j
        i += 1
    return regions


def clause_start(text: str, pos: int) -> int:
    """Return where the clause holding `pos` starts (after the last punctuation or space)."""
    k = pos - 1
    while k >= 0 and (text[k] not in _BREAKS or text[k] == "、") and text[k] != " ":
        k -= 1
    return k + 1


def word_cut(text: str, start: int, end: int) -> str | None:
    """The dictionary word a two-character phrase hit starts inside of (钱包 for 包您 in 钱包您, 预约 for 约吗).

    Only two-character phrases: they are the ones that occur by accident across a word boundary.
    """
    if end - start != 2:
        return None
    for k in (1, 2):
        if (
            start - k >= 0
            and not (set(text[start - k : start]) & _BREAKS)
            and dictionary_word(text[start - k : start + 1])
        ):
            return text[start - k : start + 1]
    return None


def negator_before(text: str, start: int) -> str | None:
    """Return the negator right before `start` in the same clause, if any."""
    window = text[max(0, start - 4) : start]
    for k in range(len(window) - 1, -1, -1):
        if window[k] in _BREAKS:
            window = window[k + 1 :]
            break
    window = _A_NOT_A.sub("", window)  # 是不是 / 有没有 ask a question; they do not negate
    for neg in NEGATORS:
        if neg in window:
            return neg
    tail = window[-2:]
    for neg in SHORT_NEGATORS:
        if neg in tail:
            return neg
    return None


def evaluate(cond: Cond, turn: TurnLike, *, negation: bool = False, quoted: str = "count") -> Outcome:
    """Evaluate `cond` on `turn`; with negation/quoted='ignore', negated or quoted matches do not count."""
    op = OPERATORS[cond.op]
    if op.combine is not None:
        return op.combine([evaluate(c, turn, negation=negation, quoted=quoted) for c in cond.children])
    if op.hits is None:
        raise TypeError(f"operator {op.name!r} has neither combine nor hits")
    kept, dropped = _filter(cond, op.hits(cond, turn), turn, negation=negation, quoted=quoted)
    ok = op.decide(cond, kept)
    return Outcome(ok, tuple(kept) if ok else (), tuple(dropped))


def _filter(
    cond: Cond, hits: list[Hit], turn: TurnLike, *, negation: bool, quoted: str
) -> tuple[list[Hit], list[dict[str, Any]]]:
    if not hits:
        return [], []
    kept: list[Hit] = []
    dropped: list[dict[str, Any]] = []
    exceptions = turn.phrase_spans(cond.unless) if cond.unless else []
    before = turn.phrase_spans(cond.unless_before) if cond.unless_before else []
    for hit in hits:
        s, e = hit.span
        why = None
        near = [x for x in exceptions if x[1] >= s - cond.within and x[0] <= e + cond.within]
        if before:
            start = clause_start(turn.text, s)  # once per hit, not once per exception phrase found
            earlier = [x for x in before if x[1] <= s and start <= x[0]]
        else:
            earlier = []
        if near:
            why = {"exception": "unless", "phrase": turn.text[near[0][0] : near[0][1]]}
        elif earlier:
            why = {"exception": "unless_before", "phrase": turn.text[earlier[-1][0] : earlier[-1][1]]}
        elif cond.op in PHRASE_OPS and (cut := word_cut(turn.text, s, e)):
            why = {"exception": "inside_word", "word": cut}
        elif quoted == "ignore" and any(a <= s < b for a, b in turn.quotes):
            why = {"exception": "quoted"}
        elif negation and (neg := negator_before(turn.text, s)):
            why = {"exception": "negated", "negator": neg}
        if why is None:
            kept.append(hit)
        else:
            dropped.append({"match": turn.text[s:e], **why})
    return kept, dropped
