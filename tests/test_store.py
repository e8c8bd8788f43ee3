"""The results store on SQLite and on a real PostgreSQL server: nights add up, re-runs replace, reports match."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from qa_audit.cli import main
from qa_audit.store.connect import store_url as to_url

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
NIGHT = {d: [str(SAMPLES / f"chat_202611{d}.jsonl"), str(SAMPLES / f"call_202611{d}.jsonl")] for d in ("19", "20")}


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def audit(inputs: list[str], outdir: Path, store: str, *extra: str) -> list[dict]:
    cli("audit", *inputs, "-o", str(outdir), "--store", store, "--workers", "1", "-q", *extra)
    return [json.loads(line) for line in (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def report(store: str, day_from: str, day_to: str, outdir: Path, *extra: str) -> dict:
    out = cli("report", "--store", store, "--from", day_from, "--to", day_to, "-o", str(outdir), "--json", *extra)
    return json.loads(out.strip().splitlines()[-1])


def query(store: str, sql: str) -> list[tuple]:
    engine = create_engine(to_url(store))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_two_nights_rerun_first_each_conversation_once_and_report_matches(store_url, tmp_path):
    n19 = audit(NIGHT["19"], tmp_path / "n19", store_url)
    n20 = audit(NIGHT["20"], tmp_path / "n20", store_url)
    again = audit(NIGHT["19"], tmp_path / "n19b", store_url)  # the night re-run (after fixing a rule, say)
    assert [r["conversation_id"] for r in again] == [r["conversation_id"] for r in n19]

    ids = query(store_url, "SELECT conversation_id FROM qa_conversations")
    assert len(ids) == len(set(ids)) == len(n19) + len(n20)
    assert query(store_url, "SELECT COUNT(*) FROM qa_runs")[0][0] == 3
    # the re-run replaced night 19: its conversations belong to the third run now
    runs = {r[0] for r in query(store_url, "SELECT run_id FROM qa_conversations WHERE day = '2026-11-19'")}
    assert len(runs) == 1 and runs != {r[0] for r in query(store_url, "SELECT MIN(run_id) FROM qa_runs")}

    both = n19 + n20
    summary = report(store_url, "2026-11-19", "2026-11-20", tmp_path / "rep")
    assert summary["conversations"] == len(both)
    assert summary["findings"] == sum(len(r["findings"]) for r in both)
    assert summary["days"] == 2 and summary["from"] == "2026-11-19" and summary["to"] == "2026-11-20"
    assert summary["agents"] == len({r["agent_id"] for r in both})
    assert summary["mean_score"] == pytest.approx(sum(r["score"] for r in both) / len(both), abs=0.01)
    assert summary["review"] == {}

    # one night alone matches that night's run, agent by agent
    night = report(store_url, "2026-11-20", "2026-11-20", tmp_path / "rep20")
    assert night["conversations"] == len(n20)
    assert night["mean_score"] == pytest.approx(sum(r["score"] for r in n20) / len(n20), abs=0.01)
    wb = openpyxl.load_workbook(tmp_path / "rep20" / "scorecard.xlsx", read_only=True)
    rows = list(wb["坐席"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "坐席工号")
    means = {r[0]: r[4] for r in rows[head + 1 :] if r and r[0]}
    for agent in {r["agent_id"] for r in n20}:
        scores = [r["score"] for r in n20 if r["agent_id"] == agent]
        assert means[agent] == pytest.approx(sum(scores) / len(scores), abs=0.01)


def test_report_has_trends_by_day_with_charts_and_flags_the_biggest_drop(store_url, tmp_path):
    audit(NIGHT["19"], tmp_path / "n19", store_url)
    n20 = audit(NIGHT["20"], tmp_path / "n20", store_url)
    summary = report(store_url, "2026-11-19", "2026-11-20", tmp_path / "rep")
    wb = openpyxl.load_workbook(tmp_path / "rep" / "scorecard.xlsx")
    assert {"趋势", "复核精度", "发现明细", "会话"} <= set(wb.sheetnames)
    ws = wb["趋势"]
    assert len(ws._charts) == 2
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "坐席工号")
    assert rows[head][5:7] == ("2026-11-19", "2026-11-20")  # day by day for a short period
    agent_rows = {r[0]: r for r in rows[head + 1 :] if r[0] and r[0] != "" and r[1] is not None and r[0][0] == "A"}
    flagged = {a for a, r in agent_rows.items() if r[4] and "下降" in r[4]}
    assert flagged == set(summary["flagged_agents"])
    for agent in flagged:
        assert agent_rows[agent][3] <= -5
        last = [r["score"] for r in n20 if r["agent_id"] == agent]
        assert agent_rows[agent][6] == pytest.approx(sum(last) / len(last), abs=0.01)


def test_day_comes_from_started_at_else_the_run_day(store_url, tmp_path):
    src = tmp_path / "in.jsonl"
    turns = [{"role": "agent", "text": "您好，请问有什么可以帮您？"}, {"role": "customer", "text": "查一下快递"}]
    src.write_text(
        json.dumps({"conversation_id": "X1", "started_at": "2026-11-03T23:50:00+08:00", "turns": turns})
        + "\n"
        + json.dumps({"conversation_id": "X2", "turns": turns})
        + "\n",
        encoding="utf-8",
    )
    audit([str(src)], tmp_path / "o", store_url, "--day", "2026-11-04")
    assert sorted(query(store_url, "SELECT conversation_id, day FROM qa_conversations")) == [
        ("X1", "2026-11-03"),
        ("X2", "2026-11-04"),
    ]


def test_an_unusable_store_is_a_config_error_before_any_output(tmp_path):
    out = tmp_path / "o"
    cli("audit", NIGHT["19"][0], "-o", str(out), "--store", str(tmp_path / "no" / "such" / "dir" / "qa.db"), code=2)
    assert not (out / "results.jsonl").exists()
    cli("audit", NIGHT["19"][0], "-o", str(out), "--store", "mysql://x@y/z", code=2)


def test_store_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_AUDIT_STORE", str(tmp_path / "env.db"))
    cli("audit", NIGHT["19"][0], "-o", str(tmp_path / "o"), "--workers", "1", "-q")
    assert query(str(tmp_path / "env.db"), "SELECT COUNT(*) FROM qa_conversations")[0][0] == 7
