"""Mask customers' personal data in transcript text: mobile, ID-card and bank-card numbers, e-mail addresses.

Masks keep the length of the text, character for character, so that every finding span, offset map
and quoted match stays valid on the masked text: each masked character becomes `*` (`＊` for a
full-width or Chinese character, so the text keeps its width). The last four characters of a
number stay visible (enough for a supervisor to tell two numbers apart, not to use one), as does
the first character and the domain of an e-mail address:

    138 0013 8000            -> *** **** 8000
    11010519491231002X       -> **************002X
    6222 0212 3456 7890 123  -> **** **** **** ***0 123
    zhang.san@example.com    -> z********@example.com

Detected (on a copy where full-width digits/letters and the Chinese digits 零〇一二三四五六七八九幺两
are folded to ASCII, one character for one, so spoken numbers from ASR are found too):
- mobile: 11 digits 1[3-9]xxxxxxxxx, optionally grouped by spaces or hyphens, after +86/0086/86 too;
- ID card: 18 characters (17 digits and a digit or X) with a plausible birth date, optionally
  grouped 6-8-4; and the old 15-digit form with a plausible date;
- bank card: any run of 16 or more digits (16-19 is a card; longer is two numbers typed together),
  optionally grouped by single spaces or hyphens;
- e-mail: local@domain.tld.
Not detected (documented in the README): names, addresses, landline numbers, order and tracking
numbers (unless they look like one of the above), numbers with other separators or spelt with 十/百.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from qa_audit.model import Conversation, Rejected

KINDS = ("id_card", "bank_card", "mobile", "email")
KEEP_LAST = 4

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # ０-９
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},  # Ａ-Ｚ
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},  # ａ-ｚ
        **dict(zip("零〇○一二三四五六七八九幺两", "00012345678912", strict=True)),
        "＠": "@",
        "．": ".",
        "－": "-",
        "＋": "+",
        "＿": "_",
        "\u3000": " ",
        "—": "-",
        "–": "-",
    }
)
_SEP = r"[ -]?"
_DATE8 = r"(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ALONE = r"(?<![0-9A-Za-z])"
# Order matters: an e-mail address may be a number (13800138000@example.com, QQ mail), an ID card is also a
# run of digits, and a mobile number can sit inside either.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # the look-behind makes each run of name characters a single start position: linear time
    (
        "email",
        re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])", re.ASCII),
    ),
    ("id_card", re.compile(rf"{_ALONE}[1-9]\d{{5}}{_SEP}{_DATE8}{_SEP}\d{{3}}[0-9Xx](?![0-9A-Za-z])", re.ASCII)),
    ("id_card", re.compile(rf"{_ALONE}[1-9]\d{{5}}{_DATE6}\d{{3}}(?![0-9A-Za-z])", re.ASCII)),
    # 16-19 digits is a card; a longer run (two numbers typed without a space) is masked the same way
    ("bank_card", re.compile(rf"(?<![0-9])\d(?:{_SEP}\d){{15,}}(?![0-9])", re.ASCII)),
    ("mobile", re.compile(rf"(?:(?<![0-9])|(?<=86))1{_SEP}[3-9](?:{_SEP}\d){{9}}(?![0-9])", re.ASCII)),
)
_MAYBE = re.compile(r"[0-9@]")


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data found in a text: what it is and where, [start, end) in characters."""

    kind: str
    start: int
    end: int


