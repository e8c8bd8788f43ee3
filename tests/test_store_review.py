"""Reviewer verdicts: a workbook edited as a reviewer would, imported, changes scores and precision."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from test_store import NIGHT, audit, cli, query, report

UNKNOWN_ID = "ffffffffffffffff"


def review_as_a_reviewer(src: Path, dst: Path, verdicts: dict[str, tuple[str, str, str]]) -> None:
    """Sort the findings sheet, add a column in front, set a filter, fill verdicts by 发现ID, save renamed."""
    wb = openpyxl.load_workbook(src)
    ws = wb["发现明细"]
    header = [c.value for c in ws[1]]
    data = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    rule, fid = header.index("规则ID"), header.index("发现ID")
    data.sort(key=lambda r: (str(r[rule]), str(r[fid])), reverse=True)
    data.append([None] * len(header))
    data[-1][fid] = UNKNOWN_ID  # a row whose finding the store does not hold
    for r in data:
        if r[fid] == UNKNOWN_ID:
            r[header.index("复核结果")] = "误判"
        elif r[fid] in verdicts:
            v, who, note = verdicts[r[fid]]
            r[header.index("复核结果")], r[header.index("复核人")], r[header.index("复核备注")] = v, who, note
    ws.delete_rows(2, ws.max_row)
    for i, r in enumerate(data, start=2):
        for j, value in enumerate(r, start=1):
            ws.cell(row=i, column=j, value=value)
    ws.insert_cols(1)
    ws.cell(row=1, column=1, value="我的备注")
    ws.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
    wb.save(dst)


def conversation_scores(path: Path) -> dict[str, float]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["会话"].iter_rows(values_only=True))
    col = rows[0].index("得分")
    return {r[0]: r[col] for r in rows[1:] if r[0]}


def test_reviewer_workbook_changes_agent_score_and_rule_precision(store_url, tmp_path):
    results = audit(NIGHT["19"], tmp_path / "n19", store_url)
    # a conversation that lost points to one rule through two findings: both are judged 误判
    target = next(
        r
        for r in results
        if any(
            sum(g["rule_id"] == f["rule_id"] and g["tier"] == "deduct" for g in r["findings"]) >= 2
            for f in r["findings"]
        )
    )
    rule = next(
        f["rule_id"] for f in target["findings"] if sum(g["rule_id"] == f["rule_id"] for g in target["findings"]) >= 2
    )
    rejected = [f["finding_id"] for f in target["findings"] if f["rule_id"] == rule][:2]
    # a deducting finding: upholding a 待复核 flag would cost its points and change that score
    upheld = next(f["finding_id"] for r in results for f in r["findings"] if r is not target and f["tier"] == "deduct")
    verdicts = dict.fromkeys(rejected, ("误判", "王质检", "客户先说的你"))
    verdicts[upheld] = ("属实", "王质检", "")
    before = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "before")

    edited = tmp_path / "看过的-改名.xlsx"
    review_as_a_reviewer(tmp_path / "n19" / "scorecard.xlsx", edited, verdicts)
    out = cli("review", "import", str(edited), "--store", store_url, code=1)  # 1: the unknown id is reported
    assert UNKNOWN_ID in out and "not in the store" in out
    stored = dict(query(store_url, "SELECT finding_id, verdict FROM qa_reviews"))
    assert stored == {fid: v for fid, (v, _, _) in verdicts.items()}
    assert set(query(store_url, "SELECT reviewer FROM qa_reviews")) == {("王质检",)}

    after = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "after")
    assert after["review"][rule] == {"upheld": 0, "rejected": 2, "unsure": 0, "precision": 0.0}
    assert rule in after["low_precision_rules"]
    assert after["findings"] == before["findings"] - 2 and after["findings_rejected"] == 2
    old, new = (
        conversation_scores(tmp_path / "before" / "scorecard.xlsx"),
        conversation_scores(tmp_path / "after" / "scorecard.xlsx"),
    )
    lost = sum(f["points"] for f in target["findings"] if f["rule_id"] == rule)
    assert new[target["conversation_id"]] == pytest.approx(min(old[target["conversation_id"]] + lost, 100))
    assert {k: v for k, v in new.items() if k != target["conversation_id"]} == {
        k: v for k, v in old.items() if k != target["conversation_id"]
    }
    agent = [r for r in results if r["agent_id"] == target["agent_id"]]
    single = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "agent", "--agent", target["agent_id"])
    assert single["mean_score"] == pytest.approx((sum(r["score"] for r in agent) + lost) / len(agent), abs=0.01)
    listed = cli("rules", "list", "--store", store_url)
    assert "复核精度 0% = 0/2 ⚠" in next(line for line in listed.splitlines() if line.startswith(rule + " "))

    # a later import of the same finding updates its verdict
    verdicts[rejected[0]] = ("属实", "李组长", "复议后属实")
    review_as_a_reviewer(tmp_path / "n19" / "scorecard.xlsx", edited, verdicts)
    out = cli("review", "import", str(edited), "--store", store_url, code=1)
    assert "1 updated" in out
    again = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "again")
    assert again["review"][rule]["precision"] == 0.5
    assert dict(query(store_url, "SELECT finding_id, reviewer FROM qa_reviews"))[rejected[0]] == "李组长"


def test_a_rerun_keeps_verdicts_and_misjudged_findings_stay_free(store_url, tmp_path):
    results = audit(NIGHT["19"], tmp_path / "n19", store_url)
    fid = next(f["finding_id"] for r in results for f in r["findings"] if f["tier"] == "deduct")
    review_as_a_reviewer(tmp_path / "n19" / "scorecard.xlsx", tmp_path / "r.xlsx", {fid: ("误判", "a", "")})
    cli("review", "import", str(tmp_path / "r.xlsx"), "--store", store_url, code=1)
    first = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "r1")
    audit(NIGHT["19"], tmp_path / "n19b", store_url)  # same night again: same finding ids
    second = report(store_url, "2026-11-19", "2026-11-19", tmp_path / "r2")
    assert second["mean_score"] == first["mean_score"] and second["findings_rejected"] == 1
    findings = [json.loads(x) for x in (tmp_path / "r2" / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert fid not in {f["finding_id"] for f in findings}


def test_bad_verdicts_and_foreign_workbooks_are_reported_not_guessed(tmp_path):
    store = str(tmp_path / "qa.db")
    audit(NIGHT["19"], tmp_path / "n19", store)
    wb = openpyxl.Workbook()
    wb.active.append(["whatever"])
    wb.save(tmp_path / "other.xlsx")
    out = cli("review", "import", str(tmp_path / "other.xlsx"), "--store", store, code=1)
    assert "no sheet with 发现ID and 复核结果" in out
    results = [json.loads(x) for x in (tmp_path / "n19" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    fid = (
        results[0]["findings"][0]["finding_id"]
        if results[0]["findings"]
        else next(f["finding_id"] for r in results for f in r["findings"])
    )
    review_as_a_reviewer(tmp_path / "n19" / "scorecard.xlsx", tmp_path / "r.xlsx", {fid: ("可能吧", "a", "")})
    out = cli("review", "import", str(tmp_path / "r.xlsx"), "--store", store, code=1)
    assert "'可能吧' is not one of 属实/误判/存疑" in out
    assert query(store, "SELECT COUNT(*) FROM qa_reviews")[0][0] == 0
