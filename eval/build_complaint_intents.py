"""Build `eval/complaint_intents_turns.jsonl` from the JDDC intent queries and the annotators' labels.

Run from the repository root once the four label chunks are finished:
`python eval/build_complaint_intents.py LABELS_DIR [--check]`. Inputs:
- queries: `data/jddc_intents/{dev,test}.tsv` (JDDC, JD AI, Apache License 2.0, as split and
  intent-labelled in the DialogueCSE release; columns id, query, intent);
- labels: `LABELS_DIR/intents-{1..4}.tsv` (columns file, id, is_complaint, code, reason; chunk 1 = dev,
  chunks 2-4 = test), each finished when `intents-K.done` exists.
Every label file is checked (every id of its range exactly once, codes of the rubric in
`eval/COMPLAINT_TURNS.md`, the code agreeing with is_complaint); any problem stops the build. Queries
whose text (normalised, white space removed) equals a customer turn of any JDDC session in
`data/jddc_dialogues/sessions.jsonl` are left out: those sessions hold the held-out test turns.
The output keeps the query as published (no masks were applied by the publisher; no phone numbers or
e-mail addresses occur) with the publisher's intent, the label, the code, the reason and the chunk.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from qa_audit.normalize import normalize  # noqa: E402

DATA = ROOT / "data"
OUT = ROOT / "eval" / "complaint_intents_turns.jsonl"
POSITIVE = frozenset({"EXP", "NEG", "ANG", "REP", "BRK", "RHE", "CMP", "BLM"})
NEGATIVE = frozenset({"N", "Q", "R", "P", "U", "T", "D", "F", "X"})
COLUMNS = ["file", "id", "is_complaint", "code", "reason"]
_PERSONAL = re.compile(r"1[3-9]\d{9}|[\w.]+@[\w-]+\.\w+|\d{15,18}")


def key_text(text: str) -> str:
    """Return the text used to match duplicates: normalised, without white space."""
    return re.sub(r"\s+", "", normalize(text).text)


def queries() -> dict[tuple[str, int], tuple[str, str]]:
    """Return (file, id) -> (query, intent) of both JDDC intent files."""
    out = {}
    for name in ("dev", "test"):
        for line in (DATA / "jddc_intents" / f"{name}.tsv").open(encoding="utf-8"):
            qid, query, intent = line.rstrip("\n").split("\t")
            out[name, int(qid)] = (query, intent)
    return out


def chunk_ids(chunk: int, q: dict[tuple[str, int], tuple[str, str]]) -> list[tuple[str, int]]:
    """Return the (file, id) pairs chunk K must label: 1 = dev, 2-4 = test ids 0-2299, 2300-4599, 4600-."""
    if chunk == 1:
        return sorted(k for k in q if k[0] == "dev")
    lo, hi = {2: (0, 2300), 3: (2300, 4600), 4: (4600, 10**9)}[chunk]
    return sorted(k for k in q if k[0] == "test" and lo <= k[1] < hi)


def check(path: Path, expected: list[tuple[str, int]]) -> tuple[list[dict[str, str]], list[str]]:
    """Return the rows of one label file and its problems (empty when the file is sound)."""
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if reader.fieldnames != COLUMNS:
            return [], [f"{path.name}: columns {reader.fieldnames}, expected {COLUMNS}"]
        rows = list(reader)
    seen: dict[tuple[str, int], int] = {}
    for n, r in enumerate(rows, start=2):
        try:
            key = (r["file"], int(r["id"]))
        except (TypeError, ValueError):
            problems.append(f"{path.name}:{n}: bad id {r['id']!r}")
            continue
        seen[key] = seen.get(key, 0) + 1
        label, code = r["is_complaint"], r["code"]
        if label not in ("0", "1"):
            problems.append(f"{path.name}:{n}: is_complaint {label!r}")
        elif code not in (POSITIVE if label == "1" else NEGATIVE):
            problems.append(f"{path.name}:{n}: code {code!r} with is_complaint {label}")
        if code not in ("N",) and not (r["reason"] or "").strip():
            problems.append(f"{path.name}:{n}: code {code} without a reason")
    want = set(expected)
    problems += [f"{path.name}: {k} labelled {c} times" for k, c in sorted(seen.items()) if c > 1]
    problems += [f"{path.name}: {k} not in this chunk" for k in sorted(set(seen) - want)]
    missing = sorted(want - set(seen))
    if missing:
        problems.append(f"{path.name}: {len(missing)} ids missing, first {missing[:3]}")
    return rows, problems


def session_turns() -> set[str]:
    """Return the key texts of every customer turn of the JDDC sessions."""
    out = set()
    for line in (DATA / "jddc_dialogues" / "sessions.jsonl").open(encoding="utf-8"):
        for t in json.loads(line)["turns"]:
            if t["role"] == "customer":
                out.add(key_text(t["text"]))
    return out


def build(labels_dir: Path) -> tuple[list[dict[str, object]], list[str], dict[str, int]]:
    """Return the output lines, the problems found, and counts (rows, left out)."""
    q = queries()
    problems: list[str] = []
    labelled: list[tuple[int, dict[str, str]]] = []
    for chunk in (1, 2, 3, 4):
        path = labels_dir / f"intents-{chunk}.tsv"
        if not (labels_dir / f"intents-{chunk}.done").exists():
            problems.append(f"{path.name}: not finished (no intents-{chunk}.done)")
        rows, found = check(path, chunk_ids(chunk, q))
        problems += found
        labelled += [(chunk, r) for r in rows]
    sessions = session_turns()
    out: list[dict[str, object]] = []
    left_out = 0
    for chunk, r in sorted(labelled, key=lambda cr: (cr[1]["file"], int(cr[1]["id"]))):
        query, intent = q[r["file"], int(r["id"])]
        if key_text(query) in sessions:
            left_out += 1
            continue
        if _PERSONAL.search(query):
            problems.append(f"{r['file']} {r['id']}: looks like personal data")
        out.append(
            {
                "conversation_id": f"jddc-intent-{r['file']}-{int(r['id'])}",
                "turn": 0,
                "split": "train",
                "is_complaint": r["is_complaint"] == "1",
                "code": r["code"],
                "reason": (r["reason"] or "").strip(),
                "text": query,
                "intent": intent,
                "chunk": chunk,
            }
        )
    return out, problems, {"rows": len(out), "left_out_session_turns": left_out}


def main() -> None:
    """Check the label files; unless --check, write the jsonl file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels_dir", type=Path)
    parser.add_argument("--check", action="store_true", help="only check the label files")
    args = parser.parse_args()
    out, problems, counts = build(args.labels_dir)
    for p in problems:
        print("problem:", p)
    print(json.dumps(counts))
    if problems or args.check:
        sys.exit(1 if problems else 0)
    with OUT.open("w", encoding="utf-8") as fh:
        for line in out:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(out)} lines, {sum(bool(x['is_complaint']) for x in out)} complaints")


if __name__ == "__main__":
    main()
