"""jieba against rjieba (a Rust port) on the same text: speed and agreement.

    python bench/segmenters.py

Both get the same dictionary additions as the audit (every rule phrase, with jieba's frequency),
both run with the HMM off, on the normalised turns of the samples and of the JDDC sessions (when
$JDDC_SESSIONS names them). A turn agrees when both give exactly the same tokens and offsets. Then the
classifier's words (rjieba, HMM on) against jieba's default tokenizer on each conversation's customer text.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from corpus import JDDC

ROOT = Path(__file__).resolve().parents[1]


def turns() -> dict[str, list[str]]:
    """Normalised turn texts by corpus name."""
    from qa_audit.model import Conversation
    from qa_audit.normalize import normalize
    from qa_audit.readers import read_inputs

    out = {
        "samples": [
            normalize(t.text).text
            for c in read_inputs([ROOT / "sample_transcripts"])
            if isinstance(c, Conversation)
            for t in c.turns
        ]
    }
    if JDDC.is_file():
        out["jddc"] = [
            normalize(t["text"]).text
            for line in JDDC.read_text(encoding="utf-8").splitlines()
            for t in json.loads(line)["turns"]
        ]
    return out


def customer_texts() -> dict[str, list[str]]:
    """The classifier's input (cleaned customer side) of every conversation, by corpus name."""
    from qa_audit.classify.text import customer_text
    from qa_audit.model import Conversation
    from qa_audit.readers import read_inputs

    paths = {"samples": ROOT / "sample_transcripts", "jddc": JDDC}
    return {
        name: [t for c in read_inputs([path]) if isinstance(c, Conversation) and (t := customer_text(c))]
        for name, path in paths.items()
        if path.exists()
    }


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
        same = sum([(tk.text, tk.start, tk.end) for tk in segment(t)] == list(rj.tokenize(t, hmm=False)) for t in texts)
        j_rate = _rate(segment, texts)
        r_rate = _rate(lambda t: rj.tokenize(t, hmm=False), texts)
        lines.append(
            f"{name}: {len(texts):,} turns; jieba {j_rate / 1e6:.2f} M chars/s, rjieba {r_rate / 1e6:.2f} "
            f"M chars/s ({r_rate / j_rate:.1f}x); identical tokens on {same / len(texts):.2%} of turns"
        )
    # the classifier's words: rjieba's process-wide tokenizer, HMM on, against jieba's default one
    import jieba

    for name, texts in customer_texts().items():
        same = sum(jieba.lcut(t) == rjieba.cut(t, hmm=True) for t in texts)
        j_rate = _rate(jieba.lcut, texts)
        r_rate = _rate(lambda t: rjieba.cut(t, hmm=True), texts)
        lines.append(
            f"classifier words (HMM on), {name}: {len(texts):,} customer texts; rjieba {r_rate / j_rate:.1f}x "
            f"faster; identical tokens on {same / len(texts):.2%} of texts"
        )
    return lines


if __name__ == "__main__":
    for line in compare():
        print(line)
