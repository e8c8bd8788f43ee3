"""A turn prepared once for every rule: normalised text, shared matcher results, lazy tokens."""

from __future__ import annotations

import numpy as np

from qa_audit.model import Turn
from qa_audit.normalize import NormText, normalize, normalize_phrase
from qa_audit.rules.conditions import Hit, Outcome, evaluate, quote_regions
from qa_audit.rules.learned_model import MIN_LETTERS, Counts, TurnModel, load_turn_model, model_input
from qa_audit.rules.matchers import (
    BoundedMemo,
    FirstSyllables,
    FuzzyMatcher,
    PhraseIndex,
    Pinyin,
    RegexIndex,
    Span,
    lazy,
)
from qa_audit.rules.operators import OPERATORS, Gate
from qa_audit.rules.plan import Node, bits, compile_node
from qa_audit.rules.similarity import LongTurn, SimilarMatcher, SimilarSpace, clause_units
from qa_audit.rules.spec import Cond
from qa_audit.segment import segment

MEMO_SIZE = 50_000  # entries of each per-text memo


class Matchers:
    """The compiled matchers of a rule set, shared by every turn."""

    def __init__(self, conds: list[Cond]) -> None:
        leaves = [leaf for c in conds for leaf in c.leaves()]
        by_engine: dict[str, list[Cond]] = {}
        for leaf in leaves:
            by_engine.setdefault(OPERATORS[leaf.op].engine, []).append(leaf)
        phrases = {p for leaf in by_engine.get("phrases", ()) for p in leaf.phrases}
        phrases |= {p for leaf in leaves for p in leaf.unless + leaf.unless_before}
        self.phrases = PhraseIndex(phrases)
        self.regexes = RegexIndex({leaf.pattern for leaf in by_engine.get("regex", ())})
        self.fuzzy = {leaf.key: FuzzyMatcher(leaf.phrases) for leaf in by_engine.get("fuzzy", ())}
        self.first_syllables = FirstSyllables(t for m in self.fuzzy.values() for t in m.first.targets)
        self.similar = SimilarSpace(
            {
                leaf.key: SimilarMatcher(leaf.phrases, leaf.unlike, leaf.threshold)
                for leaf in by_engine.get("similar", ())
            }
        )
        self._word_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._gates: dict[str, Gate | None] = {}
        self._silent: dict[str, Gate | None] = {}
        self._nodes: dict[str, Node] = {}
        # a condition's outcome depends on nothing but the normalised turn text: one per
        # (condition, flags, text); the scans are per raw turn text
        self.outcomes = BoundedMemo(MEMO_SIZE)
        self._scans = BoundedMemo(MEMO_SIZE)

    def scan(self, raw: str) -> TextScan:
        """The normalised text of a raw turn text and its phrase hits, computed once per distinct text."""
        return self._scans.get(raw, lambda: self._scan(raw))

    def _scan(self, raw: str) -> TextScan:
        norm = normalize(raw)
        return TextScan(norm, self.phrases.find(norm.text))

    def node(self, cond: Cond) -> Node:
        """`cond` compiled with the bit masks that settle its silent subtrees (once per condition)."""
        found = self._nodes.get(cond.key)
        if found is None:
            found = self._nodes[cond.key] = compile_node(cond, self.silent_when)
        return found

    def word_set(self, words: tuple[str, ...]) -> frozenset[str]:
        """The normalised form of a `words` condition's tokens, computed once per list."""
        found = self._word_sets.get(words)
        if found is None:
            found = self._word_sets[words] = frozenset(normalize_phrase(w) for w in words)
        return found

    def gate(self, cond: Cond) -> Gate | None:
        """The phrase and regex ids of which a turn needs at least one for `cond` to hold (None: no such set).

        Lets a rule skip a turn with one set lookup when none of its phrases or patterns occur in it.
        """
        if cond.key not in self._gates:
            self._gates[cond.key] = self._gate(cond)
        return self._gates[cond.key]

    def silent_when(self, cond: Cond) -> Gate | None:
        """The phrase and regex ids without any of which `cond` is `Outcome(False)` with nothing dropped.

        True of a gated leaf (no hit: nothing to keep or drop) and so of an and / or of such
        conditions, whose gate is then the union of its leaves' gates (None: not such a condition).
        """
        if cond.key not in self._silent:
            op = OPERATORS[cond.op]
            if op.children is None:
                found = self.gate(cond) if op.gated else None
            elif op.name in ("and", "or"):
                kids = [self.silent_when(c) for c in cond.children]
                known = [k for k in kids if k is not None]
                found = _union(known) if len(known) == len(kids) else None
            else:
                found = None
            self._silent[cond.key] = found
        return self._silent[cond.key]

    def _gate(self, cond: Cond) -> Gate | None:
        op = OPERATORS[cond.op]
        if op.children is not None:
            return op.gate([self._gate(c) for c in cond.children])
        if not op.gated:
            return None  # e.g. none / words / fuzzy / similar can hold without an automaton or RE2 hit
        if op.engine == "phrases":
            return self.phrases.ids_of(cond.phrases), frozenset()
        return frozenset(), frozenset({self.regexes.ids[cond.pattern]})


