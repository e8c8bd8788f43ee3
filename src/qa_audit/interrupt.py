"""Ctrl-C that stops a run cleanly: the first SIGINT asks the run to stop, a second one aborts.

On the first Ctrl-C the pipeline stops taking new records, finishes the files for what it has
done (complete, valid outputs) and says so; a second Ctrl-C raises KeyboardInterrupt as usual.
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
        self._previous: object = None

    def __call__(self) -> bool:
        """Return True once Ctrl-C was pressed."""
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
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
