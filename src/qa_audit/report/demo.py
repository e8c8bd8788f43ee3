"""A synthetic, deterministic day of audited conversations, for the README picture and scale checks.

Run `python -m qa_audit.report.demo OUTDIR [N]` to write a demo scorecard. The people, ids and
order numbers are invented; nothing here comes from real transcripts.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

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
from qa_audit.scoring import score_conversation

POLICY = ScoringPolicy(base=100.0, pass_threshold=80.0)
RULES: tuple[RuleInfo, ...] = (
    RuleInfo("must.greeting", "首句问候", "minor", 5, category="三要", version="3f1a9c02"),
    RuleInfo("must.nin", "您字不离口", "minor", 5, cap=10, category="三要", version="9b77e0d1"),
    RuleInfo("must.please_first", "请字当头", "minor", 5, cap=10, category="三要", version="1c0e4a55"),
    RuleInfo("must.goodbye", "再见结尾", "minor", 5, category="三要", version="77ad2b90"),
    RuleInfo("must.anything_else", "询问其他需求", "minor", 5, category="规范用语", version="4e2f8c13"),
    RuleInfo("must.confirmation", "确认理解", "minor", 5, category="规范用语", version="a83b1d07"),
    RuleInfo("dont.harsh", "生硬语言", "major", 15, cap=30, category="三不", version="c51e6f24"),
    RuleInfo("dont.blame_shift", "推卸责任", "critical", 15, veto=True, category="三不", version="0d9e3a71"),
    RuleInfo("dont.blame_customer", "责备客户", "major", 15, cap=30, category="三不", version="e6c4b288"),
    RuleInfo("dont.absolute_promise", "绝对承诺", "major", 10, category="投诉处理", version="5fa0c9e4"),
    RuleInfo("complaint.apology", "投诉致歉", "major", 10, category="投诉处理", version="b2d7e615"),
    RuleInfo("complaint.deadline", "答复时限", "major", 5, category="投诉处理", version="6a1f0b3c"),
    RuleInfo("bonus.empathy", "共情表达", "info", 2, cap=4, bonus=True, category="加分项", version="f0e1d2c3"),
)
AGENTS = (
    ("A001", "王丽", "售后一组"),
    ("A002", "李强", "售后一组"),
    ("A003", "张敏", "售后一组"),
    ("A004", "刘洋", "售后二组"),
    ("A005", "陈静", "售后二组"),
    ("A006", "杨帆", "售后二组"),
    ("A007", "赵磊", "咨询组"),
    ("A008", "周婷", "咨询组"),
)
TOPICS = (
    ("物流配送", "我的快递三天没动了，物流一直不更新。"),
    ("退换货退款", "我申请的退款怎么还没到账？"),
    ("商品质量", "收到的电水壶底座是裂的，没法用。"),
    ("发票", "我想补开一张增值税普通发票。"),
    ("订单操作", "我想把收货地址改一下，订单还没发货。"),
)
HOURS = (9, 10, 10, 10, 11, 11, 14, 14, 14, 15, 16, 20, 20, 21)
# (rule, bad agent text, matched words) substitutions an agent may make
SLIPS = {
    "must.nin": ("你把订单号发我一下。", "你"),
    "dont.harsh": ("不是说了吗，明天就到，急什么。", "急什么"),
    "dont.blame_customer": ("你怎么连这个都不会用？", "你怎么连这个都不会用"),
    "dont.absolute_promise": ("我保证明天一定送到。", "保证"),
    "dont.blame_shift": ("这个不是我受理的，我不清楚，您拨打其他电话问问。", "不是我受理的"),
}


def _find(rule: RuleInfo, turn: Turn | None, match: str, message: str) -> Finding:
    span = None
    if turn is not None and match and match in turn.text:
        start = turn.text.index(match)
        span = (start, start + len(match))
    return Finding(
        rule.id,
        rule.severity,
        rule.points,
        turn.index if turn else None,
        turn.role if turn else None,
        span,
        match,
        message,
    )


def _conversation(
    rng: random.Random, i: int, agent: tuple[str, str, str], skill: float, moody: bool
) -> tuple[Conversation, list[Finding], ComplaintTag]:
    rules = {r.id: r for r in RULES}
    complaint = rng.random() < 0.3
    agitated = complaint and rng.random() < 0.7
    topic, ask = rng.choice(TOPICS)
    slip = (1 - skill) * (1.8 if moody and agitated else 1.0)
    lines: list[tuple[str, str, str | None]] = []  # (role, text, rule that failed on it)
    greet = rng.random() > slip * 0.5
    lines.append(("agent", "您好，很高兴为您服务，请问有什么可以帮您？" if greet else "在。说。", None))
    lines.append(("customer", ("你们这什么服务！我要投诉！" if agitated else "") + ask, None))
    for rid in ("must.nin", "dont.harsh", "dont.blame_customer", "dont.absolute_promise", "dont.blame_shift"):
        odds = slip * (0.15 if rid == "dont.blame_shift" else 0.5)
        if rng.random() < odds:
            lines.append(("agent", SLIPS[rid][0], rid))
            lines.append(("customer", "……", None))
    if complaint and rng.random() > slip:
        lines.append(("agent", "非常抱歉给您添麻烦了，我非常理解您的心情。", "complaint.apology:ok"))
    lines.append(("agent", "请您提供一下订单号，我马上为您查询。", None))
    lines.append(("customer", "订单号是 JD2026000000" + f"{i:04d}" + "。", None))
    confirm = rng.random() > slip * 0.6
    lines.append(("agent", "已为您核实并处理。" + ("请问我刚才的解释您是否清楚？" if confirm else ""), None))
    deadline = complaint and rng.random() > slip
    if deadline:
        lines.append(("agent", "这个问题我已经上报主管，我们会在24小时之内给您明确的答复。", None))
    lines.append(("customer", "好的。", None))
    anything = rng.random() > slip * 0.6
    if anything:
        lines.append(("agent", "请问还有什么可以帮助您？", None))
        lines.append(("customer", "没有了。", None))
    bye = rng.random() > slip * 0.5
    lines.append(("agent", "感谢您的耐心等待，祝您生活愉快，再见！" if bye else "好的。", None))
    channel = "call" if i % 3 == 0 else "chat"
    turns = tuple(
        Turn(
            n,
            role,
            text,
            start=float(n * 6) if channel == "call" else None,
            end=float(n * 6 + 5) if channel == "call" else None,
        )
        for n, (role, text, _) in enumerate(lines)
    )
    hour = rng.choice(HOURS)
    conv = Conversation(
        f"C20261121-{i:04d}",
        turns,
        channel,
        agent[0],
        agent[1],
        agent[2],
        f"2026-11-21T{hour:02d}:{rng.randrange(60):02d}:00+08:00",
        source="demo.jsonl",
        line=i,
    )
    findings = []
    for turn, (_, _, tag) in zip(turns, lines, strict=True):
        if tag in SLIPS:
            findings.append(_find(rules[tag], turn, SLIPS[tag][1], f"{rules[tag].title}：「{SLIPS[tag][1]}」"))
            if tag == "must.nin":
                findings.append(_find(rules["must.please_first"], turn, "你把", "请求未以「请」字开头"))
        if tag == "complaint.apology:ok":
            findings.append(_find(rules["bonus.empathy"], turn, "理解您的心情", "共情表达，加分"))
    agent_turns = [t for t in turns if t.role == "agent"]
    closing: tuple[tuple[bool, str, Turn | None, str], ...] = (
        (greet, "must.greeting", agent_turns[0], "首句未问候"),
        (confirm, "must.confirmation", None, "未确认客户是否理解"),
        (anything, "must.anything_else", None, "未询问是否还有其他需要"),
        (bye, "must.goodbye", agent_turns[-1], "结束语不规范"),
    )
    for ok, rid, closing_turn, msg in closing:
        if not ok:
            findings.append(_find(rules[rid], closing_turn, closing_turn.text if closing_turn else "", msg))
    if complaint and not any(t[2] == "complaint.apology:ok" for t in lines):
        findings.append(_find(rules["complaint.apology"], None, "", "投诉会话中未致歉"))
    if complaint and not deadline:
        findings.append(_find(rules["complaint.deadline"], None, "", "未承诺答复时限"))
    ctype = "激动型" if agitated else rng.choice(("要求型", "要求型", "困惑型"))
    return conv, findings, ComplaintTag(topic, 0.9 if complaint else 0.1, False, complaint, ctype)


def demo_results(n: int = 160, seed: int = 7) -> Iterator[ConversationResult]:
    """Yield `n` scored conversations spread over eight agents in three teams."""
    rng = random.Random(seed)
    skills = [0.95, 0.9, 0.85, 0.8, 0.75, 0.9, 0.65, 0.95]
    rules = {r.id: r for r in RULES}
    for i in range(1, n + 1):
        k = rng.randrange(len(AGENTS))
        conv, findings, tag = _conversation(rng, i, AGENTS[k], skills[k], moody=k in (2, 4))
        failed = {f.rule_id for f in findings}
        checks = {}
        for r in RULES:
            if r.id.startswith("complaint.") and not tag.is_complaint:
                checks[r.id] = "n/a"
            else:
                checks[r.id] = "fail" if r.id in failed and not r.bonus else "pass"
        audit = Audit(tuple(findings), checks)
        yield ConversationResult(conv, audit, score_conversation(audit, rules, POLICY), tag, "demo-2026.11")


def main(argv: list[str]) -> int:
    """Write a demo scorecard: python -m qa_audit.report.demo OUTDIR [N]."""
    from qa_audit.report import write_outputs

    if not argv:
        print("usage: python -m qa_audit.report.demo OUTDIR [N]", file=sys.stderr)
        return 2
    n = int(argv[1]) if len(argv) > 1 else 160
    summary = write_outputs(Path(argv[0]), demo_results(n), RULES, POLICY, formats=("csv",))
    print(f"wrote {summary.conversations} conversations, {summary.findings} findings to {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
