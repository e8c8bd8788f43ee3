"""What recording a run in the results store (--store) adds to an audit.

    python bench/bench_store.py              # 500 and 1,000 conversations, about 2 minutes on 2 busy cores
    python bench/bench_store.py --n 200      # quicker

Two measurements on conversations whose texts never repeat (bench/corpus.py --unique):

1. end to end: `qa-audit audit` without and with `--store` (SQLite), default workers, the two runs
   alternated; ratio of wall times. On a shared machine this ratio is noisy (±10 %).
2. in process, the store's own cost: audit N conversations on one core, then record the same results
   with StoreWriter into a new SQLite store, then again into that store (every id replaced, as when a
   night is re-run). Ratio store time / audit time, at N and 2N: the per-conversation store cost
   stays flat when N doubles (batched inserts, B-tree indexes), so the ratio at 100k is the ratio here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import write_corpus  # noqa: E402


def end_to_end(corpus: Path, tmp: Path) -> tuple[float, float]:
    """Wall seconds of `qa-audit audit` without and with --store (alternated, best of two each)."""
    plain, stored = [], []
    for k in range(2):
        for times, extra in ((plain, []), (stored, ["--store", str(tmp / f"e2e{k}.db")])):
            cmd = [sys.executable, "-m", "qa_audit", "audit", str(corpus), "-o", str(tmp / f"o{k}"), "-q", *extra]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            times.append(time.perf_counter() - t0)
    return min(plain), min(stored)


def in_process(corpus: Path, db: Path) -> dict[str, float]:
    """Seconds to audit the corpus on one core, to store the results, and to store them again (replacing)."""
    from qa_audit.classify import ComplaintTagger
    from qa_audit.model import Conversation
    from qa_audit.paths import default_model_dir, default_rules_dir
    from qa_audit.pipeline import Auditor
    from qa_audit.readers import read_inputs
    from qa_audit.rules import load_ruleset
    from qa_audit.store.writer import StoreWriter

    ruleset = load_ruleset(default_rules_dir())
    auditor = Auditor(ruleset, ComplaintTagger.load(default_model_dir()))
    convs = [c for c in read_inputs([str(corpus)]) if isinstance(c, Conversation)]
    t0 = time.perf_counter()
    results = [auditor.audit(c) for c in convs]
    audit_s = time.perf_counter() - t0
    out = {"n": len(results), "audit": audit_s}
    for label in ("store", "replace"):
        t0 = time.perf_counter()
        writer = StoreWriter(str(db), ruleset, inputs=[str(corpus)])
        for r in results:
            writer.add(r)
        writer.commit({"read": len(results), "audited": len(results)})
        out[label] = time.perf_counter() - t0
    out["bytes"] = db.stat().st_size
    return out


def main() -> None:
    """Print both measurements."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="conversations (the in-process figure is also taken at 2N)")
    ap.add_argument("--no-end-to-end", action="store_true", help="only the in-process measurement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for n in (args.n, 2 * args.n):
            write_corpus(n, tmp / f"c{n}", unique=True)
        if not args.no_end_to_end:
            plain, stored = end_to_end(tmp / f"c{args.n}", tmp)
            print(
                f"end to end, {args.n:,} conversations: audit {plain:.1f} s, audit --store {stored:.1f} s, "
                f"ratio {stored / plain:.2f}",
                flush=True,
            )
        for n in (args.n, 2 * args.n):
            m = in_process(tmp / f"c{n}", tmp / f"s{n}.db")
            print(
                f"in process, {m['n']:,} conversations: audit (1 core) {m['audit']:.1f} s; store {m['store']:.2f} s "
                f"= {m['store'] / m['audit']:.1%} of the audit ({1e3 * m['store'] / m['n']:.2f} ms/conv); "
                f"re-store replacing every id {m['replace']:.2f} s = {m['replace'] / m['audit']:.1%}; "
                f"SQLite {m['bytes'] / m['n'] / 1024:.1f} KiB/conv",
                flush=True,
            )


if __name__ == "__main__":
    main()
