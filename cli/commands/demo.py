"""`postlaunch demo`: the sample organization (four deployments, 16 weeks) written into a folder,
ingested into a fresh database, summarized, then the dashboard on http://127.0.0.1:8501.

It uses the same code paths as `postlaunch sample`, `postlaunch ingest` and `postlaunch dashboard`.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
import urllib.request
import webbrowser
from datetime import datetime
from pathlib import Path

from cli.commands.dashboard import DEFAULT_HOST, add_server_options, check_address, serve
from ingest.pipeline import ingest_and_place
from postlaunch.config import load_context
from postlaunch.errors import PostlaunchError
from postlaunch.login import is_loopback, secrets_path
from postlaunch.settings import DEFAULT_CONFIG, load_settings
from samplegen import write_sample

# Kind -> sample file, in load order.
FILES: tuple[tuple[str, str], ...] = (
    ("usage", "usage.csv"),
    ("cost", "cost.csv"),
    ("feedback", "feedback.jsonl"),
    ("incidents", "incidents.csv"),
    ("changes", "changes.csv"),
    ("training", "training.csv"),
    ("readiness", "readiness.csv"),
)


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        parents=parents,
        description="Write the sample organization into --out, load it into a fresh database (--db, default "
        "./postlaunch.duckdb; an existing file is kept as a .bak copy) and start the dashboard.",
    )
    parser.add_argument(
        "--out", default="demo-data", metavar="DIR", help="folder for the sample files (default demo-data)"
    )
    add_server_options(parser)
    parser.add_argument("--no-open", action="store_true", help="do not open a web browser")
    parser.add_argument("--load-only", action="store_true", help="load the data and stop (no dashboard)")
    parser.set_defaults(run=run)


def fresh_database(path: Path) -> Path | None:
    """Move an existing database (and its WAL) aside as `<name>.bak-<time>`; return the backup path."""
    if not path.exists():
        return None
    backup = path.with_name(f"{path.name}.bak-{datetime.now():%Y%m%d-%H%M%S}")
    path.rename(backup)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.rename(backup.with_name(backup.name + ".wal"))
    return backup


def _demo_config(out: Path, config: str | None) -> tuple[Path, str | None]:
    """The registry the demo uses. Without --config, the sample's registry is copied to ./postlaunch.toml
    when there is none yet, so `postlaunch review`, `check` and `decide` work afterwards without options;
    an existing ./postlaunch.toml is never overwritten (the demo then reads the sample's own file). A
    --config that names no file yet gets the sample's registry; an existing one is read as it is."""
    sample_config = out / "postlaunch.toml"
    if config:
        chosen = Path(config)
        if chosen.exists():
            return chosen, None
        chosen.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample_config, chosen)
        return chosen, f"wrote the sample registry to {chosen} (pass --config {chosen} to other commands)"
    default = DEFAULT_CONFIG
    if not default.exists():
        shutil.copyfile(sample_config, default)
        return default, f"wrote the sample registry to ./{default} (the default config of every command)"
    if default.read_bytes() == sample_config.read_bytes():
        return default, None
    return sample_config, (
        f"./{default} exists and was left alone; the demo reads {sample_config} "
        f"(pass --config {sample_config} to other commands)"
    )


def load(out: Path, db: str | None, config: str | None) -> tuple[Path, Path, list[str]]:
    """Write the sample and ingest every kind; returns (database, config, one summary line per file)."""
    written = write_sample(out)
    config_path, note = _demo_config(out, config)
    ctx = load_context(config_path, db)
    db_path = Path(ctx.settings.db)
    backup = fresh_database(db_path)
    lines = [
        f"sample: {written['first_week']} to {written['last_week']}, {len(written['deployments'])} deployments in {out}"
    ]
    if note:
        lines.append(note)
    if backup:
        lines.append(f"kept the previous database as {backup}")
    failed, placed = [], []
    for kind, name in FILES:
        outcome = ingest_and_place(ctx, kind, [out / name])
        placed += outcome.placement_lines()
        for result in outcome.files:
            lines.append(
                f"{Path(str(result.file)).name}: {kind} rows={result.rows} loaded={result.loaded} "
                f"duplicates={result.duplicates} quarantined={result.quarantined}"
                + ("" if result.status == "loaded" else f"  FAILED: {result.message}")
            )
            if result.status != "loaded":
                failed.append(name)
    if failed:
        raise PostlaunchError(f"the sample did not load ({', '.join(failed)}); see the lines above")
    return db_path, config_path, lines + placed


def _open_when_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.5)


def run(args: argparse.Namespace) -> int:
    if not args.load_only and not is_loopback(args.host):  # refuse before loading, not after
        check_address(args.host, secrets_path(load_settings(Path(args.config) if args.config else None)[0]))
    out = Path(args.out)
    db_path, config_path, lines = load(out, args.db, args.config)
    for line in lines:
        print(line, flush=True)
    print(f"database {db_path} · registry {config_path}", flush=True)
    if args.load_only:
        return 0
    if not args.no_open:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host or DEFAULT_HOST
        threading.Thread(target=_open_when_ready, args=(f"http://{host}:{args.port}",), daemon=True).start()
    return serve(args.port, args.host, str(db_path), str(config_path))
