"""Feature and rule experiments for the complaint model, by grouped cross-validation on training rows only.

Run from the repository root: `python eval/complaint_cv_experiments.py` (a few minutes on 2 cores).
Reads the rows of `eval/train_complaint.py` (never a test split) and the same 5 folds grouped by
conversation (fold assignment 0). Each variant is a logistic regression (liblinear) over l2-normalised
sublinear tf-idf blocks fitted inside each fold: character 1-3-grams (as shipped), optionally rjieba
words 1-2, the cue kinds of the turn, optionally the cue kinds or the character n-grams of the same
customer's earlier turns in the conversation (never the agent's replies). Printed per part of the rows:
the average precision of the out-of-fold probability, and the turns the model would add beyond the
strong cues at several thresholds (right/added). Not used by training: the shipped settings come from
`complaint_train.select`; this records what else was tried (`eval/COMPLAINT_TURNS.md`).
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "eval"))

import numpy as np  # noqa: E402
from scipy.sparse import csr_matrix, hstack  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from train_complaint import PARTS, training_rows  # noqa: E402

from qa_audit.classify.complaint_cues import KINDS  # noqa: E402
from qa_audit.classify.complaint_model import model_text  # noqa: E402
from qa_audit.classify.complaint_train import folds, prepare  # noqa: E402
from qa_audit.classify.features import word_tokenizer  # noqa: E402

VARIANTS = {
    "shipped: chars 1-3 + cue kinds, C 3": {},
    "+ rjieba words 1-2": {"word_w": 1.0},
    "+ words, both blocks x0.7": {"word_w": 0.7, "char_w": 0.7},
    "+ cue kinds of the customer's earlier turns": {"prev_kinds": 1.0},
    "+ chars of the customer's previous turn x0.5": {"prev_char": 0.5},
    "C 10": {"C": 10.0},
    "no class weights": {"cw": None},
}
KIND_NAMES = [k.name for k in KINDS]


def _words(text: str) -> Counter[str]:
    toks = [t for t in word_tokenizer().cut(text) if not t.isspace()]
    return Counter(toks) + Counter(a + " " + b for a, b in pairwise(toks))


def _block(counts: list[Counter[str]], train: np.ndarray, min_df: int = 2):
    df: Counter[str] = Counter()
    for i in train:
        df.update(counts[i].keys())
    vocab = {g: j for j, g in enumerate(sorted(g for g, n in df.items() if n >= min_df))}
    idf = {g: math.log((1 + len(train)) / (1 + df[g])) + 1 for g in vocab}
    rows, cols, vals = [], [], []
    for i, c in enumerate(counts):
        w = {vocab[g]: (1 + math.log(k)) * idf[g] for g, k in c.items() if g in vocab}
        norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
        for j, v in w.items():
            rows.append(i)
            cols.append(j)
            vals.append(v / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(counts), len(vocab)))


def _flags(sets: list[frozenset[str]], scale: float):
    cells = [(i, j) for i, s in enumerate(sets) for j, k in enumerate(KIND_NAMES) if k in s]
    return csr_matrix(
        ([scale] * len(cells), ([i for i, _ in cells], [j for _, j in cells])), shape=(len(sets), len(KIND_NAMES))
    )


def main() -> None:
    """Cross-validate every variant and print its numbers per part."""
    rows = training_rows()
    prepared = [prepare(r.text) for r in rows]
    chars = [p.grams for p in prepared]
    words = [_words(model_text(p.norm)) for p in prepared]
    kinds = [p.fired for p in prepared]
    strong = np.array([p.strong for p in prepared])
    y = np.array([r.label for r in rows])
    earlier: list[list[int]] = []
    seen: dict[str, list[int]] = {}
    for i, r in enumerate(rows):  # rows of a conversation are in turn order
        earlier.append(list(seen.get(r.group, [])))
        seen.setdefault(r.group, []).append(i)
    prev_kinds = [frozenset().union(*(kinds[j] for j in e)) for e in earlier]
    prev_chars = [chars[e[-1]] if e else Counter() for e in earlier]
    parts = {name: np.array([r.source in src for r in rows]) for name, src in PARTS.items()}
    parts["scored"] = np.array([r.scored for r in rows])
    for name, cfg in VARIANTS.items():
        probs = np.zeros(len(rows))
        for test in folds(rows):
            train = np.setdiff1d(np.arange(len(rows)), test)
            blocks = [_block(chars, train) * cfg.get("char_w", 1.0), _flags(kinds, 2.0)]
            if cfg.get("word_w"):
                blocks.append(_block(words, train) * cfg["word_w"])
            if cfg.get("prev_kinds"):
                blocks.append(_flags(prev_kinds, cfg["prev_kinds"]))
            if cfg.get("prev_char"):
                blocks.append(_block(prev_chars, train) * cfg["prev_char"])
            x = hstack(blocks).tocsr()
            clf = LogisticRegression(
                C=cfg.get("C", 3.0), class_weight=cfg.get("cw", "balanced"), solver="liblinear", max_iter=1000
            )
            clf.fit(x[train], y[train])
            probs[test] = clf.predict_proba(x[test])[:, 1]
        out = {}
        for part, mask in parts.items():
            adds = {
                t: f"{int(((probs >= t) & ~strong & mask & y).sum())}/{int(((probs >= t) & ~strong & mask).sum())}"
                for t in (0.5, 0.7, 0.9)
            }
            out[part] = {"ap": round(float(average_precision_score(y[mask], probs[mask])), 3), "added": adds}
        print(json.dumps({"variant": name, **out}, ensure_ascii=False))


if __name__ == "__main__":
    main()
