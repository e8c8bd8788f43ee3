"""The scorecard opens in LibreOffice: headless conversion to PDF, summary page to PNG."""

from __future__ import annotations

import shutil
import subprocess
from itertools import islice
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_audit.cli import main
from qa_audit.model import Audit, ComplaintTag, Conversation, ConversationResult, Finding, Turn
from qa_audit.report import write_outputs
from qa_audit.report.demo import POLICY, RULES, demo_results
from qa_audit.report.render import first_page_png, page_texts, soffice, to_pdf
from qa_audit.scoring import score_conversation

pytestmark = pytest.mark.skipif(
    soffice() is None, reason="LibreOffice (soffice) not installed: apt-get install libreoffice-calc to run this check"
)
INJECTION = '=HYPERLINK("http://evil.example","点我")'


def tricky() -> ConversationResult:
    text = INJECTION + " 你自己看着办。"
    start = text.index("你")
    turns = (Turn(0, "customer", INJECTION), Turn(1, "agent", text))
    finding = Finding("must.nin", "minor", 5, 1, "agent", (start, start + 1), "你", "称呼客户为「你」")
    conv = Conversation("=1+1", turns, "chat", "@A099", "测试", "咨询组", "2026-11-21T09:30:00+08:00")
    audit = Audit((finding,), {r.id: "pass" for r in RULES} | {"must.nin": "fail"})
    score = score_conversation(audit, {r.id: r for r in RULES}, POLICY)
    return ConversationResult(conv, audit, score, ComplaintTag("其他", 0.1, False, False, "要求型"), "demo")


def test_libreoffice_converts_the_workbook_and_shows_text_not_formulas(tmp_path):
    results = [*islice(demo_results(), 60), tricky()]
    write_outputs(tmp_path, results, RULES, POLICY, split_by="agent")
    pdf = to_pdf(tmp_path / "scorecard.xlsx", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "客服质检评分卡" in text
        assert "=HYPERLINK(" in text  # shown as typed, never evaluated
    png = first_page_png(pdf, tmp_path / "summary.png", dpi=40)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    one_agent = to_pdf(sorted((tmp_path / "by_agent").glob("*.xlsx"))[0], tmp_path / "agent")
    assert one_agent.read_bytes().startswith(b"%PDF")


ROOT = Path(__file__).resolve().parents[1]
# what every printed page of a table sheet must show: its header row and its identifying column
PAGE_HEADERS = {
    "坐席": ("坐席工号", "坐席姓名"),
    "坐席×规则": ("坐席工号", "合计扣分"),
    "发现明细": ("会话ID", "证据"),
    "会话原文": ("会话ID", "轮次"),
    "会话": ("会话ID", "得分"),
    "规则": ("规则ID", "名称"),
}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_the_sample_scorecard_prints_with_headers_on_every_page_and_no_hash_marks(tmp_path):
    run = CliRunner().invoke(main, ["audit", str(ROOT / "sample_transcripts"), "-o", str(tmp_path), "-q"])
    assert run.exit_code == 1, run.output
    pdf = to_pdf(tmp_path / "scorecard.xlsx", tmp_path)
    pages = page_texts(pdf)
    by_sheet: dict[str, list[str]] = {}
    for text in pages:
        # the footer names the sheet, then 第 n 页 / 共 N 页 and the run's date
        footer = next(line for line in reversed(text.splitlines()) if "页 / 共" in line)
        assert f"共 {len(pages)} 页" in footer and "生成于" in footer and "Asia/Shanghai" in footer
        by_sheet.setdefault(footer.split()[0], []).append(text)
        assert "###" not in text  # a number too wide for its column
    findings = sum(1 for _ in (tmp_path / "findings.jsonl").open(encoding="utf-8"))
    assert len(by_sheet["汇总"]) == 1
    assert len(by_sheet["坐席"]) == 1 and len(by_sheet["坐席×规则"]) == 1
    assert len(by_sheet["发现明细"]) <= findings // 8 + 1  # readable columns only, not 24 across
    for sheet, words in PAGE_HEADERS.items():
        for n, text in enumerate(by_sheet[sheet], 1):
            assert all(w in text for w in words), f"{sheet} page {n} lacks its header"
    for text in by_sheet["会话原文"]:
        assert "C2026" in text  # the conversation id column repeats on every page


def test_the_summary_prints_on_one_page_with_thirty_agents(tmp_path):
    """A centre of 30 agents lists them all on 汇总: it still prints as one page, not a second page
    holding the rest of a table without its header."""
    from dataclasses import replace

    results = [
        replace(r, conversation=replace(r.conversation, agent_id=f"B{i % 30:02d}", agent_name=f"坐席{i % 30:02d}"))
        for i, r in enumerate(demo_results())
    ]
    write_outputs(tmp_path, results, RULES, POLICY)
    pdf = to_pdf(tmp_path / "scorecard.xlsx", tmp_path)
    summary = [t for t in page_texts(pdf) if "客服质检评分卡" in t or t.lstrip().startswith("汇总")]
    footers = [t for t in page_texts(pdf) if any(line.split()[:1] == ["汇总"] for line in t.splitlines())]
    assert summary and len(footers) == 1, f"汇总 prints on {len(footers)} pages"
