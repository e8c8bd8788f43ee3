"""Record an audit run in the store: one transaction, committed only when the run's outputs are complete.

Rows go to the database in batches as results come, inside the open transaction; `commit` makes
them visible at once. A run that fails, or a process that is killed, never commits: the database
rolls the transaction back and the store is as it was before the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from qa_audit import __version__, jsonsafe
from qa_audit.evidence import evidence_json
from qa_audit.model import ConversationResult
from qa_audit.report.tables import parse_started
from qa_audit.store import schema
from qa_audit.store.connect import Store, short_error
from qa_audit.store.errors import StoreError

BATCH = 1000  # conversations per round trip


def _json(value: Any) -> str:
    return jsonsafe.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def conversation_day(started_at: str | None, default: str) -> str:
    """Return a conversation's day: the date of its `started_at` as written, else `default`."""
    return parse_started(started_at)[0] or default


class StoreWriter:
    """Collect one run's results into an open transaction; `commit` or `abort` ends it."""

    def __init__(
        self, address: str, ruleset: Any, *, inputs: Sequence[str], model: str = "", day: str | None = None
    ) -> None:
        """Open the store (StoreError when it cannot be used) and begin the run's transaction.

        The run and its rule set are recorded at once, but become visible only with `commit`.
        """
        self.store = store = Store(address)
        self.day_default = day or date.today().isoformat()
        self._batch: dict[str, ConversationResult] = {}
        self.conn = store.engine.connect()
        self.tx = self.conn.begin()
        try:
            self._save_ruleset(ruleset)
            inserted = self.conn.execute(
                schema.runs.insert().values(
                    started_at=_now(),
                    inputs=_json(list(inputs)),
                    ruleset_name=ruleset.name,
                    ruleset_version=ruleset.version,
                    model=model,
                    qa_audit_version=__version__,
                    day_default=self.day_default,
                )
            ).inserted_primary_key
        except SQLAlchemyError as exc:
            self.abort()
            raise StoreError(f"store {store.name}: {short_error(exc)}") from None
        if inserted is None:  # SQLAlchemy gives None only for a statement that is not an INSERT
            self.abort()
            raise StoreError(f"store {store.name}: no run id was returned")
        self.run_id = inserted[0]

    def _save_ruleset(self, ruleset: Any) -> None:
        table = schema.rulesets
        if self.conn.execute(select(table.c.version).where(table.c.version == ruleset.version)).first():
            return
        rules = [dataclasses.asdict(r.info) for r in ruleset.rules]
        self.conn.execute(
            table.insert().values(
                version=ruleset.version,
                name=ruleset.name,
                policy=_json(dataclasses.asdict(ruleset.policy)),
                rules=_json(rules),
            )
        )

    def add(self, result: ConversationResult) -> None:
        """Queue one result; a later result with the same conversation id replaces it."""
        self._batch[result.conversation.conversation_id] = result
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        ids = list(self._batch)
        convs, finds = [], []
        for result in self._batch.values():
            convs.append(self._conversation_row(result))
            finds.extend(_finding_rows(result))
        self._batch.clear()
        try:
            # replace: a conversation id already stored (an earlier run, or earlier in this one) goes first
            self.conn.execute(schema.findings.delete().where(schema.findings.c.conversation_id.in_(ids)))
            self.conn.execute(schema.conversations.delete().where(schema.conversations.c.conversation_id.in_(ids)))
            self.conn.execute(schema.conversations.insert(), convs)
            if finds:
                self.conn.execute(schema.findings.insert(), finds)
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.store.name}: {short_error(exc)}") from None

    def _conversation_row(self, result: ConversationResult) -> dict[str, Any]:
        c, s, t = result.conversation, result.score, result.tag
        return {
            "conversation_id": c.conversation_id,
            "run_id": self.run_id,
            "day": conversation_day(c.started_at, self.day_default),
            "agent_id": c.agent_id,
            "agent_name": c.agent_name,
            "team": c.team,
            "channel": c.channel,
            "started_at": c.started_at,
            "source": c.source,
            "line": c.line,
            "turns": _json([[x.index, x.role, x.text, x.start, x.end, x.ts] for x in c.turns]),
            "checks": _json(dict(result.audit.checks)),
            "score": s.score,
            "possible": s.possible,
            "deducted": s.deducted,
            "passed": s.passed,
            "vetoed": s.vetoed,
            "ruleset_version": result.ruleset_version,
            "complaint_type": t.complaint_type,
            "complaint_prob": float(t.complaint_prob),
            "complaint_uncertain": t.uncertain,
            "is_complaint": t.is_complaint,
            "customer_type": t.customer_type,
            "explanation": _json(list(t.explanation)),
        }

    def commit(self, summary: Mapping[str, Any]) -> None:
        """Write what is queued, record the run's counts and commit: the run becomes visible at once."""
        try:
            self._flush()
            self.conn.execute(
                schema.runs.update()
                .where(schema.runs.c.run_id == self.run_id)
                .values(
                    finished_at=_now(),
                    read=summary.get("read"),
                    audited=summary.get("audited"),
                    quarantined=summary.get("quarantined"),
                    findings=summary.get("findings"),
                    interrupted=bool(summary.get("interrupted")),
                )
            )
            self.tx.commit()
        except SQLAlchemyError as exc:
            self.abort()
            raise StoreError(f"store {self.store.name}: {short_error(exc)}") from None
        finally:
            self.conn.close()
            self.store.close()

    def abort(self) -> None:
        """Roll the run back: the store keeps nothing of it."""
        try:
            if self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()
            self.store.close()


def _finding_rows(result: ConversationResult) -> list[dict[str, Any]]:
    cid = result.conversation.conversation_id
    return [
        {
            "conversation_id": cid,
            "seq": seq,
            "finding_id": f.finding_id,
            "rule_id": f.rule_id,
            "tier": f.tier,
            "severity": f.severity,
            "points": float(f.points),
            "turn_index": f.turn_index,
            "role": f.role,
            "span_start": f.span[0] if f.span else None,
            "span_end": f.span[1] if f.span else None,
            "match": f.match,
            "message": f.message,
            "evidence": _json(evidence_json(f.evidence)) if f.evidence else None,
        }
        for seq, f in enumerate(result.audit.findings)
    ]
