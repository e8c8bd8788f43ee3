"""Options shared by several commands read the same in each (defined once, in qa_audit.cli_common)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click
import pytest

from qa_audit.cli import main

# the commands that take each shared option; --encoding has two meanings: transcripts (detected per
# file) and the one labelled CSV that train / evaluate read
SHARED = {
    "--outdir": [{"audit", "report", "rules diff"}],
    "--rules": [{"audit", "rules check", "rules test", "rules list", "rules explain", "rules eval"}],
    "--model": [{"audit", "classify", "rules diff"}],
    "--encoding": [{"audit", "classify", "rules diff"}, {"train", "evaluate"}],
    "--column": [{"audit", "rules diff"}],
    "--no-mask": [{"audit", "classify", "rules diff"}],
}


def commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))
        else:
            yield " ".join((*path, name)), cmd


def help_records(long_name: str) -> dict[str, tuple[str, str]]:
    """Command -> (option column, help text) of `long_name`, as --help prints them."""
    out = {}
    for path, cmd in commands(main):
        ctx = click.Context(cmd, info_name=path)
        for param in cmd.params:
            if isinstance(param, click.Option) and long_name in param.opts:
                record = param.get_help_record(ctx)
                assert record is not None
                out[path] = record
    return out


@pytest.mark.parametrize("long_name", sorted(SHARED))
def test_a_shared_option_shows_the_same_help_line_in_every_command(long_name):
    records = help_records(long_name)
    by_help: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path, (column, text) in records.items():
        by_help[(column.split()[-1], text)].add(path)  # the metavar (or the flag) and the help text
    assert sorted(map(sorted, by_help.values())) == sorted(map(sorted, SHARED[long_name]))


def test_rules_diff_takes_out_and_outdir_alike():
    diff = main.commands["rules"].commands["diff"]
    for flag in ("--out", "--outdir", "-o"):
        ctx = diff.make_context("diff", ["--old", "a", "--new", "b", "in.jsonl", flag, "d"])
        assert ctx.params["outdir"] == Path("d")
