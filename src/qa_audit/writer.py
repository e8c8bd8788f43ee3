"""The report outputs (scorecard.xlsx, findings.jsonl, CSV/Parquet, split workbooks) written off the audit's path.

openpyxl writes a cell in microseconds of pure Python: on a day of real chats the workbook costs
about as much as the audit itself. `write_outputs_aside` runs `write_outputs` in a child process fed
with batches of results through a pipe, so the audit (in this process or its workers) and the writing
overlap on two cores. Where a child cannot be forked safely (not Linux, or threads already running,
e.g. a Dask client) the outputs are written in this process, as before: same files either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qa_audit.model import ConversationResult, RuleInfo, ScoringPolicy

BATCH = 64  # results per message: amortises the pipe's cost; the pipe's buffer bounds what is in flight
_ABORT = "abort"


class WriterFailed(RuntimeError):
    """The writer process died, or sent back an error that could not be rebuilt here."""


def write_outputs_aside(
    outdir: Path,
    results: Iterable[ConversationResult],
    rules: Sequence[RuleInfo],
    policy: ScoringPolicy,
    **options: Any,
) -> Any:
    """`report.write_outputs`, with the writing in a child process while this one produces `results`.

    Same arguments (`options`: formats, split_by, timezone), same files, same OutputSummary; the same
    errors are raised. When `results` fails (or the run is stopped), the child removes its partial
    files, as write_outputs does.
    """
    from qa_audit.report import check_options, write_outputs
    from qa_audit.report.labels import zone

    # usage errors before any work, not after the audit
    check_options(options.get("formats", ()), options.get("split_by"))
    zone(options.get("timezone"))
    args = (Path(outdir), list(rules), policy, options)
    if sys.platform != "linux" or threading.active_count() > 1:  # fork is not safe: write here
        return write_outputs(args[0], results, args[1], policy, **options)
    ctx = multiprocessing.get_context("fork")
    conn, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, args, os.getpid()), name="qa-audit-writer", daemon=True)
    proc.start()
    child.close()
    try:
        try:
            for batch in _batches(results):
                conn.send(batch)
        except BaseException:
            _abort(conn, proc)
            raise
        conn.send(None)
        try:
            status, value = conn.recv()
        except EOFError:
            status, value = "error", WriterFailed(f"the output writer died (exit code {proc.exitcode})")
        if status == "error":
            raise value
        return value
    finally:
        proc.join()
        conn.close()


def _batches(results: Iterable[ConversationResult]) -> Iterator[list[ConversationResult]]:
    batch: list[ConversationResult] = []
    for r in results:
        batch.append(r)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _abort(conn: Any, proc: Any) -> None:
    """Tell the child to give up and remove its partial files; kill it if it does not answer."""
    try:
        conn.send(_ABORT)
        conn.recv()
    except (OSError, EOFError):
        pass
    proc.join(timeout=30)
    if proc.is_alive():
        proc.kill()


class _Aborted(Exception):
    """The parent gave up: write_outputs removes what it wrote."""


def _serve(conn: Any, args: tuple, parent: int) -> None:
    """The writer process: results from `conn` into write_outputs; ("ok", summary) or ("error", exc) back."""
    from qa_audit.parallel import die_with_parent
    from qa_audit.report import write_outputs

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides how to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(parent)

    def results() -> Iterator[ConversationResult]:
        while True:
            batch = conn.recv()
            if batch is None:
                return
            if batch == _ABORT:
                raise _Aborted
            yield from batch

    outdir, rules, policy, options = args
    try:
        summary = write_outputs(outdir, results(), rules, policy, **options)
        conn.send(("ok", summary))
    except BaseException as exc:
        try:
            conn.send(("error", exc))
        except Exception:
            conn.send(("error", WriterFailed(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()
