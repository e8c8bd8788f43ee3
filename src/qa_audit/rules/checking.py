"""`qa-audit rules check`: validation, phrase warnings, the rules' own examples and corpus fire rates,
gathered as one list of coded problems (rules/problems.py) and an exit code.

Exit code: 2 when a rule file is invalid (nothing else can run), 1 when an example does not give what it
says, 0 otherwise (warnings included).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa_audit.rules.examples import ExampleResult, run_examples
from qa_audit.rules.loader import check_ruleset
from qa_audit.rules.problems import RuleLoadError, RuleProblem
from qa_audit.rules.spec import RuleSet


@dataclass(frozen=True)
class CheckReport:
    """Every problem found (errors and warnings, in file order per stage), summary lines, the exit code."""

    problems: tuple[RuleProblem, ...]
    summary: tuple[str, ...]
    exit_code: int


def run_check(rules_dir: Path, corpus: list[Path] | None, max_fire_rate: float) -> CheckReport:
    """Check the rules under `rules_dir`; `corpus` None: no fire rates; []: the bundled samples if present.
    Raises readers.ReadError when the corpus cannot be read."""
    try:
        ruleset, problems = check_ruleset(rules_dir)
    except RuleLoadError as exc:
        ruleset, problems = None, list(exc.problems)
    errors = [p for p in problems if p.severity == "error"]
    if ruleset is None:
        warnings = len(problems) - len(errors)
        summary = f"{len(errors)} error(s), {warnings} warning(s) in the rule files under {rules_dir}"
        return CheckReport(tuple(problems), (summary,), 2)
    summary = [f"ok: {len(ruleset.rules)} rules in {len(ruleset.files)} files, ruleset version {ruleset.version}"]
    results = run_examples(ruleset)
    failed = [r for r in results if not r.ok]
    problems += [example_problem(r) for r in failed]
    summary.append(f"examples: {len(results) - len(failed)} passed, {len(failed)} failed")
    if corpus is not None:
        problems_, line = _fire_rates(ruleset, corpus, max_fire_rate)
        problems += problems_
        summary.append(line)
    return CheckReport(tuple(problems), tuple(summary), 1 if failed else 0)


def example_problem(r: ExampleResult) -> RuleProblem:
    """A failing example as a problem at the example's own line (QA501)."""
    want = "must fire" if r.expected == "fire" else "must not fire"
    text = r.text if len(r.text) <= 80 else r.text[:79] + "…"
    return RuleProblem(
        r.file,
        r.line,
        f"{r.rule_id} example {r.expected}[{r.index}] {want} but gives {r.got}: 「{text}」",
        r.detail if r.expected == "pass" else "",
        r.col,
        "QA501",
    )


def _fire_rates(ruleset: RuleSet, corpus: list[Path], max_fire_rate: float) -> tuple[list[RuleProblem], str]:
    from qa_audit.model import Conversation
    from qa_audit.readers import read_inputs
    from qa_audit.rules.suspicious import BUNDLED_CORPUS, fire_rates, suspicious

    inputs = list(corpus) or ([BUNDLED_CORPUS] if BUNDLED_CORPUS and Path(BUNDLED_CORPUS).is_dir() else [])
    if not inputs:
        return [], "no corpus: give --corpus to see how often each rule fires"
    convs = [c for c in read_inputs(inputs) if isinstance(c, Conversation)]  # ReadError: the caller's usage error
    flagged = suspicious(fire_rates(ruleset, convs), max_fire_rate)
    where = ", ".join(map(str, inputs))
    line = f"tried on {len(convs)} conversations ({where}): {len(flagged)} rule(s) fire suspiciously often"
    return [rate.problem() for rate in flagged], line
