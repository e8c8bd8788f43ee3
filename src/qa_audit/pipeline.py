"""The nightly audit, end to end: read -> normalise -> check -> classify -> score -> write.

Results and quarantined records are written as they come; only the aggregates kept for the
scorecard stay in memory.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from qa_audit import __version__, jsonsafe
from qa_audit.atomic import atomic_text
from qa_audit.auditor import Auditor
from qa_audit.classify import ComplaintTagger
from qa_audit.gctune import run_gc
from qa_audit.model import Conversation, Rejected
from qa_audit.outputs import commit_run, discard_run, locked, start_run
from qa_audit.privacy import mask_conversation, mask_rejected
from qa_audit.readers import SpeakerMap, expand_inputs, read_inputs
from qa_audit.roles_infer import RolesTally
from qa_audit.rules import RuleSet
from qa_audit.tally import Tally

if TYPE_CHECKING:
    from qa_audit.report.prepare import Preparer


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
    timezone: str = "Asia/Shanghai"  # the workbook's times, days and hours
    workers: int = 1  # processes (local engine) or local-cluster workers (dask engine without a scheduler)
    engine: str = "local"  # local | dask
    scheduler: str | None = None  # Dask scheduler address; None starts a local cluster
    mask: bool = True  # mask phone, ID-card, bank-card numbers and e-mail addresses in every output
    speakers: SpeakerMap | None = None  # --speaker-map: ASR speaker id -> role
    asr_format: str | None = None  # --input-format: force the ASR vendor of .json files
    calls: Any = None  # calls.CallJoin of --calls (filled in the main process, before auditing)
    store: str | None = None  # results store (path, sqlite:///, postgresql://): the run is recorded there too
    day: str | None = None  # YYYY-MM-DD: the stored day of conversations without started_at (default: today)


@dataclass(frozen=True)
class RunSummary:
    """Counts of a finished run (also written as summary.json)."""

    read: int
    audited: int
    quarantined: int
    findings: int
    not_processed: int
    data: dict[str, Any] = field(hash=False, compare=False)
    interrupted: bool = False  # stopped early (Ctrl-C): the outputs cover the records read so far
    committed: bool = True  # False: stopped before any record, OUTDIR still holds the previous set


_T = TypeVar("_T")


def _dump(obj: Any) -> str:
    return jsonsafe.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def run_audit(
    inputs: Sequence[str],
    settings: AuditSettings,
    progress: Callable[[Mapping[str, int]], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunSummary:
    """Audit every conversation of `inputs` into `settings.outdir`; return the counts.

    `progress` is called with the running counts after each record. When `stop()` turns true the
    run takes no further record and finishes its outputs for the records done (summary
    `interrupted`); stopped before the first record, nothing is switched in (`committed` false).
    The whole set is written into a fresh run folder and switched in as a unit
    (`outputs.commit_run`); on any failure the previous set stays. Raises ReadError for bad
    inputs, EngineError when Dask cannot be used and OutdirBusy when another run holds OUTDIR.
    """
    with locked(settings.outdir):
        remove_stale_temp_files(settings.outdir)
        stage = start_run(settings.outdir)
        pending: list[tuple[Any, dict[str, Any]]] = []  # the store's open transaction, if any
        try:
            with run_gc():
                summary = _audit_into(stage, inputs, settings, progress, stop, pending)
        except BaseException:
            discard_run(stage)
            raise
        if summary.interrupted and summary.read == 0:  # nothing new: an empty set must not replace the last one
            for recorder, _ in pending:
                recorder.abort()
            discard_run(stage)
            return replace(summary, committed=False)
        try:
            commit_run(settings.outdir, stage)
        except BaseException:
            for recorder, _ in pending:
                recorder.abort()
            raise
        # last: the store shows the run only once its outputs are complete and switched in
        for recorder, data in pending:
            recorder.commit(data)
    return summary


def _audit_into(
    out: Path,
    inputs: Sequence[str],
    settings: AuditSettings,
    progress: Callable[[Mapping[str, int]], None] | None,
    stop: Callable[[], bool] | None,
    pending: list[tuple[Any, dict[str, Any]]],
) -> RunSummary:
    """Run the audit writing every output into the empty folder `out`; a store transaction is left in `pending`."""
    from qa_audit.report.prepare import results_line
    from qa_audit.writer import write_outputs_aside  # the workbook in its own process

    started = time.time()
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rule_fails: Counter[str] = Counter()
    rule_flags: Counter[str] = Counter()  # rules whose only findings were 待复核 flags
    passed = 0
    roles = RolesTally()
    interrupted = False
    stream = _results(inputs, settings, counts)
    try:
        recorder = _open_store(settings, inputs)  # a store that cannot be used stops the run before any record
    except BaseException:
        stream.close()
        raise
    try:
        with atomic_text(out / "results.jsonl") as res_f, atomic_text(out / "quarantine.jsonl") as q_f:

            def audited() -> Iterator[Any]:
                """Take the results in input order; results and quarantine lines are written as they come."""
                nonlocal passed, interrupted
                for item in stream:
                    if stop is not None and stop():
                        interrupted = True
                        return
                    done = None  # (results.jsonl line, output rows) when prepared where audited
                    if type(item) is tuple:
                        item, done = item
                    counts["read"] += 1
                    if isinstance(item, Rejected):
                        if settings.mask:
                            item = mask_rejected(item)
                        counts["quarantined"] += 1
                        reasons[_reason_kind(item.reason)] += 1
                        q_f.write(_dump(item.to_json()))
                    else:
                        t = item if type(item) is Tally else Tally.of(item)  # Tally: from a lean pool worker
                        counts["audited"] += 1
                        counts["findings"] += t.findings
                        counts["review_flags"] += t.review_flags
                        counts["empty_turns"] += t.empty_turns
                        passed += t.passed
                        roles.add(t.conversation)
                        rule_fails.update(t.failed)
                        rule_flags.update(t.review)
                        res_f.write(done[0] if done is not None else results_line(item))
                        if recorder is not None:
                            recorder.add(item)  # a whole result: no lean pool with a store
                        yield done[1] if done is not None else item
                    if progress:
                        progress(counts)

            infos = list(settings.ruleset.infos().values())
            report = write_outputs_aside(
                out,
                audited(),
                infos,
                settings.ruleset.policy,
                formats=settings.formats,
                split_by=settings.split_by,
                timezone=settings.timezone,
            )
    except BaseException:
        if recorder is not None:
            recorder.abort()
        raise
    finally:
        stream.close()  # stops worker processes or the Dask client, also on an early stop
    data = {
        "read": counts["read"],
        "audited": counts["audited"],
        "quarantined": counts["quarantined"],
        "not_processed": counts["not_processed"],
        "findings": counts["findings"],
        "findings_deduct": counts["findings"] - counts["review_flags"],
        "findings_review": counts["review_flags"],
        "empty_turns_skipped": counts["empty_turns"],
        "passed": passed,
        "interrupted": interrupted,
        "ruleset_version": settings.ruleset.version,
        "ruleset_name": settings.ruleset.name,
        "rules": len(settings.ruleset.rules),
        "model": settings.model_dir,
        "qa_audit_version": __version__,
        "limit": settings.limit,
        "quarantine_reasons": dict(reasons),
        "rule_failures": dict(rule_fails),
        "rule_review_flags": dict(rule_flags),
        "roles": roles.to_json(),
        "inputs": list(inputs),
        "engine": settings.engine,
        "workers": settings.workers,
        "masked": settings.mask,
        "seconds": round(time.time() - started, 2),
        "outputs": sorted(str(p.relative_to(out)) for p in (*report.paths, *report.split_paths))
        + ["results.jsonl", "quarantine.jsonl", "summary.json"],
    }
    if settings.calls is not None:
        data["calls"] = settings.calls.report()
    try:
        _write_json(out / "summary.json", data)
    except BaseException:
        if recorder is not None:
            recorder.abort()
        raise
    if recorder is not None:
        pending.append((recorder, data))  # committed by run_audit once the output set is switched in
    return RunSummary(
        counts["read"],
        counts["audited"],
        counts["quarantined"],
        counts["findings"],
        counts["not_processed"],
        data,
        interrupted,
    )


def _open_store(settings: AuditSettings, inputs: Sequence[str]) -> Any:
    """Open the run's transaction in the results store (StoreError), or return None without --store."""
    if not settings.store:
        return None
    from qa_audit.store.writer import StoreWriter

    return StoreWriter(settings.store, settings.ruleset, inputs=inputs, model=settings.model_dir, day=settings.day)


