"""The nightly audit, end to end: read -> normalise -> check -> classify -> score -> write.

Results and quarantined records are written as they come; only the aggregates kept for the
scorecard stay in memory.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from qa_audit import __version__
from qa_audit.classify import ComplaintTagger
from qa_audit.model import Conversation, ConversationResult, Rejected
from qa_audit.readers import read_inputs
from qa_audit.rules import Engine, RuleSet
from qa_audit.scoring import score_conversation


@dataclass(frozen=True)
class AuditSettings:
    """Everything an audit run needs besides the inputs."""

    outdir: Path
    ruleset: RuleSet
    tagger: ComplaintTagger
    model_dir: str = ""
    encoding: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None
    formats: tuple[str, ...] = ()
    split_by: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """Counts of a finished run (also written as summary.json)."""

    read: int
    audited: int
    quarantined: int
    findings: int
    not_processed: int
    data: dict[str, Any] = field(hash=False, compare=False)


class Auditor:
    """A loaded rule engine and tagger: audit one conversation at a time."""

    def __init__(self, ruleset: RuleSet, tagger: ComplaintTagger) -> None:
        self.ruleset = ruleset
        self.engine = Engine(ruleset)
        self.tagger = tagger
        self.infos = ruleset.infos()

    def audit(self, conv: Conversation) -> ConversationResult:
        """Audit, tag and score one conversation."""
        tag = self.tagger.tag(conv)
        audit = self.engine.audit(conv, is_complaint=tag.is_complaint)
        score = score_conversation(audit, self.infos, self.ruleset.policy)
        return ConversationResult(conv, audit, score, tag, self.ruleset.version)


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def run_audit(inputs: Sequence[str], settings: AuditSettings,
              progress: Callable[[int], None] | None = None) -> RunSummary:
    """Audit every conversation of `inputs` into `settings.outdir`; return the counts."""
    from qa_audit.report import write_outputs  # heavy (openpyxl): import only when writing

    out = settings.outdir
    out.mkdir(parents=True, exist_ok=True)
    auditor = Auditor(settings.ruleset, settings.tagger)
    started = time.time()
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rule_fails: Counter[str] = Counter()
    passed = 0
    stream = read_inputs(list(inputs), encoding=settings.encoding, columns=settings.columns or None)
    with _Atomic(out / "results.jsonl") as res_f, _Atomic(out / "quarantine.jsonl") as q_f:

        def audited() -> Iterator[ConversationResult]:
            """Audit as the records stream in; results and quarantine lines are written as they come."""
            nonlocal passed
            for item in _limited(stream, settings.limit, counts):
                counts["read"] += 1
                if isinstance(item, Rejected):
                    counts["quarantined"] += 1
                    reasons[_reason_kind(item.reason)] += 1
                    q_f.write(_dump(item.to_json()))
                else:
                    result = auditor.audit(item)
                    counts["audited"] += 1
                    counts["findings"] += len(result.audit.findings)
                    passed += result.score.passed
                    rule_fails.update(k for k, v in result.audit.checks.items() if v == "fail")
                    res_f.write(_dump(result.to_json()))
                    yield result
                if progress:
                    progress(1)

        report = write_outputs(out, audited(), list(auditor.infos.values()), settings.ruleset.policy,
                               formats=settings.formats, split_by=settings.split_by)
    data = {
        "read": counts["read"], "audited": counts["audited"], "quarantined": counts["quarantined"],
        "not_processed": counts["not_processed"], "findings": counts["findings"],
        "passed": passed,
        "ruleset_version": settings.ruleset.version, "ruleset_name": settings.ruleset.name,
        "rules": len(settings.ruleset.rules), "model": settings.model_dir, "qa_audit_version": __version__,
        "limit": settings.limit, "quarantine_reasons": dict(reasons), "rule_failures": dict(rule_fails),
        "inputs": list(inputs), "seconds": round(time.time() - started, 2),
        "outputs": sorted(str(p.relative_to(out)) for p in (*report.paths, *report.split_paths))
        + ["results.jsonl", "quarantine.jsonl", "summary.json"],
    }
    _write_json(out / "summary.json", data)
    return RunSummary(counts["read"], counts["audited"], counts["quarantined"], counts["findings"],
                      counts["not_processed"], data)


def _reason_kind(reason: str) -> str:
    """The kind of a quarantine reason, without the record-specific detail (for the summary counts)."""
    kind = re.sub(r"^(turns\[\d+\]|row \d+|line \d+): ", "", reason)
    return re.split(r":| at line|;", kind)[0].strip()[:80]


def _limited(stream: Iterator[Conversation | Rejected], limit: int | None,
             counts: Counter[str]) -> Iterable[Conversation | Rejected]:
    for item in stream:
        if limit is not None and counts["read"] >= limit:
            counts["not_processed"] += 1 + sum(1 for _ in stream)
            return
        yield item


def _write_json(path: Path, data: Any) -> None:
    with _Atomic(path) as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")


class _Atomic:
    """Write to a temp file in the same directory, renamed into place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.f: TextIO | None = None

    def __enter__(self) -> TextIO:
        self.f = open(self.tmp, "w", encoding="utf-8")
        return self.f

    def __exit__(self, exc_type: object, *_: object) -> None:
        assert self.f is not None
        self.f.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
