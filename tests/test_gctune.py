"""The garbage-collection settings of a run are undone when it ends."""

from __future__ import annotations

import gc

import pytest

from qa_audit.gctune import YOUNG, run_gc


def test_a_run_freezes_what_is_alive_and_gives_it_back() -> None:
    before = gc.get_threshold()
    with run_gc():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= YOUNG
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_settings_are_undone_when_the_run_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), run_gc():
        raise RuntimeError
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
