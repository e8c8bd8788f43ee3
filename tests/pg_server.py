"""A throw-away PostgreSQL server for the store tests, started from the distribution's binaries.

Debian/Ubuntu put initdb and pg_ctl under /usr/lib/postgresql/<version>/bin. PostgreSQL refuses
to run as root, so as root the server runs as the `postgres` user on a temporary data directory
it owns. The server listens on a free local port and keeps its unix socket in the temp directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_binaries() -> tuple[Path, Path] | None:
    """Return (initdb, pg_ctl) of the newest installed PostgreSQL, or None."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    for initdb in candidates:
        if (initdb.parent / "pg_ctl").exists():
            return initdb, initdb.parent / "pg_ctl"
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return (Path(initdb), Path(pg_ctl)) if initdb and pg_ctl else None


def unavailable() -> str | None:
    """Return why no server can be started here, or None when one can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    if find_binaries() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found; install them: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running server: `url(db)` for a database, `create_database()` for a fresh one, `stop()`."""

    def __init__(self) -> None:
        """Create a data directory, initdb, start the server and wait until it accepts connections."""
        initdb, pg_ctl = find_binaries()
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="qapg"))  # short: unix socket paths are limited to ~100 bytes
        self.data = self.dir / "data"
        self.port = _free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run(
            [
                str(initdb),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run([str(pg_ctl), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"])
        self.n = 0

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run(self.prefix + cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd[:1])} failed: {done.stderr or done.stdout}")

    def url(self, database: str = "postgres") -> str:
        """Return the postgresql:// URL of a database on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a new empty database and return its URL."""
        import psycopg

        self.n += 1
        name = f"qa_test_{self.n}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self._run([str(self.pg_ctl), "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
