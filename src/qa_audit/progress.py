"""Progress of a run: a live tqdm bar (count, rate, ETA) on a terminal, plain periodic lines otherwise.

A nightly cron job has no terminal: it gets one log line every `interval` seconds (and a last one
at the end), which reads well in a mail or a log file. The expected total comes from counting the
lines of JSONL inputs (cheap, one pass over the bytes); with other formats there is no ETA.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

_REDRAW = 0.2  # seconds between two redraws of the terminal bar at most


def count_records(paths: Sequence[Path]) -> int | None:
    """Return the expected number of records: the lines of JSONL inputs, or None when any is another format."""
    total = 0
    for path in paths:
        if path.suffix.lower() != ".jsonl":
            return None
        try:
            with open(path, "rb") as fh:
                last = b"\n"
                while block := fh.read(1 << 20):
                    total += block.count(b"\n")
                    last = block[-1:]
                total += last != b"\n"
        except OSError:
            return None
    return total


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Call with the running counts after each record; `close()` at the end.

    `tty=True` draws a tqdm bar redrawn in place; otherwise a line is written every `interval`
    seconds (0 = after every record, for tests and debugging).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool,
        total: int | None = None,
        interval: float = 60.0,
        label: str = "审核中 auditing",
    ) -> None:
        self.stream, self.tty, self.total, self.interval, self.label = stream, tty, total, interval, label
        self.started = self.last = time.monotonic()
        self.counts: Mapping[str, int] = {}
        self.bar: tqdm | None = None
        if tty:
            self.bar = tqdm(total=total, desc=label, unit="conv", file=stream, mininterval=_REDRAW, dynamic_ncols=True)

    def __call__(self, counts: Mapping[str, int]) -> None:
        """Record the counts so far (keys read, audited, quarantined) and show them when due."""
        self.counts = counts
        if self.bar is not None:
            self.bar.update(counts.get("read", 0) - self.bar.n)  # tqdm redraws at most every _REDRAW s
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        self._log(counts, now)

    def close(self) -> None:
        """On a terminal, draw the final counts and end the line (the caller prints its own summary)."""
        if self.bar is not None:
            self.bar.close()

    def _log(self, counts: Mapping[str, int], now: float) -> None:
        read = counts.get("read", 0)
        elapsed = max(now - self.started, 1e-9)
        rate = read / elapsed
        done = f"{read:,}" + (f"/{self.total:,}" if self.total else "")
        pct = f" {min(read / self.total, 1):4.0%}" if self.total else ""
        eta = ""
        if self.total and rate > 0 and read < self.total:
            eta = f" ETA {_clock((self.total - read) / rate)}"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.stream.write(
            f"{stamp} progress: {done} read{pct}, {counts.get('audited', 0):,} audited, "
            f"{counts.get('quarantined', 0):,} quarantined, {rate:,.1f} conv/s, "
            f"elapsed {_clock(elapsed)}{eta}\n"
        )
        self.stream.flush()
