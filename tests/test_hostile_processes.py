"""Worker processes under kill -9 and SIGTERM of the `qa-audit` that started them.

A worker this run started (a pool worker, the output writer, a local Dask cluster's worker) must not
outlive it; a worker of an external Dask cluster belongs to that cluster and must outlive the client.
Real `qa-audit` subprocesses, real signals; process trees are read from /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from test_hostile_outputs import _alive  # a process that exists and is not a zombie

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not Path("/proc/self/task").exists(), reason="process trees from /proc"
)
GONE_WITHIN = 10.0  # seconds the kernel and Dask get to end the orphans


def _write_corpus(folder: Path, files: int, per_file: int) -> list[str]:
    folder.mkdir()
    conv = {
        "agent_id": "A1",
        "turns": [
            {"role": "agent", "text": "您好，请问有什么可以帮您？"},
            {"role": "customer", "text": "我的快递三天没动了，你们怎么回事"},
            {"role": "agent", "text": "非常抱歉，我马上帮您查询，请问还有其他问题吗？再见"},
        ],
    }
    paths = []
    for f in range(files):
        path = folder / f"part-{f:02d}.jsonl"
        lines = (dict(conv, conversation_id=f"P{f:02d}-{i:05d}") for i in range(per_file))
        path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines), encoding="utf-8")
        paths.append(str(path))
    return paths


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "qa_audit", "audit", *args, "-q"]


def _descendants(pid: int) -> set[int]:
    """Every living process below `pid` (children of every thread, recursively)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                kids = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            todo += [k for k in kids if k not in out]
            out.update(kids)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _survivors(pids: set[int], seconds: float = GONE_WITHIN) -> list[int]:
    """The processes of `pids` still alive after up to `seconds`; those are then killed (no leftovers)."""
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


def _records_written(out: Path) -> bool:
    """Whether the run has written audited records (a file with content in its staging folder)."""
    try:
        return any(p.stat().st_size for p in out.glob("runs/*/*") if p.is_file())
    except FileNotFoundError:  # a staging folder renamed meanwhile
        return False


def _busy_tree(proc: subprocess.Popen, at_least: int, seconds: float = 120) -> set[int]:
    """Wait until `proc` has `at_least` descendants (its workers started) and return them."""
    deadline = time.time() + seconds
    tree: set[int] = set()
    while time.time() < deadline and proc.poll() is None:
        tree = _descendants(proc.pid)
        if len(tree) >= at_least:
            time.sleep(1.0)  # let the workers take their first tasks
            return _descendants(proc.pid) | tree
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the run did not start {at_least} workers (exit {proc.poll()}, {len(tree)} found)")


def test_pool_workers_and_writer_die_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    inputs = _write_corpus(tmp_path / "in", files=1, per_file=6000)
    proc = subprocess.Popen(_cmd(*inputs, "-o", str(tmp_path / "out"), "--workers", "2"))
    tree = _busy_tree(proc, at_least=3)  # two pool workers and the output writer
    proc.kill()
    proc.wait(timeout=30)
    assert not _survivors(tree)


def test_sigterm_exits_130_and_leaves_no_worker(tmp_path: Path) -> None:
    inputs = _write_corpus(tmp_path / "in", files=1, per_file=6000)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cmd(*inputs, "-o", str(out), "--workers", "2"))
    tree = _busy_tree(proc, at_least=3)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and not _records_written(out):
        time.sleep(0.02)  # until audited records are written (a stop before any record keeps the old set)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=90) == 130
    assert not _survivors(tree)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["interrupted"] is True
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_local_dask_cluster_workers_die_with_a_client_killed_by_sigkill(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    inputs = _write_corpus(tmp_path / "in", files=8, per_file=1500)
    proc = subprocess.Popen(_cmd(*inputs, "-o", str(tmp_path / "out"), "--engine", "dask", "--workers", "2"))
    tree = _busy_tree(proc, at_least=2)  # the two worker processes (and Python's resource tracker)
    assert sum("spawn_main" in _cmdline(p) for p in tree) >= 2, [_cmdline(p) for p in tree]
    proc.kill()
    proc.wait(timeout=30)
    assert not _survivors(tree)


@contextmanager
def _external_cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A `dask scheduler` and a `dask worker` (with its nanny) started apart from any qa-audit run."""
    dask = str(Path(sys.executable).with_name("dask"))
    info = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    opts = ["--no-dashboard", "--scheduler-file", str(info)]
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", *opts], **quiet)
    worker = None
    try:
        deadline = time.time() + 60
        while not info.exists() or not info.read_text(encoding="utf-8").strip():
            assert time.time() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(info.read_text(encoding="utf-8"))["address"]
        worker = subprocess.Popen([dask, "worker", *opts, "--nworkers", "1", "--nthreads", "1"], **quiet)
        yield address, worker
    finally:
        for p in (worker, scheduler):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if worker is not None:
            _survivors(_descendants(worker.pid), seconds=0)


def test_workers_of_an_external_dask_cluster_outlive_a_client_killed_by_sigkill(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    inputs = _write_corpus(tmp_path / "in", files=8, per_file=1500)
    with _external_cluster(tmp_path) as (address, worker), distributed.Client(address, timeout="60s") as watcher:
        watcher.wait_for_workers(1, timeout=60)
        (worker_address,) = watcher.scheduler_info()["workers"]
        worker_pid = watcher.run(os.getpid)[worker_address]
        proc = subprocess.Popen(_cmd(*inputs, "-o", str(tmp_path / "out"), "--engine", "dask", "--scheduler", address))
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if any(str(k).startswith("qa-audit-file-") for k in watcher.processing().get(worker_address, ())):
                break  # the client's file tasks run on the cluster's worker
            time.sleep(0.05)
        else:
            proc.kill()
            raise AssertionError(f"no file task was seen on the worker (exit {proc.poll()})")
        proc.kill()
        proc.wait(timeout=30)
        time.sleep(GONE_WITHIN / 2)
        assert _alive(worker_pid) and worker.poll() is None
        assert worker_address in watcher.scheduler_info()["workers"]
        assert watcher.submit(sum, [1, 2], pure=False).result(timeout=60) == 3  # still serves tasks


def test_sigterm_after_the_outputs_are_committed_still_exits_130(tmp_path: Path) -> None:
    # The signal lands in the window after run_audit returned (while the summary is printed), where the
    # default handler used to be back in place and the process died with -15 instead of exiting 130.
    inputs = _write_corpus(tmp_path / "in", files=1, per_file=20)
    out = tmp_path / "out"
    script = (
        "import os, signal, sys\n"
        "import qa_audit.cli as cli\n"
        "real = cli.audit_notes\n"
        "def notes(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*a, **k)\n"
        "cli.audit_notes = notes\n"
        "sys.exit(cli.main())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "audit", *inputs, "-o", str(out), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 130, run.stderr
    assert "中断" in run.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is False and summary["read"] == 20  # the outputs were complete
