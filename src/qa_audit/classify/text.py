"""Customer text of a conversation, cleaned once for the classifier and the complaint detector."""

from __future__ import annotations

import re
import unicodedata

import re2

from qa_audit.model import Conversation
from qa_audit.normalize import to_simplified

# Masks of published corpora ([订单x], [数字x], [姓名x] ...) and the order card JDDC puts in the
# first line; they carry no topic and would otherwise become the strongest n-grams.
# RE2 (linear time): with `re`, a text of many unclosed "[订单编号" took quadratic time
_CARD_START = "[订单编号"
_ORDER_CARD = re2.compile(r"\[订单编号[^\n]*?\]\]|\[订单编号[^\]\n]*\]")
_MASK = re.compile(r"\[[^\[\]\s]{1,12}x\]")
_SPACE = re.compile(r"\s+")
MAX_CHARS = 2000  # long calls: the topic is stated early, and the cost stays bounded
# text in traditional script: about a third of its characters differ from simplified (the median over the JDDC
# customer turns converted with OpenCC s2t: 0.36; a quarter of them 0.21 or less); a JD chat has one here and there
TRADITIONAL_SHARE = 0.15


def clean(text: str) -> str:
    """Return `text` normalised for features: NFKC, lower case, masks removed, spaces collapsed."""
    text = without_order_cards(unicodedata.normalize("NFKC", text).lower())
    text = _MASK.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def without_order_cards(text: str) -> str:
    """Return `text` with JDDC's order cards replaced by a space."""
    if _CARD_START not in text:  # the re2 module's sub runs Python code per call, even when nothing matches
        return text
    return _ORDER_CARD.sub(" ", text)


def customer_turns(conv: Conversation) -> list[tuple[int, str]]:
    """Return (turn index, original text) of every non-empty customer turn."""
    return [(t.index, t.text) for t in conv.turns if t.role == "customer" and t.text.strip()]


def customer_text(conv: Conversation) -> str:
    """Return the cleaned customer side of a conversation (empty when the customer said nothing), in simplified
    characters when it is written in traditional ones."""
    parts = [clean(text) for _, text in customer_turns(conv)]
    return in_simplified(" ".join(p for p in parts if p)[:MAX_CHARS])


def in_simplified(text: str) -> str:
    """`text` in simplified characters when at least TRADITIONAL_SHARE of its Chinese characters are traditional.

    The complaint-type model knows mainland text as written, a stray traditional 沒 or 為 included (converting
    every text and retraining changed the type of 24 of the 874 JDDC sessions for no better held-out score);
    text written in traditional script (HK, TW) shares few of its n-grams and is converted first.
    """
    if text.isascii():
        return text
    simple = to_simplified(text)
    changed = sum(a != b for a, b in zip(text, simple, strict=True))
    han = sum("\u4e00" <= c <= "\u9fff" for c in text)
    return simple if changed and changed >= TRADITIONAL_SHARE * han else text
