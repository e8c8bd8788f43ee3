"""`qa-audit rules …`: validate, test, list, explain and evaluate rule files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_audit.cli_common import load_rules_or_exit
from qa_audit.paths import default_rules_dir

if TYPE_CHECKING:
    from qa_audit.rules.spec import RuleSet

_DIR = click.argument("rules_dir", required=False, type=click.Path(path_type=Path))


def _load(rules_dir: Path | None) -> RuleSet:
    return load_rules_or_exit(rules_dir or default_rules_dir())


@click.group("rules")
def rules_group() -> None:
    """Work on rule files: check, test, list, explain, eval.

    \b
    Examples:
      qa-audit rules check                 validate the packaged rules
      qa-audit rules check my_rules/       validate your own directory (exit 2 on problems)
      qa-audit rules test                  run every rule's examples, each rule alone
      qa-audit rules list --json
      qa-audit rules explain must.greeting
      qa-audit rules eval --gold eval/jddc_gold.jsonl --split test
    """


@rules_group.command("check")
@_DIR
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Transcripts to try every rule on (file, directory or glob; repeatable) "
    "[default: the bundled sample_transcripts/].",
)
@click.option("--no-corpus", is_flag=True, help="Only validate the files; do not run the rules on a corpus.")
@click.option(
    "--max-fire-rate",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Warn about a rule that fires on more than this share of what it looks at.",
)
def check(rules_dir: Path | None, corpus: tuple[Path, ...], no_corpus: bool, max_fire_rate: float) -> None:
    """Validate rule files strictly: unknown keys, wrong types, bad regexes, duplicate ids (file:line).

    Then run every rule over a corpus and warn (exit 0) about a rule that fires on more than
    --max-fire-rate of the turns (forbid rules) or conversations (other kinds) it looks at: a phrase
    such as 的 or a regex such as `.` is valid YAML but would cost every agent points.

    \b
    Examples:
      qa-audit rules check my_rules/
      qa-audit rules check my_rules/ --corpus exports/2026-11-21/
    """
    rs = _load(rules_dir)
    click.echo(f"ok: {len(rs.rules)} rules in {len(rs.files)} files, ruleset version {rs.version}")
    if no_corpus:
        return
    from qa_audit.rules.suspicious import BUNDLED_CORPUS

    inputs = list(corpus) or ([BUNDLED_CORPUS] if BUNDLED_CORPUS else [])
    if not inputs:
        click.echo("no corpus: give --corpus to see how often each rule fires", err=True)
        return
    _warn_broad_rules(rs, inputs, max_fire_rate)


def _warn_broad_rules(rs: RuleSet, inputs: list[Path], max_fire_rate: float) -> None:
    from qa_audit.model import Conversation
    from qa_audit.readers import ReadError, read_inputs
    from qa_audit.rules.suspicious import fire_rates, suspicious

    try:
        stream = read_inputs(inputs)
        convs = [c for c in stream if isinstance(c, Conversation)]
    except ReadError as exc:
        raise click.UsageError(str(exc)) from None
    flagged = suspicious(fire_rates(rs, convs), max_fire_rate)
    for rate in flagged:
        click.secho(rate.warning(), fg="yellow", err=True)
    where = ", ".join(map(str, inputs))
    click.echo(f"tried on {len(convs)} conversations ({where}): {len(flagged)} rule(s) fire suspiciously often")


@rules_group.command("test")
@_DIR
@click.option("--rule", "only", default=None, help="Only this rule id.")
@click.option("-v", "--verbose", is_flag=True, help="Show every example, not only failures.")
def test(rules_dir: Path | None, only: str | None, verbose: bool) -> None:
    """Run each rule's own examples: every `fire` example must fire, every `pass` example must not.

    Each rule runs alone. Exit 1 when an example does not hold (shown with its file:line).

    \b
    Examples:
      qa-audit rules test
      qa-audit rules test my_rules/ --rule dont.blame_shift -v
    """
    from qa_audit.rules.examples import run_examples

    rs = _load(rules_dir)
    results = run_examples(rs, only)
    if only and not results:
        raise click.UsageError(f"no rule {only!r} in {rules_dir or default_rules_dir()}")
    failed = [r for r in results if not r.ok]
    for r in results:
        if verbose or not r.ok:
            mark = click.style("ok  ", fg="green") if r.ok else click.style("FAIL", fg="red")
            rule = rs.get(r.rule_id)
            click.echo(f"{mark} {r.rule_id} {r.expected}[{r.index}] ({rule.file}:{rule.line}) {r.detail}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise click.exceptions.Exit(1)


@rules_group.command("list")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule.")
@click.option(
    "--store", default=None, metavar="URL", help="Show each rule's reviewed precision from this results store."
)
def list_rules(rules_dir: Path | None, as_json: bool, store: str | None) -> None:
    """List the rules in force with severity, points and title.

    \b
    Examples:
      qa-audit rules list
      qa-audit rules list my_rules/ --json > rules.jsonl
    """
    rs = _load(rules_dir)
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
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Rule directory.")
def explain(rule_id: str, rules_dir: Path | None) -> None:
    """Print a rule's documentation, straight from its rule file.

    \b
    Example:
      qa-audit rules explain dont.blame_shift
    """
    rs = _load(rules_dir)
    try:
        rule = rs.get(rule_id)
    except KeyError:
        raise click.UsageError(f"no rule {rule_id!r}; see `qa-audit rules list`") from None
    i = rule.info
    cap = f"   cap: {i.cap:g}" if i.cap is not None else ""
    veto = "   VETO (一票否决)" if i.veto else ""
    lines = [
        f"{i.id} — {i.title}",
        f"  category: {i.category}   kind: {rule.kind}   severity: {i.severity}   points: {i.points:g}{cap}{veto}",
        f"  source: {i.source}",
        f"  defined: {rule.file}:{rule.line}   version: {i.version}",
        f"  message: {i.message}",
        "",
        "  " + (rule.description or "").strip(),
        "",
        "  must fire:",
    ]
    lines += [f"    - {_show(e)}" for e in rule.examples_fire] + ["  must not fire:"]
    lines += [f"    - {_show(e)}" for e in rule.examples_pass]
    click.echo("\n".join(lines))


def _show(example: object) -> str:
    if isinstance(example, str):
        return example
    if isinstance(example, list):
        return " / ".join(map(str, example))
    return json.dumps(example, ensure_ascii=False)


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
    help="The conversations the --gold labels refer to (for eval/jddc_gold.jsonl: the JDDC sessions, "
    "which are not in the repository; see eval/README.md). Required with --gold.",
)
@click.option(
    "--split",
    type=click.Choice(["test", "tune", "all"]),
    default="test",
    show_default=True,
    help="Which part of the gold set to measure on.",
)
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), default=None, help="Rule directory.")
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
    as_json: bool,
) -> None:
    """Print each rule's precision and recall against hand-labelled conversations.

    Precision: of the conversations a rule failed, the share the labels also fail. Recall: of the
    conversations the labels fail, the share the rule failed. Turn-level figures count
    (conversation, turn) pairs for rules labelled per turn.

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
    rs = _load(rules_dir)
    try:
        if gold_path is not None:
            gold = load_gold(gold_path, split)
            scores = evaluate_gold(rs, gold, transcripts)
        else:
            assert utt_path is not None  # set above when --gold is not given
            gold = load_utterances(utt_path, split)
            scores, _ = evaluate_utterances(rs, gold)
    except (GoldError, ReadError) as exc:
        raise click.UsageError(str(exc)) from None
    not_labelled = unlabelled_rules(rs, gold)
    if as_json:
        for s in scores:
            click.echo(json.dumps(s.to_json(), ensure_ascii=False))
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
        )
    shown = 3
    for s in scores:
        for what, ids in (("false positives", s.false_positives), ("misses", s.false_negatives)):
            if ids:
                more = f" (+{len(ids) - shown} more, see --json)" if len(ids) > shown else ""
                click.echo(f"  {s.rule_id} {what}: {', '.join(ids[:shown])}{more}")
    if not_labelled:
        click.echo(f"not labelled in this set ({len(not_labelled)}): {', '.join(not_labelled)}")


def _register_diff() -> None:
    from qa_audit.backtest.cli import diff

    rules_group.add_command(diff)


_register_diff()
