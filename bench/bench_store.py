"""What recording a run in the results store (--store) adds to an audit, at 100,000 conversations.

    python bench/bench_store.py                                   # 100,000 conversations, a new SQLite file
    python bench/bench_store.py --n 2000                          # quicker
    python bench/bench_store.py --store postgresql://u@host/db    # PostgreSQL (its qa_ tables are dropped first)
    python bench/bench_store.py --store a.db --store postgresql://...   # both, against one audit
    python bench/bench_store.py --end-to-end                      # also `qa-audit audit` without / with --store

The corpus: `--n` conversations whose turn texts never repeat (bench/corpus.py --unique: the sample
transcripts and the JDDC sessions of data/ with a marker of their own on every turn, new ids, agents
and times), so no per-text memo of the engine helps the audit.

1. In process (always): one pass over the corpus on one core; each conversation is audited
   (Auditor.audit, timed) and its result handed to one StoreWriter per `--store` (timed apart),
   exactly as `qa-audit audit` does in its main process; then each store commits (timed). Printed:
   audit ms/conv, each store's ms/conv and its cost as a % of the audit measured in the same pass,
   the store's size, and the process's peak RSS. `--replace` makes a second pass over the same ids
   into the same stores (a night re-run: every conversation replaced).
2. `--end-to-end`: `qa-audit audit CORPUS -o OUT -q` as a user runs it (default workers), without
   and then with `--store URL` for each store (a fresh store each time), `--rounds` times alternated;
   wall seconds, ratio to the plain run, conv/s and peak RSS (main process, and main + workers' own
   pages). On a shared machine these ratios carry the machine's noise: the load average is printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
from bench_audit import load, machine, measure  # noqa: E402

JDDC_DATA = corpus.ROOT / "data" / "jddc_dialogues" / "sessions.jsonl"


def make_corpus(n: int, folder: Path) -> str:
    """Write `n` conversations with unique turn texts into `folder`; return what they were made from."""
    jddc = corpus.JDDC.is_file() or JDDC_DATA.is_file()
    if not corpus.JDDC.is_file() and jddc:
        corpus.JDDC = JDDC_DATA  # templates() reads the module's JDDC at call time
    files = corpus.write_corpus(n, folder, jddc=jddc, unique=True)
    size = sum(p.stat().st_size for p in files) / 1e6
    kinds = len(corpus.templates(jddc))
    return f"{n:,} conversations, {size:.0f} MB, from {kinds} templates, every turn text unique"


def reset(url: str) -> None:
    """Empty a PostgreSQL store (drop the qa_ tables) or delete a SQLite file, so that each run starts fresh."""
    if "://" not in url or url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1]) if "://" in url else Path(url)
        for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal")):
            p.unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine

    from qa_audit.store import schema
    from qa_audit.store.connect import store_url

    engine = create_engine(store_url(url))
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
    engine.dispose()


def size_of(url: str) -> str:
    """The store's size on disk: the SQLite file, or the PostgreSQL tables with their indexes."""
    if "://" not in url or url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1]) if "://" in url else Path(url)
        return f"{path.stat().st_size / 2**20:.0f} MiB SQLite file"
    from sqlalchemy import create_engine, text

    from qa_audit.store.connect import store_url

    engine = create_engine(store_url(url))
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT SUM(pg_total_relation_size(oid)) FROM pg_class WHERE relname LIKE 'qa_%' AND relkind = 'r'")
        ).scalar()
    engine.dispose()
    return f"{(total or 0) / 2**20:.0f} MiB of PostgreSQL tables and indexes"


