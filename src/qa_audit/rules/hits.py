"""What evaluating a condition on a turn yields: hits and an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True)
class Hit:
    """One match of a leaf operator, in normalised-text characters."""

    span: Span
    op: str
    matched: str  # the phrase, pattern or exemplar that matched
    variant: str = ""  # what the text actually said, when it differs (fuzzy)
    score: float | None = None  # similarity, for `similar`


@dataclass(frozen=True)
class Outcome:
    """Whether a condition holds on a turn, the hits that make it hold, and what was set aside."""

    ok: bool
    hits: tuple[Hit, ...] = ()
    dropped: tuple[dict[str, Any], ...] = field(default=())
