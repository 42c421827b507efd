"""`postlaunch ingest KIND FILE...`: load files of a contract kind (or through an adapter) and print one
summary line (or JSON object) per file. Exit 0 when every file was processed, 1 when any could not be
loaded. The work is in ingest.engine; this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from ingest.adapters import notes_line
from ingest.engine import FileResult, known_kinds
from ingest.kinds import KINDS
from ingest.mapping import Mapping, load_map_file, parse_map_args
from ingest.pipeline import ingest_and_place
from postlaunch.config import load_context
from postlaunch.errors import UsageError

SHOWN_REASONS = 5  # the first reasons of a file; `postlaunch quarantine --run ID` lists all


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ingest",
        parents=parents,
        description="Load files into the database. KIND is a contract kind "
        f"({', '.join(KINDS)}) or an adapter (otel, focus, openai-usage, openai-costs, anthropic-usage, "
        "anthropic-costs). Formats: CSV (any delimiter), JSON Lines, Parquet, each plain or gzip.",
    )
    p.add_argument("kind", metavar="KIND", help="contract kind or adapter")
    p.add_argument("files", metavar="FILE", nargs="*", type=Path, help="files to load")
    p.add_argument("--map", dest="maps", action="append", default=[], metavar="SRC=DEST",
                   help="read column SRC as contract column DEST (repeatable)")  # fmt: skip
    p.add_argument("--map-file", type=Path, metavar="TOML",
                   help="mapping file: [columns] SRC = DEST, [values.COLUMN] RAW = VALUE, [defaults] COLUMN = VALUE")  # fmt: skip
    p.add_argument("--strict", action="store_true", help="a file with any quarantined row loads nothing")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    adapters = p.add_argument_group("adapter options")
    adapters.add_argument(
        "--deployment",
        metavar="ID",
        help="deployment of every row (else the registry's otel_services, cost_match, openai_projects or "
        "anthropic_workspaces attribute them)",
    )
    adapters.add_argument(
        "--deployment-tag", metavar="KEY", help="tag (FOCUS Tags, OTel attribute) naming the deployment"
    )
    adapters.add_argument(
        "--date-order", choices=["dmy", "mdy"], help="how to read ambiguous dates like 5/1/25"
    )
    adapters.add_argument(
        "--cost-column", choices=["BilledCost", "EffectiveCost"], help="FOCUS cost column to load"
    )
    p.set_defaults(run=run)


def _mapping(args: argparse.Namespace) -> Mapping | None:
    mapping = None
    if args.map_file is not None:
        mapping = load_map_file(args.map_file)
    if args.maps:
        from_args = parse_map_args(args.maps)
        mapping = from_args if mapping is None else mapping.merged(from_args)
    return mapping


def quarantine_command(r: FileResult, args: argparse.Namespace | None = None) -> str:
    """The command that lists every row `r` quarantined (with this run's --db and --config)."""
    where = ""
    if args is not None:
        where = "".join(
            f" --{name} {shlex.quote(str(value))}"
            for name in ("db", "config")
            if (value := getattr(args, name, None)) is not None
        )
    return f"postlaunch quarantine --run {r.run_id}{where}"


def summary_line(r: FileResult, args: argparse.Namespace | None = None) -> str:
    if r.status == "failed":
        return f"{r.file}: {r.message}"
    line = f"{r.file}: rows={r.rows} loaded={r.loaded} duplicates={r.duplicates} quarantined={r.quarantined}"
    notes = []
    if r.notes.get("already_quarantined"):
        notes.append(f"{r.notes['already_quarantined']} of them quarantined by an earlier ingest already")
    if r.notes.get("incidents_updated"):
        notes.append(f"incidents updated={r.notes['incidents_updated']}")
    if r.notes.get("labels_replaced"):
        notes.append(
            f"labels replaced={r.notes['labels_replaced']}; the earlier ones are kept in label_history"
        )
    if r.notes.get("empty"):
        notes.append(str(r.notes["empty"]))
    if notes:
        line += f" ({'; '.join(notes)})"
    adapter_notes = notes_line(r.notes)
    if adapter_notes:
        line += f"\n  {adapter_notes}"
    if r.extra_columns:
        line += f"\n  extra columns (kept nowhere): {', '.join(r.extra_columns)}"
    for reason in r.reasons[:SHOWN_REASONS]:
        line += f"\n  {reason}"
    if r.quarantined > min(len(r.reasons), SHOWN_REASONS):
        more = r.quarantined - min(len(r.reasons), SHOWN_REASONS)
        line += f"\n  ... and {more} more; every quarantined row: {quarantine_command(r, args)}"
    return line


def run(args: argparse.Namespace) -> int:
    if not args.files:
        raise UsageError(f"give at least one FILE to load; {known_kinds()}")
    ctx = load_context(args.config, args.db)
    options = {
        "deployment": args.deployment,
        "deployment_tag": args.deployment_tag,
        "date_order": args.date_order,
        "cost_column": args.cost_column,
    }
    outcome = ingest_and_place(
        ctx, args.kind, list(args.files), mapping=_mapping(args), strict=args.strict,
        progress=not args.json, adapter_options={k: v for k, v in options.items() if v is not None},
    )  # fmt: skip
    for r in outcome.files:
        if args.json:
            obj = r.as_json()
            if r.quarantined:  # `reasons` holds the first few; the command lists every row
                obj["quarantine_command"] = quarantine_command(r, args) + " --json"
            print(json.dumps(obj, default=str), flush=True)
        else:
            print(summary_line(r, args), flush=True)
    # --json keeps stdout to one object per file (the documented shape); placement goes to stderr.
    to = sys.stderr if args.json or outcome.postponed else sys.stdout
    for line in outcome.placement_lines():
        print(line if to is sys.stdout else f"postlaunch ingest: {line}", file=to, flush=True)
    return 1 if outcome.failed else 0
