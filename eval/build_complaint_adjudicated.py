"""Build `eval/complaint_turns_adjudicated.jsonl`: one label per test turn, with disagreements adjudicated.

Run from anywhere: `python eval/build_complaint_adjudicated.py [--check]`. Inputs, all under `eval/`:
- `complaint_turns.jsonl` (first annotator; only rows with split "test" are used);
- `complaint_turns_second.jsonl` (second annotator, same conversation_id + turn keys);
- `complaint_turns_adjudication.jsonl` (third reader: conversation_id, turn, kind, is_complaint, code,
  reason; kind "disagreement" settles a turn where the two annotators differ, kind "spot_check" is a
  blind re-label of a turn they agree on, reported but never applied).
Where the two annotators agree, the output keeps the first annotator's code and reason
(source "agreed"); where they differ, the third reader's decision (source "adjudicated").
Any inconsistency (different key sets, a disagreement without exactly one decision, a decision for an
agreed turn, a code that contradicts is_complaint) stops the build. `--check` writes nothing and exits
1 when the committed output differs from what the inputs give. Reads nothing outside `eval/`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

EVAL = Path(__file__).resolve().parent
FIRST = EVAL / "complaint_turns.jsonl"
SECOND = EVAL / "complaint_turns_second.jsonl"
DECISIONS = EVAL / "complaint_turns_adjudication.jsonl"
OUT = EVAL / "complaint_turns_adjudicated.jsonl"
POSITIVE = frozenset({"EXP", "NEG", "ANG", "REP", "BRK", "RHE", "CMP", "BLM"})
NEGATIVE = frozenset({"N", "Q", "R", "P", "U", "T", "D", "F", "X"})
KINDS = frozenset({"disagreement", "spot_check"})

Key = tuple[str, int]


@dataclass(frozen=True)
class Label:
    """One reader's label of one customer turn."""

    is_complaint: bool
    code: str
    reason: str


@dataclass(frozen=True)
class Result:
    """What a build gives: the output lines, the problems found, and the counts to report."""

    lines: list[dict[str, object]]
    problems: list[str]
    counts: dict[str, object]


def _label(row: dict[str, object], where: str, problems: list[str]) -> Label:
    """Return the label of one row, adding a problem when its code contradicts is_complaint."""
    flag, code = row.get("is_complaint"), str(row.get("code"))
    if not isinstance(flag, bool):
        problems.append(f"{where}: is_complaint {flag!r}")
        flag = False
    if code not in (POSITIVE if flag else NEGATIVE):
        problems.append(f"{where}: code {code!r} with is_complaint {flag}")
    return Label(flag, code, str(row.get("reason") or "").strip())


def read_labels(path: Path, split: str | None, problems: list[str]) -> dict[Key, Label]:
    """Return key -> label of one annotator's file (only rows of `split` when given)."""
    out: dict[Key, Label] = {}
    for n, line in enumerate(path.open(encoding="utf-8"), start=1):
        row = json.loads(line)
        if split is not None and row.get("split") != split:
            continue
        key = (str(row["conversation_id"]), int(row["turn"]))
        if key in out:
            problems.append(f"{path.name}:{n}: {key} labelled twice")
        out[key] = _label(row, f"{path.name}:{n}", problems)
    return out


def read_decisions(path: Path, problems: list[str]) -> dict[str, dict[Key, Label]]:
    """Return kind -> key -> the third reader's label."""
    out: dict[str, dict[Key, Label]] = {k: {} for k in KINDS}
    for n, line in enumerate(path.open(encoding="utf-8"), start=1):
        row = json.loads(line)
        key, kind = (str(row["conversation_id"]), int(row["turn"])), row.get("kind")
        if kind not in KINDS:
            problems.append(f"{path.name}:{n}: kind {kind!r}")
            continue
        if key in out[kind]:
            problems.append(f"{path.name}:{n}: {key} decided twice")
        out[kind][key] = _label(row, f"{path.name}:{n}", problems)
    return out


def build(first: Path = FIRST, second: Path = SECOND, decisions: Path = DECISIONS) -> Result:
    """Return the adjudicated lines (in the first file's order), problems and counts."""
    problems: list[str] = []
    a = read_labels(first, "test", problems)
    b = read_labels(second, None, problems)
    d = read_decisions(decisions, problems)
    if set(a) != set(b):
        problems.append(f"key sets differ: {len(set(a) - set(b))} only first, {len(set(b) - set(a))} only second")
    differ = {k for k in a if k in b and a[k].is_complaint != b[k].is_complaint}
    adj, spot = d["disagreement"], d["spot_check"]
    problems += [f"disagreement {k} has no decision" for k in sorted(differ - set(adj))]
    problems += [f"decision {k} is not a disagreement" for k in sorted(set(adj) - differ)]
    problems += [f"spot check {k} is not an agreed test turn" for k in sorted(set(spot) - (set(a) - differ))]
    lines: list[dict[str, object]] = []
    for key, first_label in a.items():
        label, source = (adj[key], "adjudicated") if key in differ and key in adj else (first_label, "agreed")
        lines.append(
            {
                "conversation_id": key[0],
                "turn": key[1],
                "split": "test",
                "is_complaint": label.is_complaint,
                "code": label.code,
                "reason": label.reason,
                "source": source,
            }
        )
    sided = {"first": 0, "second": 0}
    for k in differ & set(adj):
        sided["first" if adj[k].is_complaint == a[k].is_complaint else "second"] += 1
    changed = {
        group: sorted(
            f"{k[0]}#{k[1]}"
            for k, lab in spot.items()
            if k in a and a[k].is_complaint == want and lab.is_complaint != want
        )
        for group, want in (("both_complaint", True), ("both_not", False))
    }
    counts: dict[str, object] = {
        "turns": len(lines),
        "complaints": sum(bool(x["is_complaint"]) for x in lines),
        "disagreements": len(differ),
        "adjudicated_complaint": sum(adj[k].is_complaint for k in differ & set(adj)),
        "sided_with": sided,
        "spot_checked": {
            g: sum(a[k].is_complaint == w for k in spot if k in a)
            for g, w in (("both_complaint", True), ("both_not", False))
        },
        "spot_check_changed": changed,
    }
    return Result(lines, problems, counts)


def render(lines: list[dict[str, object]]) -> str:
    """Return the jsonl text of the output lines."""
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)


def main() -> None:
    """Check the inputs; write the output, or with --check compare it with the committed file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if the output is stale")
    args = parser.parse_args()
    result = build()
    for p in result.problems:
        print("problem:", p)
    print(json.dumps(result.counts, ensure_ascii=False, indent=1))
    if result.problems:
        sys.exit(1)
    text = render(result.lines)
    if args.check:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT.name}: {'stale' if stale else 'up to date'}")
        sys.exit(1 if stale else 0)
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT}: {len(result.lines)} lines")


if __name__ == "__main__":
    main()
