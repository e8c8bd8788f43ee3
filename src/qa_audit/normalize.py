"""Normalise a turn once, keeping a map from every normalised character back to the original text.

Steps (the same for transcript text and for rule phrases, so both sides always agree):

1. Per character (one precomputed table): NFKC (full-width letters, digits and punctuation become
   ASCII: ＡＢＣ１２３ -> abc123, and ，？！：；（） -> , ? ! : ; ( ) -- ASCII is the canonical form;
   。、「」“” have no NFKC mapping and stay as they are), ASCII lower-case, every kind of whitespace
   -> one space, and removed: ``\\r``, control and format characters (zero-width space/joiner, BOM,
   soft hyphen, bidi marks), variation selectors and the ASR pause mark ``_``.
2. Traditional -> Simplified with the official OpenCC bindings (``t2s``), plus two variants t2s keeps
   (妳 -> 你, 甚么 -> 什么) so that 妳好 counts as 你好 and 甚麼 matches 什么.
3. Artefacts removed: the literal escape text ``\\x0d`` / ``\\x0a`` in its mangled forms
   (``\\x0d\\``, ``\\ x0d \\``), and ASR tags that are never words (``<sil>``, ``[noise]``, ``(笑)``...).
   Bracketed placeholders such as ``[订单x]`` or chat emoticons such as ``[微笑]`` are kept.
4. Runs of spaces collapsed to one; leading and trailing spaces trimmed.

Fillers (嗯, 呃...) are kept in the text; `FILLERS` lists them for rules that want to skip them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

__all__ = ["FILLERS", "NormText", "normalize", "normalize_phrase"]

#: Hesitation fillers, in normalised form. They stay in the text; compare whole tokens against this set
#: (额 is also a word inside 金额, so only a token that is exactly a filler is one).
FILLERS: frozenset[str] = frozenset({"嗯", "嗯嗯", "呃", "呃呃", "额", "啊", "哦", "噢", "唔", "欸", "诶"})

_VARIANTS = (("妳", "你"), ("甚么", "什么"))  # same length on both sides: the offset map stays 1:1
_IDENTITY = tuple(range(4097))  # sliced for the offsets of most turns, cheaper than tuple(range(n))

# ASR tags that never stand for a spoken word, in normalised form (brackets are ASCII after NFKC).
_TAG_NAMES = (
    "sil",
    "sp",
    "spn",
    "nsn",
    "unk",
    "noise",
    "v-noise",
    "noise-v",
    "laughter",
    "laugh",
    "breath",
    "cough",
    "music",
    "silence",
    "笑",
    "笑声",
    "噪音",
    "杂音",
    "咳嗽",
    "静音",
    "音乐",
    "呼吸",
    "叹气",
)
_ARTEFACT = re.compile(
    # literal escape text; only with a backslash attached, so a bare "x0d" is left alone
    # (a whole chain of escapes in one match, anchored at the first backslash: linear on long runs)
    r"(?<!\\)\\+ *x0[da](?: *\\+ *x0[da])*(?: *\\+)?|x0[da] *\\+"
    "|"
    + "|".join(
        rf"{re.escape(o)} *(?:{'|'.join(map(re.escape, sorted(_TAG_NAMES, key=len, reverse=True)))}) *{re.escape(c)}"
        for o, c in (("<", ">"), ("[", "]"), ("(", ")"), ("【", "】"))
    )
)
_SPACES = re.compile(" {2,}")
_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))  # variation selectors (emoji/glyph style): dropped


def _map_one(ch: str) -> str:
    """One step of the per-character map (before iterating it to a fixed point)."""
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"  # lone surrogate (surrogateescape decoding): OpenCC cannot encode it
    if ch == "\r" or ch == "_":
        return ""
    if ch.isspace():
        return " "
    if unicodedata.category(ch) in ("Cc", "Cf") or any(lo <= cp <= hi for lo, hi in _SELECTORS):
        return ""
    out = unicodedata.normalize("NFKC", ch)
    if out.isascii():
        out = out.lower()
    return out


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """Build the per-character table and the pattern of characters that do not map to exactly one char.

    Built once per process. Blocks of code points that are all fixed points are skipped whole
    (tests compare the result with a visit of every code point).
    """
    table: dict[int, str] = {}
    not_one: list[int] = []
    for cp in _candidates():
        ch = chr(cp)
        out = _map_one(ch)
        if out == ch:
            continue
        # iterate to a fixed point so that the table is idempotent (e.g. NFKC gives "A", then "a")
        for _ in range(4):
            nxt = "".join(_map_one(c) for c in out)
            if nxt == out:
                break
            out = nxt
        table[cp] = out
        if len(out) != 1:
            not_one.append(cp)
    return table, re.compile("[" + "".join(_class_ranges(not_one)) + "]")


def _candidates() -> list[int]:
    """Code points that may map to something else than themselves (a superset)."""
    out: list[int] = []
    for base in range(0, 0x110000, 128):
        if 0x40000 <= base < 0xE0000 or base >= 0xF0000:
            continue  # planes 4-13 are unassigned, planes 15-16 private use: nothing to map
        block = "".join(map(chr, range(base, base + 128))) if not 0xD800 <= base < 0xE000 else ""
        has_selector = any(lo < base + 128 and base <= hi for lo, hi in _SELECTORS)
        if (
            block
            and not has_selector
            and block.isprintable()
            and unicodedata.is_normalized("NFKC", block)
            and (base >= 128 or not any(c.isupper() or c == "_" for c in block))
        ):
            continue  # printable (no Cc/Cf/whitespace), NFKC-stable, nothing to lower-case
        # unassigned and private-use code points are NFKC fixed points with nothing to lower-case
        out.extend(cp for cp in range(base, base + 128) if unicodedata.category(chr(cp)) not in ("Cn", "Co"))
    return out


def _class_ranges(cps: list[int]) -> list[str]:
    """Turn sorted code points into regex character-class ranges."""
    out: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = chr(cps[i]), chr(cps[j])
        out.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return out


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(s: str) -> str:
    """Traditional -> Simplified keeping exactly one output character per input character.

    The whole string goes to OpenCC first, because its phrase table picks the right character from
    context (乾淨 -> 干净 but 乾隆 stays). Its phrases could in principle change the length, which would
    break the offset map; then we fall back to converting character by character (context lost, map
    kept). OpenCC is not idempotent on a few characters (薴 -> 苧 -> 苎), so we iterate to a fixed point.
    A text holding undecodable bytes (lone surrogates, which OpenCC cannot take) comes back unchanged.
    """
    if s.isascii():
        return s
    conv = _t2s().convert
    for _ in range(4):
        try:
            out = conv(s)
        except UnicodeEncodeError:
            return s
        if len(out) != len(s):
            out = "".join(c2 if len(c2 := conv(c)) == 1 else c for c in s)
        for old, new in _VARIANTS:
            if old in out:
                out = out.replace(old, new)
        if out == s:
            break
        s = out
    return s


@dataclass(frozen=True)
class NormText:
    """A normalised text with, for every normalised character, the original characters it came from.

    `offsets[i]` is the index in `original` of the first original character that produced `text[i]`
    (`offsets[-1] == len(original)`); `ends[i]` is one past the last one (a collapsed run of
    whitespace produces one space; one original character such as … may produce several: ...).
    """

    original: str
    text: str
    offsets: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span [start, end) of `text` to the span of `original` covering every char that produced it.

        Removed characters (junk) outside the produced characters are not included; an empty span maps
        to the empty span at the original position of `text[start]`.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the normalised text of length {len(self.text)}")
        if start == end:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.ends[end - 1]


def normalize(text: str) -> NormText:
    """Normalise one turn (see the module docstring) and keep the offset map back to `text`."""
    table, not_one = _tables()
    if not_one.search(text) is None:
        # fast path, most turns: every character maps to exactly one, so the offsets are the identity
        out = to_simplified(text.translate(table))
        if _ARTEFACT.search(out) is None and "  " not in out and out[:1] != " " and out[-1:] != " ":
            n = len(out)
            if n < len(_IDENTITY):
                return NormText(text, out, _IDENTITY[: n + 1], _IDENTITY[1 : n + 1])
            return NormText(text, out, tuple(range(n + 1)), tuple(range(1, n + 1)))
    out, starts, ends = _general(text, table, not_one)
    return NormText(text, out, (*starts, len(text)), tuple(ends))


def normalize_phrase(s: str) -> str:
    """Normalise a rule phrase with exactly the transform applied to transcripts (text only)."""
    return normalize(s).text


def _general(text: str, table: dict[int, str], not_one: re.Pattern[str]) -> tuple[str, list[int], list[int]]:
    """Full pass with offsets; repeated while removing artefacts joined new neighbours (乾<sil>淨)."""
    out, starts, ends, removed = _one_pass(text, table, not_one)
    for _ in range(4):
        if not removed:
            break
        out2, s2, e2, removed = _one_pass(out, table, not_one)
        if out2 == out:
            break
        starts, ends = [starts[i] for i in s2], [ends[j - 1] for j in e2]
        out = out2
    return out, starts, ends


def _one_pass(text: str, table: dict[int, str], not_one: re.Pattern[str]) -> tuple[str, list[int], list[int], bool]:
    """Return the normalised text, the start and end (in `text`) of each char, and whether artefacts went."""
    # 1. per-character table; characters between two matches of `not_one` map one to one
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in not_one.finditer(text):
        i = m.start()
        if i > pos:
            pieces.append(text[pos:i].translate(table))
            starts.extend(range(pos, i))
            ends.extend(range(pos + 1, i + 1))
        rep = table[ord(text[i])]
        pieces.append(rep)
        starts.extend([i] * len(rep))
        ends.extend([i + 1] * len(rep))
        pos = i + 1
    if pos < len(text):
        pieces.append(text[pos:].translate(table))
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    # 2. Traditional -> Simplified, one to one
    out = to_simplified("".join(pieces))
    # 3. artefacts; removing one can reveal another (<<sil>sil>), hence the loop
    removed = False
    while _ARTEFACT.search(out) is not None:
        keep = _drop_spans(len(out), [mm.span() for mm in _ARTEFACT.finditer(out)])
        out, starts, ends = _select(out, starts, ends, keep)
        removed = True
    # 4. collapse runs of spaces to their first space (which then ends where the run ends), trim
    if "  " in out or out[:1] == " " or out[-1:] == " ":
        ends = list(ends)
        drop: list[tuple[int, int]] = []
        for m in _SPACES.finditer(out):
            ends[m.start()] = ends[m.end() - 1]
            drop.append((m.start() + 1, m.end()))
        keep = _drop_spans(len(out), drop)
        out, starts, ends = _select(out, starts, ends, keep)
        lead = len(out) - len(out.lstrip(" "))
        trail = len(out.rstrip(" "))
        out, starts, ends = out[lead:trail], starts[lead:trail], ends[lead:trail]
    return out, starts, ends, removed


def _drop_spans(n: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Complement of sorted, non-overlapping `spans` within [0, n)."""
    keep: list[tuple[int, int]] = []
    pos = 0
    for a, b in spans:
        if a > pos:
            keep.append((pos, a))
        pos = b
    if pos < n:
        keep.append((pos, n))
    return keep


def _select(
    s: str, starts: list[int], ends: list[int], keep: list[tuple[int, int]]
) -> tuple[str, list[int], list[int]]:
    """Keep only the `keep` spans of `s` and of its offset lists."""
    return (
        "".join(s[a:b] for a, b in keep),
        [x for a, b in keep for x in starts[a:b]],
        [x for a, b in keep for x in ends[a:b]],
    )
