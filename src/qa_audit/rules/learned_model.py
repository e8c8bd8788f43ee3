"""The shipped turn models a `learned` rule reads: loading them once, and one turn's probability.

A turn model is a two-label linear model (`ok`, `improper`) in qa-audit's plain-array format
(classify/model_io.py: model.json + weights.npz, nothing in it can run code), over the character
n-grams of the normalised turn with masks and numbers as '#'. `eval/train_agent_language.py` builds
the shipped `models/agent_language/`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from functools import lru_cache
from operator import itemgetter

import ahocorasick_rs
import numpy as np

from qa_audit.classify.complaint_model import model_text
from qa_audit.classify.linear import LinearModel
from qa_audit.classify.model_io import ModelError, load_model
from qa_audit.paths import packaged_models_dir
from qa_audit.rules.fields import MODEL_FOLDER

MODEL_NAME = "agent_language"
# a turn is read in windows of this many characters, and a finding is the best window: matching a 4-million-
# character turn at once would hold every one of its n-grams as a string (over a GB)
WINDOW = 2000
LABELS = ("ok", "improper")
NAME = re.compile(MODEL_FOLDER)
# every order card and mask of `model_text` holds a '[' and every number an ASCII digit
_MARKED = re.compile(r"[\[0-9]")
MIN_LETTERS = 6  # a turn with fewer letters and digits is not scored: too little for a model to read
Grams = tuple[np.ndarray, np.ndarray]  # a window's in-vocabulary n-gram ids and their sublinear tf
Counts = tuple[Grams, ...]  # per window of a turn
_FIRST = itemgetter(0)  # a match's pattern id


def model_input(norm_text: str) -> str:
    """The text a turn model reads: the normalised turn, order cards dropped, masks and numbers as '#'."""
    if _MARKED.search(norm_text) is None:  # most turns: no card, mask or number, nothing to replace
        return norm_text
    return model_text(norm_text)


class TurnModel:
    """A loaded turn model: the probability of `improper` for a turn.

    The same value as the LinearModel's tf-idf and softmax (up to the order floating-point sums are
    taken in) without building its feature vector: one Aho-Corasick pass finds the in-vocabulary n-grams
    of a turn (`counts`: their ids and sublinear tf), then a dot product over those few ids. Models trained
    on the same rows share one vocabulary, so one automaton (`reader`) and one `counts` of a turn (keyed
    by `vocab_key`) serve them all, and each model adds only its own dot product.
    """

    def __init__(self, model: LinearModel) -> None:
        if model.spec.words:
            raise ModelError("a turn model reads character n-grams only (features: words false)")
        self.model = model
        scale = 1.0 / model.temperature
        self.bias = float(model.intercept[1] - model.intercept[0]) * scale
        self.idf = np.asarray(model.idf, dtype=np.float64)
        self.weight = (model.coef[1] - model.coef[0]) * self.idf * scale  # per n-gram id: w * idf
        vocab = tuple(token[2:] for token in model.vocab_list)
        self.vocab_key = hashlib.sha256("\n".join(vocab).encode("utf-8")).hexdigest()
        # models trained on the same rows share their idf too: a turn's tf-idf norms then serve them all
        self.norm_key = (self.vocab_key, hashlib.sha256(self.idf.tobytes()).hexdigest())
        self.reader = _reader(self.vocab_key, vocab)

    def probability(self, norm_text: str) -> float:
        """The probability that a normalised turn is improper (0 when the model knows none of its n-grams).

        A turn longer than WINDOW characters gets its best window's probability.
        """
        return self.probability_of(self.counts(norm_text))

    def counts(self, norm_text: str) -> Counts:
        """Per window of a normalised turn, its in-vocabulary n-gram ids and their sublinear tf.

        The same for every model with this `vocab_key` (an id is a position in the shared vocabulary).
        """
        return self.counts_of(model_input(norm_text))

    def counts_of(self, text: str) -> Counts:
        """`counts` of a turn already made `model_input` (which every turn model reads alike)."""
        return tuple(self._grams(w) for w in windows(text))

    def _grams(self, window: str) -> Grams:
        # normalised text holds no lone surrogate (normalize replaces them), so it can cross into Rust
        found = Counter(map(_FIRST, self.reader.find_matches_as_indexes(window, overlapping=True)))
        ids = np.fromiter(found.keys(), np.intp, len(found))
        tf = np.fromiter(found.values(), np.float64, len(found))
        return ids, np.where(tf > 1, 1.0 + np.log(np.maximum(tf, 1.0)), 1.0)

    def probability_of(self, counts: Counts, norms: tuple[float, ...] | None = None) -> float:
        """The probability of the best window, from `counts` of a model with the same `vocab_key`.

        `norms`: `norms_of(counts)` when already computed by a model with the same `norm_key`.
        """
        if norms is None:
            norms = self.norms_of(counts)
        return max(map(self._probability, counts, norms))

    def norms_of(self, counts: Counts) -> tuple[float, ...]:
        """Per window, the norm of its tf-idf vector (the same for every model with this `norm_key`)."""
        idf = self.idf
        out = []
        for ids, tf in counts:
            x = tf * idf[ids]
            out.append(math.sqrt(float(x @ x)))
        return tuple(out)

    def _probability(self, grams: Grams, norm: float | None = None) -> float:
        ids, tf = grams
        if not len(ids):
            return 0.0
        if norm is None:
            x = tf * self.idf[ids]
            norm = math.sqrt(float(x @ x))
        score = self.bias + float(tf @ self.weight[ids]) / norm
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def strongest(self, norm_text: str, top: int = 3) -> tuple[str, ...]:
        """The n-grams that pushed a normalised turn (its best window) most towards improper; for findings only."""
        best = max(windows(model_input(norm_text)), key=lambda w: self._probability(self._grams(w)))
        ids, vals = self.vectorize(best)
        return self.model.explain(1, ids, vals, top) if len(ids) else ()

    def vectorize(self, window: str) -> tuple[np.ndarray, np.ndarray]:
        """`LinearModel.vectorize` of one window, value for value and in its order, from the shared automaton.

        The linear model's own vectorizer builds three automata of its vocabulary on first use (about 0.2 s
        per model and process); its order (gram length, then first occurrence) breaks ties in `explain`.
        """
        first: dict[int, tuple[int, int]] = {}
        found: Counter[int] = Counter()
        for pid, start, end in self.reader.find_matches_as_indexes(window, overlapping=True):
            found[pid] += 1
            first.setdefault(pid, (end - start, start))
        order = sorted(first, key=first.__getitem__)
        return self.model.tfidf(order, [found[i] for i in order])


def windows(text: str) -> list[str]:
    """`text` in consecutive pieces of at most WINDOW characters (one piece, maybe empty, for a short text)."""
    return [text[i : i + WINDOW] for i in range(0, len(text), WINDOW)] or [text]


_READERS: dict[str, ahocorasick_rs.AhoCorasick] = {}


def _reader(vocab_key: str, vocab: tuple[str, ...]) -> ahocorasick_rs.AhoCorasick:
    """One automaton per vocabulary (`vocab_key`: its digest), shared by the models that have it."""
    found = _READERS.get(vocab_key)
    if found is None:
        kind = ahocorasick_rs.MatchKind.Standard
        found = _READERS[vocab_key] = ahocorasick_rs.AhoCorasick(list(vocab), matchkind=kind)
    return found


def model_problems(key: str, name: str) -> list[tuple[str, str, str, str]]:
    """QA205 at `key` when the turn model `name` cannot be loaded (the `learned` kind and operator): (key, code,
    message, hint)."""
    try:
        load_turn_model(name)
    except ModelError as exc:
        return [(key, "QA205", f"model {name!r} cannot be used: {exc}", "name a folder of models/")]
    return []


@lru_cache(maxsize=8)
def load_turn_model(name: str) -> TurnModel:
    """The shipped turn model `name` (a folder of the packaged models); ModelError when unusable."""
    if not NAME.fullmatch(name):
        raise ModelError(f"{name!r}: a model name is a folder name of lower-case letters, digits and '_'")
    model, _ = load_model(packaged_models_dir() / name, eager=False)
    if model.labels != LABELS:
        raise ModelError(f"{name}: a turn model has the labels {list(LABELS)}, this one {list(model.labels)}")
    return TurnModel(model)
