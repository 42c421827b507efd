"""Write the sample organization into a folder: the registry and one file per data kind.

Orchestrates events, feedback, records and messy rows; the only module here that touches files.
Same arguments give byte-identical files (seeded generators, gzip without a timestamp).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ingest.kinds import KINDS
from postlaunch.errors import UsageError
from samplegen import events as events_mod
from samplegen import feedback as feedback_mod
from samplegen import messy, operations, records
from samplegen.calendar import iso_week_label, last_complete_week, parse_iso_week, week_mondays
from samplegen.org import DEPLOYMENTS, registry_toml

MIN_WEEKS, MAX_WEEKS = 6, 156
MAX_SCALE = 20.0
COST_COLUMNS = ["date", "deployment", "amount", "category", "currency", "description"]
INCIDENT_COLUMNS = KINDS["incidents"].names  # as the contract declares them (ingest/kinds.py)
CHANGE_COLUMNS = KINDS["changes"].names
TRAINING_COLUMNS = KINDS["training"].names
READINESS_COLUMNS = KINDS["readiness"].names


def _usage_rows(all_events: list[events_mod.Events]) -> list[list[str]]:
    """Every deployment's events as CSV rows, merged in time order."""
    keyed: list[tuple[int, str, list[str]]] = []
    for ev in all_events:
        stamps = np.datetime_as_string(ev.ts.astype("datetime64[s]"), unit="s")
        for j in range(len(ev.ts)):
            keyed.append(
                (
                    int(ev.ts[j]),
                    ev.event_id[j],
                    [
                        stamps[j] + "Z",
                        ev.dep.id,
                        ev.user[j],
                        ev.event_id[j],
                        ev.team[j],
                        ev.use_case[j] if ev.labelled[j] else "",
                        ev.text[j],
                        ev.model[j],
                        str(ev.tokens_in[j]),
                        str(ev.tokens_out[j]),
                        str(ev.latency[j]),
                        ev.outcome[j],
                        ev.data_class[j],
                        f"{ev.cost[j]:.6f}",
                        str(ev.requests[j]) if ev.requests[j] else "",
                    ],
                )
            )
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [row for _, _, row in keyed]


def _csv_bytes(columns: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _dict_rows(columns: list[str], rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[str(r[c]) for c in columns] for r in rows]


def _write(path: Path, data: bytes, compress: bool = False) -> Path:
    if compress:
        path = path.with_name(path.name + ".gz")
        buf = io.BytesIO()
        with gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=buf, mtime=0) as gz:
            gz.write(data)
        data = buf.getvalue()
    path.write_bytes(data)
    return path


def validate(weeks: int, scale: float, end_week: str | None) -> None:
    """UsageError naming the option when an argument is out of range."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise UsageError(
            f"--weeks {weeks}: expected {MIN_WEEKS}-{MAX_WEEKS} "
            f"(the stories need a four-week baseline and three story weeks)"
        )
    if not (scale > 0 and scale <= MAX_SCALE):
        raise UsageError(f"--scale {scale}: expected a number above 0 and at most {MAX_SCALE:g}")
    if end_week is not None:
        parse_iso_week(end_week)


def write_sample(
    out: Path,
    weeks: int = 16,
    seed: int = 42,
    scale: float = 1.0,
    end_week: str | None = None,
    compress: bool = False,
) -> dict[str, Any]:
    """Write the sample organization into `out`; return what was written.

    The result holds `files` (file name -> data rows, messy rows included), `messy` (kind -> reason ->
    rows injected), `deployments` (id -> events, usage rows, feedback rows), `first_week`, `last_week`.
    `compress` gzips the usage file (`usage.csv.gz`).
    """
    validate(weeks, scale, end_week)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    mondays = week_mondays(parse_iso_week(end_week) if end_week else last_complete_week(), weeks)

    all_events = [events_mod.generate(dep, mondays, scale, seed) for dep in DEPLOYMENTS]
    fb_clean = [row for ev in all_events for row in feedback_mod.generate(ev, mondays, seed)]
    fb_clean.sort(key=lambda r: (r["timestamp"], r["feedback_id"]))
    usage_rows = messy.usage(_usage_rows(all_events), seed)
    fb_rows = messy.feedback(fb_clean, seed)
    cost_rows = messy.cost(records.cost_rows(all_events, mondays), seed)
    incidents = records.incident_rows(mondays)
    changes = records.change_rows(mondays)
    training = messy.training(operations.training_rows(all_events, seed), seed)
    readiness = operations.readiness_rows(mondays[0], mondays)

    (out / "postlaunch.toml").write_text(registry_toml(mondays[0]), encoding="utf-8")
    for stale in ("usage.csv", "usage.csv.gz"):
        (out / stale).unlink(missing_ok=True)
    written = {
        _write(out / "usage.csv", _csv_bytes(messy.USAGE_COLUMNS, usage_rows), compress).name: len(
            usage_rows
        ),
        _write(out / "cost.csv", _csv_bytes(COST_COLUMNS, _dict_rows(COST_COLUMNS, cost_rows))).name: len(
            cost_rows
        ),
        _write(
            out / "feedback.jsonl",
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fb_rows).encode("utf-8"),
        ).name: len(fb_rows),
        **{
            _write(out / name, _csv_bytes(columns, _dict_rows(columns, rows))).name: len(rows)
            for name, columns, rows in (
                ("incidents.csv", INCIDENT_COLUMNS, incidents),
                ("changes.csv", CHANGE_COLUMNS, changes),
                ("training.csv", TRAINING_COLUMNS, training),
                ("readiness.csv", READINESS_COLUMNS, readiness),
            )
        },
    }
    per_dep = {
        ev.dep.id: {
            "events": int(np.where(ev.requests > 0, ev.requests, 1).sum()),
            "usage_rows": len(ev.ts),
            "feedback_rows": sum(1 for r in fb_clean if r["deployment"] == ev.dep.id),
        }
        for ev in all_events
    }
    return {
        "out": str(out),
        "files": written,
        "messy": {k: dict(v) for k, v in messy.MESSY_ROWS.items()},
        "deployments": per_dep,
        "weeks": weeks,
        "first_week": iso_week_label(mondays[0]),
        "last_week": iso_week_label(mondays[-1]),
        "seed": seed,
        "scale": scale,
    }
