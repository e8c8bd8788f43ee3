"""Write files atomically: a file appears at its path complete, or not at all.

Every output (results, findings, workbooks, samples, backtests) is written through these, so an
interrupted run never leaves a half-written file where a finished one is expected. This module
imports nothing of qa_audit: the store, the pipeline and the backtest use it without the report.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one step.

    On an exception the temporary file is removed and `target` is left as it was.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode open() would
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_text(target: Path, newline: str | None = None, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Open a text file that appears at `target` only when the block succeeds."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as fh:
        yield fh
