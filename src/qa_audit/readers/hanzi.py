"""How much a decoded text reads as Chinese: the share of its characters that are common ones.

Big5 bytes are almost always valid GB18030 too (and short GBK texts valid Big5), so decoding cleanly
does not tell the two apart; the reading does. Read in the wrong codec, Chinese becomes rare
characters, kana, Greek and Cyrillic letters (Big5 read as GB18030: 訂單 -> 璹虫); read in the right
one, nearly every character is among the 3,000 most frequent (common_hanzi.txt, counted from jieba's
dictionary by eval/build_common_hanzi.py), once traditional characters are made simplified.
"""

from __future__ import annotations

import functools
from importlib import resources

from ..normalize import to_simplified

# full-width punctuation common in chats (after a correct decoding it is as Chinese as the characters)
_PUNCTUATION = frozenset("，。？！、：；“”‘’（）《》【】…—～·「」『』￥")
SAMPLE_CHARS = 20_000  # enough to decide; a whole 4 MB sample would take longer for nothing


@functools.cache
def common_hanzi() -> frozenset[str]:
    """The shipped list of common characters, with the common full-width punctuation."""
    text = resources.files("qa_audit.readers").joinpath("common_hanzi.txt").read_text(encoding="utf-8")
    chars = "".join(line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(chars) | _PUNCTUATION


def chinese_share(text: str) -> tuple[float, int]:
    """(share of common characters, count) over the non-ASCII, non-space characters of `text`'s start.

    Traditional characters count as their simplified forms. (0.0, 0) for a text with none.
    """
    text = to_simplified(text[:SAMPLE_CHARS])
    chars = [c for c in text if c > "\x7f" and not c.isspace()]
    if not chars:
        return 0.0, 0
    common = common_hanzi()
    return sum(c in common for c in chars) / len(chars), len(chars)
