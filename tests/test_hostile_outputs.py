"""The output set under attack: committed as a unit, locked, bounded names, signals.

The process tests run the real command in a subprocess and interrupt it the way an operator or
a scheduler does (kill -9, SIGTERM, Ctrl-C twice); afterwards OUTDIR must hold one complete set.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qa_audit.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")


def _convs(n: int, agents: int, prefix: str = "H") -> list[dict]:
    return [
        {
            "conversation_id": f"{prefix}{i:05d}",
            "agent_id": f"A{i % agents:04d}",
            "turns": [
                {"role": "agent", "text": "您好，请问有什么可以帮您？"},
                {"role": "customer", "text": "我的快递三天没动了，你们怎么回事"},
                {"role": "agent", "text": "非常抱歉，我马上帮您查询，请问还有其他问题吗？再见"},
            ],
        }
        for i in range(n)
    ]


def _write(path: Path, convs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in convs), encoding="utf-8")
    return path


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "qa_audit", "audit", *args, "-q"]


def _consistent_set(out: Path) -> int:
    """Assert OUTDIR holds one complete set (every file from the same run); return its audited count."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    results = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    quarantine = (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    assert summary["audited"] == len(results) and summary["quarantined"] == len(quarantine)
    ids = {json.loads(r)["conversation_id"] for r in results}
    found = {json.loads(f)["conversation_id"] for f in (out / "findings.jsonl").read_text("utf-8").splitlines()}
    assert found <= ids
    wb = openpyxl.load_workbook(out / "scorecard.xlsx", read_only=True)
    book_ids = {r[0] for r in wb["会话"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    wb.close()
    assert book_ids == ids
    return summary["audited"]


def test_agent_id_of_80_chinese_characters_gets_its_own_workbook(tmp_path: Path) -> None:
    convs = _convs(2, 1)
    convs[0]["agent_id"] = "坐" * 80
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["audit", str(_write(tmp_path / "a.jsonl", convs)), "-o", str(out), "--split-by", "agent", "-q"]
    )
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (out / "by_agent").iterdir())
    assert len(names) == 2 and all(len(n.encode("utf-8")) <= 160 for n in names)
    assert any(n.startswith("坐" * 20) for n in names)
    _consistent_set(out)


def test_a_second_run_into_a_busy_outdir_refuses_with_exit_2(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with (out / ".qa-audit.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds the outdir
        res = CliRunner().invoke(main, ["audit", str(SAMPLES / "chat_20261121.jsonl"), "-o", str(out), "-q"])
    assert res.exit_code == 2 and "another" in res.output and not (out / "results.jsonl").exists()


def _first_run(tmp_path: Path) -> tuple[Path, int]:
    out = tmp_path / "out"
    small = _write(tmp_path / "small.jsonl", _convs(3, 1, prefix="OLD"))
    subprocess.run(_cmd(str(small), "-o", str(out)), check=True, timeout=120)
    return out, _consistent_set(out)


def _busy_run(tmp_path: Path, out: Path, *extra: str) -> subprocess.Popen:
    big = _write(tmp_path / "big.jsonl", _convs(600, 300))
    return subprocess.Popen(_cmd(str(big), "-o", str(out), "--split-by", "agent", "--workers", "1", *extra))


def test_kill_9_while_writing_leaves_the_old_set_or_the_new_one(tmp_path: Path) -> None:
    out, old = _first_run(tmp_path)
    before = os.stat(out / "scorecard.xlsx")
    proc = _busy_run(tmp_path, out)
    deadline = time.time() + 150
    while proc.poll() is None and time.time() < deadline:
        now = os.stat(out / "scorecard.xlsx")
        if (now.st_ino, now.st_mtime_ns) != (before.st_ino, before.st_mtime_ns):
            proc.kill()  # the first moment a new output is visible
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert _consistent_set(out) in (old, 600)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:  # a temporary file renamed meanwhile
        return 0


def _wait_for_work(proc: subprocess.Popen, out: Path, seconds: float = 60) -> None:
    """Wait until the run has written audited records (a new file under OUTDIR with content)."""
    deadline = time.time() + seconds
    start = set(out.rglob("*"))
    while time.time() < deadline and proc.poll() is None:
        if any(_size(p) > 0 for p in set(out.rglob("*")) - start):
            return
        time.sleep(0.02)


def test_second_ctrl_c_exits_130_and_leaves_a_consistent_set(tmp_path: Path) -> None:
    out, old = _first_run(tmp_path)
    proc = _busy_run(tmp_path, out)
    _wait_for_work(proc, out)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert _consistent_set(out) == old  # aborted: the previous set, untouched


def test_sigterm_stops_like_ctrl_c_with_complete_files(tmp_path: Path) -> None:
    out, _ = _first_run(tmp_path)
    proc = _busy_run(tmp_path, out)
    _wait_for_work(proc, out)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=90) == 130
    _consistent_set(out)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["interrupted"] is True
    assert not list(out.rglob("*.tmp"))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_pool_workers_die_with_their_parent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    big = _write(tmp_path / "big.jsonl", _convs(4000, 50))
    proc = subprocess.Popen(_cmd(str(big), "-o", str(out), "--workers", "2"))
    deadline = time.time() + 90
    workers: list[int] = []
    while time.time() < deadline and proc.poll() is None and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the pool did not start"
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leave them running after a failure
        os.kill(w, signal.SIGKILL)
    assert not left


def test_a_folder_in_the_way_of_an_output_is_never_deleted(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", _convs(3, 1))
    out = tmp_path / "out"
    mine = out / "scorecard.xlsx"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("a user's own file", encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "scorecard.xlsx" in result.output
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "a user's own file"
    assert not (out / "results.jsonl").exists()  # nothing switched in: no half set


def test_a_stop_before_any_record_keeps_the_previous_set(tmp_path: Path) -> None:
    """Ctrl-C while the rules and model load: there is nothing new to switch in."""
    from qa_audit.classify import ComplaintTagger
    from qa_audit.paths import default_model_dir, default_rules_dir
    from qa_audit.pipeline import AuditSettings, run_audit
    from qa_audit.rules import load_ruleset

    out, old = _first_run(tmp_path)
    settings = AuditSettings(
        outdir=out, ruleset=load_ruleset(default_rules_dir()), tagger=ComplaintTagger.load(default_model_dir())
    )
    big = _write(tmp_path / "big.jsonl", _convs(20, 5))
    summary = run_audit([str(big)], settings, stop=lambda: True)
    assert summary.interrupted and summary.read == 0 and not summary.committed
    assert _consistent_set(out) == old
    assert [p.name for p in (out / "runs").iterdir()] == [os.readlink(out / "current").split("/")[-1]]
