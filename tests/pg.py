"""A throw-away PostgreSQL cluster for tests and benchmarks, started from Debian's binaries.

    with PgCluster() as pg:              # initdb + start on 127.0.0.1 and a free port
        pg.create_database("t1")
        engine = create_engine(pg.url("t1"))

The cluster lives in a temporary directory and is removed by `stop()` (also at interpreter exit).
PostgreSQL refuses to run as root, so when the caller is root the server runs as the `postgres`
system user (through `runuser`), which Debian's package creates.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MISSING_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or on PATH. "
    "Install them (Debian: apt-get install postgresql) or set ASSESS_SKIP_POSTGRES=1 to skip the PostgreSQL tests."
)
SUPERUSER = "assess"


class PostgresUnavailable(RuntimeError):
    """The binaries are missing, or the cluster could not be started (the message says why)."""


def find_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin directory, else the directory of `initdb` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl", path=str(Path(on_path).resolve().parent)):
        return Path(on_path).resolve().parent
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One initdb'd data directory and its running server. `fast` trades durability for speed."""

    def __init__(self, fast: bool = True):
        self.fast = fast
        self.bin_dir = find_bin_dir()
        self.port = 0
        self.base: Path | None = None
        self._run_as: list[str] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> PgCluster:
        if self.bin_dir is None:
            raise PostgresUnavailable(MISSING_HINT)
        self.base = Path(tempfile.mkdtemp(prefix="assess-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' user to run the server as"
                ) from None
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        atexit.register(self.stop)
        data = self.base / "data"
        self._run(
            "initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
            "max_connections": "200",
            "log_min_messages": "warning",
        }
        if self.fast:  # test data is thrown away: no need to survive a power cut
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        conf = "".join(f"{k} = {v}\n" for k, v in settings.items())
        self._run("sh", "-c", f"cat >> '{data}/postgresql.conf'", stdin=conf)
        for _attempt in range(5):  # a port picked as free can be taken before the server binds it
            self.port = free_port()
            started = self._run(
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(self.base / "server.log"),
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                "30",
                "start",
                check=False,
            )
            if started.returncode == 0:
                return self
        raise PostgresUnavailable(f"pg_ctl start failed:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.base is None:
            return
        data = self.base / "data"
        if (data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases --------------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as c:
            c.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create `name` (optionally as a copy of `template`) and return its SQLAlchemy URL."""
        clause = f" TEMPLATE {template}" if template else ""
        for attempt in range(50):
            try:
                self.execute(f"CREATE DATABASE {name}{clause}")
                break
            except Exception as exc:  # the template is briefly busy while a pool lets go of it
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    # -- helpers ----------------------------------------------------------------------------
    def log_tail(self, lines: int = 30) -> str:
        if self.base is None or not (self.base / "server.log").exists():
            return ""
        return "\n".join((self.base / "server.log").read_text(errors="replace").splitlines()[-lines:])

    def _run(self, tool: str, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        exe = str(self.bin_dir / tool) if (self.bin_dir / tool).exists() else tool
        proc = subprocess.run([*self._run_as, exe, *args], input=stdin, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc
