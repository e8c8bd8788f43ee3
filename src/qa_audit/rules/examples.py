"""Run each rule's own examples (`qa-audit rules test`, `rules check`, `rules explain`): `fire` must produce a
finding (a deduction or a 待复核 flag), `pass` none. Each result says what the example actually gave
(fire / review / pass / n/a), its text and where it is written."""

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
    got: str = ""  # fire | review (only 待复核 flags) | pass | n/a
    text: str = ""  # the example on one line
    file: str = ""
    line: int = 0
    col: int = 0

    @property
    def where(self) -> str:
        """file:line:col of the example (file:line of its rule when unknown)."""
        return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"


_GOT = {"fail": "fire", "review": "review", "pass": "pass", "n/a": "n/a"}


def example_text(example: Any) -> str:
    """An example on one line: an utterance, its '客服：…' lines joined by ' / ', or the turns of an object."""
    if isinstance(example, str):
        return example
    if isinstance(example, list):
        return " / ".join(map(str, example))
    turns = example.get("turns", []) if isinstance(example, dict) else []
    return " / ".join(t if isinstance(t, str) else f"{t.get('role')}: {t.get('text')}" for t in turns)


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
                    what = f.evidence.get("operator") or f.evidence.get("metric") or rule.kind
                    detail = f"{f.tier} at turn {f.turn_index}: {f.match or '(the whole turn)'} ({what})"
                else:
                    detail = f"check={audit.checks[rule.id]}"
                line, col = rule.marks.get((expected, k), (rule.line, 0))
                got = _GOT.get(audit.checks[rule.id], audit.checks[rule.id])
                text = example_text(example)
                results.append(ExampleResult(rule.id, expected, k, ok, detail, got, text, rule.file, line, col))
    return results
