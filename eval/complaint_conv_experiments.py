"""Conversation-level complaint signals, tried by grouped cross-validation on training rows only.

Run from the repository root: `python eval/complaint_conv_experiments.py [--show]` (a few minutes on 2
cores). Reads `data/jddc_dialogues/sessions.jsonl` for the context of the JDDC training turns; reads the
rows of `eval/train_complaint.py` (never a test split) and their context: the JDDC sessions of
`complaint_turns.jsonl` tune and `complaint_train_turns.jsonl`, the `eval/blind2` conversations (up to
the first complaint turn). Rows without a conversation (intent queries, written turns) have no
conversation signal.

Signals of a customer turn, from the conversation before it (never an agent turn after it, and never an
agent apology: that would spare the agent who does not apologise):
- `repeat`: it repeats an earlier customer turn (character bigram overlap) after an agent answered;
- `urge_again`: it urges (还是/到底/怎么还/还没/又/催/快点/人呢) and an earlier customer turn, answered by
  the agent, urged or carried a cue as well (a second negative or urging turn after the reply);
- `prev_cue`: an earlier customer turn carried any cue (weak or strong);
- `promise_back`: an agent turn before it named a time or promised an action (今天/明天/尽快/N小时内/会为您…)
  and this turn says the thing has not happened (a waited, repeated or exasperation cue);
- `late`: it is the customer's third turn or later.
Rules measured (turns a rule ADDS beyond the strong cues, right/added, on the scored rows: JDDC session
turns and blind2), the goal's floor being precision >= 0.85 on at least 5 additions in each of 3 fold
assignments: weak cue AND signal; weak cue AND model >= t; weak cue AND signal AND model >= t;
per-kind thresholds (weak kind k AND model >= t_k, t_k chosen on the other folds); and the model
retrained with the signals as features (cues OR model >= t). Prints one JSON line per rule.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "eval"))

import numpy as np  # noqa: E402
import re2  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from train_complaint import PARTS, SOURCES, blind2_turns, training_rows  # noqa: E402

from qa_audit.classify.complaint_cues import points  # noqa: E402
from qa_audit.classify.complaint_model import ComplaintModel, kind_names, model_text  # noqa: E402
from qa_audit.classify.complaint_train import (  # noqa: E402
    MIN_ADDED,
    MIN_PRECISION,
    REPEATS,
    Params,
    Prepared,
    Row,
    _matrix,
    folds,
    out_of_fold,
    prepare,
)
from qa_audit.normalize import normalize  # noqa: E402

SESSIONS = ROOT / "data" / "jddc_dialogues" / "sessions.jsonl"
SHIPPED = Params(0.3, 2.0, 2)  # models/complaint_detect/model.json
SIGNALS = ("repeat", "urge_again", "prev_cue", "promise_back", "late")
_URGE = re2.compile(r"还是|到底|究竟|怎么还|咋还|还没|还不|又|催|快点|赶紧|尽快|人呢|在吗|在不在|急")
_PROMISE = re2.compile(
    r"今天|明天|后天|尽快|稍后|[0-9#]+\s*(?:个)?(?:小时|工作日|天)(?:内|之内|以内)?|会(?:为您|给您|帮您|有)|"
    r"(?:联系|回复|回电|处理|反馈)您|为您(?:催|加急|反馈|申请|提交|登记)"
)
_NOT_YET = frozenset({"waited", "repeated", "exasperation", "insistence"})

Context = tuple[tuple[str, str], ...]  # (role, text) of the turns before the row's turn, oldest first


def contexts(rows: Sequence[Row]) -> list[Context | None]:
    """Return each training row's earlier turns (None for rows without a conversation), aligned with `rows`."""
    sessions = {s["conversation_id"]: s for s in map(json.loads, SESSIONS.open(encoding="utf-8"))}
    labelled: list[Context | None] = []
    for name in SOURCES[:2]:
        for line in (ROOT / name).open(encoding="utf-8"):
            r = json.loads(line)
            if r["split"] in ("tune", "train"):
                turns = sessions[r["conversation_id"]]["turns"][: r["turn"]]
                labelled.append(tuple((t["role"], t["text"]) for t in turns))
    blind: list[Context | None] = []
    for channel in ("chat", "call"):
        for conv, i, _ in blind2_turns(channel):
            blind.append(tuple((t["role"], t["text"]) for t in conv["turns"][:i]))
    out: list[Context | None] = []
    it_l, it_b = iter(labelled), iter(blind)
    for r in rows:
        if r.source in SOURCES[:2]:
            out.append(next(it_l))
        elif r.source.startswith("eval/blind2/"):
            out.append(next(it_b))
        else:
            out.append(None)
    assert next(it_l, None) is None and next(it_b, None) is None
    return out


