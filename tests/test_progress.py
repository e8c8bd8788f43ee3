"""The progress display: a bar redrawn in place on a terminal, plain timestamped lines for cron."""

from __future__ import annotations

import io

from qa_audit.progress import Progress


def feed(progress: Progress, n: int) -> None:
    for i in range(1, n + 1):
        progress({"read": i, "audited": i - 1, "quarantined": 1})
    progress.close()


def test_terminal_bar_ends_on_the_final_count_and_its_own_line():
    out = io.StringIO()
    feed(Progress(out, tty=True, total=64), 64)
    text = out.getvalue()
    assert "\r" in text and text.endswith("\n")
    last = text.rstrip("\n").split("\r")[-1]
    assert last.startswith("审核中 auditing") and "64/64" in last and "100%" in last


def test_terminal_bar_without_a_total_counts_what_was_read():
    out = io.StringIO()
    feed(Progress(out, tty=True, total=None), 10)
    assert "10conv" in out.getvalue().rstrip("\n").split("\r")[-1]


def test_without_a_terminal_every_line_is_a_plain_log_line():
    out = io.StringIO()
    feed(Progress(out, tty=False, total=5, interval=0), 5)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5 and "\r" not in out.getvalue()
    assert lines[-1].split(" progress: ")[1].startswith("5/5 read 100%, 4 audited, 1 quarantined")
