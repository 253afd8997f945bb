"""A throw-away PostgreSQL server for tests, benchmarks and load scripts.

    server = PgServer()
    server.start()                       # initdb into a temp dir, pg_ctl start on 127.0.0.1
    url = server.create_database("x")    # postgresql+psycopg://postgres@127.0.0.1:PORT/x
    server.stop(); server.start()        # same port and data: URLs stay valid
    server.cleanup()                     # stop and remove the directory

The server binaries come from Debian's ``postgresql`` package (off PATH, under
``/usr/lib/postgresql/<major>/bin``); ``PG_BINDIR`` overrides where they are looked for.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system
user (created by the package) through ``runuser``. Authentication is ``trust`` and the
server listens on 127.0.0.1 only, on a free port; durability is switched off for speed.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = ("install the PostgreSQL 15 server: `bash scripts/install-system-deps.sh` "
                "(or `apt-get install -y postgresql`), or set PG_BINDIR to the folder that "
                "holds initdb and pg_ctl")
SUPERUSER = "postgres"


class PgUnavailable(RuntimeError):
    """The test PostgreSQL server cannot be found or started; the message says why."""


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres (highest major version wins)."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
        except (subprocess.SubprocessError, OSError):
            pass

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/bin/", path)
        return int(match.group(1)) if match else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major, reverse=True)
    candidates += [Path(p).parent for p in found]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PgUnavailable(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_user() -> str | None:
    """The system user to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("PG_TEST_USER"), "postgres"):
        if not name:
            continue
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    # The postgres package creates the user; make one if the binaries came without it.
    name = "postgres"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/false", name],
                   check=False, capture_output=True)
    try:
        pwd.getpwnam(name)
    except KeyError as exc:
        raise PgUnavailable("running as root and no `postgres` system user exists to run the "
                            f"server as: {INSTALL_HINT}") from exc
    return name


class PgServer:
    """One private PostgreSQL cluster: ``start``, ``stop``, ``url``, ``create_database``."""

    def __init__(self, bindir: Path | str | None = None, port: int | None = None,
                 base_dir: Path | str | None = None) -> None:
        self.bindir = Path(bindir) if bindir else find_bindir()
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = _run_as_user()
        if base_dir is None and self.user:
            base_dir = "/tmp"  # TMPDIR may sit under a folder the server's user cannot enter
        self._base = Path(tempfile.mkdtemp(prefix="rrd-pg-", dir=base_dir))
        self.datadir = self._base / "data"
        self.logfile = self._base / "server.log"
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self._base, pw.pw_uid, pw.pw_gid)
        os.chmod(self._base, 0o700)
        self._initialised = False
        self.running = False

    # --- process control ---------------------------------------------------------------

    def _cmd(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        if self.user:
            args = ["runuser", "-u", self.user, "--", *args]
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                  cwd=self._base, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgUnavailable(f"{args[0]} failed ({exc}): {INSTALL_HINT}") from exc

    def _check(self, what: str, proc: subprocess.CompletedProcess[str]) -> None:
        if proc.returncode != 0:
            log = ""
            if self.logfile.exists():
                log = "\n--- server log ---\n" + self.logfile.read_text(errors="replace")[-3000:]
            raise PgUnavailable(f"{what} failed (exit {proc.returncode}): "
                                f"{(proc.stderr or proc.stdout).strip()[-2000:]}{log}\n"
                                f"Hint: {INSTALL_HINT}")

    def _initdb(self) -> None:
        proc = self._cmd([str(self.bindir / "initdb"), "-D", str(self.datadir),
                          "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C",
                          "--no-sync"])
        self._check("initdb", proc)
        extra = (f"listen_addresses = '{self.host}'\n"
                 f"port = {self.port}\n"
                 f"unix_socket_directories = '{self._base}'\n"
                 "max_connections = 200\n"
                 "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                 "log_min_messages = warning\n")
        with open(self.datadir / "postgresql.conf", "a") as fh:
            fh.write(extra)
        self._initialised = True

    def start(self) -> PgServer:
        """Start the server (initdb on first start); returns self. Idempotent."""
        if self.running:
            return self
        if not self._initialised:
            self._initdb()
        proc = self._cmd([str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                          "-l", str(self.logfile), "-w", "-t", "60", "start"], timeout=90)
        self._check("pg_ctl start", proc)
        self.running = True
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut). Idempotent."""
        if not self.running:
            return
        proc = self._cmd([str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                          "-m", "fast", "-w", "-t", "60", "stop"], timeout=90)
        self._check("pg_ctl stop", proc)
        self.running = False

    def cleanup(self) -> None:
        """Stop the server and remove its directory."""
        try:
            if self.running:
                self._cmd([str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                           "-m", "immediate", "-w", "stop"])
                self.running = False
        finally:
            shutil.rmtree(self._base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    # --- databases ---------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement in autocommit mode (CREATE/DROP DATABASE and the like)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Drop ``name`` if it exists, create it (optionally from ``template``); its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"database name {name!r}: use lower-case letters, digits and _ "
                             "(at most 63 characters)")
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
