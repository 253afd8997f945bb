"""Settings: documented, defaults load, malformed values refused with a one-line message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data_access.settings import (
    DEFAULT_DATABASE_URL,
    DEMO_COOKIE_KEY,
    SETTINGS,
    SettingsError,
    load_settings,
    readme_table,
)

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+psycopg://rrd@db.example.org/rrd"
GOOD_KEY = "Zq3v8N0pQe_r1L7xYc2uKfWm5sHbTj9aGd4oVn6iEyXw"  # random, test only


def test_the_readme_table_is_the_declaration() -> None:
    """README.md's configuration table is exactly the one made from the declarations."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index("| setting | default | meaning |")
    end = next(i for i in range(start, len(readme)) if not readme[i].startswith("|"))
    assert "\n".join(readme[start:end]) == readme_table(), \
        "README.md's configuration table differs from data_access/settings.py: paste " \
        "the output of `python -m data_access.settings` over it"
    for s in SETTINGS:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", s.name) and s.name == s.field.upper()


def test_the_process_settings_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """load_settings() keeps the process's settings (every figure asks for them) until
    cache_clear(); an explicit environment is read afresh every time."""
    import os

    first = load_settings()
    assert load_settings() is first
    os.environ["SUPPRESSION_THRESHOLD"] = "11"  # behind monkeypatch's back: not seen
    try:
        assert load_settings() is first and first.suppression_threshold == 5
        load_settings.cache_clear()
        assert load_settings().suppression_threshold == 11
    finally:
        del os.environ["SUPPRESSION_THRESHOLD"]
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "12")  # the fixtures forget on setenv
    assert load_settings().suppression_threshold == 12
    assert load_settings({}) is not load_settings({})


def test_defaults_load(tmp_path: Path) -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert settings.demo_mode is True  # the embedded SQLite file is the demo
    # No COOKIE_KEY in demo mode: a random key of the installation, never the demo key.
    assert settings.cookie_key is None
    assert str(settings.installation_key_file) == \
        DEFAULT_DATABASE_URL.removeprefix("sqlite:///") + ".cookie-key"
    assert settings.suppression_threshold == 5
    assert settings.sustainability_threshold == 0.5
    assert settings.score_weights == (1.0, 1.0, 1.0)
    assert settings.default_language == "en"
    assert settings.lockout_attempts == 5 and settings.lockout_minutes == 15
    assert settings.cookie_expiry_days == 1.0
    elsewhere = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                               "DEMO_MODE": "true"})
    elsewhere.check_for_serving()  # demo mode serves with its installation key
    assert elsewhere.cookie_secret() not in (DEMO_COOKIE_KEY, "")


def test_every_setting_has_help_and_a_unique_name() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help.strip() for s in SETTINGS)


def test_environment_values_are_parsed() -> None:
    settings = load_settings({"DATABASE_URL": PG_URL, "SUPPRESSION_THRESHOLD": "10",
                              "SCORE_WEIGHTS": "2;1;1", "DEMO_MODE": "no",
                              "COOKIE_KEY": GOOD_KEY, "DEFAULT_LANGUAGE": "fr"})
    assert settings.database_url == PG_URL and not settings.is_sqlite
    assert settings.suppression_threshold == 10
    assert settings.score_weights == (2.0, 1.0, 1.0)
    assert settings.demo_mode is False
    assert settings.default_language == "fr"
    settings.check_for_serving()


@pytest.mark.parametrize(("name", "value"), [
    ("SUPPRESSION_THRESHOLD", "abc"),
    ("SUPPRESSION_THRESHOLD", "0"),
    ("DATABASE_URL", "foo://x"),
    ("DATABASE_URL", "not a url"),
    ("DATABASE_URL", "mysql://u@h/db"),
    ("DEMO_MODE", "maybe"),
    ("COOKIE_EXPIRY_DAYS", "a day"),
    ("SUSTAINABILITY_THRESHOLD", "1.5"),
    ("SCORE_WEIGHTS", "1,1"),
    ("SCORE_WEIGHTS", "0,0,0"),
    ("SCORE_WEIGHTS", "1,-1,1"),
    ("DEFAULT_LANGUAGE", "de"),
    ("LOCKOUT_ATTEMPTS", "-3"),
    ("LOCKOUT_MINUTES", "1.5"),
])
def test_a_malformed_value_names_the_setting_in_one_line(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({name: value})
    message = str(info.value)
    assert name in message
    assert "\n" not in message


def test_a_malformed_value_in_the_settings_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('suppression_threshold = "abc"\n')
    with pytest.raises(SettingsError) as info:
        load_settings({"RRD_SETTINGS_FILE": str(path)})
    assert "SUPPRESSION_THRESHOLD" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_settings_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("DATABASE_URL: sqlite:///x.db\nthis is [not toml\n")
    with pytest.raises(SettingsError) as info:
        load_settings({"RRD_SETTINGS_FILE": str(path)})
    message = str(info.value)
    assert str(path) in message and "TOML" in message
    assert "\n" not in message


def test_a_settings_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(SettingsError) as info:
        load_settings({"RRD_SETTINGS_FILE": str(path)})
    message = str(info.value)
    assert "RRD_SETTINGS_FILE" in message and str(path) in message
    assert "\n" not in message


def test_an_unknown_key_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('supression_threshold = 5\n')
    with pytest.raises(SettingsError) as info:
        load_settings({"RRD_SETTINGS_FILE": str(path)})
    assert "supression_threshold" in str(info.value)
    assert "\n" not in str(info.value)


def test_the_settings_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('suppression_threshold = 7\ndemo_mode = false\n'
                    f'database_url = "{PG_URL}"\nprogramme_name = "Test"\n')
    settings = load_settings({"RRD_SETTINGS_FILE": str(path), "SUPPRESSION_THRESHOLD": "9"})
    assert settings.suppression_threshold == 9
    assert settings.demo_mode is False
    assert settings.database_url == PG_URL
    assert settings.programme_name == "Test"


def test_serving_refuses_the_demo_key_outside_demo_mode() -> None:
    settings = load_settings({"DATABASE_URL": PG_URL, "COOKIE_KEY": DEMO_COOKIE_KEY})
    assert settings.demo_mode is False
    with pytest.raises(SettingsError) as info:
        settings.check_for_serving()
    assert "COOKIE_KEY" in str(info.value) and "\n" not in str(info.value)


def test_serving_refuses_the_demo_key_when_demo_mode_is_switched_off() -> None:
    settings = load_settings({"DEMO_MODE": "false", "COOKIE_KEY": DEMO_COOKIE_KEY})
    with pytest.raises(SettingsError, match="COOKIE_KEY"):
        settings.check_for_serving()


@pytest.mark.parametrize("environ", [
    {"DATABASE_URL": PG_URL},
    {"DEMO_MODE": "false"},
])
def test_serving_refuses_a_missing_key(environ: dict[str, str]) -> None:
    settings = load_settings(environ)
    assert settings.cookie_key is None
    with pytest.raises(SettingsError) as info:
        settings.check_for_serving()
    assert "COOKIE_KEY" in str(info.value) and "\n" not in str(info.value)


def test_serving_refuses_a_short_key() -> None:
    settings = load_settings({"DATABASE_URL": PG_URL, "COOKIE_KEY": "short"})
    with pytest.raises(SettingsError, match="COOKIE_KEY"):
        settings.check_for_serving()


def test_serving_accepts_a_real_key_outside_demo_mode() -> None:
    load_settings({"DATABASE_URL": PG_URL, "COOKIE_KEY": GOOD_KEY}).check_for_serving()
