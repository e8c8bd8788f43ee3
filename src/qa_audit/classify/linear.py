"""The exported model: tf-idf weights and a linear scorer with a temperature-scaled softmax.

Prediction uses only numpy and the shared `analyze`, so a model file holds plain arrays; nothing in
it can run code, and predicting one conversation costs a dictionary lookup per token.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qa_audit.classify.features import FeatureSpec, analyze, display


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

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (feature indices, l2-normalised tf-idf values) of cleaned `text`."""
        counts = Counter(analyze(text, self.spec))
        idx = [self.vocabulary[t] for t in counts if t in self.vocabulary]
        if not idx:
            return np.empty(0, np.int64), np.empty(0)
        ids = np.fromiter(idx, np.int64, len(idx))
        tf = np.fromiter((1.0 + math.log(counts[t]) for t in counts if t in self.vocabulary), float, len(idx))
        vals = tf * self.idf[ids]
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
        probs = self.probabilities(self.scores(ids, vals))
        best = int(probs.argmax())
        contrib = self.coef[best, ids] * vals
        words: list[str] = []
        for j in np.argsort(-contrib, kind="stable"):
            if contrib[j] <= 0 or len(words) >= top:
                break
            shown = display(self.vocab_list[ids[j]])
            if shown.strip() and not any(shown in w for w in words):
                words.append(shown)
        return Prediction(
            self.labels[best],
            float(probs[best]),
            tuple(words),
            {label: float(p) for label, p in zip(self.labels, probs, strict=True)},
        )

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
