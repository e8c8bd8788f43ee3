"""The rule engine: every rule of a rule set against one conversation, in one pass per turn."""

from __future__ import annotations

from qa_audit.model import Audit, Conversation, Finding
from qa_audit.rules.kinds import KINDS, Prepared
from qa_audit.rules.prepared import Matchers, PreparedTurn
from qa_audit.rules.spec import Rule, RuleSet
from qa_audit.segment import add_user_words


class Engine:
    """Compiled rule set. Build once per process; `audit` is then called per conversation."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        conds = [c for r in ruleset.rules for c in r.conditions()]
        self.matchers = Matchers(conds)
        words = {p for c in conds for leaf in c.leaves() if leaf.op in ("any", "all", "at_least", "words")
                 for p in leaf.phrases}
        add_user_words(sorted(w for w in words if len(w) >= 2))

    def prepare(self, conv: Conversation, is_complaint: bool) -> Prepared:
        """Normalise and scan every turn once."""
        return Prepared(conv, tuple(PreparedTurn(t, self.matchers) for t in conv.turns), is_complaint)

    def audit(self, conv: Conversation, is_complaint: bool = False) -> Audit:
        """Return the findings and the pass/fail/n/a check of every rule."""
        prep = self.prepare(conv, is_complaint)
        findings: list[Finding] = []
        checks: dict[str, str] = {}
        for rule in self.ruleset.rules:
            result = None if not applies(rule, prep) else KINDS[rule.kind](rule, prep)
            if result is None:
                checks[rule.id] = "n/a"
            else:
                checks[rule.id] = "fail" if result else "pass"
                findings.extend(result)
        findings.sort(key=lambda f: (f.turn_index if f.turn_index is not None else -1, f.rule_id))
        return Audit(findings=tuple(findings), checks=checks)


def applies(rule: Rule, prep: Prepared) -> bool:
    """Whether a rule applies to this conversation at all (else its check is n/a)."""
    a, conv = rule.applies, prep.conv
    if a.complaint is not None and a.complaint != prep.is_complaint:
        return False
    if a.timing and not conv.has_timing:
        return False
    if a.channel is not None and conv.channel != a.channel:
        return False
    return not (a.min_turns is not None and len(conv.turns) < a.min_turns)
