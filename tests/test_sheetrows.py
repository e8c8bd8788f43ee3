"""Workbook rows rendered where a conversation is audited make the workbook the dict rows make, byte for byte."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from qa_audit.classify import ComplaintTagger
from qa_audit.model import Conversation
from qa_audit.paths import default_model_dir, default_rules_dir
from qa_audit.pipeline import Auditor
from qa_audit.readers import read_inputs
from qa_audit.report.aggregate import Aggregator
from qa_audit.report.excel import ScorecardWriter
from qa_audit.report.labels import zone
from qa_audit.report.prepare import Preparer, unpack
from qa_audit.rules import load_ruleset

SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
TIMED = ("docProps/core.xml",)


@pytest.fixture(scope="module")
def audited() -> tuple:
    ruleset = load_ruleset(default_rules_dir())
    auditor = Auditor(ruleset, ComplaintTagger.load(default_model_dir()))
    convs = [c for c in read_inputs([str(SAMPLES)]) if isinstance(c, Conversation)]
    # cells fastrows hands to openpyxl: formula-like and error-code text, a leading space, a control character
    odd = []
    for n, (text, agent) in enumerate(
        [("=SUM(A1) 你这个服务太差了，我要投诉", "#N/A"), ("-_- 退款怎么还没到", "+86"), (" 喂？\x07在吗", "@坐席")]
    ):
        c = next(c for c in convs if len(c.turns) > 2)
        turns = (replace(c.turns[0], text=text), *c.turns[1:])
        odd.append(replace(c, conversation_id=f"odd-{n}", agent_id=agent, turns=turns))
    results = [auditor.audit(c) for c in [*odd, *convs]]
    return ruleset, results


def _write(path: Path, ruleset, prepared, rendered: bool, **limits) -> dict[str, bytes]:
    rules = list(ruleset.infos().values())
    book = ScorecardWriter(path, rules, ruleset.policy, tz=zone(None), **limits)
    book.generated = book.generated.replace(second=0, microsecond=0)
    agg = Aggregator()
    for p in prepared:
        agg.add_rows(p.row, p.loss_rows)
        if rendered and p.sheet is not None:
            book.add_rendered(p.sheet)
        else:
            book.add(p.row, p.findings, p.turns)
    book.close(agg.result({r.id: r for r in rules}, ruleset.policy))
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n not in TIMED}


@pytest.mark.parametrize("limits", [{}, {"max_rows": 7, "max_links": 5}])
def test_rendered_rows_write_the_workbook_the_dict_rows_write(tmp_path: Path, audited, limits) -> None:
    ruleset, results = audited
    prep = Preparer(list(ruleset.infos().values()), zone(None))  # keeps the dict rows too
    prepared = [unpack(prep.packed(r)[1]) for r in results]
    assert sum(p.sheet is not None for p in prepared) > len(prepared) // 2
    assert any(p.sheet is None for p in prepared)  # the odd ones go the old way, in the same workbook
    old = _write(tmp_path / "old.xlsx", ruleset, prepared, rendered=False, **limits)
    new = _write(tmp_path / "new.xlsx", ruleset, prepared, rendered=True, **limits)
    assert old.keys() == new.keys()
    for name in old:
        assert new[name] == old[name], name
    if limits:  # continuation sheets and dropped links were exercised
        assert any("(2)" in n.decode() for n in [old["xl/workbook.xml"]])


def test_a_lean_preparer_drops_the_dict_rows_only_where_the_sheet_was_rendered(audited) -> None:
    ruleset, results = audited
    prep = Preparer(list(ruleset.infos().values()), zone(None), keep_rows=False)
    for r in results:
        p = unpack(prep.packed(r)[1])
        if p.sheet is not None:
            assert p.findings == () and p.turns == ()
        else:
            assert len(p.findings) == len(r.audit.findings)
        assert p.row["findings"] == len(r.audit.findings)


def test_rich_cells_are_formatted_as_openpyxl_writes_them() -> None:
    import random

    from qa_audit.report.excel_style import BAD_FILL, REVIEW_FILL
    from qa_audit.report.sheetrows import _rich, rich_cell
    from qa_audit.report.transcript import marked_text

    rng = random.Random(7)
    alphabet = ["您", "好", "a", " ", "\n", "\t", "\r", "\x07", "&", "<", ">", '"', "'", "😀", "é", "\u3000", "="]
    texts = [" 前后 ", "  ", "全部", "a&b<c>"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(300)]
    checked = 0
    for text in texts:
        spans = [tuple(sorted(rng.sample(range(len(text) + 1), 2))) for _ in range(rng.randint(1, 3))]
        rich = marked_text(text, spans)
        if rich is None:
            continue
        for fill in (BAD_FILL, REVIEW_FILL):
            for quote in (False, True):
                # non-ASCII characters become references when the row is encoded (as _rich's already are)
                fast = rich_cell(rich, fill, quote).encode("ascii", "xmlcharrefreplace")
                assert fast == _rich(rich, fill, quote).encode("ascii"), (text, spans)
                checked += 1
    assert checked > 400
