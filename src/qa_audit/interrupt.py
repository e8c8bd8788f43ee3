"""Ctrl-C or SIGTERM that stops a run cleanly: the first asks the run to stop, a second one aborts.

On the first Ctrl-C (SIGINT) or SIGTERM (a scheduler's stop) the pipeline stops taking new
records, finishes the files for what it has done (complete, valid outputs) and says so; a second
one raises KeyboardInterrupt, and the output set of the previous run stays in place.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType


class GracefulStop:
    """Context manager installing the SIGINT handler; call the instance to ask whether to stop."""

    def __init__(self, on_first: str = "") -> None:
        self.requested = False
        self.on_first = on_first
        self._previous: dict[int, object] = {}

    def __call__(self) -> bool:
        """Return True once Ctrl-C was pressed or SIGTERM received."""
        return self.requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.on_first:
            import sys

            print(self.on_first, file=sys.stderr, flush=True)

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():  # signals only reach the main thread
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous = {}
