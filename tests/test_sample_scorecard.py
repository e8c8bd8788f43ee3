"""The scorecard of the bundled samples, opened as a supervisor would open it (openpyxl), and scores
checked against hand computation with the default pack's points."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qa_audit.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scorecard")
    result = CliRunner().invoke(main, ["audit", str(ROOT / "sample_transcripts"), "-o", str(out)])
    assert result.exit_code == 1, result.output  # quarantined broken records
    return out


def results(out: Path) -> dict[str, dict]:
    rows = (json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    return {r["conversation_id"]: r for r in rows}


def test_workbook_sheets_headers_rows_and_links(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "scorecard.xlsx")
    assert wb.sheetnames[:6] == ["汇总", "坐席", "坐席×规则", "发现明细", "会话原文", "会话"]
    assert "规则" in wb.sheetnames
    findings = [json.loads(x) for x in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    fs = wb["发现明细"]
    header = [c.value for c in fs[1]]
    assert header[:2] == ["会话ID", "坐席工号"] and "规则ID" in header and "复核结果" in header
    assert fs.max_row - 1 == len(findings) == sum(len(r["findings"]) for r in results(out).values())
    conv_sheet = wb["会话"]
    assert conv_sheet.max_row - 1 == len(results(out))
    turn_col = header.index("轮次")
    for row in fs.iter_rows(min_row=2):
        link = row[0].hyperlink
        assert link is not None and link.location.startswith("'会话'!A")
        target = conv_sheet[link.location.split("!")[1]]
        assert target.value == row[0].value  # finding -> its conversation row
        turn = wb["会话原文"][row[turn_col].hyperlink.location.split("!")[1]].row
        assert wb["会话原文"].cell(turn, 1).value == row[0].value  # finding -> its turn in the transcript
        assert wb["会话原文"].cell(turn, 2).value == row[turn_col].value
    rules_sheet = wb["规则"]
    assert rules_sheet.max_row - 1 == len(json.loads(json.dumps(results(out)["C20261121-0701"]["checks"])))


def test_formula_text_from_a_transcript_lands_as_a_string(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "scorecard.xlsx")
    cells = [
        c
        for row in wb["发现明细"].iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str) and "HYPERLINK(" in c.value
    ]
    assert cells, "the =HYPERLINK( sample turn should be quoted in the findings sheet"
    for c in cells:
        assert c.data_type == "s"
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize(
    ("cid", "score", "possible", "deducted", "passed", "vetoed"),
    [
        # blame-shifting once: a 待复核 flag (dont.blame_shift is tier review), so nothing is deducted;
        # complaint, timing and untriggered reply rules are n/a (possible = 89 is reported, not used)
        ("C20261120-0005", 100.0, 89.0, 0.0, True, False),
        # 你 on two agent turns (2 + 2, under the cap of 6): 100 - 4
        ("C20261119-0002", 96.0, 90.0, 4.0, True, False),
        # the agent insults the customer: dont.abuse (veto) is a flag until a reviewer upholds it, so
        # only 你 once is deducted: 100 - 2, and nothing is vetoed
        ("C20261121-0701", 98.0, 89.0, 2.0, True, False),
    ],
)
def test_scores_match_hand_computation(
    out: Path, cid: str, score: float, possible: float, deducted: float, passed: bool, vetoed: bool
) -> None:
    r = results(out)[cid]
    assert (r["score"], r["possible"], r["deducted"], r["passed"], r["vetoed"]) == (
        score,
        possible,
        deducted,
        passed,
        vetoed,
    )


def test_the_workbook_speaks_chinese_and_explains_every_finding(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "scorecard.xlsx")
    ws = wb["发现明细"]
    h = [c.value for c in ws[1]]
    found = [dict(zip(h, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)]
    jsonl = [json.loads(x) for x in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [f["轮次"] for f in found] == [j["turn_index"] + 1 for j in jsonl]
    assert {f["严重度"] for f in found} <= {"严重", "重要", "一般", "提示"}
    assert {f["角色"] for f in found} <= {"坐席", "客户", "系统"}
    assert {f["处理"] for f in found} <= {"扣分", "待复核"}
    assert all(f["证据"] and not f["证据"].startswith("{") for f in found)
    missing = [f for f, j in zip(found, jsonl, strict=True) if j["evidence"]["kind"] == "require"]
    assert missing and all("缺少「" in f["原文（命中处【】标出；缺失写明应有内容）"] for f in missing)
    metric = [f for f, j in zip(found, jsonl, strict=True) if j["evidence"]["kind"] == "metric"]
    assert metric and all("标准" in f["证据"] for f in metric)
    # 坐席×规则: every agent's total is the findings sheet's counted points of that agent
    m = wb["坐席×规则"]
    mh = [c.value for c in m[1]]
    for r in m.iter_rows(min_row=2, values_only=True):
        row = dict(zip(mh, r, strict=False))
        if row["坐席工号"] in (None, "合计"):
            continue
        mine = [f for f in found if f["坐席工号"] == row["坐席工号"] and f["处理"] == "扣分" and f["类别"] != "加分"]
        assert row["合计扣分"] == pytest.approx(sum(f["计入扣分"] for f in mine))
        assert row["扣分发现"] == len(mine)


def test_split_by_team_and_a_bad_time_zone_on_the_command_line(tmp_path: Path) -> None:
    ok = CliRunner().invoke(
        main, ["audit", str(ROOT / "sample_transcripts"), "-o", str(tmp_path / "t"), "--split-by", "team", "-q"]
    )
    assert ok.exit_code == 1, ok.output
    assert sorted(p.name for p in (tmp_path / "t" / "by_team").glob("*.xlsx"))
    bad = CliRunner().invoke(
        main, ["audit", str(ROOT / "sample_transcripts"), "-o", str(tmp_path / "z"), "--timezone", "Mars/Base"]
    )
    assert bad.exit_code == 2 and "--timezone" in bad.output
