"""Complaint detection and customer type from the customer's own turns (no model file needed).

`is_complaint` decides whether complaint-only rules apply: a missed complaint hides deductions a
reviewer would make, a false one creates deductions a reviewer would reject. So a plain question or a
factual problem report is not a complaint; dissatisfaction must be expressed (an explicit complaint
or threat, anger or insult, a negative verdict, blaming the company, a long or repeated failure, a
broken promise, sarcasm or a rhetorical reproach, a demand for compensation). The cue lists by kind
are in `complaint_cues.py`; a logistic model over the turn's character n-grams (`complaint_model.py`,
shipped in `models/complaint_detect/`) adds a probability: a turn is a complaint when its cues score
STRONG or the probability reaches the model's threshold (chosen by cross-validation; 1.0 means the
model never decides alone). `eval/complaint_eval.py` measures it on every hand-labelled set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import re2

from qa_audit.classify.complaint_cues import STRONG, Finder, Match, disclaimed, points, scan
from qa_audit.classify.complaint_model import load_complaint_model
from qa_audit.model import Conversation
from qa_audit.normalize import normalize

COMPLAINT_TYPES = ("要求型", "困惑型", "激动型")
COMPLAINT_POINTS = STRONG

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
    """Whether the customer complains, with the cues and the model's probability (truthy when a complaint).

    `probability` is the deciding turn's, or the highest of any customer turn when none is a complaint.
    """

    is_complaint: bool
    cues: tuple[Cue, ...]
    probability: float = 0.0

    def __bool__(self) -> bool:
        return self.is_complaint

    def evidence(self) -> dict[str, object]:
        """Return the evidence: the deciding turn's cues (every cue seen when not a complaint), the probability."""
        return {
            "is_complaint": self.is_complaint,
            "cues": [c.to_json() for c in self.cues],
            "probability": round(self.probability, 3),
        }


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


@lru_cache(maxsize=1)
def _confused() -> Finder:
    return re2.compile(CONFUSED_CUES)


_Scan = tuple[tuple[Match, ...], tuple[tuple[int, int], ...], float, bool]


@lru_cache(maxsize=8192)
def _scan(text: str) -> _Scan:
    # cached: detect_complaint and customer_type look at the same turns; one normalisation serves all.
    # Spans are mapped back to the original text here, so evidence quotes what the user sees.
    norm = normalize(text)
    matches = scan(norm.text)
    found = tuple((*norm.to_original(a, b), kind, pts) for a, b, kind, pts in matches)
    confused = tuple(norm.to_original(*m.span()) for m in _confused().finditer(norm.text))
    return found, confused, load_complaint_model().probability(norm.text, matches), disclaimed(norm.text)


def turn_cues(index: int, text: str) -> list[Cue]:
    """Return the complaint cues of one customer turn (spans in the original text)."""
    return [Cue(index, (a, b), text[a:b], kind, pts) for a, b, kind, pts in _scan(text)[0]]


def _customer(conv: Conversation) -> list[tuple[int, str]]:
    return [(t.index, t.text) for t in conv.turns if t.role == "customer" and t.text.strip()]


def is_complaint_text(text: str, index: int = 0) -> ComplaintResult:
    """Decide one customer utterance: cue points reaching COMPLAINT_POINTS or the model's probability."""
    matches, _, prob, disclaims = _scan(text)
    decided = load_complaint_model().decide(prob, points(matches), disclaims)
    return ComplaintResult(decided, tuple(turn_cues(index, text)), prob)


def detect_complaint(conv: Conversation) -> ComplaintResult:
    """Return whether the customer expresses dissatisfaction in any turn, with the deciding cues and probability."""
    seen: list[Cue] = []
    top = 0.0
    for index, text in _customer(conv):
        res = is_complaint_text(text, index)
        if res.is_complaint:
            return res
        seen.extend(res.cues)
        top = max(top, res.probability)
    return ComplaintResult(False, tuple(seen), top)


def customer_type(conv: Conversation) -> CustomerTypeResult:
    """Return 激动型 (anger or insult, or a complaint with emphasis), 困惑型 (confusion), else 要求型."""
    agitated: list[Cue] = []
    puzzled: list[Cue] = []
    for index, text in _customer(conv):
        matches, confused, _, _ = _scan(text)
        kinds = {kind for _, _, kind, _ in matches}
        if kinds & AGITATED_KINDS or ("emphasis" in kinds and points(matches) >= COMPLAINT_POINTS):
            agitated.extend(
                Cue(index, (a, b), text[a:b], kind, pts) for a, b, kind, pts in matches if kind in _AGITATED_SHOWN
            )
        puzzled.extend(Cue(index, (a, b), text[a:b], "confused", 1) for a, b in confused)
    if agitated:
        return CustomerTypeResult("激动型", tuple(agitated))
    if puzzled:
        return CustomerTypeResult("困惑型", tuple(puzzled))
    return CustomerTypeResult("要求型", ())
