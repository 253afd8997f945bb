"""The load test's servers: the demo database, ``streamlit run app.py`` on a free port of
127.0.0.1, and the servers' memory and CPU, sampled from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_database(path: Path, beneficiaries: int) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"making {path} with {beneficiaries:,} beneficiaries …", flush=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "manage.py", "demo-data", "--beneficiaries",
                        str(beneficiaries)], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                       check=True, stdout=subprocess.DEVNULL, timeout=3600)
        print(f"  made in {time.monotonic() - started:.0f} s", flush=True)
    # A database made by an earlier version: the server refuses a schema behind head.
    subprocess.run([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL, timeout=3600)
    return url


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def replica_settings(folder: Path) -> dict[str, str]:
    """What replicas behind one proxy share, as compose.yaml gives them: one users file,
    one re-login cookie key, one Streamlit cookie secret."""
    import secrets

    return {"USERS_FILE": str(folder / "users.yaml"),
            "COOKIE_KEY": secrets.token_urlsafe(48),
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(48)}


def postgres_copy(sqlite_path: Path, folder: Path):
    """A throw-away PostgreSQL server (tests/pg.py) holding a copy of the SQLite demo
    database (benchmarks/copy_db.py: the same rows and analytics cells, no rebuild);
    returns (server, url). The caller cleans the server up."""
    from benchmarks.copy_db import copy
    from tests.pg import PgServer

    server = PgServer().start()
    try:
        url = server.create_database("rrd_load")
        started = time.monotonic()
        print(f"copying {sqlite_path} into PostgreSQL …", flush=True)
        copy(str(sqlite_path), url, progress=lambda _line: None)
        print(f"  copied in {time.monotonic() - started:.0f} s", flush=True)
    except BaseException:
        server.cleanup()
        raise
    return server, url


class Sampler(threading.Thread):
    """The servers' RSS, summed, every ``every`` seconds."""

    def __init__(self, pids: list[int], every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.samples: list[tuple[float, float]] = []  # (time.monotonic(), MiB)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.samples) < 100_000:
            self.samples.append((time.monotonic(), sum(rss_mib(p) for p in self.pids)))
            self.stop.wait(self.every)



def start_server(url: str, folder: Path, *, profile: bool = False,
                 settings: dict[str, str] | None = None,
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``streamlit run app.py`` in demo mode on a free port (under the stack sampler of
    benchmarks/sampled_server.py with ``profile``: it writes ``folder/profile.txt``).
    ``settings``: more environment, e.g. the users file and keys replicas share."""
    port = free_port()
    log = folder / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(DATABASE_URL=url, DEMO_MODE="true", USERS_FILE=str(folder / "users.yaml"),
               PYTHONUNBUFFERED="1")
    env.update(settings or {})
    with open(log, "wb") as out:
        entry = [str(ROOT / "benchmarks" / "sampled_server.py"), str(folder / "profile.txt")] \
            if profile else ["-m", "streamlit"]
        proc = subprocess.Popen([sys.executable, *entry, "run", "app.py",
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--server.address", "127.0.0.1",
                                 "--browser.gatherUsageStats", "false",
                                 "--server.fileWatcherType", "none"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, base)
    except SystemExit:
        print(log.read_text()[-2000:], file=sys.stderr)
        raise
    return proc, base, log


def wait_for_health(proc: subprocess.Popen[bytes], base: str, seconds: float = 90) -> None:
    """Until the server answers /_stcore/health (SystemExit if it exits or stays silent)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"streamlit did not answer in {seconds:.0f} s")
