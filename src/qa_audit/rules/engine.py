"""The rule engine: every rule of a rule set against one conversation, in one pass per turn."""

from __future__ import annotations

from collections import defaultdict

from qa_audit.model import Audit, Conversation, Finding
from qa_audit.rules.applicability import is_empty, na_reason
from qa_audit.rules.kinds import KINDS, Prepared
from qa_audit.rules.operators import OPERATORS
from qa_audit.rules.prepared import Matchers, PreparedTurn
from qa_audit.rules.spec import Rule, RuleSet
from qa_audit.segment import add_user_words


class Engine:
    """Compiled rule set. Build once per process; `audit` is then called per conversation."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        conds = [c for r in ruleset.rules for c in r.conditions()]
        self.matchers = Matchers(conds)
        rules = ruleset.rules
        self._by_phrase, self._by_regex = _gated_rules(rules, self.matchers)
        # the regex set runs only on turns of the roles those rules look at (their scope or trigger role)
        regex_gated = set().union(*self._by_regex.values())
        roles = {rules[i].spec.gate()[1] for i in regex_gated}
        self._regex_roles = {"agent", "customer"} | roles if "any" in roles else roles
        gated = set().union(*self._by_phrase.values(), regex_gated)
        # gated rules with the same applicability, scope and kind are settled together when none of
        # their phrases occurs; every other rule is evaluated
        self._ids = [r.id for r in rules]
        akeys: dict[object, int] = {}
        self._akey = [akeys.setdefault(r.applies, len(akeys)) for r in rules]
        self._n_akeys = len(akeys)
        groups: dict[tuple[object, object, str], int] = {}
        self._groups: list[int] = []  # a representative rule index per group
        self._group_of: list[int] = []  # per rule: its group, or -1 (always evaluated)
        for i, r in enumerate(rules):
            if i not in gated:
                self._group_of.append(-1)
                continue
            g = groups.setdefault((r.applies, getattr(r.spec, "where", None), r.kind), len(groups))
            if g == len(self._groups):
                self._groups.append(i)
            self._group_of.append(g)
        self._always = frozenset(i for i, g in enumerate(self._group_of) if g < 0)
        self._role_bound = frozenset(r.id for r in rules if role_dependent(r))
        self._yields = [(i, frozenset(r.yields_to)) for i, r in enumerate(rules) if r.yields_to]
        words = {p for c in conds for leaf in c.leaves() if OPERATORS[leaf.op].user_words for p in leaf.phrases}
        add_user_words(sorted(w for w in words if len(w) >= 2))

    def prepare(self, conv: Conversation, is_complaint: bool) -> Prepared:
        """Normalise and scan every turn once."""
        return Prepared(conv, tuple(PreparedTurn(t, self.matchers) for t in conv.turns), is_complaint)

    def audit(self, conv: Conversation, is_complaint: bool = False) -> Audit:
        """Return the findings and the pass/fail/n/a check of every rule."""
        prep = self.prepare(conv, is_complaint)
        rules = self.ruleset.rules
        applicable: list[bool | None] = [None] * self._n_akeys

        def applies_here(i: int) -> bool:
            ok = applicable[self._akey[i]]
            if ok is None:
                ok = applicable[self._akey[i]] = applies(rules[i], prep)
            return ok

        # a settled group: none of its rules' phrases or patterns occurs anywhere (e.g. a forbid rule
        # passes, or is n/a without turns in scope; a respond rule is never triggered)
        settled = [rules[i].spec.quiet(prep) if applies_here(i) else "n/a" for i in self._groups]
        settled.append("")  # group -1: its rules are all in self._always, so each gets its value below
        values = [settled[g] for g in self._group_of]
        findings: list[Finding] = []
        for i in sorted(self._always | self._live(prep)):
            if not applies_here(i):
                values[i] = "n/a"
                continue
            rule = rules[i]
            result = KINDS[rule.kind].check(rule, prep)
            if result is None:
                values[i] = "n/a"
            else:
                values[i] = "fail" if any(f.deducts for f in result) else "review" if result else "pass"
                findings.extend(result)
        findings.sort(key=lambda f: (f.turn_index if f.turn_index is not None else -1, f.rule_id))
        if conv.roles is not None and not conv.roles.usable:  # roles untrusted: n/a, never fail
            values = ["n/a" if rid in self._role_bound else v for rid, v in zip(self._ids, values, strict=True)]
            findings = [f for f in findings if f.rule_id not in self._role_bound]
        for i, narrower in self._yields:
            findings = _yield(self._ids[i], narrower, findings, values, i)
        return Audit(
            findings=tuple(findings),
            checks=dict(zip(self._ids, values, strict=True)),
            na_reasons=_na_reasons(rules, prep),
            empty_turns=sum(is_empty(t.text) for t in prep.turns),
        )

    def _live(self, prep: Prepared) -> set[int]:
        """Indices of the gated rules whose phrases or patterns occur somewhere in the conversation."""
        live: set[int] = set()
        by_phrase, by_regex = self._by_phrase, self._by_regex
        for turn in prep.turns:
            for pid in turn.phrase_ids:
                if pid in by_phrase:
                    live |= by_phrase[pid]
            if turn.turn.role in self._regex_roles:
                for rid in turn.regex_ids:
                    live |= by_regex.get(rid, frozenset())
        return live


def _yield(rule_id: str, narrower: frozenset[str], findings: list[Finding], values: list[str], i: int) -> list[Finding]:
    """Drop the findings of `rule_id` on turns where a rule of `narrower` has a finding; settle its check again."""
    mine = [f for f in findings if f.rule_id == rule_id]
    if not mine:
        return findings
    taken = {f.turn_index for f in findings if f.rule_id in narrower and f.turn_index is not None}
    kept = [f for f in mine if f.turn_index not in taken]
    if len(kept) == len(mine):
        return findings
    values[i] = "fail" if any(f.deducts for f in kept) else "review" if kept else "pass"
    return [f for f in findings if f.rule_id != rule_id or f.turn_index not in taken]


def _gated_rules(rules: tuple[Rule, ...], matchers: Matchers) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Phrase id -> indices of the rules that need it, and regex id -> rule indices (rules that may be settled).

    A rule whose kind names a gate condition (forbid: `match`, respond: `trigger.match`) finds nothing
    when that condition has a gate none of whose phrases or patterns occurs in the conversation.
    """
    by_phrase: dict[int, set[int]] = defaultdict(set)
    by_regex: dict[int, set[int]] = defaultdict(set)
    for i, rule in enumerate(rules):
        found = rule.spec.gate()
        gate = matchers.gate(found[0]) if found is not None else None
        if gate is None:
            continue
        for pid in gate[0]:
            by_phrase[pid].add(i)
        for rid in gate[1]:
            by_regex[rid].add(i)
    return dict(by_phrase), dict(by_regex)


