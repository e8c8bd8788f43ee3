"""Precision of the deducting rules on text no rule was tuned on (issue 12; method in eval/precision/PLAN.md).

Run from the repository root:

    python eval/precision.py split -o /tmp/prec          # write tune/measure inputs of pools R and G
    qa-audit audit /tmp/prec/measure.jsonl -o /tmp/prec/measure_out
    python eval/precision.py sample /tmp/prec/measure_out/findings.jsonl   # the findings to judge
    python eval/precision.py table                        # the table, recomputed from verdicts.jsonl

Round 2 (PLAN.md, amendment 2): pool J, the 404 sessions behind eval/complaint_turns.jsonl:

    python eval/precision.py split-j -o /tmp/precj        # j_read.jsonl, j_measure.jsonl
    qa-audit audit /tmp/precj/j_measure.jsonl -o /tmp/precj/measure_out
    python eval/precision.py sample /tmp/precj/measure_out/findings.jsonl --pool J --skip-judged

The sample is deterministic: per deducting rule, the findings ordered by sha256(finding_id), first 12.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the copies in data/ (the recorded rounds read the development copy, whose replies file also held 25 exact
# repeated lines and one 10-digit number since masked: the same conversation ids, so the same halves and samples)
DATA = ROOT / "data"
REPLIES = DATA / "jddc_agent_replies" / "replies.jsonl"
SESSIONS = DATA / "jddc_dialogues" / "sessions.jsonl"
GOLD = ROOT / "eval" / "jddc_gold.jsonl"
COMPLAINT_TURNS = ROOT / "eval" / "complaint_turns.jsonl"
VERDICTS = ROOT / "eval" / "precision" / "verdicts.jsonl"
PER_RULE = 12
SMALL = 5  # fewer verdicts than this: the count is shown, no precision is claimed


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def gold_test_ids() -> set[str]:
    """Conversation ids of the gold `test` split (the untouched JDDC sessions)."""
    with GOLD.open(encoding="utf-8") as f:
        return {g["conversation_id"] for g in map(json.loads, f) if g["split"] == "test"}


def half(conversation_id: str, test_ids: set[str]) -> str:
    """'measure' or 'tune' for a conversation of pool R (replies) or G (sessions)."""
    if conversation_id.startswith("jddcr-"):
        return "measure" if _h(conversation_id) % 2 else "tune"
    return "measure" if conversation_id in test_ids else "tune"


def j_halves() -> dict[str, str]:
    """Pool J: conversation id -> 'read' (complaint_turns `tune`) or 'measure' (its `test`)."""
    with COMPLAINT_TURNS.open(encoding="utf-8") as f:
        return {t["conversation_id"]: "read" if t["split"] == "tune" else "measure" for t in map(json.loads, f)}


def cmd_split_j(out: Path) -> None:
    """Write j_read.jsonl and j_measure.jsonl (pool J) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    halves = j_halves()
    counts: dict[str, int] = defaultdict(int)
    files = {h: (out / f"j_{h}.jsonl").open("w", encoding="utf-8") for h in ("read", "measure")}
    with SESSIONS.open(encoding="utf-8") as f:
        for line in f:
            h = halves.get(json.loads(line)["conversation_id"])
            if h:
                files[h].write(line)
                counts[h] += 1
    for fh in files.values():
        fh.close()
    print(json.dumps(counts))


