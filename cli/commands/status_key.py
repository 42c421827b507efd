"""`postlaunch status-key create|list|revoke`: the API keys the deployed systems read their operating
status with over OFREP (DESIGN §14). `create` prints the new key once, alone on its last line; only its
hash is stored.
"""

from __future__ import annotations

import argparse
import getpass

from actions.statuskeys import create_key, revoke_key
from postlaunch import statuskeys
from postlaunch.config import load_context
from postlaunch.db import connect


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status-key",
        parents=parents,
        description="Create, list and revoke the API keys of the OFREP status endpoints. A key reads one "
        "deployment's status, or every deployment's with --deployment '*'.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=parents, help="create a key and print it once")
    create.add_argument(
        "--deployment", required=True, metavar="ID", help="a deployment id, or '*' for every one"
    )
    create.add_argument("--label", metavar="TEXT", help="what the key is for, e.g. the app's name")
    create.add_argument("--by", metavar="NAME", help="who creates it (default: the operating-system user)")
    actions.add_parser("list", parents=parents, help="list the keys (never the keys themselves)")
    revoke = actions.add_parser("revoke", parents=parents, help="revoke a key from now on")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id, as `status-key list` shows it")
    revoke.add_argument("--by", metavar="NAME", help="who revokes it (default: the operating-system user)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    if args.action == "list":
        with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
            keys = statuskeys.list_keys(conn)
        if not keys:
            print("no status keys yet: create one with `postlaunch status-key create --deployment ID`")
        for k in keys:
            state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}Z by {k.revoked_by}" if k.revoked_at else "active"
            label = f"  {k.label}" if k.label else ""
            print(
                f"{k.key_id}  {k.deployment}  {state}  created {k.created_at:%Y-%m-%d %H:%M}Z by {k.created_by}{label}"
            )
        return 0
    by = (args.by or "").strip() or _user()
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        if args.action == "create":
            key, record = create_key(conn, ctx, deployment=args.deployment, by=by, label=args.label)
            scope = (
                "every deployment"
                if record.deployment == statuskeys.EVERY
                else f"deployment {record.deployment}"
            )
            print(f"created status key {record.key_id} for {scope} by {record.created_by}")
            print("the key is shown once and only its hash is stored; the app sends it as "
                  "`Authorization: Bearer KEY` or `X-API-Key: KEY`:")  # fmt: skip
            print(key)
            return 0
        record = revoke_key(conn, ctx, key_id=args.key_id, by=by)
    print(f"revoked status key {record.key_id} ({record.deployment}) by {record.revoked_by}")
    return 0