def _results(inputs: Sequence[str], settings: AuditSettings, counts: Counter[str]) -> Generator[Any, None, None]:
    """The audited records in input order, on the engine the settings ask for, --limit applied.

    The local engine gives each result as (result, (results.jsonl line, output rows)): the
    per-conversation output work is done where the conversation is audited (report/prepare.py).
    """
    # validates encoding and column mapping now (ReadError), whichever engine reads the files
    records = read_inputs(
        list(inputs),
        encoding=settings.encoding,
        columns=settings.columns or None,
        speakers=settings.speakers,
        asr_format=settings.asr_format,
    )
    if settings.calls is not None:
        join = settings.calls.apply
        records = (join(i) if isinstance(i, Conversation) else i for i in records)
    if settings.engine == "dask":
        from qa_audit.distributed import audit_on_dask

        records.close()
        results = audit_on_dask(
            expand_inputs(list(inputs)),
            settings.ruleset,
            settings.tagger,
            encoding=settings.encoding,
            columns=settings.columns or None,
            scheduler=settings.scheduler,
            workers=settings.workers,
            mask=settings.mask,
        )
        # Dask audits whole files; the records past the limit are audited there, then counted here
        return _limited(results, settings.limit, counts)
    source = _limited(records, settings.limit, counts)
    if settings.mask:  # before auditing: rules, findings and every output see the masked text
        source = (mask_conversation(i) if isinstance(i, Conversation) else i for i in source)
    preparer = _preparer(settings)
    if settings.workers > 1:
        from qa_audit.parallel import audit_in_pool

        lean = not settings.store  # the store records whole results
        return audit_in_pool(source, settings.ruleset, settings.tagger, settings.workers, preparer=preparer, lean=lean)
    return _audit_here(source, Auditor(settings.ruleset, settings.tagger), preparer)


