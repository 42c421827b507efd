"""Scale benchmark (DESIGN §18), a script that prints figures side by side, not a test:

1. 100M events on this machine, kept as Parquet and a DuckDB file in a work folder outside the repo:
   `postlaunch check` of 20 deployments (target <= 2 s); the Weekly review page in Chromium, the first
   open of a deployment-week after the server started (cold: in a browser that never loaded the
   dashboard, and in a returning one after a server restart) and again (warm) (target <= 2 s each);
   `postlaunch ingest` of one more week (1M rows) against DuckDB's bare load of that file (target <= 3x);
   the peak RSS of every measured process (target <= 4 GiB).
2. Spark local[2] against DuckDB on the same 10M events as Parquet: the time of each to the rollup
   (`postlaunch rollup --engine spark`; `postlaunch ingest` of the files, which validates, deduplicates,
   redacts, places and rolls up; and DuckDB's rebuild of the rollup from the stored events), and the ratio.

The machine is shared: the load average is printed beside every figure. Each measured step is a
subprocess. The 100M database is built once by `postlaunch ingest` of the Parquet files (long: about
ten minutes on an idle 2-core machine) and reused from the work folder.

    .venv/bin/python benchmarks/scale.py [--work DIR] [--events 100000000] [--spark-events 10000000]
                                         [--skip-100m] [--skip-spark]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from dashboard import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: E402

DEPLOYMENTS = 20
WEEKS = 50
FIRST_MONDAY = "2025-11-24"  # week 0; the extra week is week WEEKS
FILE_ROWS = 5_000_000
EXTRA_ROWS = 1_000_000
USE_CASES = ["answer", "summarize", "draft", "classify"]
TARGETS = {"check": 2.0, "page": 2.0, "ratio": 3.0, "rss": 4 * 2**30}

# Events in time order (as logs are written), every deployment every hour; 2% carry a request text, 3%
# of those outside the approved use cases; typed columns as a lake holds them.
GENERATE = """
COPY (
    SELECT
        'e{tag}-' || i AS event_id,
        TIMESTAMPTZ '{first} 00:00:00+00' + INTERVAL {days} DAY + to_microseconds(CAST(i * {step} AS BIGINT))
            AS timestamp,
        'd' || lpad(CAST(i % {deps} AS VARCHAR), 2, '0') AS deployment,
        'u' || (hash(i) % 3000) AS user_id,
        ['team-a', 'team-b', 'team-c', 'contractors'][1 + (i // 7) % 4] AS team,
        CASE WHEN i % 50 = 0 THEN NULL ELSE ['answer', 'summarize', 'draft', 'classify', 'translate'][1 + (i // 3) % 5] END
            AS use_case,
        CASE WHEN i % 50 = 0 THEN 'Please ' || ['answer the question about', 'summarize the report on',
            'draft a reply about', 'write a poem about'][1 + (i // 50) % 4] || ' order ' || (i % 9973)
            || CASE WHEN i % 1000 = 0 THEN ' for jane.doe@example.com' ELSE '' END END AS request_text,
        ['gpt-4o-mini', 'claude-haiku-4-5', 'gpt-4.1'][1 + i % 3] AS model,
        100 + i % 900 AS input_tokens,
        20 + i % 300 AS output_tokens,
        CAST(200 + i % 3000 AS DOUBLE) AS latency_ms,
        ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error', 'escalated'][1 + (i // 11) % 10] AS outcome,
        ['public', 'internal', 'internal', 'confidential'][1 + (i // 13) % 4] AS data_class,
        CAST((i % 1000) / 20000.0 AS DOUBLE) AS cost,
        1 AS requests
    FROM range({start}, {stop}) t(i)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)
"""


def registry() -> str:
    out = ['timezone = "UTC"', ""]
    for d in range(DEPLOYMENTS):
        out += [
            f"[deployments.d{d:02d}]",
            f'name = "Deployment {d}"',
            f'owner = "Owner {d % 5}"',
            f'risk_tier = "{["low", "medium", "high"][d % 3]}"',
            "launched = 2025-11-01",
            'approved_use_cases = ["answer", "summarize", "draft", "classify"]',
            'approved_teams = ["team-a", "team-b", "team-c"]',
            'max_data_class = "confidential"',
            f"weekly_budget = {4000 + 100 * d}.0",
            "",
            f"[deployments.d{d:02d}.use_case_descriptions]",
            'answer = "Answer a question about an order"',
            'summarize = "Summarize a report"',
            'draft = "Draft a reply to a customer"',
            'classify = "Classify a ticket"',
            "",
        ]
    return "\n".join(out)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def measure(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, int, str]:
    """(seconds, peak RSS bytes of the process tree, stdout), RSS polled every 50 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = _watch(proc)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1, 2, 3):
        sys.exit(f"{' '.join(cmd[:6])}... failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, peak, out


def _watch(proc: subprocess.Popen[str]) -> int:
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        time.sleep(0.05)
    return peak


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}


def postlaunch(work: Path, db: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cli.main",
        "--db",
        str(db),
        "--config",
        str(work / "postlaunch.toml"),
        *args,
    ]


def generate(work: Path, events: int) -> list[Path]:
    lake = work / "lake"
    lake.mkdir(parents=True, exist_ok=True)
    (work / "postlaunch.toml").write_text(registry(), encoding="utf-8")
    step = WEEKS * 7 * 86400 * 1e6 / events  # microseconds between two events
    files = []
    for k, start in enumerate(range(0, events, FILE_ROWS)):
        path = lake / f"usage-{k:03d}.parquet"
        files.append(path)
        if path.exists():
            continue
        stop = min(start + FILE_ROWS, events)
        sql = GENERATE.format(tag="", first=FIRST_MONDAY, start=start, stop=stop, step=step, deps=DEPLOYMENTS,
                              days=0, path=path)  # fmt: skip
        with duckdb.connect() as conn:
            conn.execute(sql)
        print(
            f"  generated {path.name} ({stop - start:,} rows, {path.stat().st_size / 1e6:,.0f} MB); {load()}",
            flush=True,
        )
    return files


def extra_week(work: Path, tag: str) -> Path:
    """One more week of 1M events, after the last one, with event ids of its own."""
    path = work / "lake" / f"extra-{tag}.parquet"
    step = 7 * 86400 * 1e6 / EXTRA_ROWS
    sql = GENERATE.format(tag=tag, first=FIRST_MONDAY, start=0, stop=EXTRA_ROWS, step=step, deps=DEPLOYMENTS,
                          days=WEEKS * 7, path=path)  # fmt: skip
    with duckdb.connect() as conn:
        conn.execute(sql)
    return path


def build(work: Path, files: list[Path], db: Path) -> None:
    """`postlaunch ingest usage` of every file not loaded yet (so an interrupted build resumes)."""
    loaded: set[str] = set()
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as conn:
            loaded = {
                f for (f,) in conn.execute("SELECT file FROM ingest_runs WHERE status = 'loaded'").fetchall()
            }
    todo = [p for p in files if str(p) not in loaded]
    if not todo:
        return
    print(f"building the database with `postlaunch ingest usage` of {len(todo)} files ({load()})", flush=True)
    for path in todo:
        seconds, rss, out = measure(
            postlaunch(work, db, "ingest", "usage", str(path), "--json"), _env(), ROOT
        )
        loaded_rows = json.loads(out.splitlines()[0])["loaded"]
        print(
            f"  {path.name}: {loaded_rows:,} loaded in {seconds:.0f} s, peak RSS {rss / 2**30:.2f} GiB; {load()}",
            flush=True,
        )


def bench_check(work: Path, db: Path, rows: list[tuple[str, str, str, str]]) -> int:
    times, peak = [], 0
    for _ in range(3):
        seconds, rss, out = measure(postlaunch(work, db, "check", "--json"), _env(), ROOT)
        times.append(seconds)
        peak = max(peak, rss)
    n = len([line for line in out.splitlines() if line.startswith("{")])
    best = min(times)
    rows.append(("check of 20 deployments", f"{best:.2f} s best, {statistics.median(times):.2f} s median of 3 ({n} rows)",
                 f"<= {TARGETS['check']:g} s {'OK' if best <= TARGETS['check'] else 'MISSED'}", load()))  # fmt: skip
    return peak


def bench_page(work: Path, db: Path, rows: list[tuple[str, str, str, str]]) -> int:
    """The Weekly review of the last full week in Chromium: the first open after the server started in a
    browser that never loaded the dashboard (cold), again three times (warm), then, after the server was
    restarted on the same address, the first open in that browser (a returning owner: Streamlit's hashed
    frontend files come from the browser's cache) and the first open of another deployment-week."""
    from playwright.sync_api import sync_playwright

    env = dict(_env(), POSTLAUNCH_DB=str(db), POSTLAUNCH_CONFIG=str(work / "postlaunch.toml"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    peak = 0

    def serve() -> tuple[subprocess.Popen[bytes], psutil.Process]:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "dashboard", "--port", str(port)], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_healthy(base)
        return server, psutil.Process(server.pid)

    def stop(server: subprocess.Popen[bytes]) -> None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    with duckdb.connect(str(db), read_only=True) as conn:  # the last full week with data
        (last,) = conn.execute("SELECT max(wk) - 1 FROM usage_rollup").fetchone() or (0,)
    sys.path.insert(0, str(ROOT))
    from postlaunch.weeks import week_of_index

    week = week_of_index(int(last))
    url, other = f"{base}/review?deployment=d07&week={week}", f"{base}/review?deployment=d12&week={week}"
    server, ps = serve()
    try:
        with tempfile.TemporaryDirectory() as home, sync_playwright() as pw:
            os.environ["HOME"] = home
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})

            def open_page(address: str) -> float:
                nonlocal peak
                start = time.perf_counter()
                page.goto(address)
                page.get_by_text("Recommendation:").first.wait_for(timeout=300_000)
                page.get_by_text("Alerts (").first.wait_for(timeout=300_000)
                seconds = time.perf_counter() - start
                peak = max(
                    peak, ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                )
                return seconds

            timings = [open_page(url) for _ in range(4)]
            stop(server)
            server, ps = serve()
            returning = open_page(url)
            another = open_page(other)
            browser.close()
    finally:
        stop(server)
    cold, warm = timings[0], statistics.median(timings[1:])
    limit = TARGETS["page"]

    def verdict(seconds: float) -> str:
        return f"<= {limit:g} s {'OK' if seconds <= limit else 'MISSED'}"

    rows.append(("Weekly review page, cold, new browser", f"{cold:.2f} s (first open after the server started, "
                 "in a browser that never loaded the dashboard)", verdict(cold), load()))  # fmt: skip
    rows.append(("Weekly review page, cold, returning browser", f"{returning:.2f} s (first open after a server "
                 f"restart; another deployment-week next: {another:.2f} s)", verdict(max(returning, another)), load()))  # fmt: skip
    rows.append(("Weekly review page, warm", f"{warm:.2f} s median of 3 ({min(timings[1:]):.2f}-{max(timings[1:]):.2f})",
                 verdict(warm), load()))  # fmt: skip
    return peak


BARE = "import sys, duckdb\nduckdb.connect(sys.argv[1]).execute('CREATE TABLE t AS SELECT * FROM read_parquet(?)', [sys.argv[2]])"


def bench_extra_week(work: Path, db: Path, rows: list[tuple[str, str, str, str]]) -> int:
    path = extra_week(work, tag=str(int(time.time())))
    bare_db = work / "bare.duckdb"
    bare_db.unlink(missing_ok=True)
    bare_s, bare_rss, _ = measure([sys.executable, "-c", BARE, str(bare_db), str(path)])
    bare_db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as conn:  # kept to restore the 100M database afterwards
        conn.execute("CREATE OR REPLACE TABLE bench_rollup_before AS SELECT * FROM usage_rollup")
        conn.execute("CREATE OR REPLACE TABLE bench_users_before AS SELECT * FROM usage_week_users")
    seconds, rss, out = measure(postlaunch(work, db, "ingest", "usage", str(path), "--json"), _env(), ROOT)
    result = json.loads(out.splitlines()[0])
    ratio = seconds / bare_s
    rows.append(("ingest of one more week into 100M", f"{seconds:.1f} s for {result['loaded']:,} rows; bare DuckDB load {bare_s:.1f} s: {ratio:.2f}x",
                 f"<= {TARGETS['ratio']:g}x {'OK' if ratio <= TARGETS['ratio'] else 'MISSED'}", load()))  # fmt: skip
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM usage_events WHERE run_id = ?", [result["run_id"]])
        for table, copy in (
            ("usage_rollup", "bench_rollup_before"),
            ("usage_week_users", "bench_users_before"),
        ):
            conn.execute(f"DELETE FROM {table}")
            conn.execute(f"INSERT INTO {table} SELECT * FROM {copy}")
            conn.execute(f"DROP TABLE {copy}")
    path.unlink(missing_ok=True)
    return max(rss, bare_rss)


def bench_spark(work: Path, files: list[Path], events: int, rows: list[tuple[str, str, str, str]]) -> None:
    chosen = files[: max(1, events // FILE_ROWS)]
    with duckdb.connect() as conn:
        (total,) = conn.execute(
            "SELECT count(*) FROM read_parquet(?)", [[str(p) for p in chosen]]
        ).fetchone() or (0,)
    spark_in = work / "spark-input"
    shutil.rmtree(spark_in, ignore_errors=True)
    spark_in.mkdir()
    for path in chosen:
        os.link(path, spark_in / path.name)
    duck_db, spark_db = work / "duck10m.duckdb", work / "spark10m.duckdb"
    for path in (duck_db, spark_db):
        path.unlink(missing_ok=True)
    ingest_s, ingest_rss, _ = measure(
        postlaunch(work, duck_db, "ingest", "usage", *map(str, chosen), "--json"), _env(), ROOT
    )
    rebuild_s, _, _ = measure(postlaunch(work, duck_db, "rollup"), _env(), ROOT)
    spark_s, spark_rss, out = measure(
        postlaunch(work, spark_db, "rollup", "--engine", "spark", "--usage", str(spark_in / "*.parquet")),
        _env(),
        ROOT,
    )
    rows.append((f"DuckDB: ingest of {total / 1e6:.0f}M events to the rollup", f"{ingest_s:.1f} s (validate, dedupe, redact, place, roll up); peak RSS {ingest_rss / 2**30:.2f} GiB", "", load()))  # fmt: skip
    rows.append(("DuckDB: rollup rebuilt from stored events", f"{rebuild_s:.1f} s", "", load()))
    rows.append((f"Spark local[2]: rollup of the {total / 1e6:.0f}M events", f"{spark_s:.1f} s incl. JVM start; peak RSS {spark_rss / 2**30:.2f} GiB", "", load()))  # fmt: skip
    rows.append(("ratio Spark / DuckDB ingest", f"{spark_s / ingest_s:.2f}x (Spark / DuckDB rebuild: {spark_s / rebuild_s:.1f}x)", "", load()))  # fmt: skip
    shutil.rmtree(spark_in, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "postlaunch-scale")
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--spark-events", type=int, default=10_000_000)
    parser.add_argument("--skip-100m", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="generate and build, measure nothing")
    parser.add_argument(
        "--no-build", action="store_true", help="measure the database as far as it is built (a busy machine)"
    )
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder {work} ({os.cpu_count()} cores; {load()})", flush=True)
    files = generate(work, args.events)
    db = work / "scale.duckdb"
    if not args.skip_100m and not args.no_build:
        build(work, files, db)
    if args.build_only:
        return 0
    rows: list[tuple[str, str, str, str]] = []
    peak = 0
    if not args.skip_100m:
        size = db.stat().st_size / 2**30
        with duckdb.connect(str(db), read_only=True) as conn:
            (events,) = conn.execute("SELECT count(*) FROM usage_loaded").fetchone() or (0,)
        rows.append(("database", f"{events / 1e6:.0f}M events, {DEPLOYMENTS} deployments, {size:.1f} GiB", "", load()))  # fmt: skip
        peak = max(peak, bench_check(work, db, rows))
        peak = max(peak, bench_page(work, db, rows))
        peak = max(peak, bench_extra_week(work, db, rows))
        rows.append(("peak RSS of the measured processes", f"{peak / 2**30:.2f} GiB",
                     f"<= 4 GiB {'OK' if peak <= TARGETS['rss'] else 'MISSED'}", load()))  # fmt: skip
    if not args.skip_spark:
        bench_spark(work, files, args.spark_events, rows)
    width = max(len(r[0]) for r in rows)
    print()
    for name, figure, target, machine in rows:
        print(f"{name:<{width}}  {figure:<80}  {target:<16}  {machine}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
