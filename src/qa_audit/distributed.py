"""Audit on a Dask cluster: one task per input file, results merged in input order.

The same code path as a local run: each Dask worker process reads its file with the same readers
and audits it with the same Auditor (built once per worker process and kept), and the client
applies the same duplicate-id check across files that `read_inputs` applies locally, in input
order. A task whose worker dies is re-run by Dask from the start of its file, and its result
replaces nothing: each file's result is taken exactly once, in file order, and a conversation id
already seen is quarantined as a duplicate, so nothing is lost or counted twice.

Workers need qa-audit (and the same Python packages) installed and the input files at the same
paths (a shared filesystem); the rule set and model are shipped from the client.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import uuid
from collections import deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa_audit.auditor import Auditor
from qa_audit.model import Conversation, ConversationResult, Rejected
from qa_audit.privacy import mask_conversation
from qa_audit.readers import DuplicateIds, read_file

if TYPE_CHECKING:
    from qa_audit.classify import ComplaintTagger
    from qa_audit.rules import RuleSet

IN_FLIGHT_PER_WORKER = 2  # files submitted ahead per worker: bounded memory on the client

_auditors: dict[str, Auditor] = {}  # per worker process: spec key -> auditor


class EngineError(Exception):
    """The Dask engine cannot be used (not installed, scheduler unreachable): a configuration error."""


@dataclass(frozen=True)
class AuditSpec:
    """What a worker needs to build an Auditor; `key` identifies it for the per-process cache."""

    key: str
    ruleset: RuleSet
    tagger: ComplaintTagger
    mask: bool = True  # mask personal data in each conversation before auditing it


def _auditor_for(spec: AuditSpec) -> Auditor:
    auditor = _auditors.get(spec.key)
    if auditor is None:
        auditor = _auditors[spec.key] = Auditor(spec.ruleset, spec.tagger)
    return auditor


def audit_file(
    spec: AuditSpec, path: str, label: str, encoding: str | None, columns: Mapping[str, str] | None
) -> list[ConversationResult | Rejected]:
    """Dask task: read and audit one file; return its results and rejected records in file order.

    `path` is the absolute path the worker opens; `label` is the path as the user gave it, which
    becomes each record's `source` (so the outputs match a local run from the same directory).
    """
    auditor = _auditor_for(spec)
    out: list[ConversationResult | Rejected] = []
    for item in read_file(path, encoding=encoding, columns=columns):
        if path != label:
            item = _relabel(item, path, label)
        if isinstance(item, Rejected):
            out.append(item)
        else:
            out.append(auditor.audit(mask_conversation(item) if spec.mask else item))
    return out


def _relabel(item: Conversation | Rejected, path: str, label: str) -> Conversation | Rejected:
    if isinstance(item, Rejected):
        return replace(item, source=label, reason=item.reason.replace(path, label))
    return replace(item, source=label)


def _spec(spec: AuditSpec) -> AuditSpec:
    return spec


def audit_on_dask(
    paths: Sequence[Path],
    ruleset: RuleSet,
    tagger: ComplaintTagger,
    *,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    mask: bool = True,
) -> Generator[ConversationResult | Rejected, None, None]:
    """Audit `paths` on the Dask cluster at `scheduler` (or a new local one of `workers` processes).

    Connects at once (EngineError when Dask is missing or the scheduler cannot be reached), then
    returns a generator of results and rejected records in input order, exactly as the local engine
    would yield them; closing it closes the client (and the local cluster).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("--engine dask needs Dask: pip install 'qa-audit[dask]'") from None
    from qa_audit.readers.headers import normalize_overrides

    cols = normalize_overrides(columns) or None
    spec = AuditSpec(hashlib.sha1(pickle.dumps((ruleset, tagger))).hexdigest()[:16], ruleset, tagger, mask)
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(scheduler or cluster, timeout="30s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise EngineError(f"cannot reach the Dask scheduler {scheduler or '(local)'}: {exc}") from None
    return _stream(client, cluster, spec, [str(p) for p in paths], encoding, cols)


def _stream(
    client: Any,
    cluster: Any,
    spec: AuditSpec,
    paths: list[str],
    encoding: str | None,
    columns: Mapping[str, str] | None,
) -> Generator[ConversationResult | Rejected, None, None]:
    try:
        yield from _merge(client, spec, paths, encoding, columns)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _merge(
    client: Any, spec: AuditSpec, paths: list[str], encoding: str | None, columns: Mapping[str, str] | None
) -> Iterator[ConversationResult | Rejected]:
    # The spec is a task result, not scattered data: if every worker holding it dies, the scheduler
    # recomputes it from the graph instead of failing the run.
    run = uuid.uuid4().hex[:12]  # task keys unique to this run: several runs may share a scheduler
    spec_f = client.submit(_spec, spec, key=f"qa-audit-spec-{run}", pure=False)
    window = max(2, IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {}))))
    pending: deque[Any] = deque()
    todo = iter(enumerate(paths))
    duplicates = DuplicateIds(paths)
    try:
        for k, path in todo:
            pending.append(
                (
                    k,
                    client.submit(
                        audit_file,
                        spec_f,
                        str(Path(path).resolve()),
                        path,
                        encoding,
                        columns,
                        pure=False,
                        key=f"qa-audit-file-{run}-{k}",
                    ),
                )
            )
            if len(pending) >= window:
                yield from _dedup(duplicates, *_take(pending))
        while pending:
            yield from _dedup(duplicates, *_take(pending))
    finally:
        for _, fut in pending:
            fut.cancel()
        spec_f.cancel()


def _take(pending: deque[Any]) -> tuple[int, list[ConversationResult | Rejected]]:
    k, fut = pending.popleft()
    result = fut.result()
    fut.release()  # the client keeps nothing it has yielded
    return k, result


def _dedup(
    duplicates: DuplicateIds, k: int, items: list[ConversationResult | Rejected]
) -> Iterator[ConversationResult | Rejected]:
    """The cross-file duplicate-id check of `readers.read_inputs`, applied to merged file results."""
    for item in items:
        if isinstance(item, ConversationResult):
            yield duplicates.check(k, item.conversation) or item
        else:
            yield item
