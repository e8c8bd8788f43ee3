"""What the `qa-audit` commands share: exit codes, the configuration-error exit, rule loading and options.

An option that several commands take (-o/--outdir, --rules, --model, --encoding, --column, --no-mask)
is defined here once, so its name, type and help read the same in every command's --help.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from qa_audit.rules import RuleSet

FC = TypeVar("FC", bound=Callable[..., Any])  # a click command function, as click's own decorators type it

EXIT_OK, EXIT_QUARANTINED, EXIT_CONFIG, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def outdir_option(*aliases: str) -> Callable[[FC], FC]:
    """-o/--outdir DIRECTORY (required, created if missing), with extra `aliases` (rules diff: --out)."""
    return click.option(
        "-o",
        "--outdir",
        *aliases,
        "outdir",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Output directory (created if missing).",
    )


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Rule directory (or one file) [default: the packaged rules, or $QA_AUDIT_RULES].",
)
model_option = click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Complaint-type model directory [default: the packaged model, or $QA_AUDIT_MODEL].",
)
encoding_option = click.option(
    "--encoding",
    default=None,
    help="Force the text encoding of every input (default: detected per file: UTF-8/BOM, then GBK/GB18030).",
)
# train and evaluate read one CSV of labelled texts, not transcripts: their own rule, shared by both
csv_encoding_option = click.option("--encoding", default=None, help="Encoding of a CSV (default: UTF-8, then GB18030).")
column_option = click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Map a spreadsheet header to a field, e.g. --column 坐席=agent_id (repeatable).",
)
no_mask_option = click.option(
    "--no-mask",
    is_flag=True,
    help="Keep phone, ID-card and bank-card numbers and e-mail addresses as read (default: masked in every output).",
)


def config_error(message: str) -> click.exceptions.Exit:
    """Print a configuration error (exit 2) and return the exception to raise."""
    click.secho(f"配置错误 / configuration error: {message}", fg="red", err=True)
    return click.exceptions.Exit(EXIT_CONFIG)


def load_rules_or_exit(rules_dir: Path) -> RuleSet:
    """Load a rule set, or print every problem with file:line and exit 2."""
    from qa_audit.rules import RuleLoadError, load_ruleset

    try:
        return load_ruleset(rules_dir)
    except RuleLoadError as exc:
        for p in exc.problems:
            click.secho(str(p), fg="red", err=True)
        raise config_error(f"{len(exc.problems)} problem(s) in the rule files under {rules_dir}") from None


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str]:
    """Return the --column HEADER=FIELD pairs as a mapping, or exit 2 naming the bad pair."""
    out = {}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep or not header.strip() or not field.strip():
            raise config_error(f"--column takes HEADER=FIELD (e.g. 坐席=agent_id), got {pair!r}")
        out[header.strip()] = field.strip()
    return out


def _ids(block: dict, shown: int = 5) -> str:
    ids = list(block.get("ids") or [])[:shown]
    more = block.get("count", 0) - len(ids)
    return ", ".join(ids) + (f" (+{more} more in summary.json)" if more > 0 else "")


def audit_notes(data: dict, outdir: Path) -> list[str]:
    """Lines for the terminal after an audit: quarantined records, conversations whose roles need a
    look (swapped or unclear, their role rules n/a) and the --calls join's mismatches, first few ids."""
    notes = []
    if data.get("quarantined"):
        notes.append(f"{data['quarantined']} record(s) quarantined: see {outdir / 'quarantine.jsonl'}")
    roles = data.get("roles") or {}
    for key, what in (
        ("swapped_suspected", "with roles that look swapped"),
        ("unclear", "whose roles could not be told apart"),
    ):
        block = roles.get(key) or {}
        if block.get("count"):
            notes.append(
                f"{block['count']} conversation(s) {what} (role rules n/a; 角色 column of 会话 says 待复核): "
                + _ids(block)
            )
    calls = data.get("calls")
    if calls:
        notes.append(f"call records: {calls['matched']} of {calls['records']} matched ({calls['file']})")
        for key, what in (
            ("transcripts_without_record", "transcript(s) without a call record"),
            ("records_without_transcript", "call record(s) without a transcript"),
        ):
            if calls[key]["count"]:
                notes.append(f"{calls[key]['count']} {what}: {_ids(calls[key])}")
        if calls.get("problems"):
            notes.append(f"{len(calls['problems'])} call record row(s) not used: see summary.json calls.problems")
    return notes
