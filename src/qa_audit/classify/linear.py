"""The exported model: tf-idf weights and a linear scorer with a temperature-scaled softmax.

Prediction uses numpy and the features of `analyze` (counted by its fast path, `fastvec`), so a
model file holds plain arrays; nothing in it can run code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa_audit.classify.fastvec import FastVectorizer, sublinear_tf
from qa_audit.classify.features import FeatureSpec, display


@dataclass(frozen=True)
class Prediction:
    """Label, calibrated probability and the top contributing features of one text."""

    label: str
    prob: float
    explanation: tuple[str, ...]
    probs: dict[str, float] = field(hash=False, compare=False)


@dataclass(frozen=True, eq=False)
class LinearModel:
    """Vocabulary + idf (sublinear tf, l2 norm) feeding scores = coef @ x + intercept."""

    labels: tuple[str, ...]
    spec: FeatureSpec
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_labels, n_features)
    intercept: np.ndarray  # (n_labels,)
    temperature: float = 1.0

    @property
    def fast(self) -> FastVectorizer:
        """Return the feature counter of this model (built once: at load, or on first use)."""
        cached = self.__dict__.get("_fast")
        if cached is None:
            cached = FastVectorizer(self.spec, self.vocabulary)
            object.__setattr__(self, "_fast", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # the automata and the tokenizer are rebuilt where the model is unpickled (worker processes)
        return {k: v for k, v in self.__dict__.items() if k != "_fast"}

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (feature indices, l2-normalised tf-idf values) of cleaned `text`."""
        return self.tfidf(*self.fast.counts(text))

    def vectorize_reference(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return what `vectorize` returns, from `Counter(analyze(text))`: the definition it is tested against."""
        return self.tfidf(*self.fast.reference_counts(text))

    def tfidf(self, idx: list[int], counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Return (feature indices, l2-normalised tf-idf values) of features `idx` counted `counts` times."""
        if not idx:
            return np.empty(0, np.int64), np.empty(0)
        ids = np.array(idx, np.int64)
        vals = sublinear_tf(counts) * self.idf[ids]
        return ids, vals / np.linalg.norm(vals)

    def scores(self, ids: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Return the decision score of every label."""
        return self.coef[:, ids] @ vals + self.intercept

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Return the calibrated probabilities for decision scores (last axis = labels)."""
        z = scores / self.temperature
        z = np.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    def predict(self, text: str, top: int = 5) -> Prediction | None:
        """Return the prediction for cleaned `text`, or None when no known feature occurs in it."""
        ids, vals = self.vectorize(text)
        if not len(ids):
            return None
        probs_arr = self.probabilities(self.scores(ids, vals))
        best = int(probs_arr.argmax())
        probs = probs_arr.tolist()
        return Prediction(
            self.labels[best],
            probs[best],
            self.explain(best, ids, vals, top) if top > 0 else (),
            dict(zip(self.labels, probs, strict=True)),
        )

    def explain(self, best: int, ids: np.ndarray, vals: np.ndarray, top: int) -> tuple[str, ...]:
        """Return up to `top` features pushing towards label `best`, strongest first, none inside another."""
        contrib = self.coef[best, ids] * vals
        order = np.argsort(-contrib, kind="stable")
        words: list[str] = []
        vocab = self.vocab_list
        for j, c in zip(order.tolist(), contrib[order].tolist(), strict=True):
            if c <= 0 or len(words) >= top:
                break
            shown = display(vocab[ids[j]])
            if shown.strip() and not any(shown in w for w in words):
                words.append(shown)
        return tuple(words)

    @property
    def vocab_list(self) -> list[str]:
        """Return the feature tokens in index order."""
        cached = self.__dict__.get("_vocab_list")
        if cached is None:
            cached = [""] * len(self.vocabulary)
            for token, i in self.vocabulary.items():
                cached[i] = token
            object.__setattr__(self, "_vocab_list", cached)
        return cached
