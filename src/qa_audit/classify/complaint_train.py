"""Training of the complaint-detection model (`complaint_model`): features, fit, grouped cross-validation.

Hyper-parameters and the decision threshold are chosen by cross-validation grouped by conversation
(turns of one conversation never sit on both sides of a fold), on the training rows only; the test
split of `eval/complaint_turns.jsonl` is not read here. Everything is deterministic (liblinear, fixed
fold order), so the same rows give the same model file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_audit.classify.complaint_cues import STRONG, Match, points, scan
from qa_audit.classify.complaint_model import (
    CHAR_MAX,
    CHAR_MIN,
    FORMAT,
    FORMAT_VERSION,
    RULES,
    ComplaintModel,
    char_grams,
    kind_names,
    model_text,
)
from qa_audit.classify.model_io import META_FILE, WEIGHTS_FILE, _write_npz, library_versions, sha256_file
from qa_audit.normalize import normalize

SEED = 0
N_FOLDS = 5
MIN_PRECISION = 0.85  # the goal's floor: the threshold gives the most recall whose cross-validated precision reaches it
MIN_ADDED = 5  # fewer cross-validated additions than this measure no precision: the model then never decides alone
REPEATS = 3  # fold assignments a threshold must pass in (repeat 0 first; the others only for candidates passing it)


@dataclass(frozen=True)
class Row:
    """One labelled customer turn: its conversation (the CV group), text, label and source file."""

    group: str
    text: str
    label: bool
    source: str
    scored: bool = True  # counted in the cross-validated precision/recall (same rubric as the goal)


@dataclass(frozen=True)
class Params:
    """Hyper-parameters of one candidate model."""

    c: float
    kind_scale: float
    min_df: int

    def to_json(self) -> dict[str, float]:
        """Return the parameters as stored in model.json."""
        return {"C": self.c, "kind_scale": self.kind_scale, "min_df": self.min_df}


GRID = tuple(Params(c, s, m) for c in (0.3, 1.0, 3.0) for s in (0.0, 1.0, 2.0) for m in (1, 2))


@dataclass(frozen=True)
class Prepared:
    """A turn as the model sees it: normalised text, its cue matches, n-gram counts and fired kinds."""

    norm: str
    matches: tuple[Match, ...]
    grams: Counter[str]
    fired: frozenset[str]

    @property
    def strong(self) -> bool:
        """Return whether the cues alone make the turn a complaint."""
        return points(self.matches) >= STRONG


def prepare(text: str) -> Prepared:
    """Return the normalised turn and its cue matches (what `complaint._scan` computes at run time)."""
    norm = normalize(text).text
    matches = scan(norm)
    return Prepared(norm, matches, char_grams(model_text(norm)), frozenset(k for _, _, k, _ in matches))


def fit(prepared: Sequence[Prepared], labels: Sequence[bool], params: Params) -> ComplaintModel:
    """Fit the logistic model on prepared turns; the returned model's threshold is a placeholder 0.5."""
    from sklearn.linear_model import LogisticRegression

    df: dict[str, int] = {}
    for p in prepared:
        for gram in p.grams:
            df[gram] = df.get(gram, 0) + 1
    vocab = sorted(gram for gram, n in df.items() if n >= params.min_df)
    n = len(prepared)
    idf = np.array([math.log((1 + n) / (1 + df[gram])) + 1.0 for gram in vocab], dtype=np.float32).astype(np.float64)
    kinds = kind_names()
    blank = ComplaintModel(
        {g: i for i, g in enumerate(vocab)}, idf, np.zeros(len(vocab) + len(kinds)), 0.0, kinds, params.kind_scale, 0.5
    )
    x = _matrix(blank, prepared)
    clf = LogisticRegression(C=params.c, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=1000)
    clf.fit(x, np.array(labels, dtype=bool))
    coef = clf.coef_[0].astype(np.float32).astype(np.float64)
    intercept = float(np.float32(clf.intercept_[0]))
    return ComplaintModel(blank.vocabulary, idf, coef, intercept, kinds, params.kind_scale, 0.5)


def _matrix(model: ComplaintModel, prepared: Sequence[Prepared]):
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, p in enumerate(prepared):
        for j, v in sorted(model.vector_of(p.grams, p.fired).items()):
            rows.append(i)
            cols.append(j)
            vals.append(v)
    return csr_matrix((vals, (rows, cols)), shape=(len(prepared), len(model.coef)))


