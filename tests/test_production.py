"""Production settings by default (issue 9): error details off, XSRF on, every dependency
pinned to an exact version and consistent, secrets from settings only."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!-]*$")


def _config() -> dict:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as fh:
        return tomllib.load(fh)


def test_error_details_are_not_shown_to_users() -> None:
    # "none" (or false in older Streamlit): a generic message in the page, the traceback
    # in the server log only.
    assert _config()["client"]["showErrorDetails"] in ("none", False)


def test_xsrf_protection_is_on_and_the_toolbar_minimal() -> None:
    config = _config()
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"].get("runOnSave", False) is False
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["browser"]["gatherUsageStats"] is False


def test_no_secret_in_the_streamlit_config() -> None:
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "cookieSecret" not in text
    assert not (ROOT / ".streamlit" / "secrets.toml").exists() or \
        ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()


LOCKS = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}


def _requirements(lock: str = "requirements.txt") -> list[str]:
    """The requirement of each entry of a lock file, its ``--hash`` options left out."""
    lines = []
    text = (ROOT / lock).read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        line = re.sub(r"\s+--hash=\S+", "", line).strip()
        if line:
            lines.append(line)
    return lines


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_pinned_to_an_exact_version(lock: str) -> None:
    lines = _requirements(lock)
    assert lines
    loose = [line for line in lines if not PIN.match(line)]
    assert not loose, f"not name==version: {loose}"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_direct_dependency_is_pinned(lock: str) -> None:
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in _requirements(lock)}
    direct = []
    for raw in (ROOT / LOCKS[lock]).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):  # -c requirements.txt: a constraint
            direct.append(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower()
                          .replace("_", "-"))
    assert direct
    assert not [name for name in direct if name not in pinned]


def test_installed_packages_are_consistent() -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_demo_cookie_key_is_never_served_outside_demo_mode() -> None:
    import pytest

    from data_access.settings import DEMO_COOKIE_KEY, SettingsError, load_settings

    KEY = "Zq3v8N0pQe_r1L7xYc2uKfWm5sHbTj9aGd4oVn6iEyXw"  # noqa: N806 (random, test only)

    settings = load_settings({"DATABASE_URL": "sqlite:////tmp/elsewhere.db"})
    assert settings.demo_mode is False and settings.cookie_key is None
    with pytest.raises(SettingsError):
        settings.check_for_serving()
    with pytest.raises(SettingsError, match="public demo key"):
        load_settings({"DATABASE_URL": "sqlite:////tmp/elsewhere.db",
                       "COOKIE_KEY": DEMO_COOKIE_KEY}).check_for_serving()
    served = load_settings({"DATABASE_URL": "sqlite:////tmp/elsewhere.db",
                            "COOKIE_KEY": KEY})
    served.check_for_serving()
    assert served.cookie_key == KEY


def test_the_cookie_key_comes_from_the_settings() -> None:
    text = (ROOT / "ui" / "auth.py").read_text()
    assert "cookie_key=settings.cookie_secret()" in text


def test_no_full_garbage_collection_after_every_run() -> None:
    # Streamlit's default gc.collect(2) after each script run was half of the server's CPU
    # under load (docs/load.md); memory stays flat without it in the load test.
    assert _config()["runner"]["postScriptGC"] is False
