"""Benchmark of the nightly audit, every figure measured in the same run (not part of the test suite).

    python bench/bench_audit.py --quick     # real text + a small replicated corpus: about 2-3 minutes on 2 cores
    python bench/bench_audit.py             # everything below (default sizes): about 10 minutes

It leads with REAL text that never repeats (the JDDC sessions and the JDDC agent replies: every
conversation different, as a new day's chats are), then the replicated corpus as a secondary line.
Real text: `--real PATH...` or $QA_AUDIT_BENCH_REAL (paths separated by ':'); by default the repo's
data/jddc_dialogues and data/jddc_agent_replies (9,446 conversations, both shipped).

The first printed line is the headline: whole audit (a real `qa-audit audit` process, start-up
included, 1 worker) / floor (reading + jieba segmentation of the same text, bench/baselines.py), and
2 workers vs 1 on the same text, with the machine's load average. Then, on the real text:
  R1. each (floor, 1 worker, 2 workers) run of `--repeat` rounds: wall and CPU seconds, results identical;
  R2. where the time goes, per stage (read, normalise, rules, classify, score, prepare, pipe, write)
      in one run (bench/stages.py, CPU seconds; prepare and pipe: the output rows made where the
      conversation is audited and their trip to the writer process);
and, secondary, on the replicated corpus (bench/corpus.py: the sample conversations copied with new
ids; the engine's per-text memos make repeated turns nearly free, so it flatters the audit):
  1. whole audit, 1 worker; 2. floor and audit / floor; 6. 2 workers vs 1;
  3. the naive baseline (pandas str.contains per rule per conversation) at 50 and 500 rules;
  4. growth with 10x the rules and 10x the conversations;
  5. peak RSS at two corpus sizes (flat, < 1 GB) and with every turn text unique;
  7. jieba vs rjieba (bench/segmenters.py).
`--quick` runs R1, R2 and 1, 2, 6 (replicated, n=200). Machine noise on a shared 2-core VM is large:
compare ratios taken in the same run, and read the load average printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import JDDC, ROOT, write_corpus  # noqa: E402
from rulepacks import default_rule_count, make_pack  # noqa: E402


def measure(cmd: list[str]) -> dict:
    """Run `cmd`; return wall seconds and peak memory (MiB): RSS of the main process, and of the whole tree.

    The tree figure sums the main process's RSS and each child's USS (its own pages): forked workers
    share the parent's pages, which a plain RSS sum would count once per process.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return {"seconds": wall, "cpu": cpu, "rss_main": peak_main / 2**20, "rss_tree": peak_tree / 2**20, "stdout": out}


def two_core_bound(one: dict) -> float:
    """The largest speed-up over a 1-worker run that this machine's cores allow if the work is not reduced.

    cores x wall / CPU: the 1-worker run's CPU seconds spread perfectly over every core.
    """
    return (os.cpu_count() or 1) * one["seconds"] / one["cpu"] if one["cpu"] else float("nan")


def load() -> str:
    """The load averages (1, 5, 15 min) and the core count: how busy the machine was."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f} on {os.cpu_count()} cores"


def real_inputs(given: list[str] | None) -> list[Path]:
    """The real, non-repeating text: --real, $QA_AUDIT_BENCH_REAL, else the repo's data/."""
    if given:
        return [Path(p) for p in given]
    env = os.environ.get("QA_AUDIT_BENCH_REAL")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    names = ("jddc_dialogues/sessions.jsonl", "jddc_agent_replies/replies.jsonl")
    for base in (ROOT / "data",):
        found = [base / n for n in names if (base / n).is_file()]
        if found:
            return found
    return []


def audit(corpus: Path, out: Path, workers: int, rules: Path | None = None) -> dict:
    """Measure one `qa-audit audit` run."""
    cmd = [sys.executable, "-m", "qa_audit", "audit", str(corpus), "-o", str(out), "--workers", str(workers), "-q"]
    if rules is not None:
        cmd += ["--rules", str(rules)]
    return measure(cmd)


