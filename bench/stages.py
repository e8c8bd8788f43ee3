"""Where the time of one audit goes: read, normalise, rules, classify, score, write, in ONE run.

    python bench/stages.py CORPUS_DIR_OR_FILES...     # prints one JSON line (seconds per stage)

Runs the audit in this process, stage by stage, as the one-worker pipeline does (read ->
mask -> roles check -> classify -> rules -> score -> results line -> pipe -> write every output), and
times each stage with process CPU time (time.process_time: a loaded shared machine stretches wall
time, not the work): `normalise` is the time inside `normalize()` called by the rule engine (so
`rules` is the engine without it); `prepare` is the per-conversation output work: its results.jsonl
line (made by the audit process) and its output rows (report/prepare.py, made by the writer process
with one worker); `pipe` is pickling the results in batches and unpickling them again (what sending
them to the writer process costs the two ends); `write` is the rest of the writer process's work
(findings.jsonl, scorecard.xlsx).
Start-up (imports, loading the rules and the model) is reported apart; the rest runs with the
pipeline's garbage-collection settings (qa_audit.gctune). Development tooling only.
"""

from __future__ import annotations

import json
import pickle
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def stages(inputs: list[str], outdir: Path) -> dict:
    """Audit `inputs` into `outdir`, timing every stage; return the seconds per stage and the counts."""
    t0 = time.process_time()
    import qa_audit.report as report
    import qa_audit.rules.prepared as prepared
    from qa_audit.classify import ComplaintTagger
    from qa_audit.gctune import run_gc
    from qa_audit.model import ConversationResult, Rejected
    from qa_audit.paths import default_model_dir, default_rules_dir
    from qa_audit.pipeline import Auditor
    from qa_audit.privacy import mask_conversation
    from qa_audit.readers import read_inputs
    from qa_audit.report.prepare import results_line
    from qa_audit.roles_infer import check_roles
    from qa_audit.rules import load_ruleset
    from qa_audit.scoring import rule_losses, score_conversation
    from qa_audit.writer import BATCH

    ruleset = load_ruleset(default_rules_dir())
    auditor = Auditor(ruleset, ComplaintTagger.load(default_model_dir()))
    spent: Counter[str] = Counter()
    spent["start-up"] = time.process_time() - t0

    plain = prepared.normalize

    def timed_normalize(text: str):
        t = time.process_time()
        try:
            return plain(text)
        finally:
            spent["normalise"] += time.process_time() - t

    prepared.normalize = timed_normalize  # attribution only: the engine calls it once per distinct text
    plain_prepare = report.prepare_result

    def timed_prepare(*args, **kwargs):
        t = time.process_time()
        try:
            return plain_prepare(*args, **kwargs)
        finally:
            spent["prepare_rows"] += time.process_time() - t

    report.prepare_result = timed_prepare  # the writer's share of `prepare`, attributed the same way
    counts: Counter[str] = Counter()

    def results():
        t = time.process_time()
        batch = []
        for item in read_inputs(inputs):
            if isinstance(item, Rejected):
                counts["quarantined"] += 1
                continue
            item = check_roles(mask_conversation(item))
            t1 = time.process_time()
            spent["read"] += t1 - t
            tag = auditor.tagger.tag(item)
            t2 = time.process_time()
            audit = auditor.engine.audit(item, is_complaint=tag.is_complaint)
            t3 = time.process_time()
            losses = rule_losses(audit, auditor.infos)
            score = score_conversation(audit, auditor.infos, ruleset.policy, losses)
            result = ConversationResult(item, audit, score, tag, ruleset.version, losses)
            t4 = time.process_time()
            spent["classify"] += t2 - t1
            spent["rules"] += t3 - t2
            spent["score"] += t4 - t3
            res_f.write(results_line(result))  # the pipeline writes it as the result comes
            batch.append(result)
            t5 = time.process_time()
            spent["prepare"] += t5 - t4
            counts["audited"] += 1
            counts["findings"] += len(audit.findings)
            t = t5
            if len(batch) >= BATCH:
                yield from sent(batch)
                batch.clear()
                t = time.process_time()
        yield from sent(batch)

    def sent(batch):
        """The batch through pickle, as the writer process receives it (its time counts as `pipe`)."""
        t = time.process_time()
        received = pickle.loads(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
        spent["pipe"] += time.process_time() - t
        yield from received

    w0 = time.process_time()
    with run_gc(), open(outdir / "results.jsonl", "w", encoding="utf-8") as res_f:  # as pipeline.audit
        report.write_outputs(outdir, results(), list(ruleset.infos().values()), ruleset.policy)
    total = time.process_time() - w0
    spent["rules"] -= spent["normalise"]
    in_gen = sum(spent[k] for k in ("read", "classify", "rules", "normalise", "score", "prepare", "pipe"))
    spent["write"] = total - in_gen - spent["prepare_rows"]
    spent["prepare"] += spent.pop("prepare_rows")
    return {"cpu_seconds": {k: round(v, 3) for k, v in spent.items()}, "audit_cpu_seconds": round(total, 3), **counts}


def main() -> None:
    """Command line (see the module docstring)."""
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(stages(sys.argv[1:], Path(tmp))))


if __name__ == "__main__":
    main()
