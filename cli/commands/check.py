"""`postlaunch check`: every deployment's alerts for one week, for schedulers and monitoring. Exit codes
follow the monitoring-plugin convention — 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN — and any error
(no database, no data, a bad argument) is UNKNOWN with its reason, never a traceback. It reads only.
"""

from __future__ import annotations

import argparse
import json
import sys

from metrics.api import check
from metrics.model import CheckRow
from postlaunch import opstatus
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import parse_week

EXIT = {"ok": 0, "warn": 1, "critical": 2, "unknown": 3}
# Which level wins when deployments differ: a CRITICAL anywhere beats a deployment without data.
SEVERITY = {"ok": 0, "unknown": 1, "warn": 2, "critical": 3}
# The monitoring-plugin words of each level on the lines a scheduler reads.
LABEL = {"ok": "OK", "warn": "WARNING", "critical": "CRITICAL", "unknown": "UNKNOWN"}


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        parents=parents,
        description="Print one line per alert and a summary line per deployment. Exit code (monitoring-"
        "plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no data for the week, no database, "
        "or any error). Several deployments: the worst wins, in the order OK < UNKNOWN < WARNING < CRITICAL.",
    )
    parser.add_argument(
        "--week", metavar="YYYY-Www", help="ISO week (default: the latest week with usage data)"
    )
    parser.add_argument("--deployment", metavar="ID", help="only this deployment")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    parser.set_defaults(run=run)


def overall_level(levels: list[str]) -> str:
    """The worst level over deployments; `unknown` when there is none."""
    known = [lvl if lvl in SEVERITY else "unknown" for lvl in levels]
    return max(known, key=SEVERITY.__getitem__) if known else "unknown"


def _collect(args: argparse.Namespace) -> tuple[list[CheckRow], list[str]]:
    """The deployments' rows, and one line per pause or stop the app has not read after
    pause_ack_minutes (DESIGN §14: the pause is not in effect, so the system may still run)."""
    if args.week is not None:
        parse_week(args.week)
    ctx = load_context(args.config, args.db)
    if args.deployment is not None:
        ctx.registry.get(args.deployment)

    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        rows = list(check(conn, ctx, week=args.week, deployment=args.deployment))
        unseen = []
        for status in opstatus.statuses(conn, ctx.registry):
            if args.deployment not in (None, status.deployment):
                continue
            ack = opstatus.acknowledgement(conn, status, ctx.settings.pause_ack_minutes)
            if ack is not None and ack.alert:
                unseen.append(
                    f"{status.deployment} {ack.text(ctx.settings.timezone)} "
                    f"(alert after {ctx.settings.pause_ack_minutes} min): the {status.mode} mode is not in effect"
                )
    return rows, unseen


def _lines(results: list[CheckRow]) -> list[str]:
    lines: list[str] = []
    for item in results:
        for alert in item.alerts:
            lines.append(f"{LABEL[alert.level]} {item.deployment} {item.week} {alert.message}")
    for item in results:
        text = f"{LABEL[item.level]} {item.deployment} {item.week or '-'}"
        if item.recommendation:
            text += f" recommendation {item.recommendation.action}"
        if item.level == "unknown" and item.note:
            text += f" ({item.note})"
        lines.append(text)
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        results, unseen = _collect(args)
    except Exception as exc:  # noqa: BLE001 - a monitoring check reports any failure as UNKNOWN
        reason = str(exc) or exc.__class__.__name__
        if args.json:
            doc = {"week": args.week, "level": "unknown", "exit_code": 3, "error": reason, "deployments": []}
            print(json.dumps(doc, indent=2, ensure_ascii=False))
            print(f"postlaunch check: {reason}", file=sys.stderr)  # stdout is the JSON document
        else:
            print(f"UNKNOWN postlaunch check: {reason}")
        return 3
    level = overall_level([*(r.level for r in results), *(["critical"] * len(unseen))])
    weeks = sorted({r.week for r in results if r.week})
    week = args.week or (weeks[-1] if weeks else None)
    if args.json:
        doc = {
            "week": week,
            "level": level,
            "exit_code": EXIT[level],
            "deployments": [r.model_dump(mode="json") for r in results],
            "not_observed": unseen,
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for line in unseen:
            print(f"CRITICAL {line}")
        for line in _lines(results):
            print(line)
        if not results:
            print("UNKNOWN postlaunch check: no deployment in the registry")
    return EXIT[level]
