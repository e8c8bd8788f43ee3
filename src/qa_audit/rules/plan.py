"""A condition tree compiled for the engine: which subtrees a turn's phrase and regex bits settle at once.

A gated leaf none of whose phrases or patterns occurs in a turn has no hit, so nothing to keep or
drop: its outcome is `Outcome(False)`, and so is that of an and / or of such leaves (see
`Matchers.silent_when`). Here each such subtree carries its phrase ids and regex ids as two bit
masks; a turn carries the bits of the phrases and regexes found in it, and one `&` per child tells
whether the child needs evaluating. An `or` then combines only the children that can say something
(the others add neither hits nor dropped matches), whatever the number of children.

An `or` also holds, per phrase id and per regex id, which of its children need it (`Live`): a turn
then finds its live children from the few bits it sets among the `or`'s, not by testing every child,
so the work per turn follows what the turn says rather than how many children the `or` has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    live: Live | None = None  # an `or`: which children a turn's bits make live


@dataclass(frozen=True, eq=False)
class Live:
    """Which children of an `or` a turn's phrase and regex bits can make say something.

    A child with masks is live when one of its phrase or regex bits is set in the turn; a child
    without (`open`: none / words / fuzzy / similar, or a subtree holding one) is always considered.
    """

    phrase_any: int  # the union of the masked children's phrase masks
    regex_any: int  # ... and of their regex masks
    by_phrase: dict[int, tuple[int, ...]]  # phrase id -> indices of the children whose mask has it
    by_regex: dict[int, tuple[int, ...]]  # regex id -> indices of the children whose mask has it
    open: tuple[int, ...]  # indices of the children without masks

    def children(self, phrase_bits: int, regex_bits: Callable[[], int]) -> Sequence[int]:
        """Indices, in order, of the children that may say something on a turn with these bits.

        `regex_bits` is called only when some child has a regex (the RE2 pass is lazy).
        """
        phrases = self.phrase_any & phrase_bits
        regexes = self.regex_any & regex_bits() if self.regex_any else 0
        if not (phrases or regexes):
            return self.open  # the usual case: no masked child is live
        live = set(self.open)
        for found, table in ((phrases, self.by_phrase), (regexes, self.by_regex)):
            while found:
                low = found & -found
                live.update(table[low.bit_length() - 1])
                found ^= low
        return sorted(live)


def _live(children: tuple[Node, ...]) -> Live:
    """The `Live` table of an `or`'s compiled children."""
    by_phrase: dict[int, list[int]] = {}
    by_regex: dict[int, list[int]] = {}
    phrase_any = regex_any = 0
    for k, child in enumerate(children):
        if child.phrase_mask is None:
            continue
        phrase_any |= child.phrase_mask
        regex_any |= child.regex_mask
        for table, mask in ((by_phrase, child.phrase_mask), (by_regex, child.regex_mask)):
            while mask:
                low = mask & -mask
                table.setdefault(low.bit_length() - 1, []).append(k)
                mask ^= low
    return Live(
        phrase_any=phrase_any,
        regex_any=regex_any,
        by_phrase={i: tuple(ks) for i, ks in by_phrase.items()},
        by_regex={i: tuple(ks) for i, ks in by_regex.items()},
        open=tuple(k for k, child in enumerate(children) if child.phrase_mask is None),
    )


def compile_node(cond: Cond, silent_when: Callable[[Cond], Gate | None]) -> Node:
    """Compile `cond` and its children (`silent_when`: the matchers' gate of a silent condition)."""
    gate = silent_when(cond)
    op = OPERATORS[cond.op]
    children = tuple(compile_node(c, silent_when) for c in cond.children) if op.combine is not None else ()
    return Node(
        cond=cond,
        phrase_mask=bits(gate[0]) if gate is not None else None,
        regex_mask=bits(gate[1]) if gate is not None else 0,
        combine=op.combine,
        drop_silent=op.name == "or",
        children=children,
        engine=op.engine,
        live=_live(children) if op.name == "or" else None,
    )
