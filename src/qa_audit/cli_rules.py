"""`qa-audit rules …`: validate, test, list, explain and evaluate rule files."""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_audit import jsonsafe
from qa_audit.cli_common import load_rules_or_exit, rules_option
from qa_audit.paths import default_rules_dir
from qa_audit.rules.problems import CHECK_HELP

if TYPE_CHECKING:
    from qa_audit.rules.spec import Rule, RuleSet

_LEGACY_DIR = click.argument("legacy_dir", metavar="[DIR]", required=False, type=click.Path(path_type=Path))


def _rules_dir(rules_opt: Path | None, legacy_dir: Path | None = None) -> Path:
    """The rules folder: --rules DIR, or the positional DIR kept for scripts (the same thing), or the default."""
    if rules_opt is not None and legacy_dir is not None and rules_opt != legacy_dir:
        raise click.UsageError(f"two rule folders given: DIR {legacy_dir} and --rules {rules_opt}; give one")
    return rules_opt or legacy_dir or default_rules_dir()


def _load(rules_dir: Path) -> RuleSet:
    return load_rules_or_exit(rules_dir)


def _get_rule(rs: RuleSet, rule_id: str, rules_dir: Path) -> Rule:
    """The rule with this id, or exit 2 with the closest id ("did you mean must.nin?")."""
    try:
        return rs.get(rule_id)
    except KeyError:
        raise click.UsageError(_no_rule(rule_id, [r.id for r in rs.rules], rules_dir)) from None


def _no_rule(rule_id: str, ids: list[str], rules_dir: Path) -> str:
    close = difflib.get_close_matches(rule_id, ids, n=1)
    tail = f"did you mean {close[0]}?" if close else "see `qa-audit rules list`"
    return f"no rule {rule_id!r} in {rules_dir}; {tail}"


@click.group("rules")
def rules_group() -> None:
    """Work on rule files: check, test, list, explain, eval, diff.

    Every command takes the rules folder as --rules DIR (default: the packaged rules, or
    $QA_AUDIT_RULES); check, test and list also accept it as their first argument, as before.

    \b
    Examples:
      qa-audit rules check                          validate the packaged rules and run their examples
      qa-audit rules check --rules my_rules/        your own folder (exit 2 on errors, 1 on failing examples)
      qa-audit rules check --format json            problems as JSON, for editors and CI annotations
      qa-audit rules test --rule dont.blame_shift -v
      qa-audit rules list --json
      qa-audit rules explain must.greeting
      qa-audit rules eval --gold eval/jddc_gold.jsonl --split test
    """


@rules_group.command("check", help=CHECK_HELP)
@_LEGACY_DIR
@rules_option
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Transcripts to try every rule on (file, directory or glob; repeatable) "
    "[default: the bundled sample_transcripts/].",
)
@click.option("--no-corpus", is_flag=True, help="Do not run the rules on a corpus.")
@click.option(
    "--max-fire-rate",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Warn about a rule that fires on more than this share of what it looks at.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON list of {file, line, col, code, severity, message, hint} on stdout.",
)
def check(
    legacy_dir: Path | None,
    rules_dir: Path | None,
    corpus: tuple[Path, ...],
    no_corpus: bool,
    max_fire_rate: float,
    fmt: str,
) -> None:
    """Check rule files like a linter (the full help is rules.problems.CHECK_HELP)."""
    from qa_audit.readers import ReadError
    from qa_audit.rules.checking import run_check

    rules_dir = _rules_dir(rules_dir, legacy_dir)
    try:
        report = run_check(rules_dir, None if no_corpus else list(corpus), max_fire_rate)
    except ReadError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps([p.to_json() for p in report.problems], ensure_ascii=False, indent=1))
    else:
        for p in report.problems:
            click.secho(str(p), fg="red" if p.severity == "error" else "yellow", err=True)
    out = sys.stderr if fmt == "json" else sys.stdout
    for line in report.summary:
        click.echo(line, file=out)
    raise click.exceptions.Exit(report.exit_code)


