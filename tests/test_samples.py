"""The bundled samples are a black-box test of the default pack (Semgrep-style annotations).

Turn-level `expect` / `ok` annotate the turn a finding points at; conversation-level ones annotate
rules that fail the conversation as a whole. Every finding must be annotated and every `expect` met.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_audit.classify.complaint import detect_complaint
from qa_audit.model import Conversation, Rejected
from qa_audit.readers import read_inputs
from qa_audit.rules import Engine, load_ruleset
from qa_audit.rules.spec import RuleSet

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_transcripts"
PACK = load_ruleset(ROOT / "rules")
ENGINE = Engine(PACK)
ITEMS = list(read_inputs([SAMPLES]))
CONVS = [c for c in ITEMS if isinstance(c, Conversation)]
TURN_LEVEL = {r.id for r in PACK.rules if r.per_turn}


def test_the_sample_set_is_big_and_varied_enough() -> None:
    assert len(CONVS) >= 40
    assert {c.channel for c in CONVS} == {"chat", "call"}
    assert len({c.agent_id for c in CONVS}) >= 6 and len({c.team for c in CONVS}) >= 2
    assert len({(c.started_at or "")[:10] for c in CONVS}) >= 3
    calls = [c for c in CONVS if c.channel == "call"]
    assert any(c.has_timing for c in calls)


def test_every_rule_fails_somewhere_and_passes_somewhere_in_the_samples() -> None:
    seen: dict[str, set[str]] = {r.id: set() for r in PACK.rules}
    for c in CONVS:
        audit = ENGINE.audit(c, is_complaint=detect_complaint(c).is_complaint)
        for rid, value in audit.checks.items():
            seen[rid].add(value)
    # a rule that yields to narrower ones (yields_to) may be silent in the pack: the samples must show it
    # failing alone, as `rules test` runs it (dont.improper_language: every turn it flags here is already
    # flagged by a rule of its family)
    for rule in (r for r in PACK.rules if r.yields_to):
        alone = Engine(RuleSet(rules=(rule,), policy=PACK.policy, version=PACK.version))
        for c in CONVS:
            seen[rule.id].add(alone.audit(c, is_complaint=detect_complaint(c).is_complaint).checks[rule.id])
    # a rule "fails" when it deducts or, for a 待复核 rule, when it flags
    lacking = {rid: v for rid, v in seen.items() if not ("pass" in v and v & {"fail", "review"})}
    assert not lacking


@pytest.mark.parametrize("conv", CONVS, ids=lambda c: c.conversation_id)
def test_sample_annotations_hold(conv: Conversation) -> None:
    audit = ENGINE.audit(conv, is_complaint=detect_complaint(conv).is_complaint)
    problems = []
    # annotations list what a rule finds (deduction or 待复核 flag); an unannotated flag costs nothing and
    # is allowed, an unannotated deduction is not
    for f in (f for f in audit.findings if f.deducts):
        if f.rule_id in TURN_LEVEL:
            if f.rule_id not in conv.turns[f.turn_index].expect:
                problems.append(f"unexpected {f.rule_id} on turn {f.turn_index}: {f.match!r}")
        elif f.rule_id not in conv.expect:
            problems.append(f"unexpected {f.rule_id} (conversation level, anchored on turn {f.turn_index})")
    for t in conv.turns:
        for rid in t.expect:
            if not any(f.rule_id == rid and f.turn_index == t.index for f in audit.findings):
                problems.append(f"missing {rid} on turn {t.index}: {t.text[:40]!r}")
        for rid in t.ok:
            if any(f.rule_id == rid and f.turn_index == t.index for f in audit.findings):
                problems.append(f"{rid} fired on turn {t.index} marked ok")
    for rid in conv.expect:
        if audit.checks.get(rid) not in ("fail", "review"):
            problems.append(f"missing conversation-level {rid} (check is {audit.checks.get(rid)})")
    for rid in conv.ok:
        if audit.checks.get(rid) == "fail":
            problems.append(f"{rid} failed but the conversation is marked ok")
    assert not problems, "\n".join(problems)


def test_broken_records_are_quarantined_with_reasons_and_good_ones_read() -> None:
    spec = json.loads((ROOT / "tests" / "data" / "samples_expected_quarantine.json").read_text(encoding="utf-8"))
    rejected = [r for r in ITEMS if isinstance(r, Rejected)]
    assert len(rejected) == spec["total_quarantined"]
    assert len(CONVS) == spec["total_audited"]
    for want in spec["quarantine"]:
        match = [r for r in rejected if r.source.endswith(Path(want["source"]).name) and r.line == want["line"]]
        assert len(match) == 1, want
        assert want["reason_contains"].lower() in match[0].reason.lower(), (want, match[0].reason)
    broken = SAMPLES / "broken_records.jsonl"
    good = [c for c in CONVS if Path(c.source).name == broken.name]
    assert len(good) == spec["good_records"][f"sample_transcripts/{broken.name}"]
