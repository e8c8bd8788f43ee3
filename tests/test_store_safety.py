"""All-or-nothing: a killed or failed run leaves the store as before; older stores open and migrate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from qa_audit.store.connect import store_url as to_url
from test_store import NIGHT, SAMPLES, audit, cli, query, report


def snapshot(store: str) -> tuple:
    return (
        sorted(query(store, "SELECT conversation_id, run_id, score FROM qa_conversations")),
        query(store, "SELECT COUNT(*) FROM qa_findings"),
        query(store, "SELECT COUNT(*) FROM qa_runs"),
    )


def big_input(path: Path, n: int) -> None:
    """`n` conversations copied from the samples, the first ones with night 19's ids (re-audits)."""
    base = [json.loads(x) for f in NIGHT["19"] + NIGHT["20"] for x in Path(f).read_text(encoding="utf-8").splitlines()]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = dict(base[i % len(base)])
            if i >= len(base):
                rec["conversation_id"] = f"BIG-{i:06d}"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def test_a_killed_run_leaves_the_store_as_before(store_url, tmp_path):
    audit(NIGHT["19"], tmp_path / "n19", store_url)
    before = snapshot(store_url)
    src = tmp_path / "big.jsonl"
    big_input(src, 20000)
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "qa_audit",
        "audit",
        str(src),
        "-o",
        str(out),
        "--store",
        store_url,
        "--workers",
        "1",
        "-q",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # kill -9 once the run has streamed more than two store batches (and re-audited night 19's ids)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            # the run writes into OUTDIR/runs/<id>/ before switching the set in
            tmp = list(out.glob("runs/*/.results.jsonl.*.tmp")) if out.is_dir() else []
            if tmp and sum(1 for _ in tmp[0].open("rb")) > 2500:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed; give it more input"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert snapshot(store_url) == before
    audit(NIGHT["20"], tmp_path / "n20", store_url)  # the store still works after the kill
    assert len(snapshot(store_url)[0]) == len(before[0]) + 14


def test_a_run_whose_outputs_fail_stores_nothing(store_url, tmp_path):
    audit(NIGHT["19"], tmp_path / "n19", store_url)
    before = snapshot(store_url)
    out = tmp_path / "broken"
    (out / "scorecard.xlsx").mkdir(parents=True)  # the workbook cannot replace a directory: the last stage fails
    cli("audit", *NIGHT["19"], *NIGHT["20"], "-o", str(out), "--store", store_url, "--workers", "1", "-q", code=2)
    assert snapshot(store_url) == before


V1_DDL = [
    "CREATE TABLE qa_schema (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)",
    "CREATE TABLE qa_rulesets (version VARCHAR(80) PRIMARY KEY, name TEXT NOT NULL, policy TEXT NOT NULL,"
    " rules TEXT NOT NULL)",
    "CREATE TABLE qa_runs (run_id {serial} PRIMARY KEY, started_at VARCHAR(40) NOT NULL, finished_at VARCHAR(40),"
    " inputs TEXT NOT NULL, ruleset_name TEXT, ruleset_version VARCHAR(80), model TEXT, qa_audit_version VARCHAR(40),"
    " day_default VARCHAR(10) NOT NULL, read INTEGER, audited INTEGER, quarantined INTEGER, findings INTEGER)",
    "CREATE TABLE qa_conversations (conversation_id TEXT PRIMARY KEY, run_id INTEGER NOT NULL,"
    " day VARCHAR(10) NOT NULL, agent_id TEXT, agent_name TEXT, team TEXT, channel TEXT, started_at TEXT,"
    " source TEXT, line INTEGER,"
    " turns TEXT NOT NULL, checks TEXT NOT NULL, score FLOAT NOT NULL, possible FLOAT NOT NULL,"
    " deducted FLOAT NOT NULL,"
    " passed BOOLEAN NOT NULL, vetoed BOOLEAN NOT NULL, ruleset_version VARCHAR(80) NOT NULL, complaint_type TEXT,"
    " complaint_prob FLOAT, complaint_uncertain BOOLEAN, is_complaint BOOLEAN, customer_type TEXT, explanation TEXT)",
    "CREATE TABLE qa_findings (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, finding_id VARCHAR(40) NOT NULL,"
    " rule_id TEXT NOT NULL, tier VARCHAR(10) NOT NULL, severity TEXT, points FLOAT NOT NULL, turn_index INTEGER,"
    " role TEXT, span_start INTEGER, span_end INTEGER, match TEXT, message TEXT, evidence TEXT,"
    " PRIMARY KEY (conversation_id, seq))",
    "INSERT INTO qa_schema VALUES (1, '2026-11-01T00:00:00+00:00')",
    "INSERT INTO qa_rulesets VALUES ('old', 'default', '{\"base\": 100.0, \"pass_threshold\": 80.0}',"
    ' \'[{"id": "dont.harsh", "title": "态度生硬", "severity": "major", "points": 10.0}]\')',
    "INSERT INTO qa_runs (started_at, inputs, day_default) VALUES ('2026-11-01T00:00:00', '[]', '2026-11-01')",
    "INSERT INTO qa_conversations VALUES ('OLD-1', 1, '2026-11-18', 'A101', '张晓雯', '售后一组', 'chat', NULL,"
    " 'x.jsonl', 1,"
    ' \'[[0, "agent", "你等着", null, null, null]]\', \'{"dont.harsh": "fail"}\', 90, 100, 10, true, false, \'old\','
    " '其他', 0.1, false, false, '要求型', '[]')",
    "INSERT INTO qa_findings VALUES ('OLD-1', 0, 'aaaaaaaaaaaaaaaa', 'dont.harsh', 'deduct', 'major', 10, 0, 'agent',"
    " 0, 3, '你等着', '生硬', NULL)",
]


