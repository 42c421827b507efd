"""Short-lived connections (postlaunch/db.py): threads of one process that open a new file at once."""

from __future__ import annotations

import threading
from pathlib import Path

from postlaunch import db, schema


def test_threads_opening_a_new_access_log_at_once_all_migrate_it(tmp_path: Path) -> None:
    """The dashboard's access-log writer and a page's flush may open a new log together; connections of
    one process share its catalog, so unserialized migrations conflicted on CREATE schema_migrations."""
    failures: list[BaseException] = []
    for attempt in range(20):
        path = tmp_path / f"log{attempt}.duckdb"
        start = threading.Barrier(4)

        def open_it(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with db.connect(path, migrations=schema.ACCESS_MIGRATIONS) as conn:
                    conn.execute("SELECT count(*) FROM access_log").fetchall()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                failures.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