def folds(rows: Sequence[Row], repeat: int = 0) -> list[np.ndarray]:
    """Return the test indices of N_FOLDS folds grouped by conversation (deterministic).

    Repeat 0 deals the sorted groups round robin; repeat k > 0 deals them in the order of
    sha256(f"{k}:{group}"), another fixed assignment of the same groups.
    """
    groups = sorted({r.group for r in rows})
    if repeat:
        groups.sort(key=lambda g: hashlib.sha256(f"{repeat}:{g}".encode()).hexdigest())
    fold_of = {g: k % N_FOLDS for k, g in enumerate(groups)}
    return [np.array([i for i, r in enumerate(rows) if fold_of[r.group] == k]) for k in range(N_FOLDS)]


def out_of_fold(rows: Sequence[Row], prepared: Sequence[Prepared], params: Params, repeat: int = 0) -> np.ndarray:
    """Return each row's probability from the model fitted on the other folds (of fold assignment `repeat`)."""
    probs = np.zeros(len(rows))
    for test in folds(rows, repeat):
        held = set(test.tolist())
        train = [i for i in range(len(rows)) if i not in held]
        model = fit([prepared[i] for i in train], [rows[i].label for i in train], params)
        for i in test:
            probs[i] = model.score_of(model.vector_of(prepared[i].grams, prepared[i].fired))
    return probs


def score(pred: Sequence[bool], gold: Sequence[bool]) -> dict[str, float | int]:
    """Return tp, predicted, complaints, precision and recall."""
    tp = sum(bool(p and g) for p, g in zip(pred, gold, strict=True))
    n_pred, n_gold = sum(map(bool, pred)), sum(map(bool, gold))
    return {
        "tp": tp,
        "predicted": n_pred,
        "complaints": n_gold,
        "precision": round(tp / n_pred, 3) if n_pred else 0.0,
        "recall": round(tp / n_gold, 3) if n_gold else 0.0,
    }


def decide(prob: np.ndarray, strong: np.ndarray, threshold: float, rule: str) -> np.ndarray:
    """Return the decisions of a rule: 'model' (probability alone) or 'cues-or-model'.

    As `ComplaintModel.decide` but for its no-grievance guard (`complaint_cues.disclaimed`), which the
    selection does not apply: the cross-validated figures are those of the model before the guard.
    """
    return (prob >= threshold) | (strong if rule == "cues-or-model" else False)


def average_precision(gold: Sequence[bool], probs: np.ndarray) -> float:
    """Return the average precision of the probabilities' ranking (rounded: stable across platforms)."""
    from sklearn.metrics import average_precision_score

    return round(float(average_precision_score(np.array(gold, dtype=bool), probs)), 3)


def _passes(
    prob: np.ndarray, strong: np.ndarray, gold: np.ndarray, t: float, rule: str
) -> tuple[bool, dict[str, float | int], dict[str, float | int]]:
    pred = decide(prob, strong, t, rule)
    s = score(pred.tolist(), gold.tolist())
    if rule == "cues-or-model":
        added = score((pred & ~strong).tolist(), gold.tolist())
        ok = added["predicted"] >= MIN_ADDED and added["precision"] >= MIN_PRECISION
    else:  # the model replaces the cues: it must find MIN_ADDED more complaints than they do
        added = {"tp": s["tp"] - int((strong & gold).sum()), "predicted": s["predicted"] - int(strong.sum())}
        ok = added["tp"] >= MIN_ADDED
    return ok and s["precision"] >= MIN_PRECISION, s, added


def best_threshold(
    rows: Sequence[Row], prepared: Sequence[Prepared], probs: np.ndarray | Sequence[np.ndarray], rule: str
) -> tuple[float, dict[str, Any]]:
    """Return the threshold with the most cross-validated recall at precision >= MIN_PRECISION (1.0: none).

    For 'cues-or-model' the turns the model adds beyond the cues must reach that precision too, on at
    least MIN_ADDED turns: a model whose own additions are mostly wrong would spend the cues' precision,
    and two or three lucky additions say nothing about the next ones. For 'model' (the model replaces
    the cues) it must find at least MIN_ADDED more complaints than the cues alone: one or two more
    are noise, and not worth the cues' precision and explainability. `probs` may hold the out-of-fold
    probabilities of several fold assignments (repeats): a threshold must pass in every one of them (a
    pass that holds for one assignment of conversations to folds only is luck); the score reported is
    the first assignment's, with the additions (tp/predicted) of each.
    """
    repeats = [probs] if isinstance(probs, np.ndarray) else list(probs)
    idx = np.array([i for i, r in enumerate(rows) if r.scored])
    gold = np.array([rows[i].label for i in idx])
    strong = np.array([prepared[i].strong for i in idx])
    best: tuple[tuple[float, float, float], float, dict[str, Any]] | None = None
    for t in sorted({round(float(p), 3) for p in repeats[0][idx] if p > 0}):
        checks = [_passes(p[idx], strong, gold, t, rule) for p in repeats]
        if not all(ok for ok, _, _ in checks):
            continue  # too imprecise, or the model adds nothing (then 1.0: it never decides alone)
        s: dict[str, Any] = dict(checks[0][1])
        if len(repeats) > 1:
            s["added_per_repeat"] = [f"{a['tp']}/{a['predicted']}" for _, _, a in checks]
        key = (float(s["recall"]), float(s["precision"]), t)
        if best is None or key > best[0]:
            best = (key, t, s)
    if best is None:
        return 1.0, score(decide(repeats[0][idx], strong, 1.0, rule).tolist(), gold.tolist())
    return best[1], best[2]


