"""Measure complaint detection on every hand-labelled set, split by split.

Run from the repository root: `python eval/complaint_eval.py [--json]`. Reads the JDDC sessions in
`data/jddc_dialogues/sessions.jsonl` for the full turn texts, the gold sessions and the flag count over
all 874 sessions.

Sets:
- `labels-2`: `eval/complaint_turns.jsonl` (1,616 turns of 404 sessions; `tune` / `test`).
- `labels-3`: `eval/complaint_train_turns.jsonl` (842 turns of 170 other sessions; `train` only: the
  complaint model is fitted on it and on `labels-2 tune`, so its numbers there are in-sample).
- `labels-2-adjudicated`: `eval/complaint_turns_adjudicated.jsonl` when present: the same 802 test
  turns, labelled where the first and the second annotator agree, adjudicated by a third reader where
  they differ (scored on the test split's own turns; the file must cover exactly those turns).
- `labels-1`: `models/complaint_labels.csv` (320 turns; even ids `dev`, odd ids `test`).
- `gold-turns`: `eval/jddc_gold.jsonl` turn level: the first complaint turn is positive, earlier
  customer turns of a complaint session and every customer turn (4+ characters) of a
  non-complaint session are negative; turns after the first complaint turn are not labelled.
- `gold-sessions`: `eval/jddc_gold.jsonl` session level, with `detect_complaint` (what decides n/a).
- `blindN-chat` / `blindN-call`: the blind sets of other channels (`eval/blind*/`), whole conversations
  with `detect_complaint`, and every customer turn where the set labels `complaint_turns` (blind4).
Besides precision and recall of the decision, `ap` is the average precision of the complaint model's
probability (how well it ranks complaints above the rest, whatever the threshold).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from qa_audit.classify.complaint import detect_complaint, is_complaint_text  # noqa: E402
from qa_audit.classify.complaint_train import average_precision  # noqa: E402
from qa_audit.model import Conversation, Turn  # noqa: E402

ADJUDICATED = ROOT / "eval" / "complaint_turns_adjudicated.jsonl"
SESSIONS = ROOT / "data" / "jddc_dialogues" / "sessions.jsonl"
_MASK = re.compile(r"\[[^\]]*\]")


def _sessions() -> dict[str, dict]:
    with SESSIONS.open(encoding="utf-8") as fh:
        return {s["conversation_id"]: s for s in map(json.loads, fh)}


def _conv(s: dict) -> Conversation:
    return Conversation(s["conversation_id"], tuple(Turn(i, t["role"], t["text"]) for i, t in enumerate(s["turns"])))


def _score(pairs: list[tuple[bool, bool]], probs: list[float] | None = None) -> dict[str, float | int]:
    tp = sum(p and g for p, g in pairs)
    pred = sum(p for p, _ in pairs)
    gold = sum(g for _, g in pairs)
    return {
        "n": len(pairs),
        "complaints": gold,
        "predicted": pred,
        "tp": tp,
        "precision": round(tp / pred, 3) if pred else 0.0,
        "recall": round(tp / gold, 3) if gold else 0.0,
        **({"ap": average_precision([g for _, g in pairs], np.array(probs))} if probs and gold else {}),
    }


def adjudicated_rows(path: Path, texts: dict[tuple[str, int], str]) -> list[tuple[str, bool]]:
    """Return (text, adjudicated label) per line of `path`, the text being that test turn's in `texts`.

    The adjudicated file relabels the test split: a turn it labels twice, a turn outside `texts` (the test
    split's turns by conversation id and turn index) or a test turn it leaves out is a ValueError.
    """
    rows: list[tuple[str, bool]] = []
    seen: set[tuple[str, int]] = set()
    for line in path.open(encoding="utf-8"):
        r = json.loads(line)
        key = (r["conversation_id"], r["turn"])
        if key in seen:
            raise ValueError(f"{path}: {key} labelled twice")
        if key not in texts:
            raise ValueError(f"{path}: {key} is not in the test split of complaint_turns.jsonl")
        seen.add(key)
        rows.append((texts[key], bool(r["is_complaint"])))
    if len(seen) != len(texts):
        raise ValueError(f"{path}: {len(texts) - len(seen)} test turns missing, e.g. {min(set(texts) - seen)}")
    return rows


def _turn_sets(sessions: dict[str, dict]) -> dict[str, list[tuple[str, bool]]]:
    sets: dict[str, list[tuple[str, bool]]] = {}
    test_texts: dict[tuple[str, int], str] = {}
    for name, file in (("labels-2", "complaint_turns.jsonl"), ("labels-3", "complaint_train_turns.jsonl")):
        for line in (ROOT / "eval" / file).open(encoding="utf-8"):
            r = json.loads(line)
            text = sessions[r["conversation_id"]]["turns"][r["turn"]]["text"] if sessions else r["text"]
            sets.setdefault(f"{name} {r['split']}", []).append((text, r["is_complaint"]))
            if name == "labels-2" and r["split"] == "test":
                test_texts[(r["conversation_id"], r["turn"])] = text
    if ADJUDICATED.exists():
        sets["labels-2-adjudicated test"] = adjudicated_rows(ADJUDICATED, test_texts)
    for r in csv.DictReader((ROOT / "models" / "complaint_labels.csv").open(encoding="utf-8")):
        part = "dev" if int(r["id"]) % 2 == 0 else "test"
        sets.setdefault(f"labels-1 {part}", []).append((r["text"], r["is_complaint"] == "1"))
    if not sessions:
        return sets
    for line in (ROOT / "eval" / "jddc_gold.jsonl").open(encoding="utf-8"):
        g = json.loads(line)
        first = g.get("first_complaint_turn") if g["is_complaint"] else None
        for i, t in enumerate(sessions[g["conversation_id"]]["turns"]):
            if t["role"] != "customer" or (first is not None and i > first):
                continue
            if i != first and len(_MASK.sub("", t["text"]).strip()) < 4:
                continue
            sets.setdefault(f"gold-turns {g['split']}", []).append((t["text"], i == first))
    return sets


def _blind_sets() -> dict[str, dict]:
    """The blind sets of other channels: whole conversations, and every customer turn where labelled."""
    out = {}
    for folder in sorted((ROOT / "eval").glob("blind*/c*")):
        convs = [json.loads(line) for line in (folder / "conversations.jsonl").open(encoding="utf-8")]
        gold = {g["conversation_id"]: g for g in map(json.loads, (folder / "gold.jsonl").open(encoding="utf-8"))}
        name = f"{folder.parent.name}-{folder.name}"
        conv_pairs, turn_pairs, probs = [], [], []
        for c in convs:
            g = gold[c["conversation_id"]]
            conv_pairs.append((detect_complaint(_conv(c)).is_complaint, bool(g["is_complaint"])))
            if "complaint_turns" not in g:
                continue
            for i, t in enumerate(c["turns"]):
                if t["role"] == "customer":
                    r = is_complaint_text(t["text"], i)
                    turn_pairs.append((r.is_complaint, i in g["complaint_turns"]))
                    probs.append(r.probability)
        out[f"{name} convs"] = _score(conv_pairs)
        if turn_pairs:
            out[f"{name} turns"] = _score(turn_pairs, probs)
    return out


def measure() -> dict[str, dict]:
    """Return precision/recall per labelled set and split, and the flag count over all sessions."""
    sessions = _sessions() if SESSIONS.exists() else {}
    out = {}
    for name, rows in sorted(_turn_sets(sessions).items()):
        results = [is_complaint_text(text) for text, _ in rows]
        pairs = [(r.is_complaint, gold) for r, (_, gold) in zip(results, rows, strict=True)]
        out[name] = _score(pairs, [r.probability for r in results])
    out.update(_blind_sets())
    if sessions:
        gold_rows: dict[str, list[tuple[bool, bool]]] = {}
        for line in (ROOT / "eval" / "jddc_gold.jsonl").open(encoding="utf-8"):
            g = json.loads(line)
            pred = detect_complaint(_conv(sessions[g["conversation_id"]])).is_complaint
            gold_rows.setdefault(f"gold-sessions {g['split']}", []).append((pred, bool(g["is_complaint"])))
        out.update({name: _score(rows) for name, rows in sorted(gold_rows.items())})
        flagged = sum(detect_complaint(_conv(s)).is_complaint for s in sessions.values())
        out["all-sessions"] = {"n": len(sessions), "flagged": flagged}
    return out


def main() -> None:
    """Print the table (or JSON with --json)."""
    result = measure()
    if "--json" in sys.argv:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{'set':22} {'n':>5} {'pos':>4} {'pred':>5} {'tp':>4} {'precision':>9} {'recall':>7} {'ap':>6}")
    for name, r in result.items():
        if "flagged" in r:
            print(f"{name:22} {r['n']:5d} flagged as complaints: {r['flagged']}")
            continue
        print(f"{name:22} {r['n']:5d} {r['complaints']:4d} {r['predicted']:5d} {r['tp']:4d} "
              f"{r['precision']:9.3f} {r['recall']:7.3f} {r.get('ap', ''):>6}")  # fmt: skip


if __name__ == "__main__":
    main()