def baseline(*args: str) -> dict:
    """Run bench/baselines.py in its own process; return its JSON line plus the wall time."""
    m = measure([sys.executable, str(BENCH / "baselines.py"), *args])
    return {**json.loads(m["stdout"].strip().splitlines()[-1]), "wall": m["seconds"], "cpu": m["cpu"]}


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
    ap.add_argument("--quick", action="store_true", help="real text, then n=200 replicated")
    ap.add_argument("--real", nargs="*", help="real text files (default: $QA_AUDIT_BENCH_REAL, else data/)")
    ap.add_argument("--repeat", type=int, default=None, help="rounds of the real-text runs (default 1 quick, 3)")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpora and outputs go (default: a temp dir)")
    args = ap.parse_args()
    if args.quick:
        args.n = 200
    repeat = args.repeat or (1 if args.quick else 3)
    rss_sizes = [int(x) for x in args.rss_sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        real_text(Path(tmp), real_inputs(args.real), repeat)
        run(Path(tmp), args.n, rss_sizes, args.naive_n, args.quick)


def real_text(tmp: Path, inputs: list[Path], repeat: int) -> None:
    """The headline: real text that repeats nothing, 1 worker vs the floor and 2 workers vs 1."""
    if not inputs:
        print("real text: none found (--real, $QA_AUDIT_BENCH_REAL or data/): headline skipped")
        return
    real = tmp / "real"
    real.mkdir()
    for p in inputs:
        (real / p.name).write_bytes(p.read_bytes())
    rows = []
    for r in range(repeat):  # interleaved, so that a change of load hits every measure of a round
        fl = baseline("floor", str(real))
        one = audit(real, tmp / f"r1_{r}", 1)
        two = audit(real, tmp / f"r2_{r}", 2)
        same = all(
            (tmp / f"r1_{r}" / name).read_bytes() == (tmp / f"r2_{r}" / name).read_bytes()
            for name in ("results.jsonl", "findings.jsonl")
        )
        rows.append((fl, one, two, same, load()))
    n = fl["conversations"]
    ratio = statistics.median(one["seconds"] / fl["wall"] for fl, one, *_ in rows)
    cpu_ratio = statistics.median(one["cpu"] / fl["cpu"] for fl, one, *_ in rows)
    speed = statistics.median(one["seconds"] / two["seconds"] for _, one, two, *_ in rows)
    bound = statistics.median(two_core_bound(one) for _, one, *_ in rows)
    spread = f" (median of {repeat} rounds)" if repeat > 1 else ""
    print(
        f"REAL TEXT, never repeated ({n:,} conversations, {size_mb(real):.1f} MB): whole audit / (read + jieba) = "
        f"{ratio:.2f}x with 1 worker (goal <= 2.0; CPU seconds {cpu_ratio:.2f}x); "
        f"2 workers = {speed:.2f}x one (goal >= 1.8; at most {bound:.2f}x on {os.cpu_count()} cores, see R1){spread}; "
        f"{load()}",
        flush=True,
    )
    print(f"# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {machine()}")
    print(f"# real text: {', '.join(str(p) for p in inputs)}")
    print("R1. rounds (wall s / CPU s of the whole process tree; start-up included):")
    for r, (fl, one, two, same, when) in enumerate(rows, 1):
        print(
            f"   round {r}: floor {fl['wall']:.2f} / {fl['cpu']:.2f}; 1 worker {one['seconds']:.2f} / {one['cpu']:.2f} "
            f"= {n / one['seconds']:.0f} conv/s, {one['seconds'] / fl['wall']:.2f}x the floor "
            f"(CPU {one['cpu'] / fl['cpu']:.2f}x); 2 workers {two['seconds']:.2f} / {two['cpu']:.2f} "
            f"= {one['seconds'] / two['seconds']:.2f}x (at most {two_core_bound(one):.2f}x); outputs identical: "
            f"{same}; {when}",
            flush=True,
        )
    print(
        "   'at most': 1 worker already runs the audit and the writer process at once, so its CPU seconds "
        "exceed its wall seconds; the same work spread perfectly over every core takes at least CPU / cores, "
        "so 2 workers can be at most cores x wall / CPU times faster (less when splitting the work adds any)"
    )
    st = json.loads(measure([sys.executable, str(BENCH / "stages.py"), str(real)])["stdout"].strip().splitlines()[-1])
    cpu = st["cpu_seconds"]
    total = st["audit_cpu_seconds"]
    parts = ", ".join(
        f"{k} {cpu[k]:.2f} s ({cpu[k] / total:.0%})"
        for k in ("read", "normalise", "rules", "classify", "score", "prepare", "pipe", "write")
    )
    print(
        f"R2. stages of one in-process run, 1 worker, CPU seconds (bench/stages.py): {parts}; "
        f"total {total:.2f} s + start-up {cpu['start-up']:.2f} s; {load()}",
        flush=True,
    )


def run(tmp: Path, n: int, rss_sizes: list[int], naive_n: int, quick: bool) -> None:
    """The replicated corpus (secondary: its turns repeat), printed as they complete."""
    print("\nSECONDARY: the replicated corpus (sample conversations copied; repeated turns are memo lookups)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    base, big = tmp / "corpus_n", tmp / "corpus_10n"
    write_corpus(n, base)
    mb = size_mb(base)
    print(f"# corpus: {n:,} conversations, {mb:.1f} MB (bench/corpus.py, seed 20261122)")
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
        f"-> audit / floor = {one['seconds'] / fl['wall']:.2f}x (replicated text; {load()})",
        flush=True,
    )

    two = audit(base, tmp / "o2", 2)
    same = (tmp / "o1" / "results.jsonl").read_bytes() == (tmp / "o2" / "results.jsonl").read_bytes()
    print(
        f"6. 2 workers: {two['seconds']:.1f} s -> speed-up {one['seconds'] / two['seconds']:.2f}x over 1 worker "
        f"on {cores} cores; results.jsonl identical: {same}",
        flush=True,
    )
    if quick:
        return

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

    write_corpus(10 * n, big)
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


if __name__ == "__main__":
    main()
