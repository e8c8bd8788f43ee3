"""Training: pick features and regularisation by cross-validation on the training part only, fit,
calibrate (temperature on out-of-fold scores), choose the review threshold, export, and score the
exported model and a plain baseline on the held-out part.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa_audit.classify.data import Dataset, check_trainable, holdout_split
from qa_audit.classify.features import FeatureSpec, analyze
from qa_audit.classify.linear import LinearModel
from qa_audit.classify.metrics import Report, evaluate, score
from qa_audit.classify.text import clean

SPECS = (FeatureSpec(1, 2, False), FeatureSpec(1, 2, True), FeatureSpec(1, 3, True))
C_GRID = (0.3, 0.6, 1.0)
FOLDS = 5
MIN_DF = 2
REVIEW_ACCURACY = 0.9  # predictions below the threshold are flagged so staff review them
SEED = 0


@dataclass(frozen=True)
class TrainResult:
    """The trained model, what was chosen and why, and the held-out scores."""

    model: LinearModel
    threshold: float
    heldout: Report
    baseline: Report
    selection: tuple[dict[str, Any], ...]
    meta: dict[str, Any] = field(hash=False, compare=False)


def _fit(tokens: list[list[str]], y: list[str], c: float, min_df: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, dtype=np.float64)
    x = vec.fit_transform(tokens)
    clf = LinearSVC(C=c, class_weight="balanced", random_state=SEED).fit(x, y)
    return vec, clf


def _f32(arr: np.ndarray) -> np.ndarray:
    return np.asarray(arr, np.float32).astype(np.float64)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _oof_scores(tokens, y, folds, c, min_df, labels) -> np.ndarray:
    """Out-of-fold decision scores (columns in `labels` order)."""
    out = np.zeros((len(y), len(labels)))
    for tr, te in folds:
        vec, clf = _fit([tokens[i] for i in tr], [y[i] for i in tr], c, min_df)
        s = clf.decision_function(vec.transform([tokens[i] for i in te]))
        if s.ndim == 1:  # two classes: sklearn returns the score of classes_[1]
            s = np.column_stack([-s, s])
        order = [list(clf.classes_).index(label) for label in labels]
        out[te] = s[:, order]
    return out


def fit_temperature(scores: np.ndarray, gold: np.ndarray) -> float:
    """Return T minimising the log-loss of softmax(scores / T) (a 1-D search, deterministic)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(gold)), gold].mean())

    res = minimize_scalar(nll, bounds=(-5.0, 3.0), method="bounded", options={"xatol": 1e-6})
    return round(float(np.exp(res.x)), 6)


def choose_threshold(prob: np.ndarray, correct: np.ndarray, target: float = REVIEW_ACCURACY) -> float:
    """Return the lowest probability t such that predictions with prob >= t are `target` accurate."""
    order = np.argsort(-prob, kind="stable")
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.nonzero(acc >= target)[0]
    if not len(ok):
        return 1.0
    return round(float(prob[order][ok[-1]]), 4)