# Characters that can hide a number from the patterns while a reader (or the normaliser) sees it
# whole: invisible and white-space separators, and styled digits (mathematical, circled, superscript).
_HIDING = re.compile(
    "[\t\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]| {2}"
    "|[\u00b2\u00b3\u00b9\u2070-\u2089\u2460-\u24ff\u2776-\u2793\U0001d7ce-\U0001d7ff]"
    r"|\\(?:[tnr]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})"
)
# An escape sequence as repr() writes an invisible character into a message (a quarantine reason quoting
# a value): for the reader it is a separator like the character itself.
_ESCAPE = re.compile(r"\\(?:[tnr]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def _view(text: str) -> tuple[str, list[int]]:
    """The text as a reader sees it, and for each of its characters the offset in `text`.

    Invisible characters (and repr() escapes such as `\\u200b`) are dropped, a run of white space
    becomes one space and styled digits become ASCII digits; other characters are kept (already
    folded by _FOLD).
    """
    chars: list[str] = []
    where: list[int] = []
    skip_to = 0
    for i, ch in enumerate(text):
        if i < skip_to:
            continue
        if ch == "\\" and (m := _ESCAPE.match(text, i)):
            skip_to = m.end()
            continue
        if ch.isspace():
            if chars and chars[-1] == " ":
                continue
            ch = " "
        elif unicodedata.category(ch) == "Cf" or ch == "\u00ad":
            continue
        elif not ch.isascii() and (d := unicodedata.digit(ch, None)) is not None:
            ch = str(d)
        chars.append(ch)
        where.append(i)
    return "".join(chars), where


def find_personal_data(text: str) -> list[PersonalData]:
    """Return the personal data in `text`, sorted by position, never overlapping.

    Found on the text as a reader sees it (`_view`) when it holds characters that could split or
    disguise a number; the spans are in `text` and cover the hidden characters too.
    """
    folded = text.translate(_FOLD)
    if _HIDING.search(folded) is not None:
        view, where = _view(folded)
        return [PersonalData(p.kind, where[p.start], where[p.end - 1] + 1) for p in _find(view)]
    return _find(folded)


def _find(folded: str) -> list[PersonalData]:
    if _MAYBE.search(folded) is None:
        return []
    found: list[PersonalData] = []
    for kind, pattern in _PATTERNS:
        spans = [m.span() for m in pattern.finditer(folded)]
        if not spans:
            continue
        found += [PersonalData(kind, a, b) for a, b in spans]
        # what is found becomes a boundary for the kinds after it (a NUL matches no pattern), so that
        # 13800138000 right before an ID card number is still found as a number of its own
        pieces, pos = [], 0
        for a, b in spans:
            pieces += [folded[pos:a], "\x00" * (b - a)]
            pos = b
        folded = "".join(pieces) + folded[pos:]
    return sorted(found, key=lambda p: p.start)


def _star(ch: str) -> str:
    return "*" if ch.isascii() else "＊"


def _masked(text: str, item: PersonalData) -> str:
    part = text[item.start : item.end]
    folded = part.translate(_FOLD)
    if item.kind == "email":
        at = folded.index("@")
        return part[0] + "".join(_star(c) for c in part[1:at]) + part[at:]
    keep = [i for i, c in enumerate(folded) if c.isalnum()][-KEEP_LAST:]
    first_kept = keep[0] if keep else len(part)
    return "".join(c if i >= first_kept or not folded[i].isalnum() else _star(c) for i, c in enumerate(part))


def mask_text(text: str) -> str:
    """Return `text` with its personal data masked; same length, every other character unchanged."""
    items = find_personal_data(text)
    if not items:
        return text
    pieces: list[str] = []
    pos = 0
    for item in items:
        pieces.append(text[pos : item.start])
        pieces.append(_masked(text, item))
        pos = item.end
    pieces.append(text[pos:])
    return "".join(pieces)


def mask_conversation(conv: Conversation) -> Conversation:
    """Return `conv` with every turn's text masked (the same object when there was nothing to mask).

    Ids, agent names and other metadata are left as they are: they identify the record, not the customer.
    """
    turns = tuple(t if (m := mask_text(t.text)) == t.text else replace(t, text=m) for t in conv.turns)
    if all(a is b for a, b in zip(turns, conv.turns, strict=True)):
        return conv
    return replace(conv, turns=turns)


def mask_rejected(rejected: Rejected) -> Rejected:
    """Return a quarantined record with its raw text and its reason masked (a reason may quote the text)."""
    raw, reason = mask_text(rejected.raw), mask_text(rejected.reason)
    if raw == rejected.raw and reason == rejected.reason:
        return rejected
    return replace(rejected, raw=raw, reason=reason)
