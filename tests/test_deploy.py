"""The deployment (issue 18): compose.yaml, the Dockerfile, the two lock files, and the
two-replica topology run as processes.

This machine has the docker CLI but no container engine, so the stack cannot be brought up
in containers here. What can be checked is:

- ``docker compose config`` (or Debian's ``docker-compose config``) accepts compose.yaml and
  resolves it to the services the README describes, wired as it says (migrate runs first,
  the replicas wait for it, only the proxy is reachable, secrets are required);
- the Dockerfile installs only the runtime lock file, with hashes, and runs as a non-root
  user with the health command; the runtime lock holds every third-party module the
  dashboard imports and none of the test tools;
- the same topology as processes: a real PostgreSQL server, the migrate step
  (``manage.py db upgrade``), two ``streamlit run`` replicas sharing the users file and keys
  as compose's do, and Debian's nginx with deploy/nginx.conf itself (its listen and
  replica lines replaced). Through that proxy a real browser signs every demo role in and
  walks every page (the browser suite's own tests, tests/browser), the load driver's
  sessions run with zero errors, both replicas serve sessions, and a session's requests
  stay on one replica; a browser moved to the other replica (as when its replica stops)
  is signed in again by its re-login cookie.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import importlib.metadata
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from benchmarks.proxy import ROUTE_COOKIE, Proxy, route_cookie
from tests.browser import test_login, test_pages_browser
from tests.browser.conftest import (  # browser, page: the session's, from tests/conftest.py
    Server,
    server_env,
    sign_in,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"postgres", "migrate", "dashboard-1", "dashboard-2", "proxy", "backup"}
DEV_TOOLS = {"pytest", "hypothesis", "playwright", "ruff", "mypy", "pip-tools"}
SECRETS = {"POSTGRES_PASSWORD": "pw0123456789", "COOKIE_KEY": "k" * 8 + secrets.token_hex(24),
           "STREAMLIT_COOKIE_SECRET": secrets.token_hex(24)}
# Our own top-level packages and scripts: what the image runs (the rest is dev only).
RUNTIME_PACKAGES = ("app.py", "manage.py", "pages", "ui", "reports", "views", "cli",
                    "importing", "casework", "demo", "metrics", "analytics", "accounts",
                    "data_access", "i18n")


# --- compose.yaml --------------------------------------------------------------------------

def compose_command() -> list[str] | None:
    """``docker compose`` where the plugin exists, else Debian's ``docker-compose``."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=30, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed "
                    "(scripts/install-system-deps.sh installs docker-compose)")
    clean = {k: v for k, v in server_env().items() if k not in SECRETS}
    return subprocess.run([*command, "-f", str(ROOT / "compose.yaml"), "--project-directory",
                           str(ROOT), "config"], capture_output=True, text=True, timeout=60,
                          env={**clean, **env}, cwd=ROOT, check=False)


