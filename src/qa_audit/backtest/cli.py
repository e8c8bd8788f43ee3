"""`qa-audit rules diff`: what a rule change does to a batch, before it ships."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa_audit import jsonsafe
from qa_audit.cli_common import (
    column_option,
    config_error,
    encoding_option,
    load_rules_or_exit,
    model_option,
    no_mask_option,
    outdir_option,
    parse_columns,
)
from qa_audit.paths import default_model_dir


@click.command("diff")
@click.option("--old", "old_dir", required=True, type=click.Path(path_type=Path), help="The rule pack in force now.")
@click.option("--new", "new_dir", required=True, type=click.Path(path_type=Path), help="The edited rule pack.")
@click.argument("inputs", nargs=-1, required=True)
@outdir_option("--out")
@model_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes auditing in parallel (results are the same).",
)
@encoding_option
@column_option
@no_mask_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on the last line.")
def diff(
    old_dir: Path,
    new_dir: Path,
    inputs: tuple[str, ...],
    outdir: Path,
    model_dir: Path | None,
    workers: int,
    encoding: str | None,
    columns: tuple[str, ...],
    no_mask: bool,
    as_json: bool,
) -> None:
    """Backtest a rule change: audit INPUT... with the OLD and the NEW pack and show what changes.

    Every conversation is read once and audited by both packs. Findings are compared by their
    finding_id (conversation, rule, turn and span), so a one-phrase change shows exactly the
    findings that phrase adds. OUTDIR receives diff.jsonl (one line per finding added, removed or
    changed in tier/points, with the scores before and after), diff.xlsx (per rule, per agent,
    every changed finding with its words marked, score changes), diff_summary.json and
    quarantine.jsonl. Exit 0 when the batch was read cleanly, 1 when some records were
    quarantined, 2 for a bad pack, model or input.

    \b
    Examples:
      qa-audit rules diff --old rules/ --new my_rules/ last_night/ -o diff_out/
      qa-audit rules diff --old rules/ --new my_rules/ chats.jsonl -o d/ --json --workers 2
    """
    from qa_audit.atomic import atomic_text
    from qa_audit.backtest.run import run_backtest
    from qa_audit.backtest.workbook import write_diff_workbook
    from qa_audit.classify import ComplaintTagger, ModelError
    from qa_audit.readers import ReadError, expand_inputs

    old = load_rules_or_exit(old_dir)
    new = load_rules_or_exit(new_dir)
    model_path = model_dir or default_model_dir()
    try:
        tagger = ComplaintTagger.load(model_path)
    except ModelError as exc:
        raise config_error(f"model {model_path}: {exc}") from None
    try:
        expand_inputs(list(inputs))
    except ReadError as exc:
        raise config_error(str(exc)) from None
    try:
        summary = run_backtest(
            list(inputs),
            old,
            new,
            tagger,
            outdir,
            workers=workers,
            encoding=encoding,
            columns=parse_columns(columns),
            mask=not no_mask,
        )
        data = summary.data
        write_diff_workbook(outdir / "diff.xlsx", data, summary.diffs)
        with atomic_text(outdir / "diff_summary.json") as fh:
            jsonsafe.dump(data, fh, ensure_ascii=False, indent=2)
    except ReadError as exc:
        raise config_error(str(exc)) from None
    except OSError as exc:
        raise config_error(f"cannot write {outdir}: {exc}") from None
    rc = data["rules_changed"]
    lines = [
        f"rules: +{len(rc['added'])} added, -{len(rc['removed'])} removed, {len(rc['changed'])} changed "
        f"({', '.join(rc['added'] + rc['removed'] + rc['changed']) or 'none'})",
        f"conversations: {data['audited']} audited, {data['quarantined']} quarantined; "
        f"scores changed in {data['scores_changed']} "
        f"(fail->pass {data['fail_to_pass']}, pass->fail {data['pass_to_fail']})",
        f"findings: +{data['added']} added, -{data['removed']} removed, {data['changed']} changed tier/points",
    ]
    lines += [f"  {rid}: +{c['added']} -{c['removed']} ~{c['changed']}" for rid, c in data["per_rule"].items()]
    click.echo("\n".join(lines), err=as_json)
    if as_json:
        click.echo(jsonsafe.dumps(data, ensure_ascii=False))
    sys.exit(1 if data["quarantined"] else 0)
