"""Benchmark: time in Chromium from navigation to the Weekly review's content, warm (target <= 2 s).

Runs the dashboard on a free loopback port against a database (default: the 10M-event database the
metrics benchmark `benchmarks/review.py` keeps in its cache folder), opens the Weekly review once to
warm the caches, then times fresh navigations until the recommendation and the tiles are drawn.

    .venv/bin/python benchmarks/dashboard.py [--db PATH --config PATH] [--deployment ID] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_paths() -> tuple[Path | None, Path | None]:
    """The metrics benchmark's cached database and registry, when it has built them."""
    cache = ROOT / "benchmarks" / ".cache"
    dbs = (
        sorted(cache.glob("**/*.duckdb"), key=lambda p: p.stat().st_size, reverse=True)
        if cache.exists()
        else []
    )
    if not dbs:
        return None, None
    configs = sorted(dbs[0].parent.glob("*.toml"))
    return dbs[0], configs[0] if configs else None


def wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the dashboard did not start on {url} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--deployment", help="deployment id (default: the first in the registry)")
    parser.add_argument("--week", help="ISO week (default: the latest with data)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    db, config = args.db, args.config
    if db is None:
        db, found_config = default_paths()
        config = config or found_config
    if db is None or not Path(db).exists():
        print("no database: pass --db/--config or run benchmarks/review.py first to build the 10M-event one")
        return 2
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium")
        return 2
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from postlaunch.config import load_context

    ctx = load_context(config, db)
    deployment = args.deployment or ctx.registry.ids[0]
    env = dict(os.environ, POSTLAUNCH_DB=str(Path(db).resolve()))
    if config:
        env["POSTLAUNCH_CONFIG"] = str(Path(config).resolve())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "cli.main", "dashboard", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(base)
        url = f"{base}/review?deployment={deployment}" + (f"&week={args.week}" if args.week else "")
        with tempfile.TemporaryDirectory() as home, sync_playwright() as pw:
            os.environ["HOME"] = home
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            start = time.perf_counter()
            page.goto(url)
            page.get_by_text("Recommendation:").first.wait_for(timeout=300_000)
            page.get_by_text("Alerts (").first.wait_for(timeout=300_000)
            cold = time.perf_counter() - start
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                page.goto(url)
                page.get_by_text("Recommendation:").first.wait_for(timeout=60_000)
                page.get_by_text("Alerts (").first.wait_for(timeout=60_000)
                times.append(time.perf_counter() - start)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    size = Path(db).stat().st_size / 1e9
    median = statistics.median(times)
    print(f"database {db} ({size:.2f} GB), deployment {deployment}")
    print(f"weekly review, cold (first load, caches empty): {cold:.2f} s")
    print(
        f"weekly review, warm, navigation to content: median {median:.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs (target <= {TARGET_SECONDS:.1f} s)"
    )
    print("PASS" if median <= TARGET_SECONDS else "SLOWER THAN TARGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
