"""Reviewer verdicts applied to stored results: a 误判 costs nothing, an upheld 待复核 flag costs its points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import Connection, func, select

from qa_audit.model import Audit, ConversationResult
from qa_audit.scoring import rule_losses, score_conversation
from qa_audit.store import schema
from qa_audit.store.results import Scope, StoredRuleset

UPHELD, REJECTED, UNSURE = "属实", "误判", "存疑"
VERDICTS = (UPHELD, REJECTED, UNSURE)
PRECISION_FLAG = 0.9  # rules whose reviewed precision is below this are flagged


def load_verdicts(conn: Connection) -> dict[str, str]:
    """Return finding id -> verdict for every reviewed finding."""
    r = schema.reviews.c
    return dict(conn.execute(select(r.finding_id, r.verdict)).all())


def judged(
    result: ConversationResult, verdicts: Mapping[str, str], ruleset: StoredRuleset | None
) -> ConversationResult:
    """Return `result` with its reviewers' verdicts applied and rescored, losses filled in.

    A finding judged 误判 is dropped (it costs no points, and a rule left without findings passes);
    a 待复核 finding judged 属实 becomes a deduction. Without a verdict that changes anything, the
    stored score stands. Without the stored rule set (should not happen) nothing is rescored.
    """
    if ruleset is None:
        return result
    kept, touched = [], set()
    for f in result.audit.findings:
        verdict = verdicts.get(f.finding_id)
        if verdict == REJECTED:
            touched.add(f.rule_id)
            continue
        if verdict == UPHELD and not f.deducts:
            f = replace(f, tier="deduct")
            touched.add(f.rule_id)
        kept.append(f)
    if not touched:
        return replace(result, losses=rule_losses(result.audit, ruleset.infos))
    checks = dict(result.audit.checks)
    for rid in touched:
        left = [f for f in kept if f.rule_id == rid]
        checks[rid] = "fail" if any(f.deducts for f in left) else "review" if left else "pass"
    audit = Audit(tuple(kept), checks)
    losses = rule_losses(audit, ruleset.infos)
    score = score_conversation(audit, ruleset.infos, ruleset.policy, losses)
    return replace(result, audit=audit, score=score, losses=losses)


def precision(conn: Connection, scope: Scope | None = None) -> dict[str, dict[str, float | int | None]]:
    """Return per rule the reviewed counts and precision 属实 / (属实 + 误判) of its findings in `scope`."""
    r, f, c = schema.reviews.c, schema.findings.c, schema.conversations.c
    query = (
        select(f.rule_id, r.verdict, func.count())
        .select_from(schema.reviews.join(schema.findings, f.finding_id == r.finding_id))
        .group_by(f.rule_id, r.verdict)
    )
    if scope is not None and scope.clauses():
        query = query.join(schema.conversations, c.conversation_id == f.conversation_id).where(*scope.clauses())
    counts: dict[str, dict[str, int]] = {}
    for rule_id, verdict, n in conn.execute(query):
        counts.setdefault(rule_id, {})[verdict] = int(n)
    out = {}
    for rule_id, by in sorted(counts.items()):
        upheld, rejected = by.get(UPHELD, 0), by.get(REJECTED, 0)
        out[rule_id] = {
            "upheld": upheld,
            "rejected": rejected,
            "unsure": by.get(UNSURE, 0),
            "precision": round(upheld / (upheld + rejected), 4) if upheld + rejected else None,
        }
    return out