def _bigrams(text: str) -> set[str]:
    t = re2.sub(r"[#\s,，。.!！?？~]+", "", model_text(normalize(text).text)) if text else ""
    return {t[i : i + 2] for i in range(len(t) - 1)}


def signals(text: str, prep: Prepared, ctx: Context | None) -> frozenset[str]:
    """Return the conversation signals of one customer turn given the turns before it."""
    if not ctx:
        return frozenset()
    out: set[str] = set()
    mine = _bigrams(text)
    answered = False  # an agent turn came after the earlier customer turn being looked at
    customer_before = 0
    urged_here = bool(_URGE.search(prep.norm))
    for role, earlier in reversed(ctx):
        if role == "agent":
            answered = True
            if _PROMISE.search(normalize(earlier).text) and prep.fired & _NOT_YET:
                out.add("promise_back")
            continue
        customer_before += 1
        if not answered:
            continue
        other = _bigrams(earlier)
        if len(mine) >= 3 and len(other) >= 3 and len(mine & other) / min(len(mine), len(other)) >= 0.5:
            out.add("repeat")
        p = prepare(earlier)
        if p.fired:
            out.add("prev_cue")
        if urged_here and (p.fired or _URGE.search(p.norm)):
            out.add("urge_again")
    if customer_before >= 2:
        out.add("late")
    return frozenset(out)


def _features(prepared: Sequence[Prepared], train: np.ndarray) -> ComplaintModel:
    """Return a model holding only the shipped features (vocabulary, idf of the training rows, cue-kind scale)."""
    df: Counter[str] = Counter()
    for i in train:
        df.update(prepared[i].grams.keys())
    vocab = sorted(g for g, n in df.items() if n >= SHIPPED.min_df)
    idf = np.array([math.log((1 + len(train)) / (1 + df[g])) + 1.0 for g in vocab])
    kinds = kind_names()
    coef = np.zeros(len(vocab) + len(kinds))
    return ComplaintModel({g: j for j, g in enumerate(vocab)}, idf, coef, 0.0, kinds, SHIPPED.kind_scale, 1.0)


