"""`postlaunch status`: every deployment's operating mode (normal, limited, paused, stopped) as the
deployed systems read it (DESIGN §14) — as text, as JSON, or as the OpenFeature flagd flag file
(`--format flagd`, written atomically with `--out`). It reads only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from postlaunch import opstatus
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.errors import PostlaunchError

FORMATS = ("text", "json", "flagd")


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status",
        parents=parents,
        description="Each deployment's operating mode, from its latest decision (expand/continue: normal, "
        "limit: limited, pause: paused, stop: stopped), else from the registry's status. `--format flagd` "
        "is an OpenFeature flagd flag file with one flag `postlaunch.<id>.mode` per deployment.",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument(
        "--out", metavar="FILE", help="write to FILE atomically (replaced whole) and print its path"
    )
    parser.add_argument("--deployment", metavar="ID", help="only this deployment (text and json)")
    parser.set_defaults(run=run)


def _line(ack: opstatus.Acknowledgement | None, s: opstatus.OperatingStatus, tz: str, width: int) -> str:
    mode = f"{s.mode.upper() if s.mode in opstatus.HALTED else s.mode:<8}"
    if s.source == "decision":
        where = f"decision {s.decision_seq} ({s.decision} for {s.week}) by {s.decided_by}"
    else:
        where = f"registry status {s.registry_status}, no decision recorded"
    line = f"{s.deployment:<{width}}  {mode}  {where}  fail {s.fail_mode}"
    if ack is not None:
        line += f"  · {ack.text(tz)}"
        if ack.alert:
            line += " — ALERT"
    return line


def render(args: argparse.Namespace) -> str:
    ctx = load_context(args.config, args.db)
    if args.deployment is not None:
        ctx.registry.get(args.deployment)
    if not ctx.db.exists():
        raise PostlaunchError(
            f"no database at {ctx.db}: load data first with `postlaunch ingest KIND FILE...`"
        )
    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        items = opstatus.statuses(conn, ctx.registry)
        if args.format == "flagd":
            return opstatus.flagd_json(items)
        if args.deployment is not None:
            items = [s for s in items if s.deployment == args.deployment]
        acks = {
            s.deployment: opstatus.acknowledgement(conn, s, ctx.settings.pause_ack_minutes) for s in items
        }
    if args.format == "json":
        rows = []
        for s in items:
            ack = acks[s.deployment]
            rows.append({
                **s.as_json(),
                "first_read_at": opstatus.iso_z(ack.first_read_at) if ack else None,
                "not_observed_alert": ack.alert if ack else False,
            })  # fmt: skip
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    width = max((len(s.deployment) for s in items), default=0)
    return "".join(_line(acks[s.deployment], s, ctx.settings.timezone, width) + "\n" for s in items)


def run(args: argparse.Namespace) -> int:
    text = render(args)
    if args.out:
        out = Path(args.out)
        try:
            opstatus.write_atomic(out, text)
        except OSError as exc:
            raise PostlaunchError(f"cannot write {out}: {exc}") from exc
        print(out)
    else:
        print(text, end="")
    return 0
