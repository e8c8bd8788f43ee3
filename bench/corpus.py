"""A reproducible synthetic corpus of any size, replicated from the bundled sample transcripts.

    python bench/corpus.py 100000 -o /tmp/corpus      # 10 files of 10,000 conversations

Every conversation is a copy of a readable sample conversation (from sample_transcripts/*.jsonl,
and from the JDDC sessions when `--jddc` is given and $JDDC_SESSIONS names them) with a new id, a
new agent among `--agents` and a new start time. The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
# the real JDDC chat sessions ship in data/ (Apache-2.0); JDDC_SESSIONS=path/sessions.jsonl names others
JDDC = Path(os.environ.get("JDDC_SESSIONS", ROOT / "data" / "jddc_dialogues" / "sessions.jsonl"))
SKIP = {"broken_records.jsonl"}  # deliberately unreadable records: the benchmark measures audits


def templates(jddc: bool = False) -> list[dict]:
    """Return the readable sample conversations (plus the JDDC sessions when asked) as JSON dicts."""
    paths = sorted(p for p in SAMPLES.glob("*.jsonl") if p.name not in SKIP)
    if jddc:
        if not JDDC.is_file():
            raise SystemExit(f"--jddc: {JDDC} not found")
        paths.append(JDDC)
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                rec = json.loads(line)
                # the Semgrep-style annotations are for the rule tests, not production data
                for t in rec.get("turns", []):
                    t.pop("expect", None)
                    t.pop("ok", None)
                rec.pop("expect", None)
                rec.pop("ok", None)
                out.append(rec)
    return out


def conversations(
    n: int, *, seed: int = 20261122, agents: int = 5000, jddc: bool = False, unique: bool = False
) -> Iterator[dict]:
    """Yield `n` synthetic conversations, deterministically for a given seed.

    `unique`: every turn text ends with its own marker, so no text repeats (the worst case for the
    engine's per-text memos).
    """
    base = templates(jddc)
    rng = random.Random(seed)
    for i in range(n):
        rec = dict(rng.choice(base))
        if unique:
            rec["turns"] = [{**t, "text": f"{t['text']} 单{i}-{j}"} for j, t in enumerate(rec["turns"])]
        agent = rng.randrange(agents)
        rec["conversation_id"] = f"SYN-{i:08d}"
        rec["agent_id"] = f"A{agent:05d}"
        rec["agent_name"] = f"坐席{agent:05d}"
        rec["team"] = f"组{agent // 50:03d}"
        rec["started_at"] = f"2026-11-21T{8 + i % 12:02d}:{i % 60:02d}:00+08:00"
        yield rec


def write_corpus(
    n: int,
    outdir: Path,
    *,
    per_file: int = 10_000,
    seed: int = 20261122,
    agents: int = 5000,
    jddc: bool = False,
    unique: bool = False,
) -> list[Path]:
    """Write `n` conversations as JSONL files of `per_file` lines into `outdir`; return the files."""
    outdir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    recs = conversations(n, seed=seed, agents=agents, jddc=jddc, unique=unique)
    for start in range(0, n, per_file):
        files.append(outdir / f"part-{len(files):05d}.jsonl")
        with open(files[-1], "w", encoding="utf-8") as fh:
            for _ in range(min(per_file, n - start)):
                fh.write(json.dumps(next(recs), ensure_ascii=False) + "\n")
    return files


def main() -> None:
    """Command line: write a corpus."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of conversations")
    ap.add_argument("-o", "--outdir", type=Path, required=True)
    ap.add_argument("--per-file", type=int, default=10_000)
    ap.add_argument("--agents", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--jddc", action="store_true", help="also replicate the real JDDC sessions")
    ap.add_argument("--unique", action="store_true", help="make every turn text unique (no repetition)")
    args = ap.parse_args()
    files = write_corpus(
        args.n,
        args.outdir,
        per_file=args.per_file,
        seed=args.seed,
        agents=args.agents,
        jddc=args.jddc,
        unique=args.unique,
    )
    size = sum(p.stat().st_size for p in files)
    print(f"{args.n} conversations in {len(files)} file(s), {size / 1e6:.1f} MB -> {args.outdir}")


if __name__ == "__main__":
    main()
