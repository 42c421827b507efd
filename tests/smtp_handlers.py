"""An aiosmtpd handler for the notify tests (`python -m aiosmtpd -c smtp_handlers.RefusingMailbox DIR`):
a Maildir that refuses recipients starting with `refuse` (550, permanent) and `busy` (451, try later)."""

from __future__ import annotations

from typing import Any

from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