def _union(gates: list[Gate]) -> Gate:
    return frozenset().union(*(g[0] for g in gates)), frozenset().union(*(g[1] for g in gates))


class TextScan:
    """What every turn with the same raw text shares: its normalised form and where rule phrases occur.

    Read-only once built, except `regex_ids` and `regex_bits`, filled on first use.
    """

    __slots__ = ("norm", "phrase_bits", "phrase_hits", "regex_bits", "regex_ids")

    def __init__(self, norm: NormText, phrase_hits: dict[int, list[Span]]) -> None:
        self.norm = norm
        self.phrase_hits = phrase_hits
        self.phrase_bits = bits(phrase_hits)  # the phrase ids found, as a bit mask
        self.regex_ids: frozenset[int] | None = None
        self.regex_bits = 0


_NO = Outcome(False)
_IDLE = ("similar", "fuzzy")


class PreparedTurn:
    """One turn, normalised once and scanned once by the shared automaton and RE2 set."""

    def __init__(self, turn: Turn, matchers: Matchers) -> None:
        self.turn = turn
        self._m = matchers
        self._scan = matchers.scan(turn.text)
        self.norm: NormText = self._scan.norm
        self.text = self.norm.text
        self._phrase_hits = self._scan.phrase_hits
        self.phrase_ids = self._phrase_hits.keys()

    def outcome(self, cond: Cond, negation: bool = False, quoted: str = "count") -> Outcome:
        """`evaluate(cond, self, ...)`, looked up when a turn with the same text was evaluated before."""
        if not self.may_match(cond):
            return _NO
        return self._m.outcomes.get(
            (cond.key, negation, quoted, self.text), lambda: self._evaluate(cond, negation, quoted)
        )

    def _evaluate(self, cond: Cond, negation: bool, quoted: str) -> Outcome:
        """`evaluate`, with the conditions that cannot hit here settled from the automaton and RE2 ids.

        A gated leaf none of whose phrases or patterns occurs has no hit, so nothing to keep or drop:
        its outcome is `_NO`, as `evaluate` finds, and so is that of an and / or of such leaves. The
        test is one `&` of bit masks per child (plan.py); an `or` leaves its silent children out.
        """
        node = self._m.node(cond)
        if node.phrase_mask is not None and self._quiet(node):
            return _NO
        return self._settle(node, negation, quoted)

    def _quiet(self, node: Node) -> bool:
        """Whether a silent-able node has none of its phrases or regexes in this turn."""
        return not (node.phrase_mask & self._scan.phrase_bits) and (  # type: ignore[operator]
            not node.regex_mask or not (node.regex_mask & self._regex_bits)
        )

    def _settle(self, node: Node, negation: bool, quoted: str) -> Outcome:
        """The outcome of a node known not to be quiet here."""
        if node.combine is None:
            return evaluate(node.cond, self, negation=negation, quoted=quoted)
        if node.live is not None:  # an `or`: only its live children (plan.Live), a silent one adds nothing
            parts = []
            children = node.children
            for k in node.live.children(self._scan.phrase_bits, self._regex_bits_now):
                child = children[k]
                if child.phrase_mask is None and child.engine in _IDLE and self._idle(child):
                    continue
                parts.append(self._settle(child, negation, quoted))
            if len(parts) <= 1:  # an `or` of one outcome is that outcome (one that does not hold
                return parts[0] if parts else _NO  # has no hits), of none `_NO`
            return node.combine(parts)
        parts = []
        phrase_bits = self._scan.phrase_bits
        for child in node.children:
            mask = child.phrase_mask
            if mask is not None:
                quiet = not (mask & phrase_bits) and (not child.regex_mask or not (child.regex_mask & self._regex_bits))
            else:
                quiet = child.engine in _IDLE and self._idle(child)
            if quiet:
                if not node.drop_silent:
                    parts.append(_NO)
                continue
            parts.append(self._settle(child, negation, quoted))
        if node.drop_silent and len(parts) <= 1:  # an `or` of one outcome is that outcome (one that
            return parts[0] if parts else _NO  # does not hold has no hits), of none `_NO`
        return node.combine(parts)

    def _idle(self, leaf: Node) -> bool:
        """Whether a `similar` or `fuzzy` leaf finds nothing here, so its outcome is `_NO` as `evaluate` finds.

        similar: the condition is out of the turn's reach (`SimilarSpace.reachable`); fuzzy: no
        character of the turn is near the first syllable of any of its phrases (where a match starts).
        """
        key = leaf.cond.key
        if leaf.engine == "similar":
            reach = self._reach
            return reach is not None and key not in reach
        return self._m.fuzzy[key].firsts.isdisjoint(self._pinyin.chars)

    @property
    def _regex_bits(self) -> int:
        """The regex ids found in the turn, as a bit mask (one RE2 pass, on first use)."""
        scan = self._scan
        if scan.regex_ids is None:
            self.regex_ids  # noqa: B018  (fills the scan's ids and bits)
        return scan.regex_bits

    def _regex_bits_now(self) -> int:
        """`_regex_bits` as a call (for plan.Live, which asks only when an `or` has a regex child)."""
        return self._regex_bits

    @lazy
    def regex_ids(self) -> frozenset[int]:
        """Ids of the rule regexes that match in the turn (one RE2 pass, on first use)."""
        if self._scan.regex_ids is None:
            ids = self._m.regexes.present(self.text)
            self._scan.regex_bits = bits(ids)
            self._scan.regex_ids = ids
        return self._scan.regex_ids

    @lazy
    def quotes(self) -> list[Span]:
        """Spans inside quotation marks."""
        return quote_regions(self.text)

    @lazy
    def _regex_hits(self) -> dict[int, list[Span]]:
        """Regex id -> spans, filled per regex on first use (`regex_spans`)."""
        return {}

    @lazy
    def _utf8(self) -> bytes:
        """The normalised text in UTF-8, encoded once for every regex of the turn."""
        return self.text.encode("utf-8")

    @lazy
    def tokens(self) -> tuple:
        """jieba tokens of the normalised text (computed on first use, once)."""
        return segment(self.text)

    def may_match(self, cond: Cond) -> bool:
        """False when `cond` cannot hold here: none of the phrases or patterns it needs occur."""
        gate = self._m.gate(cond)
        if gate is None:
            return True
        pids, rids = gate
        return not pids.isdisjoint(self.phrase_ids) or (bool(rids) and not rids.isdisjoint(self.regex_ids))

    def phrase_spans(self, phrases: tuple[str, ...]) -> list[Span]:
        """Spans of any of a condition's phrases, in text order (from the one automaton pass)."""
        if not self._phrase_hits:
            return []
        ids = self._m.phrases.ids_of(phrases)
        if ids.isdisjoint(self.phrase_ids):
            return []
        # the leaves of a condition share its exception lists: each list is gathered once per turn
        found = self._spans.get(ids)
        if found is None:
            hits = self._phrase_hits
            found = self._spans[ids] = sorted(s for pid, spans in hits.items() if pid in ids for s in spans)
        return found

    @lazy
    def _spans(self) -> dict[frozenset[int], list[Span]]:
        return {}

    @lazy
    def _reach(self) -> frozenset[str] | None:
        """The `similar` conditions within reach of the turn's n-grams (None: a turn too long to tell)."""
        return self._m.similar.reachable(self.text)

    @lazy
    def _units(self) -> tuple[list[Span], np.ndarray | LongTurn, frozenset[str]]:
        """The clause units, their n-gram vectors, and the `similar` conditions that may hit on them.

        Nothing when no condition is within reach of the turn's n-grams (`SimilarSpace.reachable`).
        """
        if self._reach == frozenset():
            return [], np.zeros((0, 0)), frozenset()
        spans = clause_units(self.text)
        counts = self._m.similar.counts(self.text, spans)
        return spans, counts, self._m.similar.screen(counts)

    def regex_spans(self, pattern: str) -> list[Span]:
        """Spans of a rule regex (searched for only when the RE2 filter found it, once per turn)."""
        rid = self._m.regexes.ids[pattern]
        if rid not in self.regex_ids:
            return []
        hits = self._regex_hits
        found = hits.get(rid)
        if found is None:
            found = hits[rid] = self._m.regexes.spans(rid, self.text, self._utf8)
        return found

    def word_spans(self, words: tuple[str, ...]) -> list[tuple[Span, str]]:
        """Spans of whole tokens among `words`."""
        wanted = self._m.word_set(words)
        if not any(w in self.text for w in wanted):
            return []
        return [((t.start, t.end), t.text) for t in self.tokens if t.text in wanted]

    def fuzzy(self, cond: Cond) -> list[Hit]:
        """Pinyin-tolerant hits of a fuzzy condition."""
        return [
            Hit(h.span, "fuzzy", h.phrase, h.variant if h.variant != h.phrase else "")
            for h in self._m.fuzzy[cond.key].find(self.text, self._pinyin)
        ]

    @lazy
    def _pinyin(self) -> Pinyin:
        return Pinyin(self.text, self._m.first_syllables)

    def learned(self, cond: Cond) -> list[Hit]:
        """The whole turn as one hit when the condition's turn model scores it at or above `min`.

        The hit's `variant` quotes the n-grams that weighed most (explaining is done for hits only).
        """
        if self.letters < MIN_LETTERS:
            return []
        model = load_turn_model(cond.model)
        prob = self.model_probability(model)
        if prob < cond.threshold:
            return []
        because = "".join(f"「{g}」" for g in model.strongest(self.text))
        return [Hit((0, len(self.text)), "learned", cond.model, because, round(prob, 4))]

    def model_probability(self, model: TurnModel) -> float:
        """A turn model's probability for this turn; its n-grams are counted once per vocabulary."""
        counts = self._gram_counts.get(model.vocab_key)
        if counts is None:
            counts = self._gram_counts[model.vocab_key] = model.counts_of(self._model_input)
        norms = self._norms.get(model.norm_key)
        if norms is None:
            norms = self._norms[model.norm_key] = model.norms_of(counts)
        return model.probability_of(counts, norms)

    @lazy
    def letters(self) -> int:
        """How many letters and digits the normalised turn has (too few: no turn model scores it)."""
        return sum(map(str.isalnum, self.text))

    @lazy
    def _model_input(self) -> str:
        return model_input(self.text)

    @lazy
    def _gram_counts(self) -> dict[str, Counts]:
        return {}

    @lazy
    def _norms(self) -> dict[tuple[str, str], tuple[float, ...]]:
        return {}

    def similar(self, cond: Cond) -> list[Hit]:
        """Similarity hits of a `similar` condition."""
        spans, counts, may_hit = self._units
        if cond.key not in may_hit:
            return []
        return [
            Hit(h.span, "similar", h.exemplar, self.text[h.span[0] : h.span[1]], h.score)
            for h in self._m.similar.find(cond.key, spans, counts)
        ]