def in_process(folder: Path, stores: list[str], passes: int) -> None:
    """Audit the corpus once per pass on one core, handing each result to every store; print the figures."""
    from qa_audit.classify import ComplaintTagger
    from qa_audit.model import Conversation
    from qa_audit.paths import default_model_dir, default_rules_dir
    from qa_audit.pipeline import Auditor
    from qa_audit.readers import read_inputs
    from qa_audit.rules import load_ruleset
    from qa_audit.store.writer import StoreWriter

    ruleset = load_ruleset(default_rules_dir())
    auditor = Auditor(ruleset, ComplaintTagger.load(default_model_dir()))
    for url in stores:
        reset(url)
    first = 0.0  # the first pass's audit seconds: the second pass's audit is served by the engine's memos
    for label in ("store", "re-store, every id replaced")[:passes]:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        clock = time.perf_counter
        spent = [0.0] * len(stores)
        writers = []
        for k, url in enumerate(stores):
            t0 = clock()
            writers.append(StoreWriter(url, ruleset, inputs=[str(folder)]))
            spent[k] += clock() - t0
        audit_s = 0.0
        n = findings = 0
        started = clock()
        for conv in read_inputs([str(folder)]):
            if not isinstance(conv, Conversation):
                continue
            t0 = clock()
            result = auditor.audit(conv)
            audit_s += clock() - t0
            n += 1
            findings += len(result.audit.findings)
            for k, writer in enumerate(writers):
                t0 = clock()
                writer.add(result)
                spent[k] += clock() - t0
        for k, writer in enumerate(writers):
            t0 = clock()
            writer.commit({"read": n, "audited": n, "findings": findings})
            spent[k] += clock() - t0
        wall = clock() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"in process, {label}: {n:,} conversations, {findings:,} findings, pass {wall:.0f} s wall; "
            f"audit {audit_s:.0f} s = {1e3 * audit_s / n:.2f} ms/conv ({n / audit_s:.0f} conv/s, one core); "
            f"peak RSS {rss:.0f} MiB (was {rss0:.0f} before the pass); {load()}",
            flush=True,
        )
        first = first or audit_s
        for url, s in zip(stores, spent, strict=True):
            print(
                f"   store {name(url)}: {s:.1f} s = {1e3 * s / n:.2f} ms/conv = {s / first:.1%} of the (first) audit; "
                f"{size_of(url)}",
                flush=True,
            )


def name(url: str) -> str:
    """The store's address without a password."""
    if "://" not in url or url.startswith("sqlite"):
        return "SQLite"
    from qa_audit.store.connect import store_url

    return store_url(url).render_as_string(hide_password=True)


def end_to_end(folder: Path, tmp: Path, stores: list[str], rounds: int) -> None:
    """Time `qa-audit audit` as a user runs it, without and with --store for each store, alternated."""
    n = sum(1 for p in folder.glob("*.jsonl") for _ in p.open(encoding="utf-8"))
    runs: dict[str, list[dict]] = {"plain": [], **{url: [] for url in stores}}
    for r in range(rounds):
        for key in runs:
            extra = [] if key == "plain" else ["--store", key]
            if key != "plain":
                reset(key)
            out = tmp / f"e2e_{r}_{list(runs).index(key)}"
            cmd = [sys.executable, "-m", "qa_audit", "audit", str(folder), "-o", str(out), "-q", *extra]
            before = load()
            m = measure(cmd)
            runs[key].append(m)
            print(
                f"end to end, round {r + 1}, {'no store' if key == 'plain' else 'store ' + name(key)}: "
                f"{m['seconds']:.0f} s wall, {m['cpu']:.0f} s CPU, {n / m['seconds']:.0f} conv/s, "
                f"{1e3 * m['seconds'] / n:.2f} ms/conv; peak RSS main {m['rss_main']:.0f} MiB, "
                f"main + workers' own pages {m['rss_tree']:.0f} MiB; {before} -> {load()}",
                flush=True,
            )
    base = min(m["seconds"] for m in runs["plain"])
    base_cpu = min(m["cpu"] for m in runs["plain"])
    for url in stores:
        best = min(m["seconds"] for m in runs[url])
        cpu = min(m["cpu"] for m in runs[url])
        print(
            f"end to end, store {name(url)} vs none (best of {rounds}): wall {best:.0f} / {base:.0f} s = "
            f"{best / base:.3f} ({best / base - 1:+.1%}); CPU {cpu:.0f} / {base_cpu:.0f} s = {cpu / base_cpu - 1:+.1%}",
            flush=True,
        )


def main() -> None:
    """Make the corpus, then print the in-process and (when asked) end-to-end figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="conversations (default 100,000)")
    ap.add_argument(
        "--store",
        action="append",
        metavar="URL",
        help="store to write: a SQLite path or postgresql:// URL (repeatable; default a new SQLite file)",
    )
    ap.add_argument("--end-to-end", action="store_true", help="also time `qa-audit audit` without and with --store")
    ap.add_argument("--rounds", type=int, default=1, help="end-to-end rounds, alternated (default 1)")
    ap.add_argument("--replace", action="store_true", help="a second in-process pass replacing every stored id")
    ap.add_argument("--skip-in-process", action="store_true", help="only the end-to-end runs")
    args = ap.parse_args()
    print(f"# {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}; {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_store") as name_:
        tmp = Path(name_)
        stores = args.store or [str(tmp / "qa.db")]
        t0 = time.perf_counter()
        what = make_corpus(args.n, tmp / "corpus")
        print(f"# corpus: {what} ({time.perf_counter() - t0:.0f} s to write)", flush=True)
        if not args.skip_in_process:
            in_process(tmp / "corpus", stores, 2 if args.replace else 1)
        if args.end_to_end:
            end_to_end(tmp / "corpus", tmp, stores, args.rounds)


if __name__ == "__main__":
    main()
