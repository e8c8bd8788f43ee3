"""The scorecard opens in LibreOffice: headless conversion to PDF, summary page to PNG."""

from __future__ import annotations

import shutil
import subprocess
from itertools import islice

import pytest

from qa_audit.model import Audit, ComplaintTag, Conversation, ConversationResult, Finding, Turn
from qa_audit.report import write_outputs
from qa_audit.report.demo import POLICY, RULES, demo_results
from qa_audit.report.render import first_page_png, soffice, to_pdf
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
