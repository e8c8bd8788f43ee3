"""A run killed with SIGKILL and started again gives the outputs of an uninterrupted run; Ctrl-C stops cleanly.

Real `qa-audit` subprocesses, killed by real signals while they audit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
BYTE_IDENTICAL = ("results.jsonl", "findings.jsonl", "quarantine.jsonl")
RUN_SPECIFIC = ("seconds", "outputs")
# Enough records that a signal sent at the first progress line lands mid-run even on a fast, idle machine
# (with 100 the run could finish before SIGINT arrived: the audit got faster).
N = 1000


def write_copies(path: Path, n: int) -> None:
    base = [
        json.loads(x) for x in (SAMPLES / "chat_20261119.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(dict(base[i % len(base)], conversation_id=f"R-{i:04d}"), ensure_ascii=False) + "\n")


def command(inputs: list[str], out: Path) -> list[str]:
    return [sys.executable, "-m", "qa_audit", "audit", *inputs, "-o", str(out), "--workers", "2", "--log-interval", "0"]


def start_and_signal(cmd: list[str], sig: int) -> subprocess.CompletedProcess:
    """Start `cmd` in its own process group; once it has audited a record, send `sig` to the group."""
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stderr is not None
    err = []
    for line in proc.stderr:
        err.append(line)
        if " progress: " in line:  # mid-run: at least one record is done, the rest is not
            os.killpg(proc.pid, sig)
            break
    err.append(proc.stderr.read())
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, "", "".join(err))


def summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in RUN_SPECIFIC}


def cells(path: Path) -> list[list[tuple]]:
    wb = load_workbook(path, read_only=True)
    try:
        return [
            [r for r in ws.iter_rows(values_only=True) if not (r and str(r[0]).startswith("生成时间"))]
            for ws in wb.worksheets
        ]
    finally:
        wb.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("restart_in")
    write_copies(folder / "many.jsonl", N)
    return [str(folder / "many.jsonl"), str(SAMPLES / "broken_records.jsonl")]


def test_sigkill_then_same_command_gives_the_uninterrupted_outputs(inputs: list[str], tmp_path: Path) -> None:
    reference, out = tmp_path / "reference", tmp_path / "out"
    done = subprocess.run(command(inputs, reference), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # broken records are quarantined
    killed = start_and_signal(command(inputs, out), signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists()  # nothing half-written appears under an output name
    again = subprocess.run(command(inputs, out), capture_output=True, text=True, timeout=300)
    assert again.returncode == 1, again.stderr
    for name in BYTE_IDENTICAL:
        assert (reference / name).read_bytes() == (out / name).read_bytes(), name
    assert summary(reference) == summary(out)
    assert cells(reference / "scorecard.xlsx") == cells(out / "scorecard.xlsx")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference.iterdir())  # no stale temp


def test_ctrl_c_leaves_complete_outputs_for_what_was_done(inputs: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    stopped = start_and_signal(command(inputs, out), signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    assert "interrupted" in stopped.stderr and "Traceback" not in stopped.stderr
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    results = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    quarantine = (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    assert s["interrupted"] is True and 0 < s["read"] < N
    assert s["read"] == s["audited"] + s["quarantined"]
    assert (len(results), len(quarantine)) == (s["audited"], s["quarantined"])
    ids = [json.loads(x)["conversation_id"] for x in results]
    assert ids == [f"R-{i:04d}" for i in range(len(ids))]  # the first records, in order, none skipped
    assert len(cells(out / "scorecard.xlsx")) > 1  # the workbook is complete and opens
