"""Commands on the results store: `report`, `review import`, `sample`, `agreement`.

The store is given with --store URL (a file path or sqlite:///… for SQLite, postgresql://…) or the
QA_AUDIT_STORE environment variable, as for `qa-audit audit --store`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from qa_audit import jsonsafe
from qa_audit.cli_common import EXIT_QUARANTINED, config_error, outdir_option

_STORE = click.option(
    "--store",
    required=True,
    envvar="QA_AUDIT_STORE",
    metavar="URL",
    help="Results store: a file path or sqlite:///… (SQLite), postgresql://… [env QA_AUDIT_STORE].",
)
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


@contextlib.contextmanager
def open_store(address: str) -> Iterator[Any]:
    """Yield the open store; a store that cannot be used is a configuration error (exit 2)."""
    from qa_audit.store.connect import Store
    from qa_audit.store.errors import StoreError

    try:
        store = Store(address)
    except StoreError as exc:
        raise config_error(str(exc)) from None
    try:
        yield store
    except StoreError as exc:
        raise config_error(str(exc)) from None
    finally:
        store.close()


def _scope(day_from: datetime, day_to: datetime, team: str | None, agent: str | None) -> Any:
    from qa_audit.store.results import Scope

    if day_from > day_to:
        raise click.UsageError(f"--from {_day(day_from)} is after --to {_day(day_to)}")
    return Scope(_day(day_from), _day(day_to), team, agent)


@click.command()
@_STORE
@click.option("--from", "day_from", type=_DATE, required=True, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "day_to", type=_DATE, required=True, help="Last day (YYYY-MM-DD), inclusive.")
@outdir_option()
@click.option("--team", default=None, help="Only this team (班组).")
@click.option("--agent", default=None, help="Only this agent id (坐席工号).")
@click.option(
    "--precision-threshold",
    type=click.FloatRange(0, 1),
    default=0.9,
    show_default=True,
    help="Flag rules whose reviewed precision 属实/(属实+误判) is below this.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report's numbers as one JSON line at the end.")
def report(
    store: str,
    day_from: datetime,
    day_to: datetime,
    outdir: Path,
    team: str | None,
    agent: str | None,
    precision_threshold: float,
    as_json: bool,
) -> None:
    """Write the scorecard for a period from the results store, without re-auditing.

    OUTDIR receives scorecard.xlsx (the audit's workbook for the period, plus 趋势 trends by day or
    week with charts and 复核精度 reviewed precision per rule) and findings.jsonl. Findings judged
    误判 by reviewers cost no points; 待复核 findings judged 属实 do.

    \b
    Examples:
      qa-audit report --store qa.db --from 2026-11-01 --to 2026-11-30 -o reports/2026-11/
      qa-audit report --store postgresql://qa@db/qa --from 2026-11-16 --to 2026-11-22 --team 售后一组 -o week47/ --json
    """
    from qa_audit.store.report import write_store_report

    scope = _scope(day_from, day_to, team, agent)
    with open_store(store) as st:
        summary = write_store_report(st, scope, outdir, threshold=precision_threshold)
    click.echo(
        f"{summary['conversations']} conversations, {summary['findings']} findings, {summary['agents']} agents, "
        f"{summary['days']} days, mean score {summary['mean_score']} -> {outdir / 'scorecard.xlsx'}",
        err=True,
    )
    if not summary["conversations"]:
        click.secho(f"no stored conversation in {scope.day_from} … {scope.day_to}", fg="yellow", err=True)
    for rid in summary["low_precision_rules"]:
        r = summary["review"][rid]
        click.secho(
            f"⚠ {rid}: reviewed precision {r['precision']:.0%} ({r['upheld']} 属实 / {r['rejected']} 误判)",
            fg="yellow",
            err=True,
        )
    if as_json:
        click.echo(jsonsafe.dumps(summary, ensure_ascii=False))


@click.group()
def review() -> None:
    """Reviewer verdicts (复核结果) back into the results store."""


@review.command("import")
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_STORE
def review_import(workbooks: tuple[Path, ...], store: str) -> None:
    """Import 复核结果 (属实/误判/存疑), 复核人 and 复核说明 from scorecard workbooks, by 发现ID.

    Any sheet with 发现ID and 复核结果 headers is read, wherever the columns are, so sorted,
    filtered or re-saved sheets and renamed files import. A finding already judged is updated. An
    id not in the store is listed and not imported (exit 1).

    \b
    Example:
      qa-audit review import reviewed/scorecard_王丽.xlsx --store qa.db
    """
    from qa_audit.store.reviews import import_reviews

    with open_store(store) as st:
        done = import_reviews(st, list(workbooks))
    for problem in done.problems:
        click.secho(problem, fg="yellow", err=True)
    click.echo(
        f"{done.read} verdicts read: {done.added} new, {done.updated} updated, {done.unchanged} unchanged; "
        f"{len(done.problems)} row(s) not imported",
        err=True,
    )
    if done.problems:
        raise click.exceptions.Exit(EXIT_QUARANTINED)


@click.command()
@_STORE
@click.option("--from", "day_from", type=_DATE, required=True, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "day_to", type=_DATE, required=True, help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--n", "n", type=click.IntRange(min=1), required=True, help="Pairs (conversation, rule) to draw.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="sample.xlsx")
@click.option("--team", default=None, help="Only this team.")
@click.option("--agent", default=None, help="Only this agent id.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same sample).")
def sample(
    store: str,
    day_from: datetime,
    day_to: datetime,
    n: int,
    output: Path,
    team: str | None,
    agent: str | None,
    seed: int,
) -> None:
    """Draw a stratified sample for blind double review (by rule, engine outcome and agent).

    Each row is one conversation and one rule; 复核员A and 复核员B each mark 违规 or 合规 without
    seeing the engine's verdict. Then run `qa-audit agreement` on the filled workbook.

    \b
    Example:
      qa-audit sample --store qa.db --from 2026-11-01 --to 2026-11-30 --n 200 -o sample.xlsx
    """
    from qa_audit.store.sample import write_sample

    scope = _scope(day_from, day_to, team, agent)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open_store(store) as st:
        drawn = write_sample(st, scope, n, output, seed)
    click.echo(f"{drawn['units']} pairs from {drawn['conversations']} conversations -> {output}", err=True)
    if drawn["units"] < n:
        click.secho(f"only {drawn['units']} pairs in the period (asked for {n})", fg="yellow", err=True)


@click.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON line at the end.")
def agreement(workbook: Path, as_json: bool) -> None:
    """Cohen's kappa per rule: each reviewer vs the engine, and the two reviewers vs each other.

    WORKBOOK is a sample written by `qa-audit sample`, with 复核员A / 复核员B filled. Counts are
    over the rows both sides of a pair judged; kappa is empty where it is undefined (one label only).

    \b
    Example:
      qa-audit agreement sample.xlsx --json
    """
    from qa_audit.store.agreement import PAIRS, read_sample
    from qa_audit.store.agreement import agreement as compute

    try:
        rows, problems = read_sample(workbook)
    except (ValueError, OSError) as exc:
        raise config_error(str(exc)) from None
    result = compute(rows)
    for problem in problems:
        click.secho(problem, fg="yellow", err=True)

    def fmt(p: dict[str, Any]) -> str:
        kappa = "—" if p["kappa"] is None else f"{p['kappa']:.2f}"
        return f"κ={kappa} ({p['agree']}/{p['n']})"

    click.echo(f"{'rule':28} {'A vs engine':>18} {'B vs engine':>18} {'A vs B':>18}")
    for rid, r in [*result["rules"].items(), ("(all)", result["overall"])]:
        click.echo(f"{rid:28} " + " ".join(f"{fmt(r[name]):>18}" for name, _, _ in PAIRS))
    if as_json:
        click.echo(jsonsafe.dumps({**result, "problems": problems}, ensure_ascii=False))
    if problems:
        raise click.exceptions.Exit(EXIT_QUARANTINED)
