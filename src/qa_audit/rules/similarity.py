"""The `similar` operator: clause units, their character n-gram vectors, and the screen of every condition.

Memory is bounded by CHUNK spans and WINDOW characters, never by the turn: a turn of more than CHUNK
clause units is vectorised, screened and scored CHUNK units at a time (neighbours in the text, so each
chunk covers a short stretch of it), and the automaton scans at most WINDOW characters at once.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import ahocorasick_rs
import numpy as np

from qa_audit.normalize import normalize_phrase

Span = tuple[int, int]
_CLAUSE_BREAKS = set(",.!?;:~，。！？；：～、…\n ")


def clauses(text: str) -> list[Span]:
    """Split normalised text into clause spans at punctuation."""
    out: list[Span] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in _CLAUSE_BREAKS:
            if i > start:
                out.append((start, i))
            start = i + 1
    if len(text) > start:
        out.append((start, len(text)))
    return out


def _ngrams(text: str) -> Counter[str]:
    """Character 1-3-grams of a clause."""
    return Counter(text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1))


def clause_units(text: str) -> list[Span]:
    """The clauses of a turn and adjacent pairs of them (at least 2 characters): what `similar` compares."""
    spans = clauses(text)
    if len(spans) > 1:
        spans = [*spans, *[(a[0], b[1]) for a, b in itertools.pairwise(spans)]]
    return [s for s in spans if s[1] - s[0] >= 2]


@dataclass(frozen=True)
class SimilarHit:
    """A clause similar to an exemplar: where, the score, and the nearest exemplar."""

    span: Span
    score: float
    exemplar: str


class SimilarMatcher:
    """Vectors of a rule's exemplars; a clause within `threshold` cosine of one of them matches.

    Vectors are character 1-3-grams with sublinear tf, over the rule's own vocabulary (the n-grams of
    its exemplars and counter-examples), so a long turn is not diluted by words the rule knows nothing
    about. Clauses nearer to a counter-example (`unlike`) than to every exemplar do not match, which
    is how a rule keeps precision when a look-alike is allowed (请等一下，我有些不清楚).
    """

    def __init__(self, exemplars: tuple[str, ...], unlike: tuple[str, ...], threshold: float) -> None:
        self.exemplars = tuple(normalize_phrase(e) for e in exemplars)
        self.threshold = threshold
        texts = [*self.exemplars, *(normalize_phrase(e) for e in unlike)]
        grams = [_ngrams(t) for t in texts]
        self.vocab = sorted({g for c in grams for g in c})
        local = {g: k for k, g in enumerate(self.vocab)}
        both = np.zeros((len(grams), len(local)))
        for row, counts in enumerate(grams):
            for g, c in counts.items():
                both[row, local[g]] = 1.0 + math.log(c)
        both = _unit_rows(both)
        self._pos = both[: len(self.exemplars)]
        self._neg = both[len(self.exemplars) :] if unlike else None

    def find(self, spans: list[Span], counts: np.ndarray) -> list[SimilarHit]:
        """Return the clauses similar enough to an exemplar, best first.

        `counts` holds one row per span: sublinear tf of this matcher's n-grams, in `vocab` order.
        """
        if not spans:
            return []
        m = _unit_rows(counts)
        pos = m @ self._pos.T
        if pos.max() < self.threshold:  # the usual case: no clause is near any exemplar
            return []
        neg = (m @ self._neg.T).max(axis=1) if self._neg is not None else np.zeros(len(spans))
        best = pos.argmax(axis=1)
        top = pos[np.arange(len(spans)), best]
        hits = []
        for row in np.flatnonzero((top >= self.threshold) & (top > neg)).tolist():
            hits.append(SimilarHit(spans[row], round(float(top[row]), 3), self.exemplars[best[row]]))
        hits.sort(key=lambda h: -h.score)
        return hits


def _unit_rows(m: np.ndarray) -> np.ndarray:
    # what np.linalg.norm(m, axis=1, keepdims=True) computes for real arrays, without its checks per call
    norms = np.sqrt(np.add.reduce(m * m, axis=1, keepdims=True))
    norms[norms == 0] = 1.0  # an all-zero row stays zero
    return m / norms


@dataclass(frozen=True)
class LongTurn:
    """The hits of every `similar` condition on a turn of more than CHUNK spans, found chunk by chunk.

    Only the hits are kept (a 9 MB turn would otherwise be 800,000 rows by the whole vocabulary).
    """

    hits: Mapping[str, tuple[SimilarHit, ...]]


class SimilarSpace:
    """The n-grams of every `similar` condition in one vocabulary, so a turn is vectorised once for all.

    The n-grams of a turn are found by one Aho-Corasick pass over the whole vocabulary; `screen`
    then scores the turn against the exemplars of every condition in one matrix product, and only a
    condition whose screened score comes within SCREEN_MARGIN of its threshold is scored exactly
    (`find`, per condition, as before): the screen differs from the exact score only in the last
    bits, so every decision and every reported score stays the same. A turn of more than CHUNK spans
    goes through the same steps CHUNK spans at a time.
    """

    CHUNK = 4096  # spans vectorised at once: memory is CHUNK x vocabulary, whatever the turn
    WINDOW = 1 << 16  # characters the automaton scans at once: its matches are held as Python tuples
    SCREEN_MARGIN = 1e-9
    PRE_BOUND = 1.0 - 1e-6  # below: the sum of every exemplar's squared weights is under its floor squared

    def __init__(self, matchers: dict[str, SimilarMatcher]) -> None:
        self.matchers = matchers
        grams = sorted({g for m in matchers.values() for g in m.vocab})
        self.index = {g: i for i, g in enumerate(grams)}
        self._overlap = max((len(g) for g in grams), default=1) - 1  # a match may end this far past a window
        self._cols = {key: np.array([self.index[g] for g in m.vocab], dtype=np.intp) for key, m in matchers.items()}
        self._ac = ahocorasick_rs.AhoCorasick(grams) if grams else None
        self._weights = np.array([0.0, *(1.0 + math.log(c) for c in range(1, 256))])  # math.log's bits
        # the screen: every exemplar as a column over the whole vocabulary, and which columns are whose
        self._keys = list(matchers)
        blocks = []
        for key in self._keys:
            block = np.zeros((len(grams), len(matchers[key].exemplars)))
            block[self._cols[key]] = matchers[key]._pos.T
            blocks.append(block)
        self._exemplars = np.hstack(blocks) if blocks else np.zeros((len(grams), 0))
        self._member = np.zeros((len(grams), len(self._keys)))
        for k, key in enumerate(self._keys):
            self._member[self._cols[key], k] = 1.0
        self._bounds = np.cumsum([0, *(len(matchers[key].exemplars) for key in self._keys)])
        # the bound: each exemplar's squared weights, and the score it must reach, per exemplar column
        self._squares = self._exemplars * self._exemplars
        self._col_key = [key for key in self._keys for _ in matchers[key].exemplars]
        self._floor = np.array([matchers[key].threshold - self.SCREEN_MARGIN for key in self._col_key])
        # the pre-bound: per n-gram, its largest squared weight over any exemplar relative to that
        # exemplar's floor squared; a turn whose n-gram occurrences sum to less than one (less a
        # margin far above rounding) is out of every exemplar's reach (`reachable`)
        share = self._squares / np.maximum(self._floor, self.SCREEN_MARGIN) ** 2
        self._share: list[float] = share.max(axis=1).tolist() if share.size else [0.0] * len(grams)

    def reachable(self, text: str) -> frozenset[str] | None:
        """The conditions that may hit somewhere in `text`, from the n-grams of the whole turn.

        An upper bound, so a condition left out cannot hit: a span's score against a unit exemplar e
        is s.e / |s| <= sqrt(sum of e_g^2 over the n-grams g in the span) (Cauchy-Schwarz), and the
        span's n-grams are among the turn's. Found by one automaton pass, without clause units or
        vectors; on real text almost no turn comes within reach. None for a turn longer than WINDOW
        (its matches would be held at once). Most turns are settled first by a looser bound in plain
        Python (each occurrence's largest share of any exemplar's floor, summed), without numpy.
        """
        if len(text) > self.WINDOW:
            return None
        if self._ac is None or not text:
            return frozenset()
        found = self._ac.find_matches_as_indexes(text, overlapping=True)
        if not found:
            return frozenset()
        share = self._share
        if sum(share[g] for g, _, _ in found) < self.PRE_BOUND:  # the usual case: no exemplar within reach
            return frozenset()
        within = np.sqrt(self._squares[list({g for g, _, _ in found})].sum(axis=0)) >= self._floor
        if not within.any():  # the usual case
            return frozenset()
        return frozenset(self._col_key[c] for c in np.flatnonzero(within).tolist())

    def counts(self, text: str, spans: list[Span]) -> np.ndarray | LongTurn:
        """Sublinear tf of every known n-gram, one row per span of `text`.

        A dense array for an ordinary turn; for a turn of more than CHUNK spans, the hits of every
        condition, found CHUNK spans at a time (`LongTurn`).
        """
        if len(spans) > self.CHUNK:
            return self._long(text, spans)
        return self._dense(text, spans)

    def _long(self, text: str, spans: list[Span]) -> LongTurn:
        # chunks of spans that are neighbours in the text (sorted by start), each kept in span order,
        # so a chunk's automaton pass covers a short stretch; ties in score keep the spans' order
        order = np.argsort(np.array([s[0] for s in spans], dtype=np.intp), kind="stable")
        found: dict[str, list[tuple[float, int, SimilarHit]]] = {key: [] for key in self._keys}
        for k in range(0, len(spans), self.CHUNK):
            rows = np.sort(order[k : k + self.CHUNK]).tolist()
            part = [spans[i] for i in rows]
            dense = self._dense(text, part)
            may_hit = self.screen(dense)
            if not may_hit:
                continue
            row_of = dict(zip(part, rows, strict=True))
            for key in may_hit:
                for hit in self.matchers[key].find(part, dense[:, self._cols[key]]):
                    found[key].append((-hit.score, row_of[hit.span], hit))
        return LongTurn({key: tuple(h for *_, h in sorted(hits, key=lambda x: x[:2])) for key, hits in found.items()})

    def _dense(self, text: str, spans: list[Span]) -> np.ndarray:
        out = np.zeros((len(spans), len(self.index)))
        if not spans or self._ac is None:
            return out
        bounds = np.array(spans, dtype=np.intp)
        first, stop = int(bounds[:, 0].min()), int(bounds[:, 1].max())
        tf = np.zeros(out.shape, dtype=np.intp)
        for a in range(first, stop, self.WINDOW):
            b = min(a + self.WINDOW, stop)
            found = self._ac.find_matches_as_indexes(text[a : min(b + self._overlap, stop)], overlapping=True)
            if found:
                tf += self._window_tf(bounds, np.array(found, dtype=np.intp).T, a, b).reshape(out.shape)
        if tf.max() >= len(self._weights):  # a span repeating one n-gram 256 times or more
            big = tf >= len(self._weights)
            out[big] = [1.0 + math.log(c) for c in tf[big].tolist()]
            tf[big] = 0
        out += self._weights[tf]
        return out

    def _window_tf(self, bounds: np.ndarray, found: np.ndarray, a: int, b: int) -> np.ndarray:
        """Counts (span x n-gram, flattened) of the n-gram occurrences that start in [a, b) inside each span."""
        gram, start, end = found
        keep = start < b - a  # later starts belong to the next window
        gram, start, end = gram[keep], start[keep], end[keep]
        order = np.argsort(start, kind="stable")
        gram, start, end = gram[order], start[order] + a, end[order] + a
        # the n-gram occurrences starting inside each span (a range of the sorted starts), then those ending in it
        lo = np.searchsorted(start, bounds[:, 0], "left")
        lengths = np.searchsorted(start, bounds[:, 1], "left") - lo
        rows = np.repeat(np.arange(len(bounds)), lengths)
        occ = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths - lo, lengths)
        keep = end[occ] <= bounds[rows, 1]
        rows, occ = rows[keep], occ[keep]
        return np.bincount(rows * len(self.index) + gram[occ], minlength=len(bounds) * len(self.index))

    def screen(self, counts: np.ndarray | LongTurn) -> frozenset[str]:
        """The conditions that may hit on these spans (for a LongTurn: those that do)."""
        if isinstance(counts, LongTurn):
            return frozenset(key for key, hits in counts.hits.items() if hits)
        if not len(counts) or not self._keys:
            return frozenset()
        norms = np.sqrt((counts * counts) @ self._member)  # each row's norm over each condition's n-grams
        norms[norms == 0] = 1.0
        scores = counts @ self._exemplars
        out = []
        for k, key in enumerate(self._keys):
            a, b = self._bounds[k], self._bounds[k + 1]
            best = (scores[:, a:b] / norms[:, k : k + 1]).max()
            if best >= self.matchers[key].threshold - self.SCREEN_MARGIN:
                out.append(key)
        return frozenset(out)

    def find(self, key: str, spans: list[Span], counts: np.ndarray | LongTurn) -> list[SimilarHit]:
        """Hits of the `similar` condition `key` on the spans vectorised by `counts`, best first."""
        if isinstance(counts, LongTurn):
            return list(counts.hits[key])
        return self.matchers[key].find(spans, counts[:, self._cols[key]])
