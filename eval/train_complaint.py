"""Train the complaint-detection model shipped in `models/complaint_detect/` (byte for byte on the same CPU).

Run from the repository root: `python eval/train_complaint.py [--out DIR] [--table]`.
Training rows (all in the repository; the texts are the excerpts stored with the labels):
- `eval/complaint_turns.jsonl`, split `tune` (the `test` split is never read here);
- `eval/complaint_train_turns.jsonl` (split `train`, sessions in no other labelled set);
- `models/complaint_labels.csv`, dev half (even ids), only turns of sessions in neither file above
  nor the `test` split of `eval/jddc_gold.jsonl`. Its rubric counted a plainly asked 怎么回事 as a
  complaint, so these rows are trained on but not scored;
- `eval/blind2/{chat,call}/` (200 conversations of eight other channels, ASR-style calls): per
  conversation, every customer turn before `first_complaint_turn` is a non-complaint, that turn a
  complaint, later turns unlabelled (not used); every customer turn of a non-complaint conversation
  is a non-complaint;
- `eval/blind4` to `eval/blind11` (`{chat,call}`; 1,320 conversations of 64 other channels):
  every non-empty customer turn, a complaint when its gold lists it in `complaint_turns` (never
  `eval/blind12`, the set the detector is measured on);
- `eval/complaint_written_turns.jsonl`: hand-written single turns (sarcasm, rhetorical reproach, ASR
  text without punctuation, look-alikes), trained on but not scored (the cross-validated numbers are
  on real or blind-written conversations only);
- `eval/complaint_intents_turns.jsonl`: 9,059 real JD customer queries of the JDDC intent release
  (Apache-2.0), labelled with the same rubric, no context. One query is one CV group (identical
  queries share it). Trained on, not scored: they are single queries chosen for their intent, not the
  turns of a conversation the goal is measured on (their cross-validated numbers are printed apart).
Hyper-parameters and the threshold are chosen by 5-fold cross-validation grouped by conversation on these
rows (`qa_audit.classify.complaint_train.select`); then one model is fitted on all. The decision rule is
cues-or-model: a turn with a strong cue is a complaint whatever the model says, and the model adds turns
(with the model deciding alone, as cross-validation on blind4-10 preferred, 烦死了 and 为什么拒绝给我退款 were
no complaints and precision on the JDDC test turns fell under 0.75: eval/blind11/README.md).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from qa_audit.classify.complaint_model import MODEL_NAME  # noqa: E402
from qa_audit.classify.complaint_train import (  # noqa: E402
    REPEATS,
    Row,
    average_precision,
    decide,
    fit,
    out_of_fold,
    prepare,
    save,
    score,
    select,
)
from qa_audit.normalize import normalize  # noqa: E402

SOURCES = (
    "eval/complaint_turns.jsonl",
    "eval/complaint_train_turns.jsonl",
    "models/complaint_labels.csv",
    "eval/blind2/chat/conversations.jsonl",
    "eval/blind2/chat/gold.jsonl",
    "eval/blind2/call/conversations.jsonl",
    "eval/blind2/call/gold.jsonl",
    "eval/complaint_written_turns.jsonl",
    "eval/complaint_intents_turns.jsonl",
)
# blind sets whose gold labels every customer turn
TURN_LABELLED = ("blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10", "blind11")
SOURCES += tuple(
    f"eval/{b}/{c}/{f}" for b in TURN_LABELLED for c in ("chat", "call") for f in ("conversations.jsonl", "gold.jsonl")
)


def training_rows() -> list[Row]:
    """Return the labelled training rows (never the test split of any set)."""
    rows: list[Row] = []
    for name in SOURCES[:2]:
        for line in (ROOT / name).open(encoding="utf-8"):
            r = json.loads(line)
            if r["split"] in ("tune", "train"):
                rows.append(Row(r["conversation_id"], r["text"], r["is_complaint"], name))
    gold_test = {
        g["conversation_id"]
        for g in map(json.loads, (ROOT / "eval" / "jddc_gold.jsonl").open(encoding="utf-8"))
        if g["split"] == "test"
    }
    labels_1 = list(csv.DictReader((ROOT / SOURCES[2]).open(encoding="utf-8")))
    held = {r.group for r in rows} | gold_test  # sessions relabelled in complaint_train_turns, gold test
    rows.extend(
        Row(r["conversation_id"], r["text"], r["is_complaint"] == "1", SOURCES[2], scored=False)
        for r in labels_1
        if int(r["id"]) % 2 == 0 and r["conversation_id"] not in held
    )
    for channel in ("chat", "call"):
        rows.extend(blind2_rows(channel))
    for line in (ROOT / SOURCES[7]).open(encoding="utf-8"):
        r = json.loads(line)
        rows.append(Row(r["conversation_id"], r["text"], r["is_complaint"], SOURCES[7], scored=False))
    rows.extend(intent_rows())
    for name in TURN_LABELLED:
        for channel in ("chat", "call"):
            rows.extend(turn_labelled_rows(name, channel))
    return rows


def turn_labelled_rows(name: str, channel: str) -> list[Row]:
    """Every non-empty customer turn of `eval/<name>/<channel>/`; a complaint when its gold lists it."""
    folder = ROOT / "eval" / name / channel
    gold = {g["conversation_id"]: g for g in map(json.loads, (folder / "gold.jsonl").open(encoding="utf-8"))}
    rows = []
    for conv in map(json.loads, (folder / "conversations.jsonl").open(encoding="utf-8")):
        complaints = set(gold[conv["conversation_id"]]["complaint_turns"])
        for i, turn in enumerate(conv["turns"]):
            if turn["role"] == "customer" and turn["text"].strip():
                rows.append(Row(conv["conversation_id"], turn["text"], i in complaints, f"eval/{name}/{channel}"))
    return rows


def intent_rows() -> list[Row]:
    """Return the labelled JDDC intent queries; identical queries (normalised, no white space) share a group."""
    rows = []
    for line in (ROOT / SOURCES[8]).open(encoding="utf-8"):
        r = json.loads(line)
        group = "intent:" + re.sub(r"\s+", "", normalize(r["text"]).text)
        rows.append(Row(group, r["text"], r["is_complaint"], SOURCES[8], scored=False))
    return rows


def blind2_turns(channel: str) -> Iterator[tuple[dict, int, bool]]:
    """Yield (conversation, turn index, is complaint) for the labelled customer turns of `eval/blind2/<channel>/`.

    Labelled = every non-empty customer turn up to the conversation's first complaint turn.
    """
    folder = ROOT / "eval" / "blind2" / channel
    gold = {g["conversation_id"]: g for g in map(json.loads, (folder / "gold.jsonl").open(encoding="utf-8"))}
    for conv in map(json.loads, (folder / "conversations.jsonl").open(encoding="utf-8")):
        g = gold[conv["conversation_id"]]
        first = g["first_complaint_turn"] if g["is_complaint"] else None
        for i, turn in enumerate(conv["turns"]):
            if first is not None and i > first:
                break
            if turn["role"] == "customer" and turn["text"].strip():
                yield conv, i, i == first


def blind2_rows(channel: str) -> list[Row]:
    """Return the labelled customer turns of `eval/blind2/<channel>/` (up to the first complaint turn)."""
    return [
        Row(conv["conversation_id"], conv["turns"][i]["text"], yes, f"eval/blind2/{channel}")
        for conv, i, yes in blind2_turns(channel)
    ]


PARTS = {
    "jddc-sessions": ("eval/complaint_turns.jsonl", "eval/complaint_train_turns.jsonl"),
    "blind2": ("eval/blind2/chat", "eval/blind2/call"),
    "intents": ("eval/complaint_intents_turns.jsonl",),
    "blind4-11": tuple(f"eval/{b}/{c}" for b in TURN_LABELLED for c in ("chat", "call")),
}


def breakdown(rows: list[Row], prepared: list, probs: np.ndarray, threshold: float, rule: str) -> dict[str, dict]:
    """Return the cross-validated numbers of the chosen settings per part of the training rows (scored or not)."""
    out = {}
    for part, sources in PARTS.items():
        idx = [i for i, r in enumerate(rows) if r.source in sources]
        gold = [rows[i].label for i in idx]
        strong = np.array([prepared[i].strong for i in idx])
        pred = decide(probs[idx], strong, threshold, rule)
        out[part] = {
            "n": len(idx),
            "average_precision": average_precision(gold, probs[idx]),
            "cues": score(strong.tolist(), gold),
            "decision": score(pred.tolist(), gold),
        }
    return out


def main() -> None:
    """Select by grouped cross-validation, fit on every training row and write the model folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / MODEL_NAME)
    parser.add_argument("--table", action="store_true", help="print every cross-validated candidate")
    args = parser.parse_args()
    rows = training_rows()
    params, chosen, table = select(rows, rules=("cues-or-model",))
    if args.table:
        for r in sorted(table, key=lambda r: (r["recall"], r["precision"])):
            print(json.dumps(r))
    prepared = [prepare(r.text) for r in rows]
    by_part = breakdown(rows, prepared, out_of_fold(rows, prepared, params), chosen["threshold"], chosen["rule"])
    model = fit(prepared, [r.label for r in rows], params)
    model = dataclasses.replace(model, threshold=chosen["threshold"], rule=chosen["rule"])
    meta = {
        "classifier": "LogisticRegression(liblinear, class_weight=balanced)",
        "params": params.to_json(),
        "training": {
            "sources": {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest() for name in SOURCES},
            "rows": len(rows),
            "complaints": sum(r.label for r in rows),
            "conversations": len({r.group for r in rows}),
        },
        "cross_validation": {
            "folds": 5,
            "grouped_by": "conversation",
            "repeats": REPEATS,
            "chosen": chosen,
            "candidates": len(table),
            "by_part": by_part,
        },
    }
    save(model, args.out, meta)
    print(f"{args.out}: {json.dumps(chosen)}")
    for part, numbers in by_part.items():
        print(f"  {part}: {json.dumps(numbers)}")


if __name__ == "__main__":
    main()
