"""Creating and revoking the API keys the deployed systems read their operating status with (DESIGN
§14), each for one deployment or for every one (`*`). One function per action, taking the acting
person's name, so the role checks of DESIGN §17 plug in here; the key format is `postlaunch.statuskeys`.
"""

from __future__ import annotations

import duckdb

from postlaunch import statuskeys
from postlaunch.config import Context
from postlaunch.errors import UsageError


def create_key(
    conn: duckdb.DuckDBPyConnection, ctx: Context, *, deployment: str, by: str, label: str | None = None
) -> tuple[str, statuskeys.StatusKey]:
    """A new key reading `deployment`'s status (`*`: every deployment's). Returns the key, shown once."""
    if deployment != statuskeys.EVERY:
        ctx.registry.get(deployment)
    if not by or not by.strip():
        raise UsageError("who creates the key is empty (--by NAME)")
    return statuskeys.create(conn, deployment, by.strip(), label.strip() if label and label.strip() else None)


def revoke_key(
    conn: duckdb.DuckDBPyConnection, ctx: Context, *, key_id: str, by: str
) -> statuskeys.StatusKey:
    """Revoke key `key_id` from now on: every later read with it answers 401."""
    if not by or not by.strip():
        raise UsageError("who revokes the key is empty (--by NAME)")
    return statuskeys.revoke(conn, key_id.strip(), by.strip())
