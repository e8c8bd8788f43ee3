"""Write src/qa_audit/readers/common_hanzi.txt: the 3,000 most frequent Chinese characters.

Run from the repository root: `python eval/build_common_hanzi.py`. The frequencies are summed over
the words of jieba's own dictionary (jieba's dict.txt, MIT licence: each word's count is added to
every character in it); the list tells encoding detection whether a file reads as Chinese in one
codec or as mojibake in another (`qa_audit/readers/hanzi.py`). The same jieba version writes the
same file.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections import Counter
from pathlib import Path

TOP = 3000
OUT = Path(__file__).resolve().parents[1] / "src" / "qa_audit" / "readers" / "common_hanzi.txt"
PER_LINE = 60


def ranked() -> list[str]:
    """The TOP most frequent characters of jieba's dictionary, most frequent first (ties by code point)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise SystemExit("jieba is not installed")
    counts: Counter[str] = Counter()
    with Path(spec.origin).with_name("dict.txt").open(encoding="utf-8") as f:
        for line in f:
            word, freq = line.split(" ")[:2]
            for ch in word:
                if "\u4e00" <= ch <= "\u9fff":
                    counts[ch] += int(freq)
    return sorted(counts, key=lambda c: (-counts[c], c))[:TOP]


def main() -> None:
    """Write the list with its provenance."""
    top = ranked()
    head = (
        f"# The {TOP:,} most frequent Chinese characters, most frequent first, {PER_LINE} a line.\n"
        f"# Summed over the words of jieba {importlib.metadata.version('jieba')}'s dict.txt (MIT licence,\n"
        "# https://github.com/fxsjy/jieba) by eval/build_common_hanzi.py; read by qa_audit/readers/hanzi.py.\n"
    )
    body = "\n".join("".join(top[i : i + PER_LINE]) for i in range(0, len(top), PER_LINE))
    OUT.write_text(head + body + "\n", encoding="utf-8")
    print(f"{OUT}: {len(top)} characters")


if __name__ == "__main__":
    main()
