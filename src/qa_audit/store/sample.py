"""`qa-audit sample`: a stratified sample of (conversation, rule) pairs for blind double review.

Strata are (rule, engine outcome: pass / fail / review); the sample takes one pair from each
stratum in turn until N are drawn, and inside a stratum it goes round the agents, so every rule,
outcome and agent is represented. The engine's verdict is kept on a very hidden sheet that
`qa-audit agreement` reads; reviewers see only the transcript and the rule.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qa_audit.atomic import atomic_path
from qa_audit.report.excel_style import HEADER_FONT, CellMaker
from qa_audit.store import schema
from qa_audit.store.connect import Store
from qa_audit.store.results import Scope, load_rulesets

FIRED, CLEAN = "违规", "合规"
SAMPLE_SHEET, ENGINE_SHEET = "抽样", "engine"
REVIEWER_COLUMNS = ("复核员A", "复核员B")
COLUMNS = (
    ("sample_id", "样本ID", 8),
    ("conversation_id", "会话ID", 20),
    ("day", "日期", 11),
    ("agent_id", "坐席工号", 10),
    ("agent_name", "坐席姓名", 10),
    ("team", "班组", 10),
    ("channel", "渠道", 6),
    ("rule_id", "规则ID", 20),
    ("rule_title", "规则名称", 16),
    ("rule_text", "规则要求", 30),
    ("transcript", "会话原文（轮次从1起）", 80),
    (REVIEWER_COLUMNS[0], REVIEWER_COLUMNS[0], 10),
    (REVIEWER_COLUMNS[1], REVIEWER_COLUMNS[1], 10),
    ("note", "备注", 20),
)
ROLE_ZH = {"agent": "客服", "customer": "客户", "system": "系统"}


@dataclass(frozen=True)
class Unit:
    """One (conversation, rule) pair of the sample with the engine's outcome."""

    conversation_id: str
    rule_id: str
    outcome: str  # pass | fail | review
    agent: str


def _strata(conn: Any, scope: Scope) -> dict[tuple[str, str], list[Unit]]:
    c = schema.conversations.c
    query = select(c.conversation_id, c.agent_id, c.checks).where(*scope.clauses()).order_by(c.conversation_id)
    strata: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for cid, agent, checks in conn.execute(query):
        for rid, outcome in json.loads(checks).items():
            if outcome in ("pass", "fail", "review"):
                strata[(rid, outcome)].append(Unit(cid, rid, outcome, agent or ""))
    return strata


def draw(strata: Mapping[tuple[str, str], list[Unit]], n: int, seed: int) -> list[Unit]:
    """Draw `n` units: strata in turn, agents in turn inside each stratum, deterministic for `seed`."""
    rng = random.Random(seed)
    queues = []
    for key in sorted(strata):
        by_agent: dict[str, list[Unit]] = defaultdict(list)
        for unit in strata[key]:
            by_agent[unit.agent].append(unit)
        agents = sorted(by_agent)
        rng.shuffle(agents)
        for units in by_agent.values():
            rng.shuffle(units)
        # round robin over the agents: the first unit of every agent, then the second, ...
        order = [
            by_agent[a][i] for i in range(max(map(len, by_agent.values()))) for a in agents if i < len(by_agent[a])
        ]
        queues.append(order)
    picked: list[Unit] = []
    depth = 0
    while len(picked) < n and any(depth < len(q) for q in queues):
        picked.extend(q[depth] for q in queues if depth < len(q))
        depth += 1
    return picked[:n]


def transcript(turns_json: str) -> str:
    """Return a transcript as numbered lines (turns from 1): `3 客服：…`."""
    return "\n".join(
        f"{i + 1} {ROLE_ZH.get(role, role)}：{text}" for i, (_, role, text, *_rest) in enumerate(json.loads(turns_json))
    )


def write_sample(store: Store, scope: Scope, n: int, path: Path, seed: int = 0) -> dict[str, Any]:
    """Draw the sample and write it to `path`; return counts per rule and outcome."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    with store.reading() as conn:
        rulesets = load_rulesets(conn)
        units = draw(_strata(conn, scope), n, seed)
        c = schema.conversations.c
        rows: dict[str, Any] = {}
        ids = sorted({u.conversation_id for u in units})
        for start in range(0, len(ids), 500):
            query = select(schema.conversations).where(c.conversation_id.in_(ids[start : start + 500]))
            rows.update((r["conversation_id"], r) for r in conn.execute(query).mappings())
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SAMPLE_SHEET)
    engine = wb.create_sheet(ENGINE_SHEET)
    engine.sheet_state = "veryHidden"
    cm = CellMaker(ws, Counter())
    for i, (_, _, width) in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "C2"
    ws.append([cm.styled(zh, font=HEADER_FONT) for _, zh, _ in COLUMNS])
    engine.append(["样本ID", "引擎结论", "引擎状态", "规则ID"])
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for k, unit in enumerate(units, start=1):
        row = rows[unit.conversation_id]
        ruleset = rulesets.get(row["ruleset_version"])
        info = ruleset.infos.get(unit.rule_id) if ruleset else None
        values = {
            "sample_id": k,
            "conversation_id": unit.conversation_id,
            "day": row["day"],
            "agent_id": row["agent_id"],
            "agent_name": row["agent_name"],
            "team": row["team"],
            "channel": row["channel"],
            "rule_id": unit.rule_id,
            "rule_title": info.title if info else "",
            "rule_text": (info.message or info.title) if info else "",
            "transcript": transcript(row["turns"]),
        }
        ws.append([cm.value(values.get(key)) for key, _, _ in COLUMNS])
        engine.append([k, CLEAN if unit.outcome == "pass" else FIRED, unit.outcome, unit.rule_id])
        counts[unit.rule_id][unit.outcome] += 1
    for col in REVIEWER_COLUMNS:
        letter = get_column_letter([key for key, _, _ in COLUMNS].index(col) + 1)
        dv = DataValidation(type="list", formula1=f'"{FIRED},{CLEAN}"', allow_blank=True)
        dv.add(f"{letter}2:{letter}{len(units) + 1}")
        ws.data_validations.append(dv)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return {"units": len(units), "conversations": len(ids), "per_rule": {r: dict(v) for r, v in sorted(counts.items())}}
