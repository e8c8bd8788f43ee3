"""Find rules that fire far too often on real transcripts (`qa-audit rules check`).

A rule edited by many hands can go wrong silently: a phrase such as 的 or a regex such as `.`
makes a forbid rule fire on every turn, and every agent loses points overnight. Such a rule is valid
YAML and passes its own examples, so it is caught by running it over a corpus (yesterday's
transcripts, or the bundled samples) and flagging a high fire rate. It is a warning: a few rules are
legitimately strict, and a small corpus can mislead.

Fire rate: for a kind counted per turn (`forbid`: its spec's `fire_unit`), the share of the turns in its
scope that hold a finding; for the other kinds (one verdict per conversation), the share of the
conversations it applies to that fail it. What a high rate suggests depends on the kind: a `forbid`
rule matching too much (a phrase or pattern too broad), a `require` rule whose phrases agents do not
say (too narrow a list, or a standard not followed), and so on (`LIKELY_CAUSE`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa_audit.classify.complaint import detect_complaint
from qa_audit.model import Conversation
from qa_audit.paths import checkout_path
from qa_audit.rules.engine import Engine, applies
from qa_audit.rules.kinds import KINDS, scoped
from qa_audit.rules.problems import RuleProblem
from qa_audit.rules.spec import RuleSet

BUNDLED_CORPUS = checkout_path("sample_transcripts")  # None from a wheel: `rules check` then asks for --corpus
MAX_RATE = 0.5
MIN_LOOKED = 10  # below this many turns/conversations a rate says nothing
LIKELY_CAUSE = {
    "forbid": "is a phrase or regex too broad?",
    "require": "agents rarely say what it requires here: is the phrase list too narrow for how they "
    "say it, or is the standard really not followed?",
    "respond": "the response rarely follows its trigger: is the trigger too broad, or the response "
    "list too narrow (or `within` too short)?",
    "order": "`then` comes before `first` in most conversations: are the two conditions the right way round?",
    "metric": "is the threshold (min / max) too strict for these conversations?",
}


@dataclass(frozen=True)
class FireRate:
    """How often one rule fired on a corpus."""

    rule_id: str
    file: str
    line: int
    unit: str  # "turns" (forbid) or "conversations"
    looked: int  # turns in scope, or conversations the rule applied to
    fired: int
    kind: str = "forbid"
    col: int = 0

    @property
    def rate(self) -> float:
        """fired / looked (0 when the rule looked at nothing)."""
        return self.fired / self.looked if self.looked else 0.0

    def warning(self) -> str:
        """The line printed by `rules check` for a suspicious rule."""
        return str(self.problem())

    def problem(self) -> RuleProblem:
        """The warning as a rule problem (QA601), worded by the rule's kind."""
        cause = LIKELY_CAUSE.get(self.kind, "does it match what the standard means?")
        verb = "fires on" if self.unit == "turns" else "fails"
        return RuleProblem(
            self.file,
            self.line,
            f"rule {self.rule_id!r} {verb} {self.rate:.0%} of the {self.looked} {self.unit} it looks at "
            f"({self.fired}); {cause}",
            col=self.col,
            code="QA601",
            severity="warning",
        )


def fire_rates(ruleset: RuleSet, conversations: Iterable[Conversation]) -> list[FireRate]:
    """Run every rule of `ruleset` over `conversations`; return each rule's fire rate, in rule order."""
    engine = Engine(ruleset)
    looked = {r.id: 0 for r in ruleset.rules}
    fired = dict.fromkeys(looked, 0)
    for conv in conversations:
        prep = engine.prepare(conv, detect_complaint(conv).is_complaint)
        for rule in ruleset.rules:
            if not applies(rule, prep):
                continue
            findings = KINDS[rule.kind].check(rule, prep)
            if findings is None:
                continue
            if rule.spec.fire_unit == "turns":
                looked[rule.id] += len(scoped(rule.spec.where, prep))
                fired[rule.id] += len({f.turn_index for f in findings})
            else:
                looked[rule.id] += 1
                fired[rule.id] += bool(findings)
    out = []
    for r in ruleset.rules:
        line, col = r.marks.get(("id",), (r.line, 0))
        out.append(FireRate(r.id, r.file, line, r.spec.fire_unit, looked[r.id], fired[r.id], r.kind, col))
    return out


def suspicious(rates: Iterable[FireRate], max_rate: float = MAX_RATE, min_looked: int = MIN_LOOKED) -> list[FireRate]:
    """The rates above `max_rate` measured on at least `min_looked` turns or conversations."""
    return [r for r in rates if r.looked >= min_looked and r.rate > max_rate]
