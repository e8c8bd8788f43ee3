"""jieba (as the audit uses it) against rjieba (a Rust port) on the same turns: speed and agreement.

    python bench/segmenters.py

Both get the same dictionary additions as the audit (every rule phrase, with jieba's frequency),
both run with the HMM off, on the normalised turns of the samples and of the JDDC sessions (when
../shared/data is present). A turn agrees when both give exactly the same tokens and offsets.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JDDC = ROOT.parent / "shared" / "data" / "jddc_dialogues" / "sessions.jsonl"


def turns() -> dict[str, list[str]]:
    """Normalised turn texts by corpus name."""
    from qa_audit.model import Conversation
    from qa_audit.normalize import normalize
    from qa_audit.readers import read_inputs

    out = {"samples": [normalize(t.text).text for c in read_inputs([ROOT / "sample_transcripts"])
                       if isinstance(c, Conversation) for t in c.turns]}
    if JDDC.is_file():
        out["jddc"] = [normalize(t["text"]).text for line in JDDC.read_text(encoding="utf-8").splitlines()
                       for t in json.loads(line)["turns"]]
    return out


def _rate(fn, texts: list[str]) -> float:
    """Characters per second of `fn` over `texts` (at least 1 s of work)."""
    chars = sum(map(len, texts))
    n, t0 = 0, time.perf_counter()
    while True:
        for t in texts:
            fn(t)
        n += 1
        if time.perf_counter() - t0 >= 1.0:
            return n * chars / (time.perf_counter() - t0)


def compare() -> list[str]:
    """Return report lines: speed of each segmenter and token agreement per corpus."""
    try:
        import rjieba
    except ImportError:
        return ["rjieba not installed (pip install rjieba): only jieba measured"]
    from qa_audit.paths import default_rules_dir
    from qa_audit.rules import Engine, load_ruleset
    from qa_audit.segment import _get, segment

    Engine(load_ruleset(default_rules_dir()))  # adds the rule words to the audit's jieba, as a run does
    jt = _get()
    rj = rjieba.Jieba()
    from qa_audit.segment import _added

    for word in sorted(_added):
        rj.add_word(word, jt.FREQ[word], None)
    lines = []
    for name, texts in turns().items():
        texts = [t for t in texts if t]
        same = sum([(tk.text, tk.start, tk.end) for tk in segment(t)] == list(rj.tokenize(t, hmm=False))
                   for t in texts)
        j_rate = _rate(segment, texts)
        r_rate = _rate(lambda t: rj.tokenize(t, hmm=False), texts)
        lines.append(f"{name}: {len(texts):,} turns; jieba {j_rate / 1e6:.2f} M chars/s, rjieba {r_rate / 1e6:.2f} "
                     f"M chars/s ({r_rate / j_rate:.1f}x); identical tokens on {same / len(texts):.2%} of turns")
    return lines


if __name__ == "__main__":
    for line in compare():
        print(line)
