"""diff.xlsx: what a rule change does, per rule and per agent, and every changed finding with its words."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from qa_audit.atomic import atomic_path
from qa_audit.backtest.compare import ConversationDiff
from qa_audit.report.excel_style import CellMaker, finish_table, prepare_table
from qa_audit.report.tables import Column, mark_span

CHANGE_ZH = {"added": "新增", "removed": "消失", "changed": "改变"}
TIER_ZH = {"deduct": "扣分", "review": "待复核"}
MAX_ROWS = 200_000  # changed findings listed in the workbook; diff.jsonl always has them all

RULE_COLUMNS = (
    Column("rule_id", "规则ID", "rule id", 24),
    Column("status", "规则变化", "rule added / removed / changed in the new pack", 10),
    Column("added", "新增发现", "findings added", 10),
    Column("removed", "消失发现", "findings removed", 10),
    Column("changed", "改变发现", "findings with another tier or points", 10),
    Column("flips", "检查结果变化", "check changes (old->new: conversations)", 40),
)
AGENT_COLUMNS = (
    Column("agent_id", "坐席工号", "agent id", 14),
    Column("conversations", "变化会话数", "conversations where anything changed", 12),
    Column("added", "新增发现", "findings added", 10),
    Column("removed", "消失发现", "findings removed", 10),
    Column("score_shift", "分数变化合计", "sum of score changes", 12),
)
FINDING_COLUMNS = (
    Column("change", "变化", "added / removed / changed", 8),
    Column("conversation_id", "会话ID", "conversation id", 22),
    Column("agent_id", "坐席工号", "agent id", 12),
    Column("rule_id", "规则ID", "rule id", 22),
    Column("turn", "轮次", "turn number, from 1", 6),
    Column("tier", "处理", "tier: 扣分 deduct / 待复核 review", 8),
    Column("text", "原文（命中处【】标出）", "turn text, matched words in 【】", 60),
    Column("match", "命中词", "matched words", 14),
    Column("score_before", "原得分", "score with the old pack", 9),
    Column("score_after", "新得分", "score with the new pack", 9),
    Column("finding_id", "发现ID", "finding id", 18),
)
SCORE_COLUMNS = (
    Column("conversation_id", "会话ID", "conversation id", 22),
    Column("agent_id", "坐席工号", "agent id", 12),
    Column("score_before", "原得分", "score with the old pack", 9),
    Column("score_after", "新得分", "score with the new pack", 9),
    Column("delta", "变化", "new minus old", 8),
    Column("verdict", "合格变化", "pass/fail flip", 12),
)


def _sheet(wb: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title)
    prepare_table(ws, columns)
    cells = CellMaker(ws, Counter())
    ws.append(cells.header(columns))
    for row in rows:
        ws.append([cells.value(v) for v in row])
    finish_table(ws, columns, len(rows) + 1)


def _finding_rows(diffs: Sequence[ConversationDiff]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for d in diffs:
        conv = d.new.conversation
        turns = {t.index: t for t in conv.turns}
        for ch in d.changes:
            if len(rows) >= MAX_ROWS:
                return rows
            f = ch.finding
            turn = turns.get(f.turn_index) if f.turn_index is not None else None
            tier = TIER_ZH.get(f.tier, f.tier)
            if ch.before is not None:
                tier = f"{TIER_ZH.get(ch.before.tier, ch.before.tier)}→{tier}"
            rows.append(
                [
                    CHANGE_ZH[ch.change],
                    conv.conversation_id,
                    conv.agent_id,
                    f.rule_id,
                    None if f.turn_index is None else f.turn_index + 1,
                    tier,
                    mark_span(turn.text, f.span, f.match) if turn else "（整通会话 whole conversation）",
                    f.match,
                    d.old.score.score,
                    d.new.score.score,
                    f.finding_id,
                ]
            )
    return rows


def write_diff_workbook(path: Path, data: dict[str, Any], diffs: Sequence[ConversationDiff]) -> None:
    """Write diff.xlsx (summary, per rule, per agent, changed findings, score changes) atomically."""
    wb = Workbook(write_only=True)
    rc = data["rules_changed"]
    summary = [
        ("旧规则包 old pack", f"{data['old']['name']} ({data['old']['version']})"),
        ("新规则包 new pack", f"{data['new']['name']} ({data['new']['version']})"),
        ("新增规则 rules added", "、".join(rc["added"]) or "无"),
        ("删除规则 rules removed", "、".join(rc["removed"]) or "无"),
        ("修改规则 rules changed", "、".join(rc["changed"]) or "无"),
        ("评分设置变化 scoring changed", "是" if rc["policy_changed"] else "否"),
        ("会话数 conversations audited", data["audited"]),
        ("未读入 quarantined", data["quarantined"]),
        ("新增发现 findings added", data["added"]),
        ("消失发现 findings removed", data["removed"]),
        ("改变发现 findings changed (tier/points)", data["changed"]),
        ("分数变化的会话 scores changed", data["scores_changed"]),
        ("不合格→合格 fail to pass", data["fail_to_pass"]),
        ("合格→不合格 pass to fail", data["pass_to_fail"]),
    ]
    _sheet(wb, "概要", (Column("k", "项目", "item", 34), Column("v", "值", "value", 60)), summary)
    status = {
        **dict.fromkeys(rc["changed"], "修改"),
        **dict.fromkeys(rc["added"], "新增"),
        **dict.fromkeys(rc["removed"], "删除"),
    }
    rule_ids = sorted(set(data["per_rule"]) | set(data["check_flips"]) | set(status))
    rule_rows = []
    for rid in rule_ids:
        c = data["per_rule"].get(rid, {})
        flips = data["check_flips"].get(rid, {})
        rule_rows.append(
            [
                rid,
                status.get(rid, ""),
                c.get("added", 0),
                c.get("removed", 0),
                c.get("changed", 0),
                "; ".join(f"{k}: {v}" for k, v in sorted(flips.items())),
            ]
        )
    _sheet(wb, "按规则", RULE_COLUMNS, rule_rows)
    agents: dict[str, Counter[str]] = defaultdict(Counter)
    shift: dict[str, float] = defaultdict(float)
    for d in diffs:
        aid = d.new.conversation.agent_id or "（无工号）"
        agents[aid]["conversations"] += 1
        for ch in d.changes:
            agents[aid][ch.change] += 1
        shift[aid] += d.new.score.score - d.old.score.score
    agent_rows = [
        [aid, c["conversations"], c["added"], c["removed"], round(shift[aid], 2)]
        for aid, c in sorted(agents.items(), key=lambda kv: (shift[kv[0]], kv[0]))
    ]
    _sheet(wb, "按坐席", AGENT_COLUMNS, agent_rows)
    _sheet(wb, "变化明细", FINDING_COLUMNS, _finding_rows(diffs))
    verdict = {"fail_to_pass": "不合格→合格", "pass_to_fail": "合格→不合格"}
    score_rows = [
        [
            d.new.conversation.conversation_id,
            d.new.conversation.agent_id,
            d.old.score.score,
            d.new.score.score,
            round(d.new.score.score - d.old.score.score, 2),
            verdict.get(d.passed_flip or "", ""),
        ]
        for d in diffs
        if d.score_changed
    ]
    _sheet(wb, "分数变化", SCORE_COLUMNS, score_rows)
    with atomic_path(path) as tmp:
        wb.save(tmp)
