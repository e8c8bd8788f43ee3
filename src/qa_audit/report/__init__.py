"""Reports: the Excel scorecard and the machine-readable tables beside it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_audit.model import ConversationResult, RuleInfo, ScoringPolicy
from qa_audit.report.aggregate import Aggregator
from qa_audit.report.excel import ScorecardWriter
from qa_audit.report.labels import zone
from qa_audit.report.machine import FORMATS, MachineOutputs
from qa_audit.report.prepare import PreparedResult, prepare_result, unpack
from qa_audit.report.safe import as_os_error
from qa_audit.report.sheetrows import Renderer
from qa_audit.report.split import SPLIT_KEYS, Spool

__all__ = ["FORMATS", "SPLIT_KEYS", "OutputSummary", "check_options", "write_outputs"]


@dataclass(frozen=True)
class OutputSummary:
    """What write_outputs wrote."""

    paths: tuple[Path, ...]  # scorecard.xlsx, findings.jsonl, then any CSV/Parquet
    split_paths: tuple[Path, ...]  # per-agent (or per-team) workbooks
    conversations: int
    findings: int
    agents: int
    extra_sheets: tuple[str, ...]  # continuation sheets such as 发现明细(2)
    truncated_cells: int


def check_options(formats: Collection[str], split_by: str | None) -> None:
    """Raise ValueError (a usage error) for an unknown output format or split key."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {list(FORMATS)}")
    if split_by is not None and split_by not in SPLIT_KEYS:
        raise ValueError(f"unknown --split-by {split_by!r}; choose from {sorted(SPLIT_KEYS)}")


def write_outputs(
    outdir: Path,
    results: Iterable[ConversationResult | PreparedResult | bytes],
    rules: Sequence[RuleInfo],
    policy: ScoringPolicy,
    *,
    formats: Collection[str] = (),
    split_by: str | None = None,
    add_sheets: Callable[[Any], None] | None = None,
    timezone: str | None = None,
) -> OutputSummary:
    """Write scorecard.xlsx, findings.jsonl and the requested CSV/Parquet tables into `outdir`.

    One streaming pass over `results` (ConversationResults, or their rows already prepared where
    they were audited: PreparedResult, or its pickle from a pool worker, see report/prepare.py);
    each file appears only when complete (temp file + os.replace). `split_by="agent"` also
    writes outdir/by_agent/<agent>.xlsx per agent (or "team": by_team/). The workbook shows
    times in `timezone` (IANA name, default Asia/Shanghai).
    `add_sheets(workbook)` is called after the last result, before the workbook is saved, to add
    sheets of the caller's own (the results store adds trends and reviewed precision).
    Raises ValueError for an unknown format, split key or time zone (a usage error).
    """
    tz = zone(timezone)
    check_options(formats, split_by)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rules_map = {r.id: r for r in rules}
    book = ScorecardWriter(outdir / "scorecard.xlsx", rules, policy, tz=tz)
    renderer = Renderer({r.id: r.title for r in rules}, str(tz))  # rows not rendered where they were audited
    spool = Spool(split_by, tz) if split_by else None
    agg = Aggregator()
    machine = MachineOutputs(outdir, formats)
    n_conv = n_find = 0
    try:
        for item in results:
            item = unpack(item)
            p = item if type(item) is PreparedResult else prepare_result(item, rules_map, tz)
            row, frows, turns = p.row, p.findings, p.turns
            agg.add_rows(row, p.loss_rows)
            sheet = p.sheet if p.sheet is not None else renderer.render(row, frows, turns)
            if sheet is not None:
                book.add_rendered(sheet)
            else:
                book.add(row, frows, turns)
            if (formats or spool is not None) and len(frows) != row["findings"]:
                raise ValueError("CSV, Parquet and split workbooks need the finding rows: Preparer(keep_rows=True)")
            machine.add(p.findings_jsonl, row, frows)
            if spool is not None:
                spool.add(row, frows, p.losses, turns)
            n_conv += 1
            n_find += row["findings"]
        aggregates = agg.result(rules_map, policy)
        if add_sheets is not None:
            add_sheets(book.wb)
        book.close(aggregates)
        split_paths = spool.write(outdir, rules, policy) if spool is not None else []
    except BaseException as exc:
        book.abort()
        machine.abort(exc)
        failure = as_os_error(exc)
        if failure is exc:
            raise
        raise failure from exc
    finally:
        if spool is not None:
            spool.close()
    machine.close()
    extra = tuple(
        ws.title for t in (book.findings, book.transcripts.table, book.conversations) for ws, _ in t.parts[1:]
    )
    return OutputSummary(
        paths=(book.path, *machine.paths),
        split_paths=tuple(split_paths),
        conversations=n_conv,
        findings=n_find,
        agents=aggregates.overall["agents"],
        extra_sheets=extra,
        truncated_cells=sum(book.notes.values()),
    )
