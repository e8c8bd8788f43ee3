"""The `qa-audit` command line (the Command-line contract in design.md).

Exit codes of every command: 0 done and clean; 1 done, but some input was quarantined (or findings
exceeded a threshold the user asked to fail on); 2 usage or configuration error before any work;
3 internal error.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_audit import __version__
from qa_audit.cli_common import (
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_QUARANTINED,
    audit_notes,
    column_option,
    config_error,
    encoding_option,
    load_rules_or_exit,
    model_option,
    no_mask_option,
    outdir_option,
    parse_columns,
    rules_option,
)
from qa_audit.cli_rules import rules_group
from qa_audit.paths import default_model_dir, default_rules_dir

if TYPE_CHECKING:  # imported lazily at run time: `qa-audit --help` stays fast
    from qa_audit.interrupt import GracefulStop
    from qa_audit.pipeline import RunSummary

__all__ = ["EXIT_CONFIG", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_QUARANTINED", "main", "run"]


@click.group(name="qa-audit", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qa-audit")
def main() -> None:
    """Audit Chinese customer-service transcripts against written service standards (质检).

    \b
    Examples (a typical nightly run):
      qa-audit audit sample_transcripts -o out/
      qa-audit audit 'exports/2026-11-21/*.csv' -o out/ --rules my_rules/
    Work on the rules:
      qa-audit rules check            validate the rule files (file:line errors)
      qa-audit rules test             run every rule's own examples
      qa-audit rules explain dont.blame_shift
    Complaint-type model:
      qa-audit train labelled.csv --text-col 内容 --label-col 类型 -o my_model/
      qa-audit evaluate my_model/ held_out.csv --text-col 内容 --label-col 类型

    Exit codes: 0 clean; 1 some input quarantined (or --fail-on-findings hit); 2 usage or
    configuration error; 3 internal error; 130 stopped by Ctrl-C (outputs complete so far).
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@outdir_option()
@rules_option
@model_option
@encoding_option
@column_option
@click.option(
    "--speaker-map",
    default=None,
    metavar="ID=ROLE,...|FILE.yaml",
    help="ASR results: which speaker/channel id is the agent, e.g. 0=agent,1=customer, or a YAML file "
    "with one map per vendor. Without it, roles are inferred from what each speaker says.",
)
@click.option(
    "--input-format",
    "asr_format",
    type=click.Choice(["alibaba", "tencent", "huawei", "iflytek"]),
    default=None,
    help="Read every .json input as this vendor's ASR result [default: detected from each file's shape].",
)
@click.option(
    "--calls",
    "calls_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Call-record export (通话记录 CSV) joined to the transcripts by call id or file name: "
    "fills agent, team, start time; unmatched calls and records are listed in summary.json.",
)
@click.option(
    "--calls-column",
    "calls_columns",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Map a call-record header to call_id, file, agent_id, agent_name, team, started_at, direction "
    "or duration (repeatable).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Audit only the first N records; the rest are counted as not processed.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["csv", "parquet"]),
    help="Also write findings and conversations as CSV or Parquet (repeatable).",
)
@click.option(
    "--split-by",
    type=click.Choice(["agent", "team"]),
    default=None,
    help="Also write one small workbook per agent (OUTDIR/by_agent/) or per team (OUTDIR/by_team/).",
)
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    metavar="ZONE",
    help="Time zone (IANA name) of the contact centre: the workbook shows times, days and hours in it.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: the number of cores; 1 = no pool]. With --engine dask "
    "and no --scheduler: the workers of the local Dask cluster.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this machine. dask: a Dask cluster, one task per input file (pip install 'qa-audit[dask]').",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDR",
    help="Dask scheduler address (tcp://host:8786) for --engine dask; without it a local cluster is started.",
)
@click.option(
    "--log-interval",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="When stderr is not a terminal (cron): write a progress line every SECONDS.",
)
@click.option(
    "--fail-on-findings",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Exit 1 when the run has N findings or more.",
)
@no_mask_option
@click.option(
    "--store",
    default=None,
    envvar="QA_AUDIT_STORE",
    metavar="URL",
    help="Also record the run in a results store: a file path or sqlite:///… (SQLite), postgresql://… "
    "(pip install 'qa-audit[postgres]') [env QA_AUDIT_STORE]. A conversation id stored before is replaced.",
)
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="With --store: the day of conversations without started_at [default: today].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")
def audit(
    inputs: tuple[str, ...],
    outdir: Path,
    rules_dir: Path | None,
    model_dir: Path | None,
    encoding: str | None,
    columns: tuple[str, ...],
    speaker_map: str | None,
    asr_format: str | None,
    calls_file: Path | None,
    calls_columns: tuple[str, ...],
    limit: int | None,
    formats: tuple[str, ...],
    split_by: str | None,
    timezone: str,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    log_interval: float,
    fail_on_findings: int | None,
    no_mask: bool,
    store: str | None,
    day,
    quiet: bool,
) -> None:
    """Audit transcripts: every conversation is checked, tagged, scored and written to OUTDIR.

    INPUT is a file, a directory (read recursively: .jsonl .json .csv .tsv .xlsx .txt) or a glob.
    OUTDIR receives results.jsonl, findings.jsonl, quarantine.jsonl, summary.json and
    scorecard.xlsx. Records that cannot be read are listed in quarantine.jsonl with file, line and
    reason; the run goes on. Results are the same whatever the number of workers or the engine.

    Ctrl-C stops cleanly: the output files are completed for the records done so far (summary.json
    says "interrupted": true) and the exit code is 130; a second Ctrl-C aborts at once. Running
    the same command again redoes the whole run and replaces every output.

    \b
    Examples:
      qa-audit audit sample_transcripts -o out/
      qa-audit audit calls.xlsx chats.jsonl -o out/ --column 坐席=agent_id
      qa-audit audit legacy.txt -o out/ --encoding gbk --limit 100
      qa-audit audit 'exports/*.jsonl' -o out/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from qa_audit.classify import ComplaintTagger, ModelError
    from qa_audit.distributed import EngineError
    from qa_audit.interrupt import GracefulStop
    from qa_audit.outputs import OutdirBusy
    from qa_audit.parallel import available_cpus
    from qa_audit.pipeline import AuditSettings, run_audit
    from qa_audit.progress import Progress, count_records
    from qa_audit.readers import ReadError, expand_inputs
    from qa_audit.store.errors import StoreError

    if scheduler is not None and engine != "dask":
        raise config_error("--scheduler is for --engine dask")
    column_map = parse_columns(columns)
    if engine == "dask" and (speaker_map or calls_file or asr_format):
        raise config_error("--speaker-map, --input-format and --calls work with --engine local only")
    speakers, calls = _call_inputs(speaker_map, calls_file, parse_columns(calls_columns))
    try:
        from qa_audit.report.labels import zone

        zone(timezone)
    except ValueError as exc:
        raise config_error(f"--timezone: {exc}") from None
    ruleset = load_rules_or_exit(rules_dir or default_rules_dir())
    model_path = model_dir or default_model_dir()
    try:
        tagger = ComplaintTagger.load(model_path)
    except ModelError as exc:
        raise config_error(f"model {model_path}: {exc}") from None
    try:
        files = expand_inputs(list(inputs))
    except ReadError as exc:
        raise config_error(str(exc)) from None
    if calls_file is not None:  # the call records are not a transcript, also when they sit among them
        files = [f for f in files if f.resolve() != calls_file.resolve()]
        if not files:
            raise config_error("no transcript among the inputs besides the --calls file")
    settings = AuditSettings(
        outdir=outdir,
        ruleset=ruleset,
        tagger=tagger,
        model_dir=str(model_path),
        encoding=encoding,
        columns=column_map,
        limit=limit,
        formats=formats,
        split_by=split_by,
        timezone=timezone,
        workers=workers or available_cpus(),
        engine=engine,
        scheduler=scheduler,
        mask=not no_mask,
        speakers=speakers,
        asr_format=asr_format,
        calls=calls,
        store=store,
        day=day.date().isoformat() if day else None,
    )
    tty = sys.stderr.isatty()
    progress = None
    if not quiet:
        total = count_records(files)
        progress = Progress(
            sys.stderr, tty=tty, total=min(total, limit) if total and limit else total, interval=log_interval
        )
    stop = GracefulStop("\n中断 stopping: finishing the output files for what was done (Ctrl-C again to abort)")
    with stop:  # held until the command ends: a stop signal while the summary prints must not kill the process
        try:
            summary = run_audit([str(f) for f in files], settings, progress=progress, stop=stop)
        except (ReadError, EngineError, StoreError, OutdirBusy) as exc:
            raise config_error(str(exc)) from None
        except KeyboardInterrupt:  # a second Ctrl-C / SIGTERM: the previous output set is left as it was
            click.secho(f"中断 aborted: {outdir} still holds the previous complete output set", fg="yellow", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except OSError as exc:
            click.secho(f"写入失败 / cannot write output: {exc}", fg="red", err=True)
            raise click.exceptions.Exit(EXIT_CONFIG) from None
        finally:
            if progress is not None:
                progress.close()
        _finish_audit(summary, outdir, quiet=quiet, fail_on_findings=fail_on_findings, stop=stop)


def _finish_audit(
    summary: RunSummary, outdir: Path, *, quiet: bool, fail_on_findings: int | None, stop: GracefulStop
) -> None:
    """Print what the run did and exit with its code (130 when a stop signal arrived at any point)."""
    if not quiet:
        click.echo(
            f"read {summary.read} = audited {summary.audited} + quarantined {summary.quarantined}"
            + (f" (+ {summary.not_processed} not processed: --limit)" if summary.not_processed else "")
            + f"; {summary.findings} findings -> {outdir}",
            err=True,
        )
        for note in audit_notes(summary.data, outdir):
            click.secho(note, fg="yellow", err=True)
    if not summary.committed:
        click.secho(
            f"中断 interrupted before any record was read: {outdir} still holds the previous output set",
            fg="yellow",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if summary.interrupted:
        click.secho(
            f"中断 interrupted: the outputs in {outdir} are complete files for the first {summary.read} "
            "record(s) only; the rest is not in them. Run the same command again to audit everything.",
            fg="yellow",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if stop():
        click.secho(
            f"中断 stop signal received after the run finished: the outputs in {outdir} are complete",
            fg="yellow",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if summary.quarantined or (fail_on_findings and summary.findings >= fail_on_findings):
        raise click.exceptions.Exit(EXIT_QUARANTINED)


def _call_inputs(speaker_map: str | None, calls_file: Path | None, calls_columns: dict[str, str]):
    """Parse --speaker-map and read --calls (exit 2 when either is unusable)."""
    from qa_audit.calls import load_join
    from qa_audit.readers import ReadError, parse_speaker_map

    try:
        return parse_speaker_map(speaker_map), load_join(calls_file, calls_columns) if calls_file else None
    except ReadError as exc:
        raise config_error(str(exc)) from None


main.add_command(rules_group)


def _register_model_commands() -> None:
    from qa_audit.classify.commands import classify, evaluate, train

    for cmd in (train, evaluate, classify):
        main.add_command(cmd)


_register_model_commands()


def _register_store_commands() -> None:
    from qa_audit.cli_store import agreement, report, review, sample

    for cmd in (report, review, sample, agreement):
        main.add_command(cmd)


_register_store_commands()


def run() -> None:
    """Entry point: any unexpected exception becomes exit 3 with a short message, not a traceback."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            click.secho("interrupted", fg="yellow", err=True)
            sys.exit(130)
        click.secho(f"内部错误 / internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        if "--debug" in sys.argv or __import__("os").environ.get("QA_AUDIT_DEBUG"):
            traceback.print_exc()
        sys.exit(EXIT_INTERNAL)
