"""The learned part of complaint detection: a logistic model over one customer turn.

Features: character 1-3-grams of the normalised turn (sublinear tf-idf, l2 norm) and one feature per
cue kind of `complaint_cues` that fired in the turn (scaled by `kind_scale`). The model gives a
probability; `complaint.is_complaint_text` combines it with the cue points (a strong cue decides
alone, the model adds turns whose wording no cue names). The model folder holds `model.json`
(readable metadata, the threshold, how it was trained) and `weights.npz` (plain arrays, read with
`allow_pickle=False`, checked against the sha256 in model.json); nothing in it can run code.
`eval/train_complaint.py` rebuilds the shipped folder byte for byte.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from qa_audit.classify.complaint_cues import KINDS, STRONG, Match
from qa_audit.classify.model_io import META_FILE, WEIGHTS_FILE, ModelError, sha256_file
from qa_audit.classify.text import without_order_cards
from qa_audit.paths import packaged_models_dir

FORMAT = "qa-audit-complaint-detector"
FORMAT_VERSION = 1
ARRAYS = ("vocab", "idf", "coef", "intercept")
CHAR_MIN, CHAR_MAX = 1, 3
RULES = ("model", "cues-or-model")
MODEL_NAME = "complaint_detect"

# JDDC's order card and the publisher's masks ([订单x], [数字x]) carry no feeling; a mask becomes one
# placeholder character so that 等了[数字x]天 and 等了3天 share their n-grams.
# The mask is `re`, not RE2: it can look at most 14 characters ahead, so it is linear too, and `re`
# substitutes ~20x faster than the re2 module's Python-level sub; its whitespace class is RE2's \s spelled
# out (`re`'s \s would also take \u3000, \v ...).
_MASK = re.compile(r"\[[^\[\]\t\n\f\r ]{1,12}x\]|[0-9]+")


def model_text(norm_text: str) -> str:
    """Return the text the model reads: the normalised turn without order cards, masks and numbers as '#'."""
    return _MASK.sub("#", without_order_cards(norm_text))


def char_grams(text: str) -> Counter[str]:
    """Return the counts of the character 1-3-grams of `text` (grams of spaces only are skipped)."""
    grams: Counter[str] = Counter()
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        for i in range(len(text) - n + 1):
            gram = text[i : i + n]
            if not gram.isspace():
                grams[gram] += 1
    return grams


def kind_names() -> tuple[str, ...]:
    """Return the cue kinds in feature order."""
    return tuple(k.name for k in KINDS)


@dataclass(frozen=True, eq=False)
class ComplaintModel:
    """Vocabulary + idf (sublinear tf, l2 norm) and cue-kind flags feeding a logistic score."""

    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_vocab,)
    coef: np.ndarray  # (n_vocab + n_kinds,)
    intercept: float
    kinds: tuple[str, ...]
    kind_scale: float
    threshold: float  # probability at or above which a turn is a complaint
    rule: str = "cues-or-model"  # or "model": the cue kinds count only as features

    def decide(self, prob: float, cue_points: int, disclaimed: bool = False) -> bool:
        """Return whether a turn with this probability and these cue points is a complaint.

        A turn that says it is not a grievance (`complaint_cues.disclaimed`) is not made one by the model alone.
        """
        return (prob >= self.threshold and not disclaimed) or (self.rule == "cues-or-model" and cue_points >= STRONG)

    def vector(self, norm_text: str, matches: tuple[Match, ...]) -> dict[int, float]:
        """Return the sparse feature vector of one normalised turn and its cue matches."""
        return self.vector_of(char_grams(model_text(norm_text)), frozenset(kind for _, _, kind, _ in matches))

    def vector_of(self, grams: Counter[str], fired: frozenset[str]) -> dict[int, float]:
        """Return the sparse feature vector from a turn's n-gram counts and the cue kinds that fired."""
        weights: dict[int, float] = {}
        for gram, count in grams.items():
            j = self.vocabulary.get(gram)
            if j is not None:
                weights[j] = (1.0 + math.log(count)) * float(self.idf[j])
        norm = math.sqrt(sum(v * v for v in weights.values()))
        out = {j: v / norm for j, v in weights.items()} if norm else {}
        base = len(self.vocabulary)
        out.update({base + i: self.kind_scale for i, kind in enumerate(self.kinds) if kind in fired})
        return out

    def score_of(self, vector: dict[int, float]) -> float:
        """Return the probability of a feature vector."""
        score = self.intercept + sum(float(self.coef[j]) * v for j, v in vector.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    @cached_property
    def _weights(self) -> dict[str, tuple[float, float]]:
        # n-gram -> (idf, coef * idf) as plain floats: prediction touches no numpy scalar per n-gram
        return {g: (float(self.idf[j]), float(self.coef[j] * self.idf[j])) for g, j in self.vocabulary.items()}

    def probability(self, norm_text: str, matches: tuple[Match, ...]) -> float:
        """Return the probability that the turn is a complaint (the same value as `score_of(vector(...))`)."""
        weights = self._weights
        text = model_text(norm_text)
        counts: dict[str, int] = {}
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            for i in range(len(text) - n + 1):
                gram = text[i : i + n]
                if gram in weights:  # never a gram of spaces only: training skips those
                    counts[gram] = counts.get(gram, 0) + 1
        dot = norm2 = 0.0
        for gram, count in counts.items():
            idf, w = weights[gram]
            tf = 1.0 + math.log(count) if count > 1 else 1.0
            dot += tf * w
            norm2 += (tf * idf) ** 2
        score = self.intercept + (dot / math.sqrt(norm2) if norm2 else 0.0)
        fired = {kind for _, _, kind, _ in matches}
        base = len(self.vocabulary)
        score += sum(float(self.coef[base + i]) * self.kind_scale for i, k in enumerate(self.kinds) if k in fired)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def default_model_path() -> Path:
    """Return the shipped complaint-detection model folder (models/complaint_detect, packaged with the wheel)."""
    return packaged_models_dir() / MODEL_NAME


@lru_cache(maxsize=4)
def load_complaint_model(model_dir: Path | None = None) -> ComplaintModel:
    """Load and check a complaint-detection model folder (ModelError with the file and the problem)."""
    model_dir = model_dir or default_model_path()
    meta_path = model_dir / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{meta_path}: missing; the complaint model folder holds {META_FILE} and {WEIGHTS_FILE}"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{meta_path}: corrupt metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{meta_path}: not a complaint-detection model ({FORMAT} version {FORMAT_VERSION})")
    if tuple(meta.get("kinds", ())) != kind_names():
        raise ModelError(
            f"{meta_path}: trained on cue kinds {meta.get('kinds')}, this qa-audit has {list(kind_names())}; "
            "retrain with `python eval/train_complaint.py`"
        )
    try:
        threshold, scale = float(meta["threshold"]), float(meta["kind_scale"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{meta_path}: bad or missing field ({exc})") from None
    if not 0 < threshold <= 1 or not math.isfinite(scale) or meta.get("rule") not in RULES:
        raise ModelError(f"{meta_path}: need a threshold in (0, 1], a finite kind_scale and rule one of {RULES}")
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"{weights}: weights file missing")
    if sha256_file(weights) != meta.get("weights_sha256"):
        raise ModelError(f"{weights}: sha256 differs from {META_FILE}; the file is corrupt or was replaced")
    vocab, idf, coef, intercept = _read_arrays(weights)
    n = len(vocab)
    if idf.shape != (n,) or coef.shape != (n + len(KINDS),) or intercept.shape != (1,):
        raise ModelError(f"{weights}: array shapes do not match {n} n-grams and {len(KINDS)} cue kinds")
    vocabulary = {str(t): i for i, t in enumerate(vocab.tolist())}
    if len(vocabulary) != n:
        raise ModelError(f"{weights}: duplicate vocabulary entries")
    return ComplaintModel(
        vocabulary,
        idf.astype(np.float64),
        coef.astype(np.float64),
        float(intercept[0]),
        kind_names(),
        scale,
        threshold,
        meta["rule"],
    )


def _read_arrays(weights: Path) -> tuple[np.ndarray, ...]:
    try:
        with np.load(weights, allow_pickle=False) as npz:
            if set(npz.files) != set(ARRAYS):
                raise ModelError(f"{weights}: expected arrays {', '.join(ARRAYS)}, found {sorted(npz.files)}")
            arrays = tuple(npz[k] for k in ARRAYS)
    except ModelError:
        raise
    except ValueError as exc:  # object arrays with allow_pickle=False: a pickle payload
        raise ModelError(f"{weights}: refused, the file holds Python objects, not plain arrays ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{weights}: corrupt weights file ({exc})") from None
    if arrays[0].dtype.kind != "U":
        raise ModelError(f"{weights}: vocab must be a text array")
    for arr in arrays[1:]:
        if arr.dtype.kind != "f" or not np.isfinite(arr).all():
            raise ModelError(f"{weights}: idf, coef and intercept must hold finite floats")
    return arrays
