"""The Dask engine on a real local cluster (worker processes) gives exactly the local outputs.

One worker process is killed with SIGKILL while it audits: Dask re-runs its file elsewhere and the
run still ends with every conversation once, byte-identical to the one-process run.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.classify import ComplaintTagger
from qa_audit.cli import main
from qa_audit.paths import default_model_dir, default_rules_dir
from qa_audit.pipeline import AuditSettings, run_audit
from qa_audit.rules import load_ruleset

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
BYTE_IDENTICAL = ("results.jsonl", "findings.jsonl", "quarantine.jsonl")
RUN_SPECIFIC = ("seconds", "workers", "engine", "outputs")


def corpus(folder: Path, files: int, per_file: int) -> list[str]:
    """Small JSONL files copied from the sample chats, one id repeated in two files, plus broken records."""
    base = [
        json.loads(x) for x in (SAMPLES / "chat_20261121.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    folder.mkdir()
    paths = []
    for f in range(files):
        path = folder / f"part-{f:02d}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for i in range(per_file):
                cid = "D-DUP" if (f, i) in ((1, 0), (4, 3)) else f"D-{f:02d}-{i:03d}"
                fh.write(json.dumps(dict(base[(f + i) % len(base)], conversation_id=cid), ensure_ascii=False) + "\n")
        paths.append(str(path))
    return [*paths, str(SAMPLES / "broken_records.jsonl")]


def settings(out: Path, **kw: object) -> AuditSettings:
    return AuditSettings(
        outdir=out, ruleset=load_ruleset(default_rules_dir()), tagger=ComplaintTagger.load(default_model_dir()), **kw
    )


def summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in RUN_SPECIFIC}


def same_outputs(a: Path, b: Path) -> None:
    for name in BYTE_IDENTICAL:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert summary(a) == summary(b)


def test_killed_worker_still_gives_the_local_results(tmp_path: Path) -> None:
    inputs = corpus(tmp_path / "in", files=6, per_file=8)
    local = tmp_path / "local"
    run_audit(inputs, settings(local, workers=1))
    with (
        distributed.LocalCluster(
            n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        killed: list[tuple[str, str]] = []  # (worker address, the file task it was running)
        done = threading.Event()

        def kill_the_first_busy_worker() -> None:
            while not done.is_set() and not killed:
                for addr, keys in client.processing().items():
                    files = [k for k in keys if str(k).startswith("qa-audit-file-")]
                    if files:
                        pid = client.run(os.getpid, workers=[addr])[addr]
                        os.kill(pid, signal.SIGKILL)
                        killed.append((addr, files[0]))
                        return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_the_first_busy_worker, daemon=True)
        killer.start()
        dask_out = tmp_path / "dask"
        try:
            result = run_audit(inputs, settings(dask_out, engine="dask", scheduler=cluster.scheduler_address))
        finally:
            done.set()
            killer.join()
        assert killed, "no worker was seen auditing a file"
        assert killed[0][0] not in client.scheduler_info()["workers"]  # that worker died mid-task
    same_outputs(local, dask_out)
    results = (dask_out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(x)["conversation_id"] for x in results]
    assert len(ids) == len(set(ids)) == result.audited
    assert sum(i.startswith("D-") for i in ids) == 6 * 8 - 1  # the repeated id is audited once
    dup = [
        json.loads(x) for x in (dask_out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines() if "D-DUP" in x
    ]
    assert len(dup) == 1 and "part-01.jsonl:1" in dup[0]["reason"] and dup[0]["source"].endswith("part-04.jsonl")


def test_engine_dask_alone_starts_a_local_cluster(tmp_path: Path) -> None:
    inputs = corpus(tmp_path / "in", files=2, per_file=4)
    local, dask_out = tmp_path / "local", tmp_path / "dask"
    r1 = CliRunner().invoke(main, ["audit", *inputs, "-o", str(local), "--workers", "1", "-q"])
    r2 = CliRunner().invoke(main, ["audit", *inputs, "-o", str(dask_out), "--engine", "dask", "--workers", "2"])
    assert r1.exit_code == r2.exit_code == 1, r2.output  # broken_records.jsonl is quarantined
    same_outputs(local, dask_out)
    assert json.loads((dask_out / "summary.json").read_text(encoding="utf-8"))["engine"] == "dask"


def test_scheduler_without_dask_engine_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["audit", str(SAMPLES), "-o", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"])
    assert res.exit_code == 2 and "--engine dask" in res.output
