"""Prediction's fast path: the vocabulary's feature counts of a text without a Python loop per gram.

`FastVectorizer.counts(text)` returns exactly what `Counter(analyze(text, spec))` gives for the
tokens in the vocabulary, in the same order (first occurrence in `analyze`'s token list), so the
tf-idf vector and every score are bit for bit those of the `analyze`-based path:

- char n-grams: one Aho-Corasick automaton (ahocorasick_rs) per gram length n over the vocabulary's
  grams of that length. Its overlapping matches are every position where an in-vocabulary gram
  occurs, in text order (all patterns have the same length, so end order is start order); grams out
  of the vocabulary are never produced, and whitespace-only grams, which `analyze` skips, are left
  out of the automaton.
- words: the same `segment_words` as `analyze`, counted at C speed, looked up once per distinct token.

Texts that cannot be encoded as UTF-8 (a lone surrogate) fall back to `analyze` itself.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from qa_audit.classify.features import FeatureSpec, analyze, is_word, segment_words, word_tokenizer


class FastVectorizer:
    """Counts the in-vocabulary features of a text; built once per model (`LinearModel.fast`)."""

    def __init__(self, spec: FeatureSpec, vocabulary: dict[str, int]) -> None:
        import ahocorasick_rs

        self.spec = spec
        self.vocabulary = vocabulary
        self._grams: list[tuple[Any, dict[str, int]]] = []  # (ahocorasick_rs automaton, gram ids)
        if spec.char_max:
            for n in range(spec.char_min, spec.char_max + 1):
                ids = {
                    t[2:]: i
                    for t, i in vocabulary.items()
                    if t.startswith("c:") and len(t) == n + 2 and not t[2:].isspace() and _encodable(t)
                }
                if ids:
                    automaton = ahocorasick_rs.AhoCorasick(
                        list(ids), matchkind=ahocorasick_rs.MatchKind.Standard, store_patterns=True
                    )
                    self._grams.append((automaton, ids))
        self._words: dict[str, int] = (
            {t[2:]: i for t, i in vocabulary.items() if t.startswith("w:") and is_word(t[2:])} if spec.words else {}
        )
        if spec.words:
            word_tokenizer()  # the dictionary loads now (start-up), not in the first prediction

    def counts(self, text: str) -> tuple[list[int], list[int]]:
        """Return (feature ids, counts) of the in-vocabulary features of cleaned `text`, in `analyze` order."""
        ids: list[int] = []
        counts: list[int] = []
        try:
            for automaton, gram_ids in self._grams:
                found: Counter[str] = Counter(automaton.find_matches_as_strings(text, overlapping=True))
                ids += map(gram_ids.__getitem__, found)
                counts += found.values()
            if self._words:
                found = Counter(segment_words(text))
                known = list(filter(self._words.__contains__, found))
                ids += map(self._words.__getitem__, known)
                counts += map(found.__getitem__, known)
        except UnicodeEncodeError:  # a lone surrogate: the reference path handles any str
            return self.reference_counts(text)
        return ids, counts

    def reference_counts(self, text: str) -> tuple[list[int], list[int]]:
        """Return what `counts` returns, computed from `Counter(analyze(text))` (the definition)."""
        vocabulary = self.vocabulary
        found = [(vocabulary[t], k) for t, k in Counter(analyze(text, self.spec)).items() if t in vocabulary]
        return [i for i, _ in found], [k for _, k in found]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_LOG_TF = np.array([0.0] + [1.0 + math.log(k) for k in range(1, 4097)])


def sublinear_tf(counts: list[int]) -> np.ndarray:
    """Return 1 + log(count) for each count (math.log values, as sklearn's sublinear tf)."""
    if counts and max(counts) < len(_LOG_TF):
        return _LOG_TF[counts]
    return np.array([1.0 + math.log(k) for k in counts])
