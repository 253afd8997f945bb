"""The deployment's reverse proxy (deploy/nginx.conf) run as a process on 127.0.0.1, in
front of dashboard processes instead of compose's containers: the same file, with only its
three marked lines replaced (``# rrd:listen``, ``# rrd:replica``, ``# rrd:access_log``).

    proxy = Proxy(folder, ["127.0.0.1:8601", "127.0.0.1:8602"]).start()
    proxy.base                     # http://127.0.0.1:PORT
    proxy.routes()                 # {route key: {upstream address, …}} from its access log
    proxy.stop()

Used by tests/test_deploy.py and ``python -m benchmarks.load --proxy``. Needs Debian's
``nginx`` (scripts/install-system-deps.sh installs it).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "nginx.conf"
ROUTE_COOKIE = "rrd_route"
_LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d+) \d+ '
                       r"route=(?P<route>\S+) upstream=(?P<upstream>\S+)")


class ProxyUnavailable(RuntimeError):
    """nginx is missing or did not start; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render(text: str, listen: str, replicas: list[str], access_log: Path) -> str:
    """deploy/nginx.conf with its listen address, replica lines and access log replaced.
    Fails loudly if a marked line is missing, so the file and this stay in step."""
    lines, out, replaced = text.splitlines(), [], {"listen": 0, "replica": 0, "log": 0}
    for line in lines:
        indent = line[:len(line) - len(line.lstrip())]
        if line.rstrip().endswith("# rrd:listen"):
            out.append(f"{indent}listen {listen};")
            replaced["listen"] += 1
        elif line.rstrip().endswith("# rrd:replica"):
            if replaced["replica"] == 0:
                out += [f"{indent}server {address} max_fails=3 fail_timeout=10s;"
                        for address in replicas]
            replaced["replica"] += 1
        elif line.rstrip().endswith("# rrd:access_log"):
            out.append(f"{indent}access_log {access_log} routed;")
            replaced["log"] += 1
        else:
            out.append(line)
    if replaced["listen"] != 1 or replaced["replica"] < 1 or replaced["log"] != 1:
        raise ValueError(f"deploy/nginx.conf lost a marked line: {replaced}")
    return "\n".join(out) + "\n"


class Proxy:
    """nginx with deploy/nginx.conf in ``folder``, listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, replicas: list[str], port: int | None = None) -> None:
        self.folder, self.replicas = folder, replicas
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise ProxyUnavailable("nginx is not installed: `bash scripts/install-system-deps"
                                   ".sh` (or `apt-get install -y nginx`)")
        conf = self.folder / "nginx.conf"
        conf.write_text(render(CONFIG.read_text(), f"127.0.0.1:{self.port}", self.replicas,
                               self.access_log))
        for temp in ("body", "proxy"):
            (self.folder / temp).mkdir(exist_ok=True)
        # -p: relative paths under the folder; the temp folders there, so nothing of the
        # system's nginx (its pid file, /var/lib/nginx) is touched.
        globals_ = (f"daemon off; pid {self.folder / 'nginx.pid'}; "
                    f"error_log {self.error_log} warn;")
        return [nginx, "-p", str(self.folder), "-e", str(self.error_log), "-c", str(conf),
                "-g", globals_]

    def start(self, seconds: float = 20) -> Proxy:
        command = self.command()
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30,
                               check=False)
        if check.returncode != 0:
            raise ProxyUnavailable(f"nginx -t refused the config: {check.stderr.strip()}")
        with open(self.folder / "nginx.out", "wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ProxyUnavailable(f"nginx exited ({self.proc.returncode}): "
                                       f"{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2):
                    return self
            except urllib.error.HTTPError:  # nginx answers (a replica may not, yet)
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ProxyUnavailable(f"the proxy did not answer in {seconds:.0f} s: {self.tail()}")

    def tail(self, chars: int = 2000) -> str:
        return "".join(p.read_text(errors="replace")[-chars:]
                       for p in (self.error_log, self.folder / "nginx.out") if p.exists())

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # SIGTERM: fast shutdown of the master and its workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def log(self) -> list[dict[str, str]]:
        """The access log's lines: method, path, status, route, upstream."""
        if not self.access_log.exists():
            return []
        return [m.groupdict() for m in map(_LOG_LINE.search,
                                           self.access_log.read_text().splitlines()) if m]

    def routes(self, path_prefix: str = "/_stcore/stream") -> dict[str, set[str]]:
        """Route key -> the replicas that served its requests under ``path_prefix``."""
        served: dict[str, set[str]] = defaultdict(set)
        for line in self.log():
            if line["path"].startswith(path_prefix) and line["upstream"] != "-":
                served[line["route"]].add(line["upstream"])
        return dict(served)


def route_cookie(base: str) -> str:
    """What a browser's first visit gets: the proxy's routing cookie (its value)."""
    with urllib.request.urlopen(f"{base}/", timeout=30) as resp:
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == ROUTE_COOKIE:
                return rest.split(";", 1)[0]
    raise ProxyUnavailable(f"{base}/ set no {ROUTE_COOKIE} cookie")
