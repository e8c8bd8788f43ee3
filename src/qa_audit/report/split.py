"""Per-agent (or per-team) workbooks: each holds only its own conversations and findings.

Rows are spooled to one temporary file during the main pass, with an offset index per key, so
memory stays flat however many conversations there are.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from qa_audit.model import RuleInfo, ScoringPolicy
from qa_audit.report.aggregate import Aggregator
from qa_audit.report.excel import ScorecardWriter
from qa_audit.report.safe import inside, safe_file_stem
from qa_audit.report.transcript import TurnRow

SPLIT_KEYS = {"agent": ("agent_id", "坐席"), "team": ("team", "班组")}
UNKNOWN = "（未知）"


class Spool:
    """Keep (row, finding rows, losses) per key on disk until the split workbooks are written."""

    def __init__(self, split_by: str, tz: tzinfo | None = None) -> None:
        """Start an empty spool for `split_by` ('agent' or 'team'); workbooks show times in `tz`."""
        self.field, self.label = SPLIT_KEYS[split_by]
        self.tz = tz
        self.dir_name = f"by_{split_by}"
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - lives until close()
        self.index: dict[str, list[int]] = defaultdict(list)

    def add(
        self,
        row: Mapping[str, Any],
        findings: Sequence[Mapping[str, Any]],
        losses: Mapping,
        turns: Sequence[TurnRow] = (),
    ) -> None:
        """Remember one conversation (and its transcript, when it has findings) under its key."""
        key = row.get(self.field) or UNKNOWN
        self.index[str(key)].append(self.file.tell())
        record = (dict(row), list(findings), dict(losses), tuple(turns))
        pickle.dump(record, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def write(self, outdir: Path, rules: Sequence[RuleInfo], policy: ScoringPolicy) -> list[Path]:
        """Write one workbook per key under outdir/by_<key>/; return their paths."""
        target_dir = outdir / self.dir_name
        target_dir.mkdir(parents=True, exist_ok=True)
        rules_map = {r.id: r for r in rules}
        paths = []
        for key, offsets in sorted(self.index.items()):
            path = target_dir / f"{safe_file_stem(key)}.xlsx"
            if not inside(target_dir, path):  # safe_file_stem makes this impossible; belt and braces
                raise ValueError(f"refusing to write outside {target_dir}: {key!r}")
            book = ScorecardWriter(path, rules, policy, title=f"{self.label} {key} 质检评分卡", tz=self.tz)
            agg = Aggregator()
            try:
                for offset in offsets:
                    self.file.seek(offset)
                    row, findings, losses, turns = pickle.load(self.file)  # our own temporary file
                    agg.add(row, losses)
                    book.add(row, findings, turns)
                book.close(agg.result(rules_map, policy))
            except BaseException:
                book.abort()
                raise
            paths.append(path)
        return paths

    def close(self) -> None:
        """Delete the spool."""
        self.file.close()
