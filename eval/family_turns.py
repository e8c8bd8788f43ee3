"""Per agent turn: what the banned-language rules find on a blind set, against its gold labels.

Run from the repository root: `python eval/family_turns.py eval/blind7 [--rules DIR]`. It audits each
channel's conversations with `qa-audit audit` (flags included) and prints, for dont.harsh,
dont.blame_shift and dont.blame_customer, the turns found by the rule's phrases and regexes, the turns
its `learned` leaf added (found by the model and by nothing else of the rule), and both: how many,
upheld by the rule's own gold label and by any label of the family, and the rule's turn recall. Then
the family as a whole, and the turns `dont.improper_language` adds to the other rules of the family.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from train_agent_language import FAMILY  # eval/: the family's rule ids, as the turn models learn them

RULES = FAMILY[:3]
FAMILY_RULES = (*FAMILY, "dont.deflect_referral")
LEARNED_FLAG = "dont.improper_language"
Turn = tuple[str, int]  # (conversation id, turn index)


def audit(conversations: Path, rules: Path | None) -> list[dict]:
    """The findings of a `qa-audit audit` run over one file (flags included)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "qa_audit", "audit", str(conversations), "-o", out, "-q", "--workers", "1"]
        cmd += ["--rules", str(rules)] if rules else []
        subprocess.run(cmd, check=False, capture_output=True)
        lines = (Path(out) / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def gold_turns(gold: Path) -> dict[str, set[Turn]]:
    """Rule id -> the (conversation, turn) pairs its gold label lists as failing."""
    out: dict[str, set[Turn]] = {k: set() for k in FAMILY}
    for g in map(json.loads, gold.read_text(encoding="utf-8").splitlines()):
        for k in FAMILY:
            label = g["labels"].get(k, {})
            if label.get("status") == "fail":
                out[k] |= {(g["conversation_id"], t) for t in label["turns"]}
    return out


def row(name: str, found: set[Turn], own: set[Turn], family: set[Turn]) -> str:
    """One table row: found, upheld by the rule, upheld by the family, precisions, recall of the rule."""
    n, up, upf = len(found), len(found & own), len(found & family)
    p = f"{up / n:.2f}" if n else "-"
    pf = f"{upf / n:.2f}" if n else "-"
    return f"| {name} | {n} | {up} | {p} | {upf} | {pf} | {up / len(own):.2f} |" if own else f"| {name} | {n} | - |"


def main() -> None:
    """Audit both channels of a blind set and print the tables (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blind", type=Path, help="a blind set folder with chat/ and call/")
    parser.add_argument("--rules", type=Path, help="a rule directory (default: the shipped pack)")
    args = parser.parse_args()
    found: dict[str, set[Turn]] = {}
    by_leaf: dict[str, set[Turn]] = {}
    by_phrase: set[Turn] = set()  # turns a family rule found with a phrase or regex
    gold: dict[str, set[Turn]] = {k: set() for k in FAMILY}
    for channel in ("chat", "call"):
        folder = args.blind / channel
        for k, turns in gold_turns(folder / "gold.jsonl").items():
            gold[k] |= turns
        for f in audit(folder / "conversations.jsonl", args.rules):
            turn = (f["conversation_id"], f["turn_index"])
            found.setdefault(f["rule_id"], set()).add(turn)
            if (f.get("evidence") or {}).get("operator") == "learned":
                by_leaf.setdefault(f["rule_id"], set()).add(turn)
            elif f["rule_id"] in FAMILY_RULES:
                by_phrase.add(turn)
    family = set().union(*gold.values())
    print("| rule: turns found by | found | upheld (rule) | precision | upheld (family) | precision | recall (rule) |")
    print("|---|---|---|---|---|---|---|")
    for rule in RULES:
        everything, leaf = found.get(rule, set()), by_leaf.get(rule, set())
        print(row(f"{rule}: phrases", everything - leaf, gold[rule], family))
        print(row(f"{rule}: learned leaf (added)", leaf, gold[rule], family))
        print(row(f"{rule}: both", everything, gold[rule], family))
    others = set().union(*(found.get(r, set()) for r in FAMILY_RULES))
    flag = found.get(LEARNED_FLAG, set())
    print(row("family: phrases of every rule", by_phrase, family, family))
    print(row("family: every rule (with the leaves)", others, family, family))
    print(row(f"family: {LEARNED_FLAG} added to them", flag - others, family, family))
    print(row("family: all of it", others | flag, family, family))
    print(f"\n{len(family)} turns labelled with the family, {len({c for c, _ in family})} conversations")


if __name__ == "__main__":
    main()