def _out_of_fold_with(
    rows: Sequence[Row], prepared: Sequence[Prepared], sig: Sequence[frozenset[str]], scale: float, repeat: int
) -> np.ndarray:
    """Return out-of-fold probabilities of the shipped settings with the signals as extra 0/scale features."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    y = np.array([r.label for r in rows])
    cells = [(i, j) for i, g in enumerate(sig) for j, s in enumerate(SIGNALS) if s in g]
    flags = csr_matrix(
        ([scale] * len(cells), ([i for i, _ in cells], [j for _, j in cells])), shape=(len(rows), len(SIGNALS))
    )
    probs = np.zeros(len(rows))
    for test in folds(rows, repeat):
        train = np.setdiff1d(np.arange(len(rows)), test)
        x = hstack([_matrix(_features(prepared, train), prepared), flags]).tocsr()
        clf = LogisticRegression(
            C=SHIPPED.c, class_weight="balanced", solver="liblinear", random_state=0, max_iter=1000
        )
        clf.fit(x[train], y[train])
        probs[test] = clf.predict_proba(x[test])[:, 1]
    return probs


def _count(add: np.ndarray, y: np.ndarray, mask: np.ndarray) -> str:
    return f"{int((add & y & mask).sum())}/{int((add & mask).sum())}"


def _passes(add: np.ndarray, y: np.ndarray, mask: np.ndarray) -> bool:
    n = int((add & mask).sum())
    return n >= MIN_ADDED and (add & y & mask).sum() / n >= MIN_PRECISION


def main() -> None:
    """Compute the signals and out-of-fold probabilities, print every rule's additions per part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the turns each signal rule adds")
    args = parser.parse_args()
    rows = training_rows()
    prepared = [prepare(r.text) for r in rows]
    ctx = contexts(rows)
    sig = [signals(r.text, p, c) for r, p, c in zip(rows, prepared, ctx, strict=True)]
    y = np.array([r.label for r in rows])
    strong = np.array([p.strong for p in prepared])
    weak = np.array([points(p.matches) >= 1 for p in prepared]) & ~strong
    scored = np.array([r.scored for r in rows])
    jddc = np.array([r.source in PARTS["jddc-sessions"] for r in rows])
    blind2 = np.array([r.source in PARTS["blind2"] for r in rows])
    parts = {"scored": scored, "jddc": jddc, "blind2": blind2}
    base = {k: _count(strong, y, m) for k, m in parts.items()}
    print(json.dumps({"rule": "strong cues alone (tp/pred)", **base, "complaints": int((y & scored).sum())}))
    probs = [out_of_fold(rows, prepared, SHIPPED, repeat=k) for k in range(REPEATS)]

    def report(name: str, adds: list[np.ndarray]) -> None:
        ok = all(_passes(a, y, scored) for a in adds)
        line: dict[str, object] = {"rule": name, **{k: _count(adds[0], y, m) for k, m in parts.items()}}
        if len(adds) > 1:
            line["scored_per_repeat"] = [_count(a, y, scored) for a in adds]
        print(json.dumps({**line, "passes": ok}, ensure_ascii=False))

    has = {s: np.array([s in g for g in sig]) for s in SIGNALS}
    for s in SIGNALS:
        report(f"{s} alone (no cue), not strong", [has[s] & ~strong])
        report(f"weak cue AND {s}", [has[s] & weak])
        for t in (0.3, 0.5, 0.7):
            report(f"weak cue AND {s} AND model >= {t}", [has[s] & weak & (p >= t) for p in probs])
            report(f"{s} AND model >= {t} (no cue needed)", [has[s] & ~strong & (p >= t) for p in probs])
    any_sig = np.array([bool(g - {"late"}) for g in sig])
    report("weak cue AND any signal but late", [any_sig & weak])
    back = has["promise_back"] | has["urge_again"]
    for t in (0.4, 0.5, 0.6):
        report(f"weak cue AND (promise_back OR urge_again) AND model >= {t}", [back & weak & (p >= t) for p in probs])
        report(f"weak cue AND any signal but late AND model >= {t}", [any_sig & weak & (p >= t) for p in probs])
    for kind in sorted({k for p, w in zip(prepared, weak, strict=True) if w for k in p.fired}):
        alone = weak & np.array([kind in q.fired for q in prepared])
        report(f"weak kind {kind} (no strong cue)", [alone])
        report(f"weak kind {kind} AND prev_cue AND model >= 0.5", [alone & has["prev_cue"] & (p >= 0.5) for p in probs])
    for t in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9):
        report(f"weak cue AND model >= {t}", [weak & (p >= t) for p in probs])
    # per-kind thresholds: for each weak kind, the lowest threshold passing on the other folds' rows
    kinds = sorted({k for p, w in zip(prepared, weak, strict=True) if w for k in p.fired})
    adds = []
    for k, p in enumerate(probs):
        add = np.zeros(len(rows), dtype=bool)
        for test in folds(rows, k):
            train = np.setdiff1d(np.arange(len(rows)), test)
            tmask = np.zeros(len(rows), dtype=bool)
            tmask[train] = True
            for kind in kinds:
                has_kind = weak & np.array([kind in q.fired for q in prepared])
                good = [t for t in np.arange(0.3, 1.0, 0.05) if _passes(has_kind & (p >= t), y, tmask & scored)]
                if good:
                    add[test] |= has_kind[test] & (p[test] >= min(good))
        adds.append(add)
    report("per-kind thresholds (weak kind AND model >= t_kind, t chosen on the other folds)", adds)
    for scale in (1.0, 2.0):
        with_sig = [_out_of_fold_with(rows, prepared, sig, scale, k) for k in range(REPEATS)]
        for t in (0.5, 0.7, 0.8, 0.9):
            report(
                f"model + signals x{scale} as features, cues OR model >= {t}", [~strong & (p >= t) for p in with_sig]
            )
            report(f"model + signals x{scale}, weak cue AND model >= {t}", [weak & (p >= t) for p in with_sig])
        ap = average_precision_score(y[jddc], with_sig[0][jddc])
        print(
            json.dumps(
                {
                    "model + signals": scale,
                    "ap_jddc": round(float(ap), 3),
                    "ap_jddc_shipped": round(float(average_precision_score(y[jddc], probs[0][jddc])), 3),
                    "ap_scored": round(float(average_precision_score(y[scored], with_sig[0][scored])), 3),
                    "ap_scored_shipped": round(float(average_precision_score(y[scored], probs[0][scored])), 3),
                }
            )
        )
    if args.show:
        for s in SIGNALS:
            sel = np.flatnonzero(has[s] & weak & scored)
            print(f"## weak cue AND {s}: {len(sel)}")
            for i in sel:
                print(f"  {'+' if y[i] else '-'} {probs[0][i]:.2f} {sorted(prepared[i].fired)} {rows[i].text[:70]}")


if __name__ == "__main__":
    main()
