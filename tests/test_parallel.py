"""The process pool gives exactly the outputs of the one-process run (real files, real workbook)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import qa_audit.parallel
from qa_audit.cli import main
from qa_audit.progress import count_records

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
BYTE_IDENTICAL = ("results.jsonl", "findings.jsonl", "quarantine.jsonl")
RUN_SPECIFIC = ("seconds", "workers", "engine", "outputs")


def write_copies(path: Path, n: int, prefix: str) -> None:
    """Write `n` copies of the readable sample chats with new ids (a tiny synthetic corpus)."""
    base = [
        json.loads(x) for x in (SAMPLES / "chat_20261120.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            rec = dict(base[i % len(base)], conversation_id=f"{prefix}-{i:04d}", agent_id=f"A{i % 7}")
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    """Every cell of every sheet, but the generation time (the clock, not the audit)."""
    wb = load_workbook(path, read_only=True)
    try:
        return {
            ws.title: [
                tuple(r)
                for r in ws.iter_rows(values_only=True)
                if not (r and isinstance(r[0], str) and r[0].startswith("生成时间"))
            ]
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in RUN_SPECIFIC}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The samples (with broken records) plus a synthetic file, audited with 1 and with 2 workers."""
    tmp = tmp_path_factory.mktemp("parallel")
    write_copies(tmp / "extra.jsonl", 40, "P")
    inputs = [str(SAMPLES), str(tmp / "extra.jsonl")]
    out: dict[str, object] = {"inputs": inputs}
    mp = pytest.MonkeyPatch()
    mp.setattr(qa_audit.parallel, "CHUNK", 16)  # several chunks from a small corpus
    try:
        for workers in ("1", "2"):
            dest = tmp / f"w{workers}"
            res = CliRunner().invoke(
                main, ["audit", *inputs, "-o", str(dest), "--workers", workers, "--log-interval", "0"]
            )
            out[workers] = (dest, res)
    finally:
        mp.undo()
    return out


def test_two_workers_write_byte_identical_outputs(runs) -> None:
    (one, r1), (two, r2) = runs["1"], runs["2"]
    assert r1.exit_code == r2.exit_code == 1, r2.output  # the samples' broken records are quarantined
    for name in BYTE_IDENTICAL:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert summary(one) == summary(two)
    assert json.loads((two / "summary.json").read_text(encoding="utf-8"))["workers"] == 2
    assert sheet_values(one / "scorecard.xlsx") == sheet_values(two / "scorecard.xlsx")


def test_results_keep_input_order_and_nothing_is_lost(runs) -> None:
    two, _ = runs["2"]
    ids = [json.loads(x)["conversation_id"] for x in (two / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert ids[-40:] == [f"P-{i:04d}" for i in range(40)]  # the extra file comes last, in file order
    s = json.loads((two / "summary.json").read_text(encoding="utf-8"))
    assert s["read"] == s["audited"] + s["quarantined"] and s["audited"] == len(ids) == len(set(ids))


def test_progress_is_logged_as_plain_lines_without_a_terminal(runs) -> None:
    _, res = runs["2"]
    lines = [x for x in res.output.splitlines() if " progress: " in x]
    assert lines and "\r" not in res.output
    read = json.loads((runs["2"][0] / "summary.json").read_text(encoding="utf-8"))["read"]
    assert lines[-1].split(" progress: ")[1].startswith(f"{read:,} read")  # every record was counted
    assert "conv/s" in lines[-1]


def test_expected_total_counts_jsonl_records(tmp_path: Path) -> None:
    write_copies(tmp_path / "a.jsonl", 40, "T")
    with open(tmp_path / "b.jsonl", "w", encoding="utf-8") as fh:
        fh.write('{"conversation_id": "x"}')  # no final newline
    assert count_records([tmp_path / "a.jsonl", tmp_path / "b.jsonl"]) == 41
    assert count_records([tmp_path / "a.jsonl", SAMPLES / "export_zh.csv"]) is None  # no ETA for CSV


def test_limit_with_workers_matches_one_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa_audit.parallel, "CHUNK", 8)
    write_copies(tmp_path / "in.jsonl", 60, "L")
    outs = []
    for workers in ("1", "2"):
        dest = tmp_path / workers
        res = CliRunner().invoke(
            main, ["audit", str(tmp_path / "in.jsonl"), "-o", str(dest), "--workers", workers, "--limit", "25", "-q"]
        )
        assert res.exit_code == 0, res.output
        outs.append(dest)
    assert (outs[0] / "results.jsonl").read_bytes() == (outs[1] / "results.jsonl").read_bytes()
    s = json.loads((outs[1] / "summary.json").read_text(encoding="utf-8"))
    assert (s["audited"], s["not_processed"]) == (25, 35)
