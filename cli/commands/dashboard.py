"""`postlaunch dashboard`: start the Streamlit dashboard (dashboard/app.py) on a local port.

It runs Streamlit in a child process and passes --db/--config through the environment
(POSTLAUNCH_DB, POSTLAUNCH_CONFIG) so the settings load them, the secrets file whose `[auth]` section
configures sign-in, and the upload limit; it never imports streamlit itself. Without sign-in it serves
this machine only: an `--address` of any other interface is refused (DESIGN §17).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

from postlaunch.config import load_context
from postlaunch.errors import UsageError
from postlaunch.login import is_loopback, read_login, secrets_path

APP = (
    Path(__file__).resolve().parents[2] / "dashboard" / "server.py"
)  # st.App: the pages and the OFREP routes
DEFAULT_PORT = 8501
DEFAULT_HOST = "127.0.0.1"


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dashboard",
        parents=parents,
        description="Start the postlaunch dashboard: portfolio, weekly review, trends, evidence and data pages.",
    )
    add_server_options(parser)
    parser.set_defaults(run=run)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--address",
        "--host",
        dest="host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only); any other needs sign-in "
        "configured (docs/login.md)",
    )


def check_address(host: str, secrets: Path) -> str:
    """Refuse (UsageError, exit 2) to serve beyond this machine without sign-in; returns how the
    dashboard will identify people."""
    login = read_login(secrets)
    if login is not None:
        return f"sign-in through {', '.join(login.label(p) for p in login.providers)} ({secrets})"
    if not is_loopback(host):
        raise UsageError(
            f"--address {host or '(every interface)'} would serve the dashboard beyond this machine without "
            f"sign-in, and without sign-in everyone who reaches it acts as the local user with every role. "
            f"Configure sign-in first: an [auth] section in {secrets} (or the file named by setting "
            "dashboard_secrets), see docs/login.md; or serve this machine only with --address 127.0.0.1."
        )
    return "no sign-in configured: one local user with every role, this machine only (docs/login.md)"


def command(
    port: int, host: str, secrets: Path | None = None, max_upload_mb: float | None = None
) -> list[str]:
    """The Streamlit command line for the dashboard."""
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a port number (1-65535)")
    extra: list[str] = []
    if secrets is not None:  # only this file, not ~/.streamlit's or the package's: one place to look
        extra += ["--secrets.files", str(secrets.resolve())]
    if max_upload_mb is not None:
        extra += ["--server.maxUploadSize", str(max(1, math.ceil(max_upload_mb)))]
    # -P: the working directory is not put on sys.path, so a stray click.py or pandas.py there can't
    # shadow a library the server imports.
    return [
        sys.executable,
        "-P",
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
        *extra,
    ]


def environment(db: str | None, config: str | None) -> dict[str, str]:
    """This process's environment with --db/--config as POSTLAUNCH_DB/POSTLAUNCH_CONFIG (absolute paths)."""
    env = dict(os.environ)
    if db:
        env["POSTLAUNCH_DB"] = str(Path(db).resolve())
    if config:
        env["POSTLAUNCH_CONFIG"] = str(Path(config).resolve())
    return env


def serve(port: int, host: str, db: str | None, config: str | None, replace: bool = False) -> int:
    """Run the dashboard until interrupted; returns Streamlit's exit code.

    With `replace`, this process becomes Streamlit (exec), so its PID is the server's and a signal
    to it stops the server; otherwise Streamlit runs as a child that is stopped with this process.
    """
    if not APP.exists():
        raise UsageError(f"the dashboard app is missing at {APP} (a broken installation?)")
    settings = load_context(config, db).settings
    secrets = secrets_path(settings)
    how = check_address(host, secrets)
    cmd, env = command(port, host, secrets, settings.max_upload_mb), environment(db, config)
    print(f"postlaunch dashboard on http://{host}:{port}  (Ctrl+C stops it)\n{how}", flush=True)
    if replace and hasattr(os, "execve"):
        os.execve(sys.executable, cmd, env)
    process = subprocess.Popen(cmd, env=env)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    return serve(args.port, args.host, args.db, args.config, replace=True)