def role_dependent(rule: Rule) -> bool:
    """True when a rule's verdict depends on who is the agent: a role-bound scope, a respond or a metric rule."""
    where = getattr(rule.spec, "where", None)
    return rule.kind in ("respond", "metric") or where is None or where.role != "any"


def _na_reasons(rules: tuple[Rule, ...], prep: Prepared) -> dict[str, str]:
    """Rule id -> why it is n/a, for the rules made n/a by the transcript itself (a cut-off end)."""
    if not any(r.applies.complete for r in rules):
        return {}
    why = cut_short(prep)
    return {r.id: why for r in rules if r.applies.complete} if why else {}


def cut_short(prep: Prepared) -> str | None:
    """Why the transcript itself makes an `applies: {complete: true}` rule n/a (once per conversation)."""
    found = prep.cache.get(_CUT_SHORT, _CUT_SHORT)
    if found is _CUT_SHORT:
        roles = [t.role for t in prep.conv.turns]
        found = prep.cache[_CUT_SHORT] = na_reason(True, roles, [t.text for t in prep.turns])
    return found


_CUT_SHORT = object()  # the key of `cut_short`'s answer in a prepared conversation's cache


def applies(rule: Rule, prep: Prepared) -> bool:
    """Whether a rule applies to this conversation at all (else its check is n/a)."""
    a, conv = rule.applies, prep.conv
    if a.complete and cut_short(prep):
        return False
    if a.complaint is not None and a.complaint != prep.is_complaint:
        return False
    if a.timing and not conv.has_timing:
        return False
    if a.channel is not None and conv.channel != a.channel:
        return False
    return not (a.min_turns is not None and len(conv.turns) < a.min_turns)