def _folds(y: list[str], n_folds: int):
    from sklearn.model_selection import StratifiedKFold

    k = max(2, min(n_folds, min(Counter(y).values())))
    return list(StratifiedKFold(k, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


def _baseline(train_texts, y_train, test_texts, y_test, labels) -> Report:
    """The plain baseline: character TF-IDF (1-2) with sklearn defaults + LinearSVC defaults."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    clf = LinearSVC(random_state=SEED).fit(vec.fit_transform(train_texts), y_train)
    return score(list(y_test), list(clf.predict(vec.transform(test_texts))), labels)


def train(
    data: Dataset,
    *,
    fallback: str,
    specs: tuple[FeatureSpec, ...] = SPECS,
    c_grid: tuple[float, ...] = C_GRID,
    min_per_class: int = 10,
    label_order: tuple[str, ...] = (),
    log=print,
) -> TrainResult:
    """Train on the training part of `data` and score on its held-out part (see data.holdout_split)."""
    check_trainable(data, min_per_class)
    t0 = time.perf_counter()
    tr_idx, te_idx = holdout_split(data)
    train_part, test_part = data.subset(tr_idx), data.subset(te_idx)
    labels = tuple(x for x in label_order if x in set(data.labels)) or tuple(sorted(set(data.labels)))
    if len(labels) != len(set(data.labels)):
        raise ValueError(f"labels outside {'/'.join(label_order)}: {set(data.labels) - set(labels)}")
    if fallback not in labels:
        raise ValueError(f"fallback label {fallback!r} is not one of the labels")
    cleaned = [clean(t) for t in train_part.texts]
    y = list(train_part.labels)
    gold = np.array([labels.index(v) for v in y])
    folds = _folds(list(train_part.strata or y), FOLDS)
    min_df = MIN_DF if len(y) >= 200 else 1
    rows: list[dict[str, Any]] = []
    best: tuple[float, FeatureSpec, float, np.ndarray] | None = None
    for spec in specs:
        tokens = [analyze(t, spec) for t in cleaned]
        for c in c_grid:
            oof = _oof_scores(tokens, y, folds, c, min_df, labels)
            rep = score(y, [labels[i] for i in oof.argmax(axis=1)], labels)
            rows.append(
                {
                    "features": spec.name,
                    "C": c,
                    "cv_macro_f1": round(rep.macro_f1, 4),
                    "cv_accuracy": round(rep.accuracy, 4),
                }
            )
            log(f"  cv {spec.name:<16} C={c:<4} macro-F1 {rep.macro_f1:.4f}  accuracy {rep.accuracy:.4f}")
            if best is None or rep.macro_f1 > best[0] + 1e-9:
                best = (rep.macro_f1, spec, c, oof)
    assert best is not None
    _, spec, c, oof = best
    temperature = fit_temperature(oof, gold)
    z = oof / temperature
    prob = np.exp(z - z.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    threshold = choose_threshold(prob.max(axis=1), prob.argmax(axis=1) == gold)
    log(f"  chose {spec.name} C={c}; temperature {temperature}; uncertain below p={threshold}")

    tokens = [analyze(t, spec) for t in cleaned]
    vec, clf = _fit(tokens, y, c, min_df)
    order = [list(clf.classes_).index(label) for label in labels]
    coef, intercept = clf.coef_, clf.intercept_
    if coef.shape[0] == 1:  # two classes: one hyperplane, scores (-s, s)
        coef, intercept = np.vstack([-coef, coef]), np.array([-intercept[0], intercept[0]])
    # rounded to the float32 stored on disk, so the held-out report scores the shipped model
    model = LinearModel(
        labels,
        spec,
        {str(k): int(v) for k, v in vec.vocabulary_.items()},
        _f32(vec.idf_),
        _f32(coef[order]),
        _f32(intercept[order]),
        temperature,
    )
    log(f"  trained in {time.perf_counter() - t0:.1f} s")
    heldout = evaluate(model, list(test_part.texts), list(test_part.labels), fallback=fallback, threshold=threshold)
    baseline = _baseline(
        [clean(t) for t in train_part.texts], y, [clean(t) for t in test_part.texts], list(test_part.labels), labels
    )
    meta = {
        "fallback_label": fallback,
        "uncertain_threshold": threshold,
        "training": {
            "source": data.source,
            "data_sha256": data.sha256(),
            "rows": len(data.texts),
            "train_rows": len(tr_idx),
            "heldout_rows": len(te_idx),
            "split": "held-out = every 5th group of identical cleaned texts per class in sha256 order "
            "(stratified by intent for JDDC); never used for training, tuning or calibration",
            "class_counts": dict(sorted(Counter(data.labels).items())),
            "selection": rows,
            "chosen": {
                "features": spec.name,
                "C": c,
                "classifier": "LinearSVC(class_weight=balanced)",
                "tfidf": f"sublinear tf, min_df={min_df}, l2",
            },
            "calibration": f"softmax(scores / T), T fitted on {len(folds)}-fold out-of-fold scores",
            "threshold_rule": f"lowest p with out-of-fold accuracy >= {REVIEW_ACCURACY} above it",
        },
        "heldout": heldout.to_json(),
        "baseline_heldout": {
            "name": "char TF-IDF 1-2 (sklearn defaults) + LinearSVC (defaults)",
            **baseline.to_json(),
        },
    }
    return TrainResult(model, threshold, heldout, baseline, tuple(rows), meta)
