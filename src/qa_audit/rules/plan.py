"""A condition tree compiled for the engine: which subtrees a turn's phrase and regex bits settle at once.

A gated leaf none of whose phrases or patterns occurs in a turn has no hit, so nothing to keep or
drop: its outcome is `Outcome(False)`, and so is that of an and / or of such leaves (see
`Matchers.silent_when`). Here each such subtree carries its phrase ids and regex ids as two bit
masks; a turn carries the bits of the phrases and regexes found in it, and one `&` per child tells
whether the child needs evaluating. An `or` then combines only the children that can say something
(the others add neither hits nor dropped matches), whatever the number of children.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qa_audit.rules.hits import Outcome
from qa_audit.rules.operators import OPERATORS, Gate
from qa_audit.rules.spec import Cond


def bits(ids: Iterable[int]) -> int:
    """The bit mask of a set of small non-negative ids."""
    mask = 0
    for i in ids:
        mask |= 1 << i
    return mask


@dataclass(frozen=True, eq=False)
class Node:
    """One condition, compiled: its silent masks (None: it may say something on any turn) and its children."""

    cond: Cond
    phrase_mask: int | None  # silent when none of these phrase bits is set in the turn ...
    regex_mask: int  # ... and none of these regex bits (0: no regex to look for)
    combine: Callable[[list[Outcome]], Outcome] | None  # None: a leaf
    drop_silent: bool  # `or`: a silent child adds nothing to the outcome, so it is left out
    children: tuple[Node, ...]
    engine: str = ""  # a leaf's matcher (similar and fuzzy leaves have per-turn shortcuts of their own)


def compile_node(cond: Cond, silent_when: Callable[[Cond], Gate | None]) -> Node:
    """Compile `cond` and its children (`silent_when`: the matchers' gate of a silent condition)."""
    gate = silent_when(cond)
    op = OPERATORS[cond.op]
    return Node(
        cond=cond,
        phrase_mask=bits(gate[0]) if gate is not None else None,
        regex_mask=bits(gate[1]) if gate is not None else 0,
        combine=op.combine,
        drop_silent=op.name == "or",
        children=tuple(compile_node(c, silent_when) for c in cond.children) if op.combine is not None else (),
        engine=op.engine,
    )
