"""Every pattern that runs over input text runs in linear time.

Each case builds a crafted input of size n and 4n (the shapes that made Python's backtracking
`re` quadratic) and checks that the time grows at most ~linearly: a ratio under 8 where
quadratic growth gives 16. Times below 10 ms count as 10 ms (no ratios of noise on a busy machine).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qa_audit.classify import complaint
from qa_audit.classify.text import clean
from qa_audit.normalize import normalize
from qa_audit.privacy import mask_text
from qa_audit.readers import read_inputs
from qa_audit.readers.values import parse_seconds, parse_timestamp

N = 3000


def _seconds(fn: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        with contextlib.suppress(ValueError):
            fn(text)
        best = min(best, time.perf_counter() - t0)
    return max(best, 0.01)


def _read_txt(tmp: Path) -> Callable[[str], object]:
    def read(line: str) -> object:
        path = tmp / "t.txt"
        path.write_text(line + "\n", encoding="utf-8")
        return list(read_inputs([path]))

    return read


def _uncached_complaint(text: str) -> object:
    complaint._scan.cache_clear()  # each timing must scan, not hit the memo
    return complaint.is_complaint_text(text)


CASES: dict[str, tuple[Callable[[int], str], str]] = {
    "complaint cues: 已经 + spaces": (lambda n: "已经" + " " * n + "x", "complaint"),
    "complaint cues: repeated 已经 ": (lambda n: "已经 " * n, "complaint"),
    "order card": (lambda n: "[订单编号" * n, "clean"),
    "float pattern in seconds": (lambda n: "1" * n + "x", "seconds"),
    "clock pattern in seconds": (lambda n: "1:" * n, "seconds"),
    "timestamp": (lambda n: "2026-11-21" + " " * n + "x", "timestamp"),
    "txt stamp": (lambda n: "[1" + " " * n + "1]客服：您好", "txt"),
    "txt range stamp": (lambda n: "[1" + " -" * n + "]客服：您好", "txt"),
    "txt role": (lambda n: "客" * n, "txt"),
    "txt directive": (lambda n: "#@ " + "a." * n + " " * n, "txt"),
    "masking digits and spaces": (lambda n: "1 " * n + "x", "mask"),
    "masking e-mail-like": (lambda n: "a." * n + "@", "mask"),
    "normaliser escapes": (lambda n: "\\" * n + " x0", "normalize"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pattern_time_grows_linearly(case: str, tmp_path: Path) -> None:
    make, target = CASES[case]
    fn: Callable[[str], object] = {
        "complaint": _uncached_complaint,
        "clean": clean,
        "seconds": parse_seconds,
        "timestamp": parse_timestamp,
        "txt": _read_txt(tmp_path),
        "mask": mask_text,
        "normalize": normalize,
    }[target]
    _seconds(fn, make(10))  # warm up (imports, compiled patterns)
    small, large = _seconds(fn, make(N)), _seconds(fn, make(4 * N))
    assert large / small < 8, f"{case}: {small:.4f}s for n={N}, {large:.4f}s for 4n"