@rules_group.command("test")
@_LEGACY_DIR
@rules_option
@click.option("--rule", "only", default=None, help="Only this rule id.")
@click.option("-v", "--verbose", is_flag=True, help="Show every example, not only failures.")
def test(legacy_dir: Path | None, rules_dir: Path | None, only: str | None, verbose: bool) -> None:
    """Run each rule's own examples: every `fire` example must fire, every `pass` example must not.

    Each rule runs alone. Exit 1 when an example does not hold, shown with its own file:line:col,
    its text and what it gave (fire / review / pass / n/a).

    \b
    Examples:
      qa-audit rules test
      qa-audit rules test --rules my_rules/ --rule dont.blame_shift -v
    """
    from qa_audit.rules.examples import run_examples

    rules_dir = _rules_dir(rules_dir, legacy_dir)
    rs = _load(rules_dir)
    if only:
        _get_rule(rs, only, rules_dir)
    results = run_examples(rs, only)
    failed = [r for r in results if not r.ok]
    for r in results:
        if verbose or not r.ok:
            mark = click.style("ok  ", fg="green") if r.ok else click.style("FAIL", fg="red")
            want = "must fire" if r.expected == "fire" else "must not fire"
            click.echo(f"{mark} {r.rule_id} {r.expected}[{r.index}] {r.where}: {want}, gives {r.got}")
            click.echo(f"       「{r.text}」")
            if not r.ok:
                click.echo(f"       {r.detail}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise click.exceptions.Exit(1)


@rules_group.command("list")
@_LEGACY_DIR
@rules_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule.")
@click.option(
    "--store", default=None, metavar="URL", help="Show each rule's reviewed precision from this results store."
)
def list_rules(legacy_dir: Path | None, rules_dir: Path | None, as_json: bool, store: str | None) -> None:
    """List the rules in force with severity, points and title.

    \b
    Examples:
      qa-audit rules list
      qa-audit rules list --rules my_rules/ --json > rules.jsonl
    """
    rs = _load(_rules_dir(rules_dir, legacy_dir))
    review = _reviewed_precision(store) if store else {}
    for rule in rs.rules:
        i = rule.info
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": i.id,
                        "title": i.title,
                        "category": i.category,
                        "kind": rule.kind,
                        "severity": i.severity,
                        "points": i.points,
                        "cap": i.cap,
                        "veto": i.veto,
                        "source": i.source,
                        "version": i.version,
                        "file": rule.file,
                        **({"review": review.get(i.id)} if store else {}),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(f"{i.id:28} {i.severity:8} {i.points:>5g}  {i.title}" + _precision_text(review, i.id, store))


def _reviewed_precision(store: str) -> dict:
    from qa_audit.cli_store import open_store
    from qa_audit.store.verdicts import precision

    with open_store(store) as st, st.reading() as conn:
        return precision(conn)


def _precision_text(review: dict, rule_id: str, store: str | None) -> str:
    """The reviewed precision shown beside a rule: 属实/(属实+误判) with counts, ⚠ below 90 %."""
    from qa_audit.store.verdicts import PRECISION_FLAG

    r = review.get(rule_id)
    if not store:
        return ""
    if r is None or r["precision"] is None:
        return "  [复核精度 —]"
    warn = " ⚠" if r["precision"] < PRECISION_FLAG else ""
    return f"  [复核精度 {r['precision']:.0%} = {r['upheld']}/{r['upheld'] + r['rejected']}{warn}]"


@rules_group.command("explain")
@click.argument("rule_id")
@rules_option
@click.option("--all", "all_phrases", is_flag=True, help="Show every phrase of long lists.")
def explain(rule_id: str, rules_dir: Path | None, all_phrases: bool) -> None:
    """Explain a rule from its compiled form: what it matches (operators, phrases, patterns, exceptions),
    its scope and when it applies, tier, points, source, file:line, and what each of its examples gives
    when run now (fire / review / pass / n/a).

    \b
    Example:
      qa-audit rules explain dont.blame_shift
    """
    from qa_audit.rules.examples import run_examples
    from qa_audit.rules.explain import explain_rule

    rules_dir = _rules_dir(rules_dir)
    rs = _load(rules_dir)
    rule = _get_rule(rs, rule_id, rules_dir)
    click.echo(explain_rule(rule, run_examples(rs, rule.id), all_phrases=all_phrases))


@rules_group.command("eval")
@click.option(
    "--gold",
    "gold_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Gold labels (JSONL, one conversation per line; see eval/README.md).",
)
@click.option(
    "--utterances",
    "utt_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled single utterances instead (JSONL; see eval/UTTERANCES.md).",
)
@click.option(
    "--transcripts",
    multiple=True,
    type=click.Path(path_type=Path),
    help="The conversations the --gold labels refer to (for eval/jddc_gold.jsonl: the JDDC sessions in "
    "data/jddc_dialogues/ of a clone; see eval/README.md). Required with --gold.",
)
@click.option(
    "--split",
    type=click.Choice(["test", "tune", "all"]),
    default="test",
    show_default=True,
    help="Which part of the gold set to measure on.",
)
@rules_option
@click.option("--rule", "only", default=None, help="Only this rule id.")
@click.option(
    "--deductions-only",
    is_flag=True,
    help="Count only findings that cost points (待复核 flags are then not firing): what the scorecard deducts.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per rule (with the ids behind every false positive and miss), then {"not_labelled": [...]}.',
)
def eval_rules(
    gold_path: Path | None,
    utt_path: Path | None,
    transcripts: tuple[Path, ...],
    split: str,
    rules_dir: Path | None,
    only: str | None,
    deductions_only: bool,
    as_json: bool,
) -> None:
    """Print each rule's precision and recall against hand-labelled conversations.

    Precision: of the conversations a rule fired on, the share the labels fail. Recall: of the
    conversations the labels fail, the share the rule fired on. A rule fires with a finding, a
    deduction or a 待复核 flag (rules of `tier: review` are marked "待复核 flags" in the table);
    --deductions-only counts deductions alone. Turn-level figures count (conversation, turn) pairs
    for rules labelled per turn.

    With --utterances, each labelled utterance is audited alone as one turn of its role. Without
    --gold or --utterances, the repository's labelled utterances (eval/utterances.jsonl) are used
    when running from a clone.

    \b
    Examples:
      qa-audit rules eval --split test                # eval/utterances.jsonl, from a clone
      qa-audit rules eval --gold eval/jddc_gold.jsonl --transcripts sessions.jsonl --split test
      qa-audit rules eval --utterances eval/utterances.jsonl --split test
    """
    from qa_audit.paths import checkout_path
    from qa_audit.readers import ReadError
    from qa_audit.rules.gold import GoldError, evaluate_gold, load_gold, unlabelled_rules
    from qa_audit.rules.utterances import evaluate_utterances, load_utterances

    if gold_path is not None and utt_path is not None:
        raise click.UsageError("give one of --gold FILE or --utterances FILE, not both")
    if gold_path is None and utt_path is None:
        utt_path = checkout_path("eval/utterances.jsonl")
        if utt_path is None:
            raise click.UsageError("give --utterances FILE, or --gold FILE with --transcripts FILE")
    if gold_path is not None and not transcripts:
        raise click.UsageError("--gold needs --transcripts FILE: the labelled conversations themselves")
    rules_dir = _rules_dir(rules_dir)
    rs = _load(rules_dir)
    if only:
        rs = replace(rs, rules=(_get_rule(rs, only, rules_dir),))
    try:
        if gold_path is not None:
            gold = load_gold(gold_path, split)
            scores = evaluate_gold(rs, gold, transcripts, deductions_only=deductions_only)
        else:
            assert utt_path is not None  # set above when --gold is not given
            gold = load_utterances(utt_path, split)
            scores, _ = evaluate_utterances(rs, gold, deductions_only=deductions_only)
    except (GoldError, ReadError) as exc:
        raise click.UsageError(str(exc)) from None
    not_labelled = unlabelled_rules(rs, gold)
    if not only:
        _note_unknown_labels(gold, rs, rules_dir)
    if as_json:
        for s in scores:
            click.echo(jsonsafe.dumps(s.to_json(), ensure_ascii=False))
        click.echo(json.dumps({"not_labelled": not_labelled}, ensure_ascii=False))
        return
    fmt = "{:28} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7} {:>10} {:>8}"
    click.echo(f"{len(gold)} {'utterances' if utt_path else 'conversations'} ({split}), ruleset {rs.version}")
    click.echo(fmt.format("rule", "n", "tp", "fp", "fn", "precision", "recall", "turn prec", "turn rec"))
    for s in scores:
        click.echo(
            fmt.format(
                s.rule_id,
                s.labelled,
                s.tp,
                s.fp,
                s.fn,
                *("-" if v is None else f"{v:.2f}" for v in (s.precision, s.recall, s.turn_precision, s.turn_recall)),
            )
            + ("  待复核 flags" if s.tier == "review" else "")
        )
    shown = 3
    for s in scores:
        for what, ids in (("false positives", s.false_positives), ("misses", s.false_negatives)):
            if ids:
                more = f" (+{len(ids) - shown} more, see --json)" if len(ids) > shown else ""
                click.echo(f"  {s.rule_id} {what}: {', '.join(ids[:shown])}{more}")
    if not_labelled:
        click.echo(f"not labelled in this set ({len(not_labelled)}): {', '.join(not_labelled)}")


def _note_unknown_labels(gold: list[dict], rs: RuleSet, rules_dir: Path) -> None:
    """Labels of rules not in the rule set are not measured: say so (a typo, or another pack's rule)."""
    ids = [r.id for r in rs.rules]
    unknown = sorted({rid for row in gold for rid in row.get("labels", {})} - set(ids))
    for rid in unknown:
        click.secho(f"note: labels not measured: {_no_rule(rid, ids, rules_dir)}", fg="yellow", err=True)


def _register_diff() -> None:
    from qa_audit.backtest.cli import diff

    rules_group.add_command(diff)


_register_diff()
