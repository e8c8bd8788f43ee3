"""The rule engine: every rule of a rule set against one conversation, in one pass per turn."""

from __future__ import annotations

from collections import defaultdict

from qa_audit.model import Audit, Conversation, Finding
from qa_audit.rules.kinds import KINDS, Prepared, scoped
from qa_audit.rules.prepared import Matchers, PreparedTurn
from qa_audit.rules.spec import Rule, RuleSet
from qa_audit.segment import add_user_words


class Engine:
    """Compiled rule set. Build once per process; `audit` is then called per conversation."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        conds = [c for r in ruleset.rules for c in r.conditions()]
        self.matchers = Matchers(conds)
        self._by_phrase, self._by_regex = _gated_rules(ruleset.rules, self.matchers)
        # the regex set runs only on turns of the roles those rules look at (their scope or trigger role)
        regex_gated = set().union(*self._by_regex.values())
        roles = {_gate_role(r) for r in ruleset.rules if r.id in regex_gated}
        self._regex_roles = {"agent", "customer"} | roles if "any" in roles else roles
        gated = set().union(*self._by_phrase.values(), regex_gated)
        # rules with equal `applies` / `where` share one computation per conversation (keys are small ints)
        akeys: dict[object, int] = {}
        wkeys: dict[object, int] = {}
        self._plan = [(r.id, r, KINDS[r.kind], r.kind if r.id in gated else None,
                       akeys.setdefault(r.applies, len(akeys)), wkeys.setdefault(r.where, len(wkeys)))
                      for r in ruleset.rules]
        words = {p for c in conds for leaf in c.leaves() if leaf.op in ("any", "all", "at_least", "words")
                 for p in leaf.phrases}
        add_user_words(sorted(w for w in words if len(w) >= 2))

    def prepare(self, conv: Conversation, is_complaint: bool) -> Prepared:
        """Normalise and scan every turn once."""
        return Prepared(conv, tuple(PreparedTurn(t, self.matchers) for t in conv.turns), is_complaint)

    def audit(self, conv: Conversation, is_complaint: bool = False) -> Audit:
        """Return the findings and the pass/fail/n/a check of every rule."""
        prep = self.prepare(conv, is_complaint)
        live = self._live(prep)
        findings: list[Finding] = []
        checks: dict[str, str] = {}
        applicable: dict[int, bool] = {}
        in_scope: dict[int, bool] = {}
        for rule_id, rule, check, gated_kind, akey, wkey in self._plan:
            ok = applicable.get(akey)
            if ok is None:
                ok = applicable[akey] = applies(rule, prep)
            if not ok:
                checks[rule_id] = "n/a"
            elif gated_kind is not None and rule_id not in live:
                # none of the phrases or patterns the rule needs occurs anywhere: a forbid rule passes,
                # a respond rule is never triggered
                nonempty = in_scope.get(wkey)
                if nonempty is None:
                    nonempty = in_scope[wkey] = bool(scoped(rule, prep))
                checks[rule_id] = "pass" if gated_kind == "forbid" and nonempty else "n/a"
            else:
                result = check(rule, prep)
                if result is None:
                    checks[rule_id] = "n/a"
                else:
                    checks[rule_id] = "fail" if result else "pass"
                    findings.extend(result)
        findings.sort(key=lambda f: (f.turn_index if f.turn_index is not None else -1, f.rule_id))
        return Audit(findings=tuple(findings), checks=checks)

    def _live(self, prep: Prepared) -> set[str]:
        """Ids of the gated rules whose phrases or patterns occur somewhere in the conversation."""
        live: set[str] = set()
        by_phrase, by_regex = self._by_phrase, self._by_regex
        for turn in prep.turns:
            for pid in turn.phrase_ids:
                if pid in by_phrase:
                    live |= by_phrase[pid]
            if turn.turn.role in self._regex_roles:
                for rid in turn.regex_ids:
                    live |= by_regex.get(rid, frozenset())
        return live


def _gate_role(rule: Rule) -> str:
    return rule.where.role if rule.kind == "forbid" else rule.trigger_role


def _gated_rules(rules: tuple[Rule, ...], matchers: Matchers) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Phrase id -> ids of the rules that need it, and regex id -> rule ids, for the rules that can be skipped.

    A forbid rule finds nothing, and a respond rule is never triggered (n/a), when its match (trigger)
    condition has a gate none of whose phrases or patterns occurs in the conversation.
    """
    by_phrase: dict[int, set[str]] = defaultdict(set)
    by_regex: dict[int, set[str]] = defaultdict(set)
    for rule in rules:
        cond = rule.match if rule.kind == "forbid" else rule.trigger if rule.kind == "respond" else None
        gate = matchers.gate(cond) if cond is not None else None
        if gate is None:
            continue
        for pid in gate[0]:
            by_phrase[pid].add(rule.id)
        for rid in gate[1]:
            by_regex[rid].add(rule.id)
    return dict(by_phrase), dict(by_regex)


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