def _preparer(settings: AuditSettings) -> Preparer | None:
    """The per-conversation output work for pool workers; None for one worker or an unknown time zone.

    With one worker the audit process is the longer path and the writer process has time to spare
    beside it: the results go to the writer as they are, and it prepares their rows itself (the
    same functions, so the same files). An unknown time zone is reported by the writer.
    """
    from qa_audit.report.labels import zone
    from qa_audit.report.prepare import Preparer

    if settings.workers == 1:
        return None
    try:
        tz = zone(settings.timezone)
    except ValueError:
        return None
    keep = bool(settings.formats) or settings.split_by is not None  # CSV, Parquet, split workbooks use the rows
    return Preparer(list(settings.ruleset.infos().values()), tz, keep_rows=keep)


def _audit_here(
    source: Iterable[Conversation | Rejected], auditor: Auditor, preparer: Preparer | None = None
) -> Generator[Any, None, None]:
    """The single-process path: audit each record as it is read (and prepare its output rows, given a preparer)."""
    for item in source:
        if isinstance(item, Rejected):
            yield item
        else:
            result = auditor.audit(item)
            yield result if preparer is None else (result, preparer(result))


def remove_stale_temp_files(outdir: Path) -> list[Path]:
    """Remove temporary files left in `outdir` by a run that was killed (kill -9, power loss).

    Only our own temp names are touched: `.<output name>…tmp` beside the outputs and in `by_agent/`.
    """
    removed = []
    for folder in (outdir, outdir / "by_agent", outdir / "by_team"):
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            name = p.name
            if (
                name.startswith(".")
                and name.endswith(".tmp")
                and p.is_file()
                and (folder != outdir or name[1:].startswith(_OUTPUT_STEMS))
            ):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


_OUTPUT_STEMS = ("results.", "quarantine.", "summary.", "scorecard.", "findings.", "conversations.")


def _reason_kind(reason: str) -> str:
    """The kind of a quarantine reason, without the record-specific detail (for the summary counts)."""
    kind = re.sub(r"^(turns\[\d+\]|row \d+|line \d+): ", "", reason)
    return re.split(r":| at line|;", kind)[0].strip()[:80]


def _limited(stream: Iterator[_T], limit: int | None, counts: Counter[str]) -> Generator[_T, None, None]:
    """The first `limit` records of `stream`; the rest are only counted (as not processed)."""
    try:
        if limit is None:
            yield from stream
            return
        for n, item in enumerate(stream):
            if n >= limit:
                counts["not_processed"] += 1 + sum(1 for _ in stream)
                return
            yield item
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _write_json(path: Path, data: Any) -> None:
    with atomic_text(path) as f:
        jsonsafe.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")
