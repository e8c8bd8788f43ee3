"""The wheel is the product: built from the tree, installed into a fresh venv, run far from any checkout.

The fresh venv gets only the wheel (pip --no-deps --no-index); the already-installed dependencies of
the test environment are put on its path by a .pth line (no network, no second download of pandas).
A .pth line adds a directory without running the .pth files inside it, so the editable install of
the test environment cannot leak in; the test checks that qa_audit is imported from the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUNK = (".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out")

pytestmark = pytest.mark.slow


def sh(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=280)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_AUDIT_", "PYTHON", "VIRTUAL_ENV"))}
    tree = base / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*JUNK))
    inputs = base / "inputs"
    shutil.copytree(ROOT / "sample_transcripts", inputs)
    built = sh(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(tree)], base, env
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (base / "dist").glob("qa_audit-*.whl")
    shutil.rmtree(tree)  # from here on there is no source tree at all
    venv = base / "venv"
    made = sh([sys.executable, "-m", "venv", str(venv)], base, env)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    site = Path(
        sh([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "test_env_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    done = sh([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], base, env)
    assert done.returncode == 0, done.stderr
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    where = sh([str(py), "-c", "import qa_audit; print(qa_audit.__file__)"], elsewhere, env).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    return venv / "bin" / "qa-audit", inputs, elsewhere, env


def test_rules_list_and_test_work_from_the_wheel(installed):
    exe, _, cwd, env = installed
    listed = sh([str(exe), "rules", "list", "--json"], cwd, env)
    assert listed.returncode == 0, listed.stderr
    ids = {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    assert {"must.greeting", "must.nin", "dont.harsh", "complaint.apology", "complaint.deadline"} <= ids
    tested = sh([str(exe), "rules", "test"], cwd, env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.strip().splitlines()[-1].endswith(" passed, 0 failed")
    checked = sh([str(exe), "rules", "check"], cwd, env)
    assert checked.returncode == 0, checked.stderr
    assert f"ok: {len(ids)} rules" in checked.stdout
    assert "give --corpus" in checked.stdout + checked.stderr  # the samples are not in the wheel: said, not a crash


def test_audit_and_classify_from_the_wheel_match_the_checkout(installed, tmp_path):
    exe, inputs, cwd, env = installed
    wheel_run = sh([str(exe), "audit", str(inputs), "-o", "out", "-q"], cwd, env)
    assert wheel_run.returncode == 1, wheel_run.stderr  # the samples hold deliberately broken records
    here = sh([sys.executable, "-m", "qa_audit", "audit", str(inputs), "-o", str(tmp_path / "out"), "-q"], cwd, env)
    assert here.returncode == 1, here.stderr
    for name in ("results.jsonl", "findings.jsonl", "quarantine.jsonl"):
        assert (cwd / "out" / name).read_bytes() == (tmp_path / "out" / name).read_bytes(), name
    summary = json.loads((cwd / "out" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["read"], summary["audited"], summary["quarantined"]) == (64, 57, 7)
    assert (cwd / "out" / "scorecard.xlsx").stat().st_size > 0
    tagged = sh([str(exe), "classify", str(inputs / "chat_20261121.jsonl")], cwd, env)
    assert tagged.returncode == 0, tagged.stderr
    rows = [json.loads(line) for line in tagged.stdout.splitlines()]
    assert rows and all(r["complaint_type"] and r["customer_type"] for r in rows)
    assert all(0 <= r["evidence"]["complaint"]["probability"] <= 1 for r in rows)  # the complaint model shipped