@pytest.fixture(scope="module")
def compose() -> dict:
    done = compose_config(SECRETS)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_config_resolves_the_topology(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    # The migration runs once, after PostgreSQL is healthy; the replicas after it succeeded.
    assert services["migrate"]["command"] == ["python", "manage.py", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("dashboard-1", "dashboard-2"):
        replica = services[name]
        assert replica["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert replica["healthcheck"]["test"] == ["CMD", "python", "manage.py", "health"]
        environment = replica["environment"]
        assert environment["DATABASE_URL"] == \
            f"postgresql+psycopg://rrd:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/rrd"
        assert environment["DEMO_MODE"] == "false"
        assert environment["COOKIE_KEY"] == SECRETS["COOKIE_KEY"]
        assert environment["STREAMLIT_SERVER_COOKIE_SECRET"] == \
            SECRETS["STREAMLIT_COOKIE_SECRET"]
        assert "ports" not in replica  # reachable through the proxy only
    # Both replicas run the same image with the same settings and the same users volume.
    first, second = services["dashboard-1"], services["dashboard-2"]
    assert first["environment"] == second["environment"]
    assert first["volumes"] == second["volumes"] == services["migrate"]["volumes"]
    # Only the proxy publishes a port; it mounts the proxy file the process test runs.
    assert [name for name, s in services.items() if s.get("ports")] == ["proxy"]
    mounts = [str(v) for v in services["proxy"]["volumes"]]
    assert any("deploy/nginx.conf" in m and "/etc/nginx/nginx.conf" in m for m in mounts)
    assert compose["networks"]["backend"]["internal"] is True
    assert "frontend" not in services["postgres"]["networks"]
    # The backup dumps the database in pg_dump's custom format into its own volume.
    backup = services["backup"]
    assert "pg_dump --format=custom" in " ".join(backup["command"])
    assert any("/backups" in str(v) for v in backup["volumes"])


def test_compose_refuses_to_start_without_its_secrets() -> None:
    for missing in SECRETS:
        done = compose_config({k: v for k, v in SECRETS.items() if k != missing})
        assert done.returncode != 0, f"compose accepted a missing {missing}"
        assert f"set {missing} in .env" in done.stderr + done.stdout


def test_env_example_names_every_variable_compose_reads() -> None:
    text = (ROOT / "compose.yaml").read_text()
    read = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (ROOT / "deploy" / "env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read <= named, f"not in deploy/env.example: {sorted(read - named)}"


# --- Dockerfile and lock files -------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines if line and not line.startswith("#")]


def test_the_dockerfile_installs_only_the_runtime_lock_and_runs_unprivileged() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    installs = [args for op, args in instructions if op == "RUN" and "pip install" in args]
    assert installs == [re.sub(r"\s+", " ", installs[0])] and len(installs) == 1
    assert "--require-hashes" in installs[0] and "-r requirements.txt" in installs[0]
    copied = [args for op, args in instructions if op in ("COPY", "ADD")]
    assert not [c for c in copied if "requirements-dev" in c]
    # The dev lock is kept out of the build context, with the tests and everything secret.
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in ("requirements-dev.txt", "tests", ".venv", "*.db", ".env", ".git"):
        assert pattern in ignored, pattern
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    # The user exists before it is switched to, and is not uid 0.
    creates = [args for op, args in instructions if op == "RUN" and "useradd" in args]
    assert creates and f" {users[-1]}" in creates[0] and "--uid 0 " not in creates[0]
    health = [args for op, args in instructions if op == "HEALTHCHECK"]
    assert len(health) == 1 and '"manage.py", "health"' in health[0]
    cmd = [args for op, args in instructions if op == "CMD"][-1]
    assert '"streamlit", "run", "app.py"' in cmd


def pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile lock file."""
    text = path.read_text().replace("\\\n", " ")
    found: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)(.*)", line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            found[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})",
                                                      match.group(3)))
    return found


def requirements_in(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~ ]", line)[0]).lower())
    return names


def test_both_lock_files_pin_every_package_with_hashes() -> None:
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    for lock in (runtime, dev):
        assert lock and not [name for name, (_v, hashes) in lock.items() if not hashes]
    assert requirements_in(ROOT / "requirements.in") <= set(runtime)
    assert requirements_in(ROOT / "requirements-dev.in") <= set(dev)
    # The runtime lock holds no test tool; a package both need has one version.
    assert not DEV_TOOLS & set(runtime)
    assert not [n for n in set(runtime) & set(dev) if runtime[n][0] != dev[n][0]]
    # What is installed here is what the locks say (make venv installs both).
    for name, (version, _hashes) in {**runtime, **dev}.items():
        assert importlib.metadata.version(name) == version, name


def third_party_imports() -> set[str]:
    """Top-level modules the dashboard's own code imports that are not ours or stdlib."""
    ours = {name.removesuffix(".py") for name in RUNTIME_PACKAGES} | {"tests", "benchmarks"}
    files = [ROOT / n for n in RUNTIME_PACKAGES if n.endswith(".py")] + \
        [f for n in RUNTIME_PACKAGES if not n.endswith(".py") for f in (ROOT / n).rglob("*.py")]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in ours and m not in sys.stdlib_module_names}


def test_the_runtime_lock_holds_every_module_the_dashboard_imports() -> None:
    runtime = set(pins(ROOT / "requirements.txt"))
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in third_party_imports():
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(module, [])}
        if not names & runtime:
            missing[module] = sorted(names)
    assert not missing, f"imported by the dashboard but not in requirements.txt: {missing}"


def test_make_venv_reinstalls_when_either_lock_file_changes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCKS := requirements\.txt requirements-dev\.txt$", makefile, re.M)
    recipe = makefile.split("\nvenv:", 1)[1].split("\n\n", 1)[0]
    assert "cat $(LOCKS) | cmp -s - $(STAMP)" in recipe and "cat $(LOCKS) > $(STAMP)" in recipe
    assert "--require-hashes" in recipe and "-r requirements-dev.txt" in recipe


# --- the topology as processes -------------------------------------------------------------

@dataclass
class Stack:
    url: str
    replicas: list[Server]
    proxy: Proxy

    @property
    def upstreams(self) -> set[str]:
        return {f"127.0.0.1:{r.port}" for r in self.replicas}


def run_async(coroutine):
    """``asyncio.run`` on a thread of its own (Playwright's sync API leaves a loop running on
    the main thread; see tests/test_load_driver.py)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def stack(pg_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PostgreSQL, the migrate step, two replicas and the proxy, as compose.yaml wires them
    (demo mode, so that the demo accounts sign in)."""
    import demo
    from benchmarks.streamlit_ws import Session

    folder = tmp_path_factory.mktemp("deploy_stack")
    url = pg_server.create_database("deploy_stack")
    migrate = subprocess.run([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT,
                             env=server_env(DATABASE_URL=url), capture_output=True,
                             text=True, timeout=300, check=False)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    demo.load(url, demo.generate(), progress=lambda _line: None)
    shared = server_env(DATABASE_URL=url, DEMO_MODE="true",
                        USERS_FILE=str(folder / "users.yaml"),
                        COOKIE_KEY=secrets.token_urlsafe(48),
                        STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_urlsafe(48))
    replicas: list[Server] = []
    proxy = None
    try:
        for number in (1, 2):
            (folder / f"replica{number}").mkdir()
            replicas.append(Server(shared, folder / f"replica{number}").start())

        async def first_visits() -> None:  # a fresh server's first run (test_load_driver)
            for replica in replicas:
                async with Session(replica.base, 60) as session:
                    await session.run()
        run_async(first_visits())
        (folder / "proxy").mkdir()
        proxy = Proxy(folder / "proxy", [f"127.0.0.1:{r.port}" for r in replicas]).start()
        yield Stack(url, replicas, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        for replica in replicas:
            replica.stop()


def cookies_by_replica(stack: Stack, tries: int = 40) -> dict[str, list[str]]:
    """Routing cookies from fresh first visits, grouped by the replica that served that
    visit (the proxy's log)."""
    cookies = [route_cookie(stack.proxy.base) for _ in range(tries)]
    deadline = time.monotonic() + 10  # nginx logs a request just after answering it
    while True:
        served = {line["route"]: line["upstream"] for line in stack.proxy.log()
                  if line["path"] == "/"}
        if set(cookies) <= set(served) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    grouped: dict[str, list[str]] = {upstream: [] for upstream in stack.upstreams}
    for cookie in cookies:
        grouped[served[cookie]].append(cookie)
    return grouped


@pytest.mark.postgres
def test_the_proxy_keeps_each_browser_on_one_replica_and_uses_both(stack: Stack) -> None:
    from benchmarks.load_sessions import Results
    from benchmarks.load_ws import ws_session

    grouped = cookies_by_replica(stack)
    assert all(grouped.values()), f"40 first visits all went to one replica: {grouped}"
    chosen = [cookie for cookies in grouped.values() for cookie in cookies[:3]]  # 3 + 3
    results = Results()

    async def drive() -> None:
        deadline = time.monotonic() + 45  # sign-ins take 3-20 s on a busy machine
        await asyncio.gather(*[ws_session(number, stack.proxy.base, deadline, 60, (0.3, 1.0),
                                          results, 18, {ROUTE_COOKIE: cookie})
                               for number, cookie in enumerate(chosen)])
    run_async(drive())
    assert not results.errors, results.errors[:5]
    assert len(results.sign_ins) == len(chosen) and len(results.steps) >= len(chosen)
    time.sleep(1)  # the websockets' log lines are written when they close
    streams = stack.proxy.routes()
    first_visit = {cookie: upstream for upstream, cookies in grouped.items()
                   for cookie in cookies}
    for cookie in chosen:  # every websocket of a cookie reached the replica of its first visit
        assert streams[cookie] == {first_visit[cookie]}, (cookie, streams.get(cookie))
    assert set().union(*(streams[c] for c in chosen)) == stack.upstreams


@pytest.mark.postgres
@pytest.mark.browser
@pytest.mark.parametrize(("username", "password", "role", "countries"), test_login.ROLES,
                         ids=[r[0] for r in test_login.ROLES])
def test_each_demo_role_signs_in_through_the_proxy(page, stack: Stack, username: str,  # noqa: F811
                                                   password: str, role: str,
                                                   countries: tuple[str, ...] | None) -> None:
    test_login.test_each_demo_role_signs_in_and_sees_its_pages(
        page, stack.proxy.base, stack.url, username, password, role, countries)


@pytest.mark.postgres
@pytest.mark.browser
@pytest.mark.parametrize(("username", "password"), test_pages_browser.ROLES,
                         ids=[r[0] for r in test_pages_browser.ROLES])
def test_every_page_of_every_role_through_the_proxy(browser, stack: Stack,  # noqa: F811
                                                    username: str, password: str) -> None:
    test_pages_browser.test_every_page_of_every_role(browser, stack.proxy.base, stack.url,
                                                     username, password)


@pytest.mark.postgres
@pytest.mark.browser
def test_a_browser_moved_to_the_other_replica_is_signed_in_again(page, stack: Stack  # noqa: F811
                                                                 ) -> None:
    """What a replica stopping does to its users: the proxy sends them to another one,
    where a new Streamlit session starts; the re-login cookie (same COOKIE_KEY, the
    session row in the shared database) signs them in there without a password."""
    grouped = cookies_by_replica(stack)
    (first, *_), (second, *_) = grouped.values()
    page.context.add_cookies([{"name": ROUTE_COOKIE, "value": first,
                               "url": stack.proxy.base}])
    page.goto(stack.proxy.base)
    wait_ready(page)
    sign_in(page, "demo-manager", "manager-demo")
    page.context.add_cookies([{"name": ROUTE_COOKIE, "value": second,
                               "url": stack.proxy.base}])
    page.reload()
    wait_ready(page)
    page.get_by_role("button", name="Sign out").wait_for()
    # Every request of the tab (page, scripts, websocket) went to the replica of its cookie:
    # the first one's before the switch, the other one's after it.
    served = stack.proxy.routes(path_prefix="/")  # the open websocket is logged at its close
    assert served[first] == {next(u for u, c in grouped.items() if first in c)}
    assert served[second] == {next(u for u, c in grouped.items() if second in c)}
    assert served[first] != served[second]
