"""`qa-audit report`: the audit's workbook for any stored period, with trends and reviewed precision.

The workbook is written by the audit's own report writer from ConversationResult objects rebuilt
from the store, with the reviewers' verdicts applied (verdicts.judged), so a report of a period
shows the numbers its runs showed, less what reviewers rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qa_audit.model import ConversationResult, RuleInfo, ScoringPolicy
from qa_audit.report import write_outputs
from qa_audit.report.excel_style import SECTION_FONT, CellMaker
from qa_audit.store.connect import Store
from qa_audit.store.results import Scope, iter_results, latest_version, load_rulesets
from qa_audit.store.trends import Trends
from qa_audit.store.verdicts import PRECISION_FLAG, judged, load_verdicts, precision

PRECISION_SHEET = "复核精度"


def write_store_report(
    store: Store, scope: Scope, outdir: Path, *, threshold: float = PRECISION_FLAG
) -> dict[str, Any]:
    """Write scorecard.xlsx and findings.jsonl for `scope` into `outdir`; return the report's summary.

    The summary has conversations, findings, agents, days, from, to, mean_score, review (per rule
    upheld / rejected / unsure / precision), low_precision_rules and flagged_agents.
    """
    if scope.day_from is None or scope.day_to is None:
        raise ValueError("a stored report needs a period: scope.day_from and scope.day_to")
    with store.reading() as conn:
        rulesets = load_rulesets(conn)
        verdicts = load_verdicts(conn)
        version = latest_version(conn, scope)
        in_force = rulesets.get(version) if version else None
        rules = list(in_force.infos.values()) if in_force else []
        review = precision(conn, scope)
        trends = Trends(scope.day_from, scope.day_to)
        tally: Counter[str] = Counter()
        days: set[str] = set()
        total = [0.0]

        def results() -> Iterator[ConversationResult]:
            for day, stored in iter_results(conn, scope):
                result = judged(stored, verdicts, rulesets.get(stored.ruleset_version))
                tally["rejected"] += len(stored.audit.findings) - len(result.audit.findings)
                tally["conversations"] += 1
                total[0] += result.score.score
                days.add(day)
                trends.add(day, result)
                yield result

        def add_sheets(wb: Any) -> None:
            notes: Counter[str] = Counter()
            trends.write(wb, {r.id: r for r in rules}, notes)
            _precision_sheet(wb, rules, review, threshold, notes)

        out = write_outputs(
            outdir, results(), rules, in_force.policy if in_force else ScoringPolicy(), add_sheets=add_sheets
        )
    n = tally["conversations"]
    return {
        "conversations": n,
        "findings": out.findings,
        "findings_rejected": tally["rejected"],
        "agents": out.agents,
        "days": len(days),
        "from": scope.day_from,
        "to": scope.day_to,
        "team": scope.team,
        "agent": scope.agent,
        "mean_score": round(total[0] / n, 2) if n else None,
        "ruleset_version": version,
        "review": review,
        "low_precision_rules": low_precision(review, threshold),
        "flagged_agents": trends.flagged(),
        "outputs": [str(p) for p in out.paths],
    }


def low_precision(review: Mapping[str, Mapping[str, Any]], threshold: float) -> list[str]:
    """Return the rules whose reviewed precision is below `threshold`."""
    return [rid for rid, r in review.items() if r["precision"] is not None and r["precision"] < threshold]


def _precision_sheet(
    wb: Any,
    rules: list[RuleInfo],
    review: Mapping[str, Mapping[str, Any]],
    threshold: float,
    notes: Counter[str],
) -> None:
    """Add 复核精度: per rule the reviewers' verdicts and precision 属实 / (属实 + 误判), low ones flagged."""
    ws = wb.create_sheet(PRECISION_SHEET)
    cm = CellMaker(ws, notes)
    ws.append(
        [
            cm.styled(
                f"复核精度 reviewed precision = 属实 / (属实 + 误判)；低于 {threshold:.0%} 标记 ⚠", font=SECTION_FONT
            )
        ]
    )
    ws.append(["规则ID", "名称", "属实", "误判", "存疑", "精度", "标记"])
    titles = {r.id: r.title for r in rules}
    for rid in dict.fromkeys([*titles, *review]):
        r = review.get(rid, {"upheld": 0, "rejected": 0, "unsure": 0, "precision": None})
        p = r["precision"]
        mark = "未复核" if p is None else f"⚠ 低于 {threshold:.0%}" if p < threshold else ""
        ws.append([cm.value(rid), cm.value(titles.get(rid, "")), r["upheld"], r["rejected"], r["unsure"], p, mark])
    for col, width in zip("ABCDEFG", (24, 20, 8, 8, 8, 8, 14), strict=True):
        ws.column_dimensions[col].width = width
