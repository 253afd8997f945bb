"""`manage.py users add|list|set-password|set-role|disable|enable|remove|import` and
`manage.py audit`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import users
from cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_db_url: str) -> Path:
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("USERS_FILE", str(path))
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("COOKIE_KEY", "c" * 48)
    return path


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_round_trip(users_file: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str], empty_db_url: str) -> None:
    code, out, _ = run(monkeypatch, capsys, "users", "add", "Amina", "--role", "focal_point",
                       "--country", "sn", "--country", "MA", "--name", "Amina Diallo",
                       "--password-stdin", stdin="first-password-123\n")
    assert code == 0 and "added amina" in out
    stored = users.stored(empty_db_url)["amina"]
    assert stored.role == "focal_point" and stored.countries == ("MA", "SN")
    assert stored.password_hash.startswith("$2b$")
    assert users.check_password("first-password-123", stored.password_hash)
    assert not users_file.exists()  # the users live in the database

    code, out, _ = run(monkeypatch, capsys, "users", "add", "boss", "--role", "manager",
                       "--password-stdin", stdin="second-password-456\n")
    assert code == 0
    code, out, _ = run(monkeypatch, capsys, "users", "list")
    assert code == 0 and "amina" in out and "MA, SN" in out and "boss" in out
    assert "$2b$" not in out

    code, out, _ = run(monkeypatch, capsys, "users", "set-password", "amina",
                       "--password-stdin", stdin="third-password-789\n")
    assert code == 0
    amina = users.stored(empty_db_url)["amina"]
    assert users.check_password("third-password-789", amina.password_hash)
    assert not users.check_password("first-password-123", amina.password_hash)

    code, out, _ = run(monkeypatch, capsys, "users", "disable", "amina")
    assert code == 0 and users.stored(empty_db_url)["amina"].disabled
    assert "amina" not in users.credentials(users.stored(empty_db_url))["usernames"]
    code, out, _ = run(monkeypatch, capsys, "users", "list")
    assert "disabled" in out
    code, out, _ = run(monkeypatch, capsys, "users", "enable", "amina")
    assert code == 0 and not users.stored(empty_db_url)["amina"].disabled

    code, out, _ = run(monkeypatch, capsys, "users", "remove", "amina", "boss")
    assert code == 0 and users.stored(empty_db_url) == {}

    code, out, _ = run(monkeypatch, capsys, "audit", "--since", "2000-01-01")
    assert code == 0
    changes = [line for line in out.splitlines() if "user_change" in line]
    assert len(changes) == 7  # add, add, set_password, disable, enable, remove, remove
    assert "change=set_password, user=amina" in out
    assert "password-" not in out  # no password ever logged


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (("users", "add", "x1", "--role", "manager", "--password-stdin"), "short\n",
     "at least 10 characters"),
    (("users", "add", "x1", "--role", "focal_point", "--password-stdin"), "long-enough-pw\n",
     "needs one or more countries"),
    (("users", "add", "x1", "--role", "donor", "--country", "SN", "--password-stdin"),
     "long-enough-pw\n", "only focal points have countries"),
    (("users", "add", "x1", "--role", "focal_point", "--country", "FR", "--password-stdin"),
     "long-enough-pw\n", "unknown country FR"),
    (("users", "add", "-bad name", "--role", "manager", "--password-stdin"),
     "long-enough-pw\n", "not a valid username"),
    (("users", "set-password", "ghost", "--password-stdin"), "long-enough-pw\n", "no user"),
    (("users", "remove", "ghost"), "", "no user ghost"),
])
def test_refusals(users_file: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], stdin: str,
                  message: str) -> None:
    code, _, err = run(monkeypatch, capsys, *argv, stdin=stdin)
    assert code == 1 and message in err


def test_a_user_cannot_be_added_twice(users_file: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    args = ("users", "add", "amina", "--role", "manager", "--password-stdin")
    assert run(monkeypatch, capsys, *args, stdin="long-enough-pw\n")[0] == 0
    code, _, err = run(monkeypatch, capsys, *args, stdin="long-enough-pw\n")
    assert code == 1 and "exists already" in err


def test_the_password_is_never_an_argument() -> None:
    from cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["users", "add", "amina", "--role", "manager", "--password", "x"])


def test_through_manage_py(users_file: Path) -> None:
    """The real command line, with the password on stdin."""
    import os

    env = {**os.environ}
    proc = subprocess.run([sys.executable, "manage.py", "users", "add", "cli-user", "--role",
                           "donor", "--password-stdin"], input="a-long-password\n", text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "manage.py", "users", "list"], text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert "cli-user" in proc.stdout and "donor" in proc.stdout


def test_set_password_disable_and_remove_end_every_session(
        users_file: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], empty_db_url: str) -> None:
    """Issue 15: each of them revokes the user's server-side sessions (their cookies stop
    signing in, open tabs are signed out at the next click)."""
    from accounts import login_sessions
    run(monkeypatch, capsys, "users", "add", "amina", "--role", "manager",
        "--password-stdin", stdin="first-password-123\n")

    def open_sessions(n: int) -> list[str]:
        hash_ = users.stored(empty_db_url)["amina"].password_hash
        ids = [login_sessions.create(empty_db_url, "amina", hash_, 30).session_id
               for _ in range(n)]
        assert all(login_sessions.active(empty_db_url, i, "amina", hash_) for i in ids)
        return ids

    for argv, stdin, said in ((("set-password", "amina", "--password-stdin"),
                               "second-password-456\n", "2 open sessions signed out"),
                              (("disable", "amina"), "", "2 open sessions signed out"),
                              (("enable", "amina"), "", "enabled"),
                              # enable ends nothing: its two and two more
                              (("remove", "amina"), "", "4 open sessions signed out")):
        ids = open_sessions(2)
        hash_ = users.stored(empty_db_url)["amina"].password_hash
        code, out, _ = run(monkeypatch, capsys, "users", *argv, stdin=stdin)
        assert code == 0 and said in out, out
        if argv[0] != "enable":
            assert not any(login_sessions.active(empty_db_url, i, "amina", hash_)
                           for i in ids), argv
