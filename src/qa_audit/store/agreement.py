"""`qa-audit agreement`: how well two blind reviewers agree with the engine and with each other.

Reads a sample workbook written by `qa-audit sample` (columns found by header name, the engine's
verdicts from its hidden sheet) and computes, per rule and overall, Cohen's kappa with counts for
reviewer A vs the engine, reviewer B vs the engine and A vs B, over the pairs both sides judged.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_audit.store.sample import CLEAN, ENGINE_SHEET, FIRED, REVIEWER_COLUMNS, SAMPLE_SHEET

LABELS = {
    **dict.fromkeys(("违规", "不合规", "不通过", "fail", "是", "1", "y", "yes"), FIRED),
    **dict.fromkeys(("合规", "通过", "pass", "否", "0", "n", "no"), CLEAN),
}
PAIRS = (("reviewer_a_vs_engine", 0, 2), ("reviewer_b_vs_engine", 1, 2), ("reviewer_a_vs_b", 0, 1))


@dataclass(frozen=True)
class Judged:
    """One sample row: the rule and the verdicts of reviewer A, reviewer B and the engine (None: blank)."""

    rule_id: str
    verdicts: tuple[str | None, str | None, str | None]


def _label(value: Any) -> str | None:
    text = "" if value is None else str(value).strip().lower()
    return LABELS.get(text) if text else None


def read_sample(path: Path) -> tuple[list[Judged], list[str]]:
    """Return the judged rows of a sample workbook and the problems of rows that cannot be used."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if SAMPLE_SHEET not in wb.sheetnames or ENGINE_SHEET not in wb.sheetnames:
            raise ValueError(f"{path}: not a qa-audit sample (sheets {SAMPLE_SHEET} and its engine sheet needed)")
        engine = {
            int(sid): verdict
            for sid, verdict, *_ in wb[ENGINE_SHEET].iter_rows(min_row=2, values_only=True)
            if sid is not None
        }
        rows = wb[SAMPLE_SHEET].iter_rows(values_only=True)
        header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
        missing = [h for h in ("样本ID", "规则ID", *REVIEWER_COLUMNS) if h not in header]
        if missing:
            raise ValueError(f"{path}: sheet {SAMPLE_SHEET} has no column {', '.join(missing)}")
        col = {h: header.index(h) for h in ("样本ID", "规则ID", *REVIEWER_COLUMNS)}
        judged, problems = [], []
        for n, row in enumerate(rows, start=2):
            sid = row[col["样本ID"]]
            if sid is None:
                continue
            marks = []
            for name in REVIEWER_COLUMNS:
                raw = row[col[name]] if col[name] < len(row) else None
                label = _label(raw)
                if raw not in (None, "") and label is None:
                    problems.append(f"{path.name} {SAMPLE_SHEET}!{n}: {name} {raw!r} is not {FIRED} or {CLEAN}")
                marks.append(label)
            if int(sid) not in engine:
                problems.append(f"{path.name} {SAMPLE_SHEET}!{n}: 样本ID {sid} has no engine verdict")
                continue
            judged.append(Judged(str(row[col["规则ID"]]), (marks[0], marks[1], engine[int(sid)])))
        return judged, problems
    finally:
        wb.close()


def _kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not a:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one label on both sides: kappa is undefined (nan)
        k = float(cohen_kappa_score(a, b, labels=[FIRED, CLEAN]))
    return None if math.isnan(k) else round(k, 4)


def _pairs(rows: Sequence[Judged]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, i, j in PAIRS:
        both = [(x, y) for r in rows if (x := r.verdicts[i]) and (y := r.verdicts[j])]
        a, b = [x for x, _ in both], [y for _, y in both]
        out[name] = {
            "n": len(both),
            "agree": sum(x == y for x, y in both),
            "agreement": round(sum(x == y for x, y in both) / len(both), 4) if both else None,
            "kappa": _kappa(a, b),
        }
    return out


def agreement(rows: Sequence[Judged]) -> dict[str, Any]:
    """Return per rule and overall: units and, per pair of raters, n, agree, agreement and Cohen's kappa."""
    by_rule: dict[str, list[Judged]] = defaultdict(list)
    for r in rows:
        by_rule[r.rule_id].append(r)
    return {
        "units": len(rows),
        "overall": _pairs(rows),
        "rules": {rid: {"units": len(rs), **_pairs(rs)} for rid, rs in sorted(by_rule.items())},
    }
