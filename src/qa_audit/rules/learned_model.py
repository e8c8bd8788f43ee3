"""The shipped turn models a `learned` rule reads: loading them once, and one turn's probability.

A turn model is a two-label linear model (`ok`, `improper`) in qa-audit's plain-array format
(classify/model_io.py: model.json + weights.npz, nothing in it can run code), over the character
n-grams of the normalised turn with masks and numbers as '#'. `eval/train_agent_language.py` builds
the shipped `models/agent_language/`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa_audit.classify.complaint_model import model_text
from qa_audit.classify.linear import LinearModel
from qa_audit.classify.model_io import ModelError, load_model
from qa_audit.paths import packaged_models_dir

MODEL_NAME = "agent_language"
LABELS = ("ok", "improper")
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def model_input(norm_text: str) -> str:
    """The text a turn model reads: the normalised turn, order cards dropped, masks and numbers as '#'."""
    return model_text(norm_text)


@lru_cache(maxsize=8)
def load_turn_model(name: str) -> LinearModel:
    """The shipped turn model `name` (a folder of the packaged models); ModelError when unusable."""
    if not NAME.fullmatch(name):
        raise ModelError(f"{name!r}: a model name is a folder name of lower-case letters, digits and '_'")
    model, _ = load_model(packaged_models_dir() / name)
    if model.labels != LABELS:
        raise ModelError(f"{name}: a turn model has the labels {list(LABELS)}, this one {list(model.labels)}")
    return model


def improper(model: LinearModel, norm_text: str) -> float:
    """The probability that a normalised turn is improper (0 when the model knows none of its n-grams)."""
    ids, vals = model.vectorize(model_input(norm_text))
    return float(model.probabilities(model.scores(ids, vals))[1]) if len(ids) else 0.0


def strongest(model: LinearModel, norm_text: str, top: int = 3) -> tuple[str, ...]:
    """The n-grams of a normalised turn that pushed it most towards improper (worked out for findings only)."""
    ids, vals = model.vectorize(model_input(norm_text))
    return model.explain(1, ids, vals, top) if len(ids) else ()
