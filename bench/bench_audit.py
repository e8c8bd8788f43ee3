"""Benchmark of the nightly audit, every figure measured in the same run (not part of the test suite).

    python bench/bench_audit.py             # default sizes (n=1,000): about 3 minutes on 2 cores
    python bench/bench_audit.py --quick     # small sizes, under a minute: checks that everything runs

Generates a reproducible corpus (bench/corpus.py: the sample conversations replicated with new ids
and 5,000 agents), then runs each measurement as its own `qa-audit audit` process (what a user
runs, start-up included) and prints:
  1. whole audit (read -> write, default pack, 1 worker): conversations/s and MB/s per core;
  2. the floor: reading + jieba segmentation of the same corpus (bench/baselines.py floor), and
     the ratio audit / floor (goal <= 1.5);
  3. the naive baseline (pandas str.contains per rule per conversation) with 50 and 500 rules,
     and the ratio naive / audit at the same rule count (goal >= 20 at 500 rules);
  4. growth: time with 10x the rules (50 -> 500) and with 10x the conversations (should be ~1x
     and ~10x);
  5. peak RSS of whole runs at two corpus sizes (goal: flat, under 1 GB), and of a run whose turn
     texts never repeat (with $JDDC_SESSIONS: the per-text memos at their bound);
  6. speed-up of 2 workers over 1;
  7. jieba vs rjieba on the same turns: speed and token agreement (bench/segmenters.py);
  8. the whole audit and the floor on real text that repeats nothing (the JDDC sessions named by
     $JDDC_SESSIONS, when given): the replicated corpus repeats its turns, which the engine's
     per-text memo turns into lookups, so this is the figure to expect on a new day's chats.
Machine noise on shared 2-core VMs is large (up to +-45 %): compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import JDDC, write_corpus  # noqa: E402
from rulepacks import default_rule_count, make_pack  # noqa: E402


def measure(cmd: list[str]) -> dict:
    """Run `cmd`; return wall seconds and peak memory (MiB): RSS of the main process, and of the whole tree.

    The tree figure sums the main process's RSS and each child's USS (its own pages): forked workers
    share the parent's pages, which a plain RSS sum would count once per process.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak_main = peak_tree = 0
    while proc.poll() is None:
        try:
            main_rss = ps.memory_info().rss
            tree = main_rss + sum(c.memory_full_info().uss for c in ps.children(recursive=True))
        except psutil.Error:
            continue
        peak_main, peak_tree = max(peak_main, main_rss), max(peak_tree, tree)
        time.sleep(0.25)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return {"seconds": wall, "rss_main": peak_main / 2**20, "rss_tree": peak_tree / 2**20, "stdout": out}


def audit(corpus: Path, out: Path, workers: int, rules: Path | None = None) -> dict:
    """Measure one `qa-audit audit` run."""
    cmd = [sys.executable, "-m", "qa_audit", "audit", str(corpus), "-o", str(out), "--workers", str(workers), "-q"]
    if rules is not None:
        cmd += ["--rules", str(rules)]
    return measure(cmd)


def baseline(*args: str) -> dict:
    """Run bench/baselines.py in its own process; return its JSON line plus the wall time."""
    m = measure([sys.executable, str(BENCH / "baselines.py"), *args])
    return {**json.loads(m["stdout"].strip().splitlines()[-1]), "wall": m["seconds"]}


