"""Settings: TOML plus POSTLAUNCH_ environment overrides, unknown keys refused, every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from postlaunch.errors import ConfigError
from postlaunch.settings import Settings, load_settings, settings_doc

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("POSTLAUNCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "postlaunch.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings, registry, _ = load_settings()
    assert settings.db == Path("postlaunch.duckdb")
    assert settings.timezone == "UTC"
    assert settings.currency == "USD"
    assert settings.request_text == "redact"
    assert settings.min_n.events == 100
    assert registry == {}


def test_file_values_and_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path, 'timezone = "Europe/Berlin"\ncurrency = "eur"\n[min_n]\nevents = 50\nfeedback = 10\n'
    )
    settings, _, _ = load_settings(path)
    assert (settings.timezone, settings.currency, settings.min_n.events, settings.min_n.feedback) == (
        "Europe/Berlin",
        "EUR",
        50,
        10,
    )
    monkeypatch.setenv("POSTLAUNCH_TIMEZONE", "America/New_York")
    monkeypatch.setenv("POSTLAUNCH_MIN_N__EVENTS", "75")
    settings, _, _ = load_settings(path)
    assert settings.timezone == "America/New_York"
    assert settings.min_n.events == 75
    assert settings.min_n.feedback == 10  # untouched nested value still from the file


def test_command_line_db_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'db = "from-file.duckdb"\n')
    monkeypatch.setenv("POSTLAUNCH_DB", "from-env.duckdb")
    assert load_settings(path)[0].db == Path("from-env.duckdb")
    assert load_settings(path, Path("cli.duckdb"))[0].db == Path("cli.duckdb")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("colour = 1\n", "colour: unknown key"),
        ("[min_n]\nevnts = 3\n", "min_n.evnts: unknown key"),
        (
            "[thresholds.error_rate.high]\nwarn = 0.1\nalarm = 0.2\n",
            "thresholds.error_rate.high.alarm: unknown key",
        ),
        ("[thresholds.bogus_metric.high]\nwarn = 0.1\n", "bogus_metric"),
        ("[thresholds.error_rate.extreme]\nwarn = 0.1\n", "extreme"),
        ('timezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        ('request_text = "shred"\n', "request_text: 'shred' is not allowed"),
        ('currency = "dollars"\n', "'dollars' is not a 3-letter currency code"),
        ("[currency_rates]\nEUR = -1\n", "rate for EUR must be above 0"),
        ("reporting_deadline_days = -3\n", "reporting_deadline_days"),
        ("timezone = \n", "not valid TOML"),
    ],
)
def test_bad_settings_are_refused_with_their_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert fragment in str(err.value)
    assert str(path) in str(err.value)


def test_unknown_environment_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTLAUNCH_TIMEZOEN", "UTC")
    with pytest.raises(ConfigError, match="POSTLAUNCH_TIMEZOEN: unknown setting 'timezoen'"):
        load_settings()


def test_unknown_nested_environment_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTLAUNCH_MIN_N__EVNTS", "3")
    with pytest.raises(ConfigError, match="evnts"):
        load_settings()


def test_missing_explicit_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    block = re.search(r"<!-- settings:begin.*?-->\n(.*)<!-- settings:end -->", doc, re.S)
    assert block, "docs/configuration.md lacks the generated settings block"
    assert block.group(1) == settings_doc(), (
        "docs/configuration.md is out of date: regenerate the block from postlaunch.settings.settings_doc()"
    )
    for name in Settings.model_fields:
        assert f"| `{name}` |" in block.group(1)
        assert Settings.model_fields[name].description, f"setting {name} has no help text"
