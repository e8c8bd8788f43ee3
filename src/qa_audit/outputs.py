"""Commit an output set as a unit, and keep two runs out of one OUTDIR.

A run writes its whole set (results, findings, quarantine, summary, workbooks, by_agent/, CSV,
Parquet) into a fresh folder `OUTDIR/runs/<id>/`. Only when the set is complete is it switched
in with one atomic step: the symlink `OUTDIR/current` is replaced (`os.replace` of a new link).
The documented paths `OUTDIR/results.jsonl`, `OUTDIR/scorecard.xlsx`, ... are symlinks through
`current`, so a reader sees either the old set or the new one, never a mix, whatever happens
to the writer (kill -9, full disk, a second Ctrl-C). The previous set is kept until the next
run, so a reader that resolved `current` just before the switch can still finish.

Where symbolic links cannot be made (some Windows setups) the files are moved into OUTDIR one by
one, as before this module: complete files, but not switched as a unit.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

RUNS = "runs"
CURRENT = "current"
SPLIT_DIRS = ("by_agent", "by_team")  # output folders of an older version, replaced by links
LOCK = ".qa-audit.lock"


class OutdirBusy(Exception):
    """Another run holds the output directory's lock (a usage error: exit 2)."""


@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """Hold OUTDIR's lock for the block; raise OutdirBusy at once when another run holds it."""
    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / LOCK, "a+", encoding="utf-8") as fh:
        if not _try_lock(fh):
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise OutdirBusy(
                f"{outdir} is being written by another qa-audit run (pid {holder}); "
                "wait for it to finish or choose another -o OUTDIR (输出目录正被另一个任务使用)"
            )
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield  # the lock goes with the file handle (also on kill -9)
        finally:
            fh.seek(0)
            fh.truncate()


def _try_lock(fh: object) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
    except OSError:
        return False
    return True


def start_run(outdir: Path) -> Path:
    """Create and return a fresh, empty run folder `OUTDIR/runs/<id>/` (call under `locked`).

    Folders of runs that never completed (killed) are removed first.
    """
    runs = outdir / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    keep = _current_target(outdir)
    for old in runs.iterdir():
        if old.name != keep and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    stage = runs / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
    stage.mkdir()
    return stage


def discard_run(stage: Path) -> None:
    """Remove a run folder that will not be committed, and `runs/` when nothing else is in it."""
    shutil.rmtree(stage, ignore_errors=True)
    with contextlib.suppress(OSError):
        stage.parent.rmdir()


def commit_run(outdir: Path, stage: Path) -> None:
    """Switch the complete set in `stage` into OUTDIR in one atomic step; drop older sets."""
    names = sorted(p.name for p in stage.iterdir())
    for name in names:  # before anything is switched: never delete a folder qa-audit did not write
        path = outdir / name
        if path.is_dir() and not path.is_symlink() and name not in SPLIT_DIRS:
            raise IsADirectoryError(f"{path} is a folder that qa-audit did not write; move it away and run again")
    previous = _current_target(outdir)
    try:
        for name in names:  # OUTDIR/<name> -> current/<name> (dangling until the switch)
            _link(outdir / name, f"{CURRENT}/{name}")
        _link(outdir / CURRENT, f"{RUNS}/{stage.name}")  # the switch
    except OSError as exc:
        if not _no_symlinks(exc):
            raise
        _move_files(outdir, stage, names)
        return
    for entry in outdir.iterdir():  # links to outputs the new set does not have
        stale = entry.is_symlink() and entry.name not in names and entry.name != CURRENT
        if stale and os.readlink(entry).startswith(f"{CURRENT}/"):
            entry.unlink()
    for old in (outdir / RUNS).iterdir():
        if old.name not in (stage.name, previous) and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _current_target(outdir: Path) -> str | None:
    try:
        return Path(os.readlink(outdir / CURRENT)).name
    except OSError:
        return None


def _link(path: Path, target: str) -> None:
    """Make `path` a symlink to `target`, replacing what is there in one step."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.is_dir() and not path.is_symlink():  # by_agent/ of an older version (checked by commit_run)
        shutil.rmtree(path)
    tmp = path.with_name(f".{secrets.token_hex(4)}.link.tmp")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _no_symlinks(exc: OSError) -> bool:
    return isinstance(exc, (NotImplementedError, PermissionError)) or getattr(exc, "winerror", None) == 1314


def _move_files(outdir: Path, stage: Path, names: list[str]) -> None:
    for name in names:
        target = outdir / name
        if target.is_dir() and name in SPLIT_DIRS:
            shutil.rmtree(target)
        os.replace(stage / name, target)
    discard_run(stage)
