"""Complaint detection and customer type from the customer's own turns (no model file needed).

Precision first: `is_complaint` decides whether complaint-only rules apply, so a plain question or a
factual problem report is not a complaint; dissatisfaction must be expressed (an explicit complaint
or threat, anger or insult, exasperation about a long or repeated failure, blaming the company).
Cue lists are data below; `models/complaint_labels.csv` (rubric in `models/complaint_labels.md`)
measures them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from qa_audit.model import Conversation

COMPLAINT_TYPES = ("要求型", "困惑型", "激动型")
# anchored at the start of a number run, so a pasted blob of digits is scanned once (linear time)
_N = r"(?:(?<![0-9一二两三四五六七八九十几半多])[0-9一二两三四五六七八九十几半多]+|\[数字x\])"
_UNIT = r"(?:天|日|周|星期|礼拜|个?月|个?小时|次|回)"

# (cue name, points, regex). A turn whose points reach COMPLAINT_POINTS is a complaint.
COMPLAINT_CUES: tuple[tuple[str, int, str], ...] = (
    ("explicit", 2, r"投诉|举报|曝光|12315|消协|消费者协会|工商局|维权|起诉|打官司|律师|差评"),
    ("anger", 2, r"气死|太气人|(?<![别不])生气|火大|恼火|愤怒|岂有此理|不像话|太过分|过分了|欺人太甚|烦死|烦人|崩溃"),
    (
        "insult",
        2,
        r"垃圾(?![袋桶分箱])|什么破|破(?:东西|玩意|京东|服务|快递|平台|店|手机)|坑人|坑爹|"
        r"骗子|骗人|欺骗|忽悠|耍我|耍人|无耻|恶心|奇葩|(?<![客])服了|妈的|tmd|尼玛|卧槽|shit",
    ),
    (
        "verdict",
        2,
        r"不满意|很不满|太不满|(?<!不让人)(?<!不会)(?<![不没别])失望|"
        r"太差|很差|真差|差劲|太烂|太离谱|离谱|无语|郁闷|"
        r"太坑|坑了|被坑|上当|后悔|再也不(?:买|来|用)|不能接受|无法接受|接受不了|怎么回事|"
        r"(?:太|这么|真|有点|好)慢|慢死|(?:太|这么|那么)久|拖了|遥遥无期|说好的|可是说|明明说",
    ),
    (
        "service",
        2,
        r"推卸责任|推卸|踢皮球|推来推去|不负责任?|敷衍|态度(?:太|很|真|极)?(?:差|恶劣|不好)|"
        r"什么态度|就会推|只会推|没人(?:管|理|处理|联系|负责)|没有人(?:管|理|处理|联系|负责)",
    ),
    (
        "delay",
        2,
        rf"(?:已经|都|足足|整整|又过了)\s*(?:第\s*)?{_N}\s*个?(?:工作日|{_UNIT})"
        r"[^。!?！？]{0,8}(?:还|也|都)(?:没|不|未)|"
        rf"等了\s*{_N}\s*{_UNIT}|{_N}\s*{_UNIT}了[^。!?！？]{{0,6}}还(?:是)?(?:没|不|未)|第\s*{_N}\s*次(?:了|打|问|联系)|"
        r"至今(?:没|未|还)",
    ),
    (
        "waited",
        1,
        rf"(?:已经|都|又过了)\s*(?:第\s*)?{_N}\s*个?(?:工作日|{_UNIT})|{_N}\s*{_UNIT}了|"
        r"还(?:是)?(?:没|未)(?:有)?(?:收到|到货|到|发货|出库|更新|处理|退|回复|充)",
    ),
    (
        "exasperation",
        1,
        r"搞什么|什么情况|到底|凭什么|为什么(?:还|又|一直|总是|老是)|一直(?:没|不|未|都是)|"
        r"总是|老是|每次|又是|不是说|怎么这么|怎么(?:会|又|还|才|就|自动)|到(?:啥|什么)时候|"
        r"别人(?:的|都)|人家都|早就收到",
    ),
    ("emphasis", 1, r"[!！]|[?？]{2,}"),
)
COMPLAINT_POINTS = 2

# 激动型 needs anger; 困惑型 is confusion about how something works or what was said.
CONFUSED_CUES = (
    r"不明白|不懂|看不懂|搞不懂|弄不懂|没看懂|没听懂|不清楚|不太清楚|不知道(?:怎么|为什么|是|该)|"
    r"什么意思|啥意思|是什么意思|怎么弄|怎么操作|怎么办|糊涂|迷糊|看不明白|找不到|为啥|为什么"
)
AGITATED_KINDS = frozenset({"anger", "insult"})
_AGITATED_SHOWN = AGITATED_KINDS | {"emphasis"}


@dataclass(frozen=True)
class Cue:
    """One matched cue: where it is in the original customer turn and what kind it is."""

    turn_index: int
    span: tuple[int, int]
    match: str
    kind: str
    points: int

    def to_json(self) -> dict[str, object]:
        """Return the cue as evidence for results and findings."""
        return {"turn_index": self.turn_index, "span": list(self.span), "match": self.match, "kind": self.kind}


@dataclass(frozen=True)
class ComplaintResult:
    """Whether the customer complains, with the cues that decided it (truthy when a complaint)."""

    is_complaint: bool
    cues: tuple[Cue, ...]

    def __bool__(self) -> bool:
        return self.is_complaint

    def evidence(self) -> dict[str, object]:
        """Return the evidence: the deciding turn's cues (or every cue seen when not a complaint)."""
        return {"is_complaint": self.is_complaint, "cues": [c.to_json() for c in self.cues]}


