"""What evaluating a condition on a turn yields: hits and an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qa_audit.rules.spec import Cond

Span = tuple[int, int]


@dataclass(frozen=True)
class Hit:
    """One match of a leaf operator, in normalised-text characters."""

    span: Span
    op: str
    matched: str  # the phrase, pattern or exemplar that matched
    variant: str = ""  # what the text actually said, when it differs (fuzzy); the strongest n-grams (learned)
    score: float | None = None  # similarity, for `similar`; the model's probability, for `learned`


@dataclass(frozen=True)
class Outcome:
    """Whether a condition holds on a turn, the hits that make it hold, and what was set aside."""

    ok: bool
    hits: tuple[Hit, ...] = ()
    dropped: tuple[dict[str, Any], ...] = field(default=())


class TurnLike(Protocol):
    """What a condition needs from a turn (the engine's prepared turn)."""

    text: str

    @property
    def quotes(self) -> list[Span]:
        """Spans of quoted text (what the agent repeats is not what the agent says)."""

    def phrase_spans(self, phrases: tuple[str, ...]) -> list[Span]:
        """Spans of any of these rule phrases, in text order (found by the shared automaton)."""

    def regex_spans(self, pattern: str) -> list[Span]:
        """Spans of a regex (found by the shared RE2 set)."""

    def word_spans(self, words: tuple[str, ...]) -> list[tuple[Span, str]]:
        """Spans of whole jieba tokens."""

    def fuzzy(self, cond: Cond) -> list[Hit]:
        """Pinyin-tolerant hits."""

    def similar(self, cond: Cond) -> list[Hit]:
        """Similarity hits."""

    def learned(self, cond: Cond) -> list[Hit]:
        """The whole turn, when a turn model scores it at or above the condition's `min`."""