def select(
    rows: Sequence[Row],
    grid: Sequence[Params] = GRID,
    repeats: int = REPEATS,
    jobs: int | None = None,
    rules: Sequence[str] = RULES,
) -> tuple[Params, dict[str, Any], list[dict[str, Any]]]:
    """Cross-validate every candidate and rule; return the best params, its CV row (rule, threshold) and the table.

    Every candidate is cross-validated on fold assignment 0; one whose threshold search passes there is
    cross-validated on the other `repeats - 1` assignments too and must pass on each. Candidates are
    independent, so `jobs` processes (default: one per core) share them; the table is the same, in
    grid order, whatever the number of processes. `rules`: the decision rules tried (complaint_model.RULES).
    """
    global _JOB
    _JOB = (rows, [prepare(r.text) for r in rows], repeats, tuple(rules))
    try:
        jobs = min(jobs or os.cpu_count() or 1, len(grid))
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            # forked workers read the prepared rows from _JOB instead of receiving them pickled
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
                parts = list(pool.map(_candidate, grid))
        else:
            parts = [_candidate(params) for params in grid]
    finally:
        _JOB = None
    table = [row for part in parts for row in part]
    # ties (e.g. every candidate at 1.0, the cues deciding alone) go to the best-ranking probability
    top = max(table, key=lambda r: (r["recall"], r["precision"], r["average_precision"], r["rule"] == "model"))
    return Params(top["C"], top["kind_scale"], top["min_df"]), top, table


_JOB: tuple[Sequence[Row], list[Prepared], int, tuple[str, ...]] | None = None  # what `select` cross-validates


def _candidate(params: Params) -> list[dict[str, Any]]:
    """The table rows (one per decision rule) of one candidate, cross-validated on the rows of `_JOB`."""
    assert _JOB is not None
    rows, prepared, repeats, rules = _JOB
    scored = np.array([r.scored for r in rows])
    probs = [out_of_fold(rows, prepared, params)]
    ap = average_precision([r.label for r, ok in zip(rows, scored, strict=True) if ok], probs[0][scored])
    out = []
    for rule in rules:
        t, s = best_threshold(rows, prepared, probs[0], rule)
        if t < 1.0 and repeats > 1:
            while len(probs) < repeats:
                probs.append(out_of_fold(rows, prepared, params, repeat=len(probs)))
            first = {"threshold_first_assignment": t, "recall_first_assignment": s["recall"]}
            t, s = best_threshold(rows, prepared, probs, rule)
            s = {**s, **first}
        out.append({**params.to_json(), "rule": rule, "threshold": t, **s, "average_precision": ap})
    return out


def save(model: ComplaintModel, model_dir: Path, meta: dict[str, Any]) -> None:
    """Write model.json and weights.npz (fixed zip times: identical runs give identical bytes)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    weights = model_dir / WEIGHTS_FILE
    vocab = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    _write_npz(
        weights,
        {
            "vocab": np.array(vocab, dtype=str),
            "idf": model.idf.astype(np.float32),
            "coef": model.coef.astype(np.float32),
            "intercept": np.array([model.intercept], dtype=np.float32),
        },
    )
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "features": {"char_min": CHAR_MIN, "char_max": CHAR_MAX, "cue_kinds": True},
        "kinds": list(model.kinds),
        "kind_scale": model.kind_scale,
        "threshold": model.threshold,
        "rule": model.rule,
        "weights_file": WEIGHTS_FILE,
        "weights_sha256": sha256_file(weights),
        "n_features": len(model.coef),
        "versions": {k: v for k, v in library_versions().items() if k != "rjieba"},
        **meta,
    }
    text = json.dumps(full, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (model_dir / META_FILE).write_text(text, encoding="utf-8")