@dataclass(frozen=True)
class CustomerTypeResult:
    """要求型 / 困惑型 / 激动型 with the cues that decided it (str() is the label)."""

    label: str
    cues: tuple[Cue, ...]

    def __str__(self) -> str:
        return self.label

    def evidence(self) -> dict[str, object]:
        """Return the evidence of the customer type."""
        return {"customer_type": self.label, "cues": [c.to_json() for c in self.cues]}


class _CharFold(dict):
    """ord -> that character NFKC-normalised and lower-cased (itself when that is not one character).

    A `str.translate` table filled on demand: each character is worked out once per process, and the
    translation runs in C. Bounded, so text made of every code point cannot grow it without limit.
    """

    LIMIT = 1 << 16

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        n = unicodedata.normalize("NFKC", ch).lower()
        folded = n if len(n) == 1 else ch
        if len(self) < self.LIMIT:
            self[code] = folded
        return folded


_FOLD = _CharFold()


def _norm_same_length(text: str) -> str:
    """NFKC + lower case character by character, keeping offsets into the original text."""
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered
    return text.translate(_FOLD)


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[tuple[str, int, re.Pattern[str]]], re.Pattern[str]]:
    cues = [(kind, pts, re.compile(rx)) for kind, pts, rx in COMPLAINT_CUES]
    return cues, re.compile(CONFUSED_CUES)


_Match = tuple[int, int, str, int]  # start, end, kind, points


@lru_cache(maxsize=8192)
def _scan(text: str) -> tuple[tuple[_Match, ...], tuple[tuple[int, int], ...]]:
    # cached: detect_complaint and customer_type look at the same turns; one normalisation serves
    # the complaint cues and the confusion cues
    norm = _norm_same_length(text)
    cues, confused = _patterns()
    found = tuple((m.start(), m.end(), kind, pts) for kind, pts, rx in cues for m in rx.finditer(norm))
    return found, tuple(m.span() for m in confused.finditer(norm))


def _points(matches: tuple[_Match, ...]) -> int:
    return sum({kind: pts for _, _, kind, pts in matches}.values())  # a kind counts once per turn


def turn_cues(index: int, text: str) -> list[Cue]:
    """Return the complaint cues of one customer turn (spans in the original text)."""
    return [Cue(index, (a, b), text[a:b], kind, pts) for a, b, kind, pts in _scan(text)[0]]


def _customer(conv: Conversation) -> list[tuple[int, str]]:
    return [(t.index, t.text) for t in conv.turns if t.role == "customer" and t.text.strip()]


def is_complaint_text(text: str, index: int = 0) -> ComplaintResult:
    """Decide one customer utterance: a complaint when its cue points reach COMPLAINT_POINTS."""
    cues = turn_cues(index, text)
    return ComplaintResult(_points(_scan(text)[0]) >= COMPLAINT_POINTS, tuple(cues))


def detect_complaint(conv: Conversation) -> ComplaintResult:
    """Return whether the customer expresses dissatisfaction in any turn, with the deciding cues."""
    seen: list[Cue] = []
    for index, text in _customer(conv):
        res = is_complaint_text(text, index)
        if res.is_complaint:
            return res
        seen.extend(res.cues)
    return ComplaintResult(False, tuple(seen))


def customer_type(conv: Conversation) -> CustomerTypeResult:
    """Return 激动型 (anger or insult, or a complaint with emphasis), 困惑型 (confusion), else 要求型."""
    agitated: list[Cue] = []
    puzzled: list[Cue] = []
    for index, text in _customer(conv):
        matches, confused = _scan(text)
        kinds = {kind for _, _, kind, _ in matches}
        if kinds & AGITATED_KINDS or ("emphasis" in kinds and _points(matches) >= COMPLAINT_POINTS):
            agitated.extend(
                Cue(index, (a, b), text[a:b], kind, pts) for a, b, kind, pts in matches if kind in _AGITATED_SHOWN
            )
        puzzled.extend(Cue(index, (a, b), text[a:b], "confused", 1) for a, b in confused)
    if agitated:
        return CustomerTypeResult("激动型", tuple(agitated))
    if puzzled:
        return CustomerTypeResult("困惑型", tuple(puzzled))
    return CustomerTypeResult("要求型", ())
