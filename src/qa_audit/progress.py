"""Progress of a run: a live bar (count, rate, ETA) on a terminal, plain periodic lines otherwise.

A nightly cron job has no terminal: it gets one log line every `interval` seconds (and a last one
at the end), which reads well in a mail or a log file. The expected total comes from counting the
lines of JSONL inputs (cheap, one pass over the bytes); with other formats there is no ETA.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

_REDRAW = 0.2  # seconds between two redraws of the terminal bar


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

    `tty=True` draws one line redrawn in place; otherwise a line is written every `interval`
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
        self.drawn = False

    def __call__(self, counts: Mapping[str, int]) -> None:
        """Record the counts so far (keys read, audited, quarantined) and show them when due."""
        self.counts = counts
        now = time.monotonic()
        if now - self.last < (_REDRAW if self.tty else self.interval):
            return
        self.last = now
        self._show(counts, now)

    def close(self) -> None:
        """On a terminal, draw the final counts and end the line (the caller prints its own summary)."""
        if self.tty and self.counts:
            self._show(self.counts, time.monotonic())
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, counts: Mapping[str, int], now: float) -> None:
        read = counts.get("read", 0)
        elapsed = max(now - self.started, 1e-9)
        rate = read / elapsed
        done = f"{read:,}" + (f"/{self.total:,}" if self.total else "")
        pct = f" {min(read / self.total, 1):4.0%}" if self.total else ""
        eta = ""
        if self.total and rate > 0 and read < self.total:
            eta = f" ETA {_clock((self.total - read) / rate)}"
        if self.tty:
            self.stream.write(f"\r{self.label} {done}{pct} {rate:,.0f}/s{eta}\x1b[K")  # K: clear the rest
            self.drawn = True
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self.stream.write(
                f"{stamp} progress: {done} read{pct}, {counts.get('audited', 0):,} audited, "
                f"{counts.get('quarantined', 0):,} quarantined, {rate:,.1f} conv/s, "
                f"elapsed {_clock(elapsed)}{eta}\n"
            )
        self.stream.flush()
