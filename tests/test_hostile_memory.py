"""Small hostile files must not exhaust memory: each attack runs in a subprocess capped at 1 GB.

The cap is `resource.setrlimit(RLIMIT_AS)`; a run that needs more dies with MemoryError (exit 3)
instead of a clean result. Every case is built to be fast (a few seconds) on the fixed code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")
CAP = 1 << 30
RULES = Path(__file__).resolve().parents[1] / "rules"


def _capped(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    prog = f"import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))\n" + textwrap.dedent(code)
    full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", prog, *args], capture_output=True, text=True, timeout=240, env=full_env
    )


AUDIT = """
sys.argv = ["qa-audit", "audit", *sys.argv[1:], "-q", "--workers", "1"]
from qa_audit.cli import run
run()
"""


def _quarantine(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()]


def test_xlsx_with_cells_at_column_xfd_is_read_without_padding(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["会话ID", "角色", "内容"])
    for i in range(30_000):
        ws.append([f"C{i // 2}", "客服" if i % 2 else "客户", "您好"] + [None] * 16380 + ["x"])
    wb.save(tmp_path / "wide.xlsx")
    out = tmp_path / "out"
    res = _capped(AUDIT, str(tmp_path / "wide.xlsx"), "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["audited"] == 15_000


def test_xlsx_that_inflates_far_beyond_its_size_is_quarantined_with_the_limit(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["会话ID", "角色", "内容"])
    ws.append(["C1", "客户", "你好"])
    wb.save(tmp_path / "base.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "base.xlsx") as src,
        zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if b">C1<" in data:  # the id cell (shared or inline string) becomes 120M characters
                data = data.replace(b">C1<", b">" + b"a" * 120_000_000 + b"<")
            dst.writestr(item, data)
    out = tmp_path / "out"
    res = _capped(AUDIT, str(tmp_path / "bomb.xlsx"), "-o", str(out))
    assert res.returncode == 1, res.stderr[-2000:]
    (bad,) = _quarantine(out)
    assert "limit" in bad["reason"] and "QA_AUDIT_" in bad["reason"]


def test_json_file_over_the_size_limit_is_quarantined_with_the_limit_named(tmp_path: Path) -> None:
    conv = {"conversation_id": "C1", "turns": [{"role": "agent", "text": "您好" * 100_000}]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(conv, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    res = _capped(AUDIT, str(path), "-o", str(out), env={"QA_AUDIT_MAX_FILE_BYTES": "100000"})
    assert res.returncode == 1, res.stderr[-2000:]
    (bad,) = _quarantine(out)
    assert "100000" in bad["reason"] and "QA_AUDIT_MAX_FILE_BYTES" in bad["reason"]


def test_similar_operator_on_a_huge_turn_stays_in_bounded_memory() -> None:
    code = """
    from qa_audit.rules.similarity import SimilarMatcher, SimilarSpace, clause_units
    ex = tuple("这个问题跟我们没关系你自己想办法吧第%d种说法" % i for i in range(40))
    space = SimilarSpace({"k": SimilarMatcher(ex, (), 0.6)})
    text = "".join("这是第%d句话，" % (i % 997) for i in range(300_000)) + "这个问题跟我们没关系你自己想办法吧"
    spans = clause_units(text)
    hits = space.find("k", spans, space.counts(text, spans))
    print(len(spans), len(hits))
    """
    res = _capped(code)
    assert res.returncode == 0, res.stderr[-2000:]
    n_spans, n_hits = map(int, res.stdout.split())
    assert n_spans > 500_000 and n_hits >= 1


def test_a_rule_with_too_many_similar_exemplars_is_a_load_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in (p for p in RULES.iterdir() if p.is_file()):  # not __pycache__ (rules/ is a package of the wheel)
        (rules / f.name).write_bytes(f.read_bytes())
    text = (rules / "dont.yaml").read_text(encoding="utf-8")
    many = "".join(f"            - 这个不归我们管第{i}次\n" for i in range(5000))
    text = text.replace("        - similar:\n", "        - similar:\n" + many, 1)
    (rules / "dont.yaml").write_text(text, encoding="utf-8")
    check = "from qa_audit.cli import run\nsys.argv = ['qa-audit', 'rules', 'check', sys.argv[1]]\nrun()"
    res = _capped(check, str(rules))
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "dont.yaml" in res.stdout + res.stderr


def test_model_weights_that_inflate_to_gigabytes_are_refused_before_inflating(tmp_path: Path) -> None:
    import shutil

    import numpy as np

    from qa_audit.classify.model_io import sha256_file
    from qa_audit.paths import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    with np.load(model / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    zeros = 1_500_000_000 // 4  # 1.5 GB of float32 zeros deflate to ~1.5 MB
    with zipfile.ZipFile(model / "weights.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for key, arr in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as fh:
                if key == "idf":
                    np.lib.format.write_array_header_1_0(
                        fh, {"descr": "<f4", "fortran_order": False, "shape": (zeros,)}
                    )
                    block = bytes(1 << 24)
                    for i in range(0, zeros * 4, len(block)):
                        fh.write(block[: min(len(block), zeros * 4 - i)])
                else:
                    np.lib.format.write_array(fh, arr)
    meta = json.loads((model / "model.json").read_text(encoding="utf-8"))
    meta["weights_sha256"] = sha256_file(model / "weights.npz")
    (model / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    conv = {"conversation_id": "C1", "turns": [{"role": "customer", "text": "快递没到"}]}
    (tmp_path / "in.jsonl").write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    res = _capped(AUDIT, str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out"), "--model", str(model))
    assert res.returncode == 2, res.stderr[-2000:]
    assert "weights.npz" in res.stderr and "limit" in res.stderr


def test_a_30m_character_line_is_quarantined_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    ok = json.dumps({"conversation_id": "OK", "turns": [{"role": "agent", "text": "您好"}]}, ensure_ascii=False)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(ok + "\n")
        fh.write('{"conversation_id": "BIG", "turns": [{"role": "agent", "text": "')
        for _ in range(30):
            fh.write("您" * 1_000_000)
        fh.write('"}]}\n' + ok.replace("OK", "OK2") + "\n")
    out = tmp_path / "out"
    res = _capped(AUDIT, str(path), "-o", str(out))
    assert res.returncode == 1, res.stderr[-2000:]
    (bad,) = _quarantine(out)
    assert bad["line"] == 2 and "QA_AUDIT_MAX_RECORD_CHARS" in bad["reason"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["audited"] == 2


def _huge_agent_turn(tmp_path: Path) -> Path:
    """One agent turn of 9.2 MB in 400 000 lines, ending with a deflection the `similar` operator finds."""
    text = "".join(f"这是第{i % 997}句话，好\n" for i in range(400_000)) + "这个不归我们管，你打别的电话吧"
    conv = {
        "conversation_id": "HUGE",
        "turns": [{"role": "customer", "text": "快递没到"}, {"role": "agent", "text": text}],
    }
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.stat().st_size > 9_000_000
    return path


def test_a_9mb_agent_turn_is_quarantined_by_a_limit_in_bounded_memory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _capped(AUDIT, str(_huge_agent_turn(tmp_path)), "-o", str(out))
    assert res.returncode == 1, res.stderr[-2000:]
    (bad,) = _quarantine(out)
    assert "limit" in bad["reason"] or "longer than" in bad["reason"]
    assert "QA_AUDIT_MAX_RECORD_CHARS" in bad["reason"]  # the line (4.4 M characters) is over the record limit


def test_a_9mb_agent_turn_admitted_by_raised_limits_is_audited_in_bounded_memory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {"QA_AUDIT_MAX_TURN_CHARS": "10000000", "QA_AUDIT_MAX_RECORD_CHARS": "10000000"}
    res = _capped(AUDIT, str(_huge_agent_turn(tmp_path)), "-o", str(out), env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    (row,) = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["conversation_id"] == "HUGE" and row["checks"]
