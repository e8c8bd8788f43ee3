"""The per-conversation part of the outputs, worked out where the conversation is audited.

The output writer is one process; with `--workers N` the audits run on N. Everything the outputs
take from one conversation alone — its results.jsonl line, its findings.jsonl lines, the rows of
the conversations and findings tables and its transcript turns — is computed here, in the pool
worker that audited it, so that this work spreads over the workers; the writer only lays the rows
out in input order. `write_outputs` also accepts plain ConversationResults (one worker, whose
writer process has time to spare beside the audit; the Dask engine; the results store): it
prepares them itself, with the same functions, so the files are the same either way.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import tzinfo
from typing import Any

from qa_audit import jsonsafe
from qa_audit.model import ConversationResult, RuleInfo
from qa_audit.report.sheetrows import Renderer, SheetRows
from qa_audit.report.tables import conversation_row, finding_json, finding_rows
from qa_audit.report.transcript import TurnRow, transcript_turns
from qa_audit.scoring import LossRow, RuleLoss, from_loss_rows, loss_rows, rule_losses


@dataclass(frozen=True)
class PreparedResult:
    """What the outputs need of one audited conversation (no conversation object, no audit)."""

    row: dict[str, Any]  # the conversations-table row
    findings: tuple[dict[str, Any], ...]  # the findings-table rows
    turns: tuple[TurnRow, ...]  # the transcript, when there are findings
    loss_rows: tuple[LossRow, ...]  # scoring.loss_rows: unpickled in a tenth of the time of RuleLoss objects
    findings_jsonl: str  # the conversation's lines of findings.jsonl
    sheet: SheetRows | None = None  # its workbook rows rendered (report/sheetrows.py), when they could be

    @property
    def losses(self) -> dict[str, RuleLoss]:
        """The per-rule losses, as RuleLoss objects (rebuilt: only the split workbooks need them)."""
        return from_loss_rows(self.loss_rows)


_COMPACT = jsonsafe.encoder((",", ":"))  # results.jsonl
_LINE = jsonsafe.encoder(default=str)  # findings.jsonl


def results_line(result: ConversationResult, findings_json: list[dict[str, Any]] | None = None) -> str:
    """The conversation's line of results.jsonl (`findings_json`: its findings' to_json(), if made already)."""
    return _COMPACT(result.to_json(findings_json)) + "\n"


def findings_lines(
    result: ConversationResult,
    frows: Sequence[Mapping[str, Any]],
    findings_json: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The conversation's lines of findings.jsonl (one per finding, in order): tables.finding_json each.

    The conversation's fields and the rule-set version are encoded once, not once per finding: a
    JSON object is its members joined by ", ", so the pieces make the same text.
    """
    findings = result.audit.findings
    if not findings:
        return ""
    head = _LINE(finding_json(result, None, 0.0))[:-1] + ", "  # its own fields up to "started_at"
    tail = ', "ruleset_version": ' + _LINE(result.ruleset_version) + "}\n"
    own = [f.to_json() for f in findings] if findings_json is None else findings_json
    return "".join(
        f'{head}{_LINE(fj)[1:-1]}, "counted": {_LINE(frow["counted"])}{tail}'
        for fj, frow in zip(own, frows, strict=True)
    )


def prepare_result(
    result: ConversationResult,
    rules: Mapping[str, RuleInfo],
    tz: tzinfo | None,
    renderer: Renderer | None = None,
    keep_rows: bool = True,
    findings_json: Sequence[Mapping[str, Any]] | None = None,
) -> PreparedResult:
    """The output rows of `result` (times in `tz`), as write_outputs writes them.

    With a `renderer`, the workbook rows are rendered here too; then, unless `keep_rows`, the
    finding rows and turns are left out (only CSV, Parquet and split workbooks need them).
    `findings_json`: the findings' to_json(), when the caller made them already.
    """
    losses = result.losses if result.losses is not None else rule_losses(result.audit, rules)
    row = conversation_row(result, losses, tz)
    frows = finding_rows(result, rules, losses, tz)
    turns = transcript_turns(result, tz) if frows else ()
    lines = findings_lines(result, frows, findings_json)
    sheet = renderer.render(row, frows, turns) if renderer is not None else None
    if sheet is not None and not keep_rows:
        frows, turns = [], ()
    return PreparedResult(row, tuple(frows), turns, loss_rows(losses), lines, sheet)


class Preparer:
    """`prepare_result` bound to a rule set and a time zone; picklable, for pool workers."""

    def __init__(self, rules: Sequence[RuleInfo], tz: tzinfo, keep_rows: bool = True) -> None:
        """`rules`: the rule set's infos; `tz`: the report's time zone; `keep_rows`: see prepare_result."""
        self.rules = {r.id: r for r in rules}
        self.tz = tz
        self.keep_rows = keep_rows
        self.renderer = Renderer({r.id: r.title for r in rules}, str(tz))

    def __call__(self, result: ConversationResult) -> tuple[str, PreparedResult]:
        """(results.jsonl line, prepared rows) of `result`."""
        own = [f.to_json() for f in result.audit.findings]  # in both results.jsonl and findings.jsonl
        prepared = prepare_result(result, self.rules, self.tz, self.renderer, self.keep_rows, own)
        return results_line(result, own), prepared

    def packed(self, result: ConversationResult) -> tuple[str, bytes]:
        """As `__call__`, the rows pickled (a pool worker's answer: its parent forwards them unopened).

        Pickled as plain tuples: unpickling looks a class up once per pickle (~30 µs), which is
        more than the rest of a conversation's rows take.
        """
        line, p = self(result)
        sheet = astuple_shallow(p.sheet) if p.sheet is not None else None
        fields = (p.row, p.findings, p.turns, p.loss_rows, p.findings_jsonl, sheet)
        return line, pickle.dumps(fields, pickle.HIGHEST_PROTOCOL)


def astuple_shallow(obj: Any) -> tuple[Any, ...]:
    """The fields of a dataclass instance, not copied (dataclasses.astuple copies them deeply)."""
    return tuple(getattr(obj, f.name) for f in fields(obj))


def unpack(item: Any) -> Any:
    """A PreparedResult from `Preparer.packed`'s bytes; anything else as it is."""
    if type(item) is not bytes:
        return item
    row, findings, turns, losses, lines, sheet = pickle.loads(item)
    return PreparedResult(row, findings, turns, losses, lines, SheetRows(*sheet) if sheet is not None else None)
