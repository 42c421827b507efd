"""What every real-browser test shares: Debian's /usr/bin/chromium with the flags this machine needs,
driven by Playwright (never Playwright's own browser download), a dashboard server started with
`subprocess.Popen` on a free loopback port and stopped by its PID, and full-page screenshots into
tests/screenshots/ (git-ignored) for a person to look at.

Without chromium the tests skip on a developer machine; under CI (CI=true) they fail instead, since
CI installs chromium and a skipped browser test there would hide a broken install.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "tests" / "screenshots"


def require_chromium() -> None:
    """Skip (or under CI fail) when Debian's chromium or playwright is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append("Debian's /usr/bin/chromium (apt install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run installs them")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(
    base: str, process: subprocess.Popen[Any], log: Path, timeout: float = 60, path: str = "/_stcore/health"
) -> None:
    """Wait until `base + path` answers; raise with the log's tail when the process ends or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + path, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()[-3000:]) from None
            time.sleep(0.3)


@contextmanager
def dashboard_server(
    db: Path,
    config: Path,
    folder: Path,
    extra_env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> Iterator[str]:
    """`postlaunch dashboard` on a free loopback port, serving `db` with `config`; yields its base URL."""
    from cli.commands.dashboard import command, environment

    port = free_port()
    env = dict(environment(str(db), str(config)))
    env["HOME"] = str(folder)
    env.update(extra_env or {})
    with served([*command(port, "127.0.0.1"), *(args or [])], folder, f"server-{port}", env) as process:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process, folder / f"server-{port}.log")
        yield base


@contextmanager
def served(
    cmd: list[str], folder: Path, name: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[Any]]:
    """A server process started with `subprocess.Popen` in `folder` (output in `folder/name.log`), stopped
    by its PID afterwards: terminate, then kill if it lingers."""
    with (folder / f"{name}.log").open("w") as log:
        process = subprocess.Popen(cmd, env=env, cwd=folder, stdout=log, stderr=log)
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop a server this test started, by its PID: terminate, and kill when it does not end in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def chromium_page(home: Path, width: int = 1440, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in headless Debian chromium, with a temporary HOME."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    home.mkdir(parents=True, exist_ok=True)
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser.new_page(viewport={"width": width, "height": height})
            finally:
                browser.close()
    finally:
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home


def screenshot(page: Any, name: str, width: int = 1440) -> Path:
    """Screenshot the whole page: Streamlit scrolls inside its main block, so grow the viewport to it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight), 1000)"
    )
    page.set_viewport_size({"width": width, "height": min(int(height) + 60, 4000)})
    page.wait_for_timeout(900)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": 1000})
    return path


def no_error_on(page: Any) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "could not be drawn" not in body, body[:2000]
