"""The baselines the audit is compared with, each run as its own process by bench_audit.py.

    python bench/baselines.py floor CORPUS_DIR          # read + segment with jieba, nothing else
    python bench/baselines.py naive CORPUS_DIR RULES N  # pandas str.contains per rule per conversation
    python bench/baselines.py engine CORPUS_DIR RULES N # the audit's rule engine on the same conversations

`floor`: the project's reader (JSON, canonical Conversations) and jieba (HMM off, as the audit uses it)
over every turn: the least any audit built on jieba must spend. `naive`: what a QA analyst would
write without this tool: for each conversation a DataFrame of its turns, for each rule one
`str.contains` with the rule's phrases as a regex alternation. `engine`: qa-audit's rule engine (every
rule of the pack, all kinds) on the same conversations, timed like `naive` after loading: the like-for-like
comparison (no classifier, no workbook). Prints a JSON line with seconds.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path


def floor(corpus: Path) -> dict:
    """Read and segment every turn of the corpus; return counts and seconds (after imports)."""
    import logging

    import jieba

    from qa_audit.model import Conversation
    from qa_audit.readers import read_inputs

    t0 = time.perf_counter()
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    n = tokens = 0
    for conv in read_inputs([corpus]):
        if isinstance(conv, Conversation):
            n += 1
            for t in conv.turns:
                tokens += sum(1 for _ in tok.tokenize(t.text, HMM=False))
    return {"conversations": n, "tokens": tokens, "seconds": time.perf_counter() - t0}


def rule_phrases(rules_dir: Path) -> list[list[str]]:
    """The phrase lists of every rule of a pack (`any`/`all`/`words` leaves), one list per rule."""
    from qa_audit.rules import load_ruleset

    out = []
    for rule in load_ruleset(rules_dir).rules:
        phrases = [p for c in rule.conditions() for leaf in c.leaves() for p in getattr(leaf, "phrases", ()) or ()]
        if phrases:
            out.append(sorted(set(phrases)))
    return out


def naive(corpus: Path, rules_dir: Path, limit: int) -> dict:
    """pandas str.contains per rule per conversation over the first `limit` conversations."""
    import pandas as pd

    rules = [re.compile("|".join(re.escape(p) for p in phrases)) for phrases in rule_phrases(rules_dir)]
    convs = []
    for path in sorted(corpus.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                convs.append(json.loads(line))
                if len(convs) >= limit:
                    break
        if len(convs) >= limit:
            break
    t0 = time.perf_counter()
    hits = 0
    for conv in convs:
        df = pd.DataFrame(conv["turns"])
        agent = df[df["role"] == "agent"]["text"]
        for rx in rules:
            hits += bool(agent.str.contains(rx).any())
    return {"conversations": len(convs), "rules": len(rules), "hits": hits, "seconds": time.perf_counter() - t0}


def engine(corpus: Path, rules_dir: Path, limit: int) -> dict:
    """The rule engine over the first `limit` conversations (after loading the pack and reading)."""
    from qa_audit.model import Conversation
    from qa_audit.readers import read_inputs
    from qa_audit.rules import Engine, load_ruleset

    ruleset = load_ruleset(rules_dir)
    eng = Engine(ruleset)
    convs = []
    for conv in read_inputs([corpus]):
        if isinstance(conv, Conversation):
            convs.append(conv)
            if len(convs) >= limit:
                break
    t0 = time.perf_counter()
    findings = sum(len(eng.audit(conv).findings) for conv in convs)
    return {
        "conversations": len(convs),
        "rules": len(ruleset.rules),
        "findings": findings,
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    """Command line (see the module docstring)."""
    what = sys.argv[1]
    if what == "floor":
        print(json.dumps(floor(Path(sys.argv[2]))))
    elif what == "naive":
        print(json.dumps(naive(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    elif what == "engine":
        print(json.dumps(engine(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
