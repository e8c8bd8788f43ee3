"""Faults of the machine, not of the input: a full disk, an unwritable output, a corrupt or missing model.

A full disk is real, not simulated in Python: a file-size limit (RLIMIT_FSIZE, any user) or, when the
tests run as root, a 64 KB tmpfs. Either way the run must stop with a clear message and exit 2, and
must not leave anything that looks like a finished output.
"""

from __future__ import annotations

import contextlib
import json
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa_audit.classify import ComplaintTagger, ModelError
from qa_audit.cli import main
from qa_audit.paths import default_model_dir

N = settings.default.max_examples
SAMPLES = Path(__file__).resolve().parents[1] / "sample_transcripts"
OUTPUTS = ("results.jsonl", "findings.jsonl", "quarantine.jsonl", "summary.json", "scorecard.xlsx")


def transcripts(path: Path, n: int = 60) -> Path:
    """n small conversations: results.jsonl alone is ~1.5 KB each."""
    rows = [
        {
            "conversation_id": f"F{i}",
            "agent_id": f"A{i % 3}",
            "channel": "chat",
            "turns": [
                {"role": "agent", "text": "您好，请问有什么可以帮您？"},
                {"role": "customer", "text": "我的快递三天没动了"},
                {"role": "agent", "text": "你好，这个不归我们管，你打别的电话。"},
            ],
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def audit(*args: str) -> Result:
    return CliRunner().invoke(main, ["audit", *args])


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Every file this process writes stops growing at `limit` bytes (write() fails with EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 64 KB tmpfs (needs root): {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def assert_failed_cleanly(result: Result, out: Path, why: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot write output" in result.output and why in result.output
    assert "Traceback" not in result.output
    present = {p.name for p in out.iterdir()} if out.exists() else set()
    assert not present & set(OUTPUTS), f"a failed run left {present & set(OUTPUTS)} looking finished"


def test_a_file_size_limit_mid_run_stops_with_exit_2_and_no_finished_looking_output(tmp_path):
    src, out = transcripts(tmp_path / "in.jsonl"), tmp_path / "out"
    with file_size_limit(20_000):
        result = audit(str(src), "-o", str(out))
    assert_failed_cleanly(result, out, "File too large")


def test_a_full_disk_stops_with_exit_2_and_no_finished_looking_output(tmp_path, tiny_disk):
    out = tiny_disk / "out"
    result = audit(str(transcripts(tmp_path / "in.jsonl")), "-o", str(out))
    assert_failed_cleanly(result, out, "No space left on device")


def test_a_failed_write_leaves_no_temporary_file_behind_to_keep_the_disk_full(tmp_path):
    # the samples' long results lines make the failure surface when the file is closed, the case that leaks
    out = tmp_path / "out"
    with file_size_limit(20_000):
        result = audit(str(SAMPLES), "-o", str(out))
    assert result.exit_code == 2
    left = [p.name for p in out.iterdir() if p.name != ".qa-audit.lock"]  # the lock file is empty
    assert not left, left


def test_outputs_of_the_previous_run_survive_a_run_that_cannot_write(tmp_path):
    src, out = transcripts(tmp_path / "in.jsonl"), tmp_path / "out"
    assert audit(str(src), "-o", str(out)).exit_code == 0
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    transcripts(src, 120)
    with file_size_limit(150_000):  # the bigger run's results.jsonl no longer fits
        result = audit(str(src), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before  # old set whole, not half new


def _disk_use(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_a_disk_that_fills_up_while_writing_by_agent_keeps_the_previous_set(tmp_path):
    """Issue 18: a full disk part-way through `by_agent/` must not leave new and old files mixed."""
    src, out = transcripts(tmp_path / "in.jsonl", 3), tmp_path / "probe"
    big = transcripts(tmp_path / "big.jsonl", 240)  # spread over 60 agents below: 60 workbooks
    rows = [json.loads(x) for x in big.read_text(encoding="utf-8").splitlines()]
    big.write_text(
        "".join(json.dumps(dict(r, agent_id=f"A{i % 60}"), ensure_ascii=False) + "\n" for i, r in enumerate(rows)),
        encoding="utf-8",
    )
    assert audit(str(big), "-o", str(out), "--split-by", "agent", "-q").exit_code == 0
    (run,) = (out / "runs").iterdir()
    agents, whole = _disk_use(run / "by_agent"), _disk_use(run)
    assert agents > (whole - agents)  # the per-agent workbooks are most of the set
    mount = tmp_path / "disk"
    mount.mkdir()
    room = 256 * 1024 + whole - agents // 2  # the previous set, the main outputs, half of by_agent/
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={room}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.decode(errors='replace').strip()}")
    try:
        out = mount / "out"
        assert audit(str(src), "-o", str(out), "-q").exit_code == 0
        before = {name: (out / name).read_bytes() for name in OUTPUTS}
        result = audit(str(big), "-o", str(out), "--split-by", "agent", "-q")
        assert_failed_cleanly_keeping(result, out, before)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def assert_failed_cleanly_keeping(result: Result, out: Path, before: dict[str, bytes]) -> None:
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before  # the old set, whole
    assert not (out / "by_agent").exists()  # nothing of the new set switched in
    assert len(list((out / "runs").iterdir())) == 1  # the failed run's folder is gone


def test_an_output_path_under_a_file_is_a_clear_error_before_reading(tmp_path):
    (tmp_path / "report.txt").write_text("not a directory", encoding="utf-8")
    out = tmp_path / "report.txt" / "out"
    result = audit(str(transcripts(tmp_path / "in.jsonl")), "-o", str(out))
    assert_failed_cleanly(result, out, "Not a directory")


def test_a_read_only_output_is_a_clear_error(tmp_path, tiny_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    result = audit(str(transcripts(tmp_path / "in.jsonl")), "-o", str(tiny_disk / "out"))
    assert_failed_cleanly(result, tiny_disk / "out", "Read-only file system")


@pytest.fixture
def model_dir(tmp_path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(default_model_dir(), out)
    return out


@pytest.mark.parametrize("damage", ["missing dir", "missing weights", "truncated weights", "empty metadata"])
def test_a_missing_or_corrupt_model_fails_fast_with_exit_2_before_any_output(tmp_path, model_dir, damage):
    if damage == "missing dir":
        shutil.rmtree(model_dir)
    elif damage == "missing weights":
        (model_dir / "weights.npz").unlink()
    elif damage == "truncated weights":
        data = (model_dir / "weights.npz").read_bytes()
        (model_dir / "weights.npz").write_bytes(data[: len(data) // 2])
    else:
        (model_dir / "model.json").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    result = audit(str(transcripts(tmp_path / "in.jsonl", 2)), "-o", str(out), "--model", str(model_dir))
    assert result.exit_code == 2, result.output
    assert "configuration error" in result.output and str(model_dir) in result.output
    assert not out.exists()  # nothing was read or written


META = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
KEYS = sorted(META) + [f"features.{k}" for k in sorted(META["features"])]


@settings(max_examples=N)
@given(st.lists(st.tuples(st.sampled_from(KEYS), WRONG), min_size=1, max_size=3))
@example(changes=[("features.char_max", float("inf"))])  # found by this test on a fresh clone: OverflowError
def test_a_model_json_with_wrong_values_is_a_model_error_never_a_crash(tmp_path_factory, changes):
    model = tmp_path_factory.mktemp("m") / "model"
    shutil.copytree(default_model_dir(), model)
    meta = json.loads(json.dumps(META))
    for key, value in changes:
        head, _, tail = key.partition(".")
        if tail and isinstance(meta[head], dict):
            meta[head][tail] = value
        elif not tail:
            meta[head] = value
    (model / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with contextlib.suppress(ModelError):
        ComplaintTagger.load(model)


@pytest.mark.parametrize("versions", [[1], "0.42.1", 5])
def test_a_model_json_with_versions_of_the_wrong_type_is_a_model_error(model_dir, versions):
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    meta["versions"] = versions
    (model_dir / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError):
        ComplaintTagger.load(model_dir)
