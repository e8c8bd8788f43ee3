"""Garbage collection set for a long audit run.

A run allocates millions of short-lived containers (turns, findings, rows), so CPython's cyclic
collector runs often, and each full collection walks every object still alive: the rules, the
model and the dictionaries loaded at start-up, tens of thousands of them, again and again (about
8 % of a one-worker run's CPU on real chats). For the length of a run, the objects alive at its
start are set aside (gc.freeze, also in the processes forked from it: the writer and the pool
workers), and the youngest generation is collected after more allocations. Objects are freed as
before; only unreachable cycles wait a little longer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 20_000  # allocations between collections of the youngest generation (CPython's default: 700)


@contextmanager
def run_gc() -> Iterator[None]:
    """Within: the objects alive on entry are left out of collections, and the youngest generation waits for YOUNG."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], YOUNG), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
