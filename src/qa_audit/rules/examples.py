"""Run each rule's own examples (`qa-audit rules test`): `fire` must produce a finding, `pass` none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_audit.model import Conversation, Turn
from qa_audit.readers.roles import canonical_role
from qa_audit.rules.engine import Engine
from qa_audit.rules.spec import Rule, RuleSet


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example of one rule."""

    rule_id: str
    expected: str  # fire | pass
    index: int
    ok: bool
    detail: str


def _turn(i: int, item: Any, default_role: str) -> Turn:
    if isinstance(item, dict):
        return Turn(
            index=i,
            role=item["role"],
            text=item["text"],
            start=item.get("start"),
            end=item.get("end"),
            ts=item.get("ts"),
        )
    text = str(item)
    for sep in ("：", ":"):
        head, found, rest = text.partition(sep)
        role = canonical_role(head) if found else None
        if role:
            return Turn(index=i, role=role, text=rest)
    return Turn(index=i, role=default_role, text=text)


def example_conversation(rule: Rule, example: Any, name: str) -> tuple[Conversation, bool]:
    """Turn an example (utterance, list of '客服：…' lines, or conversation object) into a conversation."""
    role = rule.spec.example_role()
    role = "agent" if role == "any" else role
    if isinstance(example, str):
        items, channel, complaint = [example], None, None
    elif isinstance(example, list):
        items, channel, complaint = example, None, None
    else:
        items, channel, complaint = example["turns"], example.get("channel"), example.get("complaint")
    turns = tuple(_turn(i, item, role) for i, item in enumerate(items))
    if complaint is None:
        complaint = bool(rule.applies.complaint)
    return Conversation(conversation_id=name, turns=turns, channel=channel), complaint


def run_examples(ruleset: RuleSet, only: str | None = None) -> list[ExampleResult]:
    """Run every example of every rule (or of rule `only`), each rule alone."""
    results: list[ExampleResult] = []
    for rule in ruleset.rules:
        if only and rule.id != only:
            continue
        engine = Engine(RuleSet(rules=(rule,), policy=ruleset.policy, version=ruleset.version))
        for expected, examples in (("fire", rule.examples_fire), ("pass", rule.examples_pass)):
            for k, example in enumerate(examples):
                conv, complaint = example_conversation(rule, example, f"{rule.id}:{expected}[{k}]")
                audit = engine.audit(conv, is_complaint=complaint)
                fired = bool(audit.findings)
                ok = fired == (expected == "fire")
                if audit.findings:
                    f = audit.findings[0]
                    detail = f"turn {f.turn_index}: {f.match or '(absent)'} {dict(f.evidence)}"
                else:
                    detail = f"check={audit.checks[rule.id]}"
                results.append(ExampleResult(rule.id, expected, k, ok, detail))
    return results
