"""Read the conversations once, audit each with both packs, stream the changes to diff.jsonl."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from qa_audit import jsonsafe
from qa_audit.atomic import atomic_text
from qa_audit.backtest.compare import ConversationDiff, compare_rules, diff_conversation
from qa_audit.classify import ComplaintTagger
from qa_audit.model import ComplaintTag, Conversation, ConversationResult, Rejected
from qa_audit.privacy import mask_conversation, mask_rejected
from qa_audit.readers import read_inputs
from qa_audit.rules import Engine, RuleSet
from qa_audit.scoring import rule_losses, score_conversation

CHUNK = 64  # conversations per task sent to a worker process


@dataclass(frozen=True)
class BacktestSummary:
    """The counts of a backtest; `data` is the --json object (also written as diff_summary.json)."""

    data: dict[str, Any] = field(hash=False, compare=False)
    diffs: tuple[ConversationDiff, ...] = ()  # the conversations where anything changed, for diff.xlsx


class _Pair:
    """Both packs' engines and the shared tagger: one conversation, tagged once, audited twice."""

    def __init__(self, old: RuleSet, new: RuleSet, tagger: ComplaintTagger) -> None:
        self.sides = [(rs, Engine(rs), rs.infos()) for rs in (old, new)]
        self.tagger = tagger

    def _result(self, side: int, conv: Conversation, tag: ComplaintTag) -> ConversationResult:
        ruleset, engine, infos = self.sides[side]
        audit = engine.audit(conv, is_complaint=tag.is_complaint)
        losses = rule_losses(audit, infos)
        score = score_conversation(audit, infos, ruleset.policy, losses)
        return ConversationResult(conv, audit, score, tag, ruleset.version, losses)

    def diff(self, conv: Conversation) -> ConversationDiff:
        """Audit one conversation with both packs and compare."""
        tag = self.tagger.tag(conv)
        return diff_conversation(self._result(0, conv, tag), self._result(1, conv, tag))


_WORKER: _Pair | None = None


def _init_worker(old: RuleSet, new: RuleSet, tagger: ComplaintTagger) -> None:
    global _WORKER
    _WORKER = _Pair(old, new, tagger)


def _diff_chunk(convs: list[Conversation]) -> list[ConversationDiff]:
    assert _WORKER is not None
    return [_WORKER.diff(c) for c in convs]


def _chunks(items: Iterable[Conversation], size: int) -> Iterator[list[Conversation]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _diffs(
    convs: Iterable[Conversation], old: RuleSet, new: RuleSet, tagger: ComplaintTagger, workers: int
) -> Iterator[ConversationDiff]:
    if workers <= 1:
        pair = _Pair(old, new, tagger)
        yield from (pair.diff(c) for c in convs)
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(old, new, tagger)) as pool:
        # map keeps input order; at most `workers * 4` chunks are in flight at once
        pending: list[Any] = []
        for chunk in _chunks(convs, CHUNK):
            pending.append(pool.submit(_diff_chunk, chunk))
            if len(pending) >= workers * 4:
                yield from pending.pop(0).result()
        for fut in pending:
            yield from fut.result()


def run_backtest(
    inputs: Sequence[str],
    old: RuleSet,
    new: RuleSet,
    tagger: ComplaintTagger,
    outdir: Path,
    *,
    workers: int = 1,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    mask: bool = True,
    progress: Callable[[int], None] | None = None,
) -> BacktestSummary:
    """Audit `inputs` with both packs; write diff.jsonl and quarantine.jsonl into `outdir`; return counts.

    Conversations are read once. Every finding added, removed or changed (same finding_id, another
    tier or points) is one line of diff.jsonl; only the conversations where something changed are
    kept in memory (for diff.xlsx).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    flips: dict[str, Counter[str]] = defaultdict(Counter)
    kept: list[ConversationDiff] = []
    with atomic_text(outdir / "diff.jsonl") as out, atomic_text(outdir / "quarantine.jsonl") as quarantine:

        def conversations() -> Iterator[Conversation]:
            for item in read_inputs(list(inputs), encoding=encoding, columns=columns):
                counts["read"] += 1
                if isinstance(item, Rejected):
                    counts["quarantined"] += 1
                    row = (mask_rejected(item) if mask else item).to_json()
                    quarantine.write(jsonsafe.dumps(row, ensure_ascii=False) + "\n")
                    continue
                yield mask_conversation(item) if mask else item

        for d in _diffs(conversations(), old, new, tagger, workers):
            counts["audited"] += 1
            if progress:
                progress(counts["audited"])
            if not d.changed:
                continue
            kept.append(d)
            counts["scores_changed"] += d.score_changed
            if flip := d.passed_flip:
                counts[flip] += 1
            for rid, before, after in d.check_flips:
                flips[rid][f"{before}->{after}"] += 1
            for ch in d.changes:
                counts[ch.change] += 1
                per_rule[ch.finding.rule_id][ch.change] += 1
                line = ch.to_json(d.new, d.old.score.score, d.new.score.score)
                out.write(jsonsafe.dumps(line, ensure_ascii=False) + "\n")
    rules = compare_rules(old, new)
    data = {
        "read": counts["read"],
        "audited": counts["audited"],
        "quarantined": counts["quarantined"],
        "added": counts["added"],
        "removed": counts["removed"],
        "changed": counts["changed"],
        "per_rule": {
            rid: {"added": c["added"], "removed": c["removed"], "changed": c["changed"]}
            for rid, c in sorted(per_rule.items())
        },
        "check_flips": {rid: dict(c) for rid, c in sorted(flips.items())},
        "fail_to_pass": counts["fail_to_pass"],
        "pass_to_fail": counts["pass_to_fail"],
        "scores_changed": counts["scores_changed"],
        "rules_changed": rules.to_json(),
        "old": {"version": old.version, "name": old.name},
        "new": {"version": new.version, "name": new.name},
    }
    return BacktestSummary(data, tuple(kept))