def test_a_store_made_by_schema_v1_opens_migrates_and_keeps_its_data(store_url, tmp_path):
    engine = create_engine(to_url(store_url))
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"  # as SQLAlchemy made it
    with engine.begin() as conn:
        for statement in V1_DDL:
            conn.execute(text(statement.replace("{serial}", serial)))
    engine.dispose()
    audit(NIGHT["19"], tmp_path / "n19", store_url)
    assert [v for (v,) in query(store_url, "SELECT version FROM qa_schema ORDER BY version")] == [1, 2]
    summary = report(store_url, "2026-11-18", "2026-11-19", tmp_path / "rep")
    assert summary["conversations"] == 1 + 11 and summary["days"] == 2
    old = report(store_url, "2026-11-18", "2026-11-18", tmp_path / "old")
    assert old["mean_score"] == 90 and old["findings"] == 1
    # v2's verdicts work on v1's findings
    from test_store_review import review_as_a_reviewer

    review_as_a_reviewer(
        tmp_path / "old" / "scorecard.xlsx", tmp_path / "r.xlsx", {"aaaaaaaaaaaaaaaa": ("误判", "a", "")}
    )
    cli("review", "import", str(tmp_path / "r.xlsx"), "--store", store_url, code=1)
    assert report(store_url, "2026-11-18", "2026-11-18", tmp_path / "old2")["mean_score"] == 100


def test_a_store_from_a_newer_qa_audit_is_refused(tmp_path):
    store = str(tmp_path / "qa.db")
    audit(NIGHT["19"][:1], tmp_path / "a", store)
    engine = create_engine(to_url(store))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO qa_schema VALUES (99, 'later')"))
    engine.dispose()
    out = cli("audit", str(SAMPLES / "chat_20261120.jsonl"), "-o", str(tmp_path / "b"), "--store", store, code=2)
    assert "newer than this qa-audit" in out
    assert not (tmp_path / "b" / "results.jsonl").exists()


def test_sample_is_stratified_and_blind_and_agreement_counts_kappa(store_url, tmp_path):
    import openpyxl

    store, n = store_url, 24
    audit(NIGHT["19"] + NIGHT["20"], tmp_path / "o", store)
    path = tmp_path / "sample.xlsx"
    cli("sample", "--store", store, "--from", "2026-11-19", "--to", "2026-11-20", "--n", str(n), "-o", str(path))
    wb = openpyxl.load_workbook(path)
    ws, engine = wb["抽样"], wb["engine"]
    assert engine.sheet_state == "veryHidden"
    header = [c.value for c in ws[1]]
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == n
    assert not any(v in ("违规", "合规") for r in rows for v in r)  # the engine's verdict is not on the visible sheet
    truth = {sid: verdict for sid, verdict, *_ in engine.iter_rows(min_row=2, values_only=True)}
    outcomes = {(r[header.index("规则ID")], truth[r[0]]) for r in rows}
    assert {v for _, v in outcomes} == {"违规", "合规"}  # failed and passed pairs both drawn
    assert len({r[header.index("规则ID")] for r in rows}) >= 5 and len({r[header.index("坐席工号")] for r in rows}) >= 4
    assert rows[0][header.index("会话原文（轮次从1起）")].startswith("1 ")
    # reviewer A agrees with the engine on every row; B says 合规 everywhere
    a, b = header.index("复核员A") + 1, header.index("复核员B") + 1
    for i, r in enumerate(rows, start=2):
        ws.cell(row=i, column=a, value=truth[r[0]])
        ws.cell(row=i, column=b, value="合规")
    wb.save(path)
    out = cli("agreement", str(path), "--json")
    result = json.loads(out.strip().splitlines()[-1])
    overall = result["overall"]
    assert overall["reviewer_a_vs_engine"] == {"n": n, "agree": n, "agreement": 1.0, "kappa": 1.0}
    fired = sum(v == "违规" for v in (truth[r[0]] for r in rows))
    assert overall["reviewer_b_vs_engine"]["agree"] == n - fired
    assert overall["reviewer_b_vs_engine"]["kappa"] == 0.0
    assert overall["reviewer_a_vs_b"]["n"] == n
    assert sum(r["units"] for r in result["rules"].values()) == n
