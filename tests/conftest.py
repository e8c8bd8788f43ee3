"""Shared test settings: the Hypothesis budget of the fuzz tests.

CI runs a bounded number of examples per property (the suite stays well inside its time limit);
a long fuzz run is one command:

    QA_AUDIT_FUZZ_EXAMPLES=5000 python3 -m pytest tests/test_fuzz_*.py tests/test_privacy.py tests/test_faults.py

The fuzz tests read the budget as `settings.default.max_examples` (a few take a multiple of it);
tests elsewhere that set their own `max_examples` keep it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_EXAMPLES = os.environ.get("QA_AUDIT_FUZZ_EXAMPLES")

settings.register_profile(
    "qa-audit",
    max_examples=int(_EXAMPLES) if _EXAMPLES else 100,
    deadline=None,  # CI machines are slow and shared: no per-example time limit
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,  # a failure prints the @reproduce_failure line to replay it
)
settings.load_profile("qa-audit")


# --- results store: every store test runs on SQLite and on a real PostgreSQL server (tests/pg_server.py)
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server started for this test run; skips (saying why) when none can be started."""
    import pg_server

    reason = pg_server.unavailable()
    if reason:
        pytest.skip(reason)
    server = pg_server.Server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty results store: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "qa.db")
    return request.getfixturevalue("postgres_server").create_database()
