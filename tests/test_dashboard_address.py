"""`postlaunch dashboard --address` (DESIGN §17): without sign-in configured it serves this machine only;
any other interface is refused with a clear message and exit 2, before anything starts. With an
`[auth]` section (in ./.streamlit/secrets.toml or the file of setting `dashboard_secrets`) it may, and
Streamlit is told to read that one file; the upload limit reaches Streamlit too."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.commands.dashboard import check_address, command
from cli.main import main
from postlaunch.login import secrets_path
from postlaunch.settings import Settings

AUTH = """
[auth]
redirect_uri = "https://postlaunch.example.org/oauth2callback"
cookie_secret = "a-long-random-secret-for-the-tests"

[auth.microsoft]
client_id = "c"
client_secret = "s"
server_metadata_url = "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"
"""


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where the dashboard starts: ./.streamlit/secrets.toml is looked for here
    (tmp_path / "postlaunch.toml").write_text("")
    return tmp_path


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.20", "dashboard.example.org", ""])
def test_a_non_loopback_address_without_sign_in_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    assert main(["dashboard", "--address", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"postlaunch dashboard: --address {address or '(every interface)'} would serve the dashboard"
    )
    assert "Configure sign-in first: an [auth] section in .streamlit/secrets.toml" in err
    assert "see docs/login.md; or serve this machine only with --address 127.0.0.1." in err


def test_host_is_the_same_option(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--host", "0.0.0.0"]) == 2
    assert "without sign-in" in capsys.readouterr().err


def test_demo_refuses_before_it_loads_anything(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--host", "0.0.0.0", "--out", "demo-data", "--no-open"]) == 2
    assert "without sign-in" in capsys.readouterr().err
    assert not (folder / "demo-data").exists() and not (folder / "postlaunch.duckdb").exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_is_served_without_sign_in(folder: Path, address: str) -> None:
    assert check_address(address, Path(".streamlit/secrets.toml")).startswith(
        "no sign-in configured: one local user with every role, this machine only"
    )


def test_with_sign_in_configured_any_address_is_served(folder: Path) -> None:
    secrets = folder / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(AUTH)
    assert secrets_path(Settings()) == Path(".streamlit/secrets.toml")
    assert check_address("0.0.0.0", secrets_path(Settings())) == (
        "sign-in through Microsoft Entra ID (.streamlit/secrets.toml)"
    )
    cmd = command(8501, "0.0.0.0", secrets_path(Settings()), 200)
    assert cmd[cmd.index("--secrets.files") + 1] == str(secrets.resolve())  # only this file, absolute
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "200"


def test_the_setting_dashboard_secrets_names_another_file(folder: Path) -> None:
    elsewhere = folder / "etc" / "postlaunch-secrets.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(AUTH)
    (folder / "postlaunch.toml").write_text(f'dashboard_secrets = "{elsewhere}"\nmax_upload_mb = 2.5\n')
    from postlaunch.config import load_context

    settings = load_context("postlaunch.toml").settings
    assert secrets_path(settings) == elsewhere
    assert check_address("10.1.2.3", secrets_path(settings)).startswith("sign-in through Microsoft Entra ID")
    cmd = command(8501, "10.1.2.3", secrets_path(settings), settings.max_upload_mb)
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "3"  # Streamlit takes whole megabytes


def test_an_incomplete_auth_section_stops_the_command(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = folder / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(AUTH.replace('cookie_secret = "a-long-random-secret-for-the-tests"\n', ""))
    assert main(["dashboard", "--address", "127.0.0.1"]) == 1
    assert ".streamlit/secrets.toml: [auth] lacks cookie_secret" in capsys.readouterr().err
