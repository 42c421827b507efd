"""`postlaunch notify`: the weekly digest before the meeting — by e-mail through the SMTP settings
(each owner their deployments, governance all; the review pack attached for limit, pause and stop)
and to webhooks (one JSON POST each). `--dry-run` prints what would be sent. Exit codes as `check`
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN for the digest's worst level), except that a delivery that
failed is exit 1, naming the recipient; every delivery is recorded in the database.
"""

from __future__ import annotations

import argparse
import json
import sys

from actions.deliver import Outcome
from actions.notify import Delivery, plan, recipients, send, unaddressed
from cli.commands.check import EXIT, LABEL
from postlaunch import fmt
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import parse_week
from postlaunch.errors import PostlaunchError, UsageError
from report.digest import build_digest


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "notify",
        parents=parents,
        description="Send the weekly digest: the portfolio worst first, each deployment's recommendation and "
        "alerts, overdue reviews and incident reporting deadlines, with links to the dashboard. --smtp e-mails "
        "each owner their deployments (registry `owners`) and governance all (registry [access] governance); "
        "--webhook posts JSON with a `text` field (Slack, Teams). Exit codes as `check`; 1 when a delivery failed.",
    )
    parser.add_argument(
        "--week", metavar="YYYY-Www", help="ISO week (default: the latest week with usage data)"
    )
    parser.add_argument("--smtp", action="store_true", help="e-mail the digest through the smtp settings")
    parser.add_argument(
        "--webhook", metavar="URL", nargs="+", action="extend", default=[], help="POST the digest to each URL"
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    parser.set_defaults(run=run)


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def _preview(delivery: Delivery) -> list[str]:
    deps = ", ".join(delivery.deployments)
    if delivery.channel == "webhook":
        return [
            f"webhook {delivery.recipient} ({deps}):",
            json.dumps(delivery.payload, indent=2, ensure_ascii=False),
        ]
    message = delivery.message
    assert message is not None
    lines = [f"e-mail to {delivery.recipient} ({deps})", f"  Subject: {message['Subject']}"]
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        lines.append(
            f"  Attached: {part.get_filename()} ({_size(len(payload) if isinstance(payload, bytes) else 0)})"
        )
    body = message.get_body(("plain",))
    content = body.get_content() if body is not None else ""
    return lines + ["  " + line if line else "" for line in content.rstrip("\n").splitlines()]


def _line(delivery: Delivery, outcome: Outcome) -> str:
    tries = fmt.plural(outcome.attempts, "attempt")
    what = f"{'e-mail to' if delivery.channel == 'email' else 'webhook'} {delivery.recipient}"
    if not outcome.sent:
        return f"FAILED {what}: {outcome.detail} ({tries})"
    packs = f"; attached {', '.join(delivery.attachments)}" if delivery.attachments else ""
    return f"sent {what}: {', '.join(delivery.deployments)}{packs} ({outcome.detail}, {tries})"


def run(args: argparse.Namespace) -> int:
    if args.week is not None:
        parse_week(args.week)
    if not args.smtp and not args.webhook:
        preview = (
            "--dry-run then shows what each would receive" if args.dry_run else "add --dry-run to preview"
        )
        raise UsageError(f"nothing to send: give --smtp (e-mail) and/or --webhook URL; {preview}")
    ctx = load_context(args.config, args.db)
    try:
        with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
            digest = build_digest(conn, ctx, args.week, packs=args.smtp)
    except PostlaunchError as exc:  # as `check`: no digest to send is UNKNOWN, with the reason
        print(f"UNKNOWN postlaunch notify: {exc}", file=sys.stderr)
        return 3
    deliveries = plan(ctx, digest, smtp=args.smtp, webhooks=args.webhook)
    noun = "delivery" if len(deliveries) == 1 else "deliveries"
    head = (
        f"postlaunch notify {fmt.week_label(digest.week)}: {fmt.plural(len(digest.entries), 'deployment')}, "
        f"worst {LABEL.get(digest.level, digest.level.upper())}; {len(deliveries)} {noun}"
    )
    notes = []
    if args.smtp and unaddressed(ctx):
        who = (
            "only governance receives"
            if any(r.role == "governance" for r in recipients(ctx))
            else "nobody receives"
        )
        notes.append(f"note: no owner e-mail for {', '.join(unaddressed(ctx))}: {who} its e-mail")
    if not ctx.settings.dashboard_url:
        notes.append("note: the digest has no links to the dashboard: set dashboard_url")
    if args.dry_run:
        print("\n".join([f"{head} — DRY RUN: nothing is sent or recorded.", *notes]))
        for delivery in deliveries:
            print()
            print("\n".join(_preview(delivery)))
        return EXIT[digest.level]
    print("\n".join([head, *notes]), flush=True)
    report = send(ctx, digest, deliveries, on_result=lambda d, o: print(_line(d, o), flush=True))
    failed = report.failed
    sent = len(report.results) - len(failed)
    summary = f"{sent} of {len(report.results)} deliveries sent"
    if failed:
        summary += "; FAILED: " + ", ".join(d.recipient for d in failed)
    print(f"{summary}. Recorded as notify run {report.notify_id} (table notifications).")
    for problem in report.unrecorded:
        print(f"postlaunch notify: not recorded in the database: {problem}", file=sys.stderr)
    if failed or report.unrecorded:
        return 1
    return EXIT[digest.level]