def size_mb(folder: Path) -> float:
    """Bytes of the JSONL files of a corpus, in MB."""
    return sum(p.stat().st_size for p in folder.glob("*.jsonl")) / 1e6


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {psutil.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    """Run every measurement and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="base corpus size (conversations)")
    ap.add_argument("--rss-sizes", default="10000,100000", help="corpus sizes for the peak-RSS runs")
    ap.add_argument("--naive-n", type=int, default=200, help="conversations for the naive baseline")
    ap.add_argument("--quick", action="store_true", help="n=200, RSS at 1,000 and 2,000 (under a minute)")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpora and outputs go (default: a temp dir)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.rss_sizes, args.naive_n = 200, "1000,2000", 100
    rss_sizes = [int(x) for x in args.rss_sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        run(Path(tmp), args.n, rss_sizes, args.naive_n)


def run(tmp: Path, n: int, rss_sizes: list[int], naive_n: int) -> None:
    """All measurements, printed as they complete."""
    print(f"# qa-audit benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {machine()}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    base, big = tmp / "corpus_n", tmp / "corpus_10n"
    write_corpus(n, base)
    write_corpus(10 * n, big)
    mb = size_mb(base)
    print(f"# corpus: {n:,} conversations, {mb:.1f} MB (bench/corpus.py, seed 20261122); 10x: {10 * n:,}")
    print(f"# default pack: {default_rule_count()} rules", flush=True)

    one = audit(base, tmp / "o1", 1)
    print(
        f"\n1. whole audit, default pack, 1 worker: {one['seconds']:.2f} s = {n / one['seconds']:.1f} conv/s, "
        f"{mb / one['seconds']:.3f} MB/s per core (start-up included)",
        flush=True,
    )

    fl = baseline("floor", str(base))
    print(
        f"2. floor (read + jieba, same corpus): {fl['wall']:.2f} s wall ({fl['seconds']:.1f} s after imports) "
        f"-> audit / floor = {one['seconds'] / fl['wall']:.2f}x (goal <= 1.5x)",
        flush=True,
    )

    two = audit(base, tmp / "o2", 2)
    same = (tmp / "o1" / "results.jsonl").read_bytes() == (tmp / "o2" / "results.jsonl").read_bytes()
    print(
        f"6. 2 workers: {two['seconds']:.1f} s -> speed-up {one['seconds'] / two['seconds']:.2f}x over 1 worker "
        f"on {cores} cores; results.jsonl identical: {same}",
        flush=True,
    )

    packs = {k: make_pack(tmp / f"pack{k}", k) for k in (50, 500)}
    print("3. naive baseline (pandas str.contains per rule per conversation, agent turns):")
    ours: dict[int, float] = {}
    for k, pack in packs.items():
        nv = baseline("naive", str(base), str(pack), str(naive_n))
        en = baseline("engine", str(base), str(pack), str(naive_n))
        a = audit(base, tmp / f"o_rules{k}", 1, pack)
        ours[k] = a["seconds"]
        naive_per_conv = nv["seconds"] / nv["conversations"]
        ours_per_conv = a["seconds"] / n
        engine_per_conv = en["seconds"] / en["conversations"]
        print(
            f"   {k} rules: naive {1 / naive_per_conv:.1f} conv/s ({nv['conversations']} conversations, "
            f"{nv['rules']} phrase rules); whole audit {1 / ours_per_conv:.1f} conv/s (start-up, classifier "
            f"and workbook included, {n:,}) -> {naive_per_conv / ours_per_conv:.1f}x the naive speed "
            f"(goal >= 20x at 500); rule engine alone on the same {en['conversations']} conversations "
            f"({en['rules']} rules, every kind) {1 / engine_per_conv:.0f} conv/s -> "
            f"{naive_per_conv / engine_per_conv:.0f}x",
            flush=True,
        )

    ten = audit(big, tmp / "o10", 2)
    # start-up, the worker pool and the fixed end of a run: just over one chunk per worker starts the pool
    write_corpus(2 * 64 + 1, tmp / "corpus_start")
    start = audit(tmp / "corpus_start", tmp / "o_start", 2)["seconds"]
    print(
        f"4. growth: 10x rules (50 -> 500): time x{ours[500] / ours[50]:.2f} (goal ~1); "
        f"10x conversations ({n:,} -> {10 * n:,}, 2 workers): time x{ten['seconds'] / two['seconds']:.2f} "
        f"(goal ~10); without the {start:.1f} s of a 129-conversation run (start-up): "
        f"x{(ten['seconds'] - start) / max(two['seconds'] - start, 1e-9):.1f}",
        flush=True,
    )

    print("5. peak RSS, whole run with 2 workers (default pack):")
    for size in rss_sizes:
        folder = big if size == 10 * n else tmp / f"corpus_{size}"
        if not folder.exists():
            write_corpus(size, folder)
        m = ten if folder == big else audit(folder, tmp / f"o_rss{size}", 2)
        print(
            f"   {size:,} conversations ({size_mb(folder):.0f} MB): parent {m['rss_main']:.0f} MiB, "
            f"parent + workers' own pages {m['rss_tree']:.0f} MiB, {m['seconds']:.0f} s "
            f"({size / m['seconds']:.1f} conv/s)",
            flush=True,
        )
    if JDDC.is_file():  # the worst case for memory: no turn text repeats, the per-text memos fill up
        size = max(rss_sizes) // 5
        folder = tmp / "corpus_unique"
        write_corpus(size, folder, jddc=True, unique=True)
        m = audit(folder, tmp / "o_unique", 2)
        print(
            f"   {size:,} conversations, every turn text unique (samples + JDDC, {size_mb(folder):.0f} MB): "
            f"parent {m['rss_main']:.0f} MiB, parent + workers' own pages {m['rss_tree']:.0f} MiB, "
            f"{m['seconds']:.0f} s ({size / m['seconds']:.1f} conv/s)",
            flush=True,
        )

    from segmenters import compare

    print("7. segmenters on the same turns (normalised text, rule words added, HMM off):")
    for line in compare():
        print(f"   {line}", flush=True)

    if JDDC.is_file():
        real = tmp / "jddc"
        real.mkdir()
        (real / "sessions.jsonl").write_bytes(JDDC.read_bytes())
        rn = sum(1 for line in JDDC.read_text(encoding="utf-8").splitlines() if line.strip())
        ra = audit(real, tmp / "o_jddc", 1)
        rf = baseline("floor", str(real))
        print(
            f"8. real text, no replication ({rn} JDDC sessions, {size_mb(real):.1f} MB): whole audit, 1 worker, "
            f"{ra['seconds']:.1f} s = {rn / ra['seconds']:.0f} conv/s; floor {rf['wall']:.1f} s "
            f"-> audit / floor = {ra['seconds'] / rf['wall']:.2f}x",
            flush=True,
        )
    else:
        print(f"8. real text: {JDDC} not found, skipped")


if __name__ == "__main__":
    main()