def cmd_split(out: Path) -> None:
    """Write tune.jsonl and measure.jsonl (pools R and G) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    test_ids = gold_test_ids()
    files = {h: (out / f"{h}.jsonl").open("w", encoding="utf-8") for h in ("tune", "measure")}
    counts: dict[str, int] = defaultdict(int)
    for src in (REPLIES, SESSIONS):
        with src.open(encoding="utf-8") as f:
            for line in f:
                h = half(json.loads(line)["conversation_id"], test_ids)
                files[h].write(line)
                counts[f"{src.parent.name}/{h}"] += 1
    for fh in files.values():
        fh.close()
    print(json.dumps(counts, ensure_ascii=False))


def _texts() -> dict[str, list[str]]:
    texts = {}
    for src in (REPLIES, SESSIONS):
        with src.open(encoding="utf-8") as f:
            for conv in map(json.loads, f):
                texts[conv["conversation_id"]] = [t["text"] for t in conv["turns"]]
    return texts


def excerpt(text: str, span: list[int] | None, width: int = 80) -> str:
    """At most `width` characters of a turn, centred on the finding's span."""
    if len(text) <= width:
        return text
    mid = (span[0] + span[1]) // 2 if span else 0
    start = max(0, min(len(text) - width, mid - width // 2))
    return text[start : start + width]


def sample(
    findings: list[dict], per_rule: int = PER_RULE, skip: frozenset[str] = frozenset(), review: bool = False
) -> dict[str, list[dict]]:
    """Per rule, the deducting findings ordered by sha256(finding_id), first `per_rule`.

    `skip` holds finding ids already judged; `review` also takes review-tier findings (a rule that
    would deduct again if promoted is measured on what it would deduct).
    """
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        if (review or f.get("tier", "deduct") == "deduct") and f["finding_id"] not in skip:
            by_rule[f["rule_id"]].append(f)
    return {
        r: sorted(fs, key=lambda f: hashlib.sha256(f["finding_id"].encode()).hexdigest())[:per_rule]
        for r, fs in sorted(by_rule.items())
    }


def _judged() -> frozenset[str]:
    with VERDICTS.open(encoding="utf-8") as f:
        return frozenset(json.loads(line)["finding_id"] for line in f if line.strip())


def cmd_sample(findings_file: Path, per_rule: int, pool: str, skip_judged: bool, review: bool) -> None:
    """Print the sampled findings (one JSON line each) with the excerpt a judge reads."""
    test_ids = gold_test_ids()
    j = j_halves()
    with findings_file.open(encoding="utf-8") as f:
        findings = list(map(json.loads, f))
    if pool == "J":
        findings = [x for x in findings if j.get(x["conversation_id"]) == "measure"]
    else:
        findings = [x for x in findings if half(x["conversation_id"], test_ids) == "measure"]
    # a one-turn reply (pool R) has no conversation: only per-turn language rules (forbid) are judged there
    findings = [
        x
        for x in findings
        if x["evidence"].get("kind") in ("forbid", "learned") or not x["conversation_id"].startswith("jddcr-")
    ]
    texts = _texts()
    skip = _judged() if skip_judged else frozenset()
    for rule_id, picked in sample(findings, per_rule, skip, review).items():
        for f in picked:
            turns = texts[f["conversation_id"]]
            i = f["turn_index"]
            row = {
                "finding_id": f["finding_id"],
                "rule_id": rule_id,
                "conversation_id": f["conversation_id"],
                "pool": pool if pool == "J" else "R" if f["conversation_id"].startswith("jddcr-") else "G",
                "tier": f.get("tier", "deduct"),
                "turn_index": i,
                "excerpt": excerpt(turns[i], f.get("span")) if i is not None else "",
                "match": f.get("match", ""),
            }
            print(json.dumps(row, ensure_ascii=False))


def table(verdicts: list[dict]) -> list[tuple[str, str, int, int, float]]:
    """Rows (rule, data set, sampled, upheld, precision) from the verdict records, one per rule and set.

    The set is `set` when given (round 2), else the round-1 pool (`R` or `G`).
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for v in verdicts:
        if v["verdict"] not in ("upheld", "rejected"):
            raise ValueError(f"{v['finding_id']}: verdict must be upheld or rejected, not {v['verdict']!r}")
        key = (v["rule_id"], v.get("set") or f"{v['pool']}-measure")
        counts[key][0] += 1
        counts[key][1] += v["verdict"] == "upheld"
    return [(r, d, n, up, round(up / n, 2)) for (r, d), (n, up) in sorted(counts.items())]


def cmd_table(path: Path) -> None:
    """Print the markdown table of the README from the verdicts file."""
    with path.open(encoding="utf-8") as f:
        verdicts = [json.loads(line) for line in f if line.strip()]
    from qa_audit.rules import load_ruleset  # the tier in force now, from the packaged rules

    infos = load_ruleset(ROOT / "rules").infos()
    tiers = {
        r: i.tier
        if i.tier == "review" or set(i.review_operators) <= {"similar"}
        else f"deduct ({', '.join(i.review_operators)}: review)"
        for r, i in infos.items()
    }
    print("| rule | sampled | upheld | precision | tier | data |")
    print("|---|---|---|---|---|---|")
    for rule, data, n, up, p in table(verdicts):
        shown = f"{p:.2f}" if n >= SMALL else f"({up}/{n}: n too small)"
        print(f"| `{rule}` | {n} | {up} | {shown} | {tiers[rule]} | {data} |")


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("split")
    sp.add_argument("-o", "--out", type=Path, required=True)
    ss = sub.add_parser("sample")
    ss.add_argument("findings", type=Path)
    ss.add_argument("--per-rule", type=int, default=PER_RULE)
    ss.add_argument("--pool", choices=["RG", "J"], default="RG")
    ss.add_argument("--skip-judged", action="store_true", help="leave out finding ids already in verdicts.jsonl")
    ss.add_argument("--review", action="store_true", help="also sample review-tier findings")
    sj = sub.add_parser("split-j")
    sj.add_argument("-o", "--out", type=Path, required=True)
    st = sub.add_parser("table")
    st.add_argument("verdicts", type=Path, nargs="?", default=VERDICTS)
    args = ap.parse_args()
    if args.cmd == "split":
        cmd_split(args.out)
    elif args.cmd == "split-j":
        cmd_split_j(args.out)
    elif args.cmd == "sample":
        cmd_sample(args.findings, args.per_rule, args.pool, args.skip_judged, args.review)
    else:
        cmd_table(args.verdicts)


if __name__ == "__main__":
    main()
