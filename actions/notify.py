"""Send the weekly digest (`postlaunch notify`, DESIGN §19): who gets which deployments (`recipients`,
the one place that knows), the e-mail of each recipient (HTML and text, the review pack attached for
limit, pause and stop) and the webhooks' JSON, delivered through `actions.deliver`. Every delivery is
recorded in `notifications` as soon as it is done, sent or failed, so the database says what reached
whom; nothing that was not accepted is recorded or reported as sent.
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from actions.deliver import Outcome, post_webhook, send_mail, shown_url
from postlaunch import db
from postlaunch.access import review_recipients
from postlaunch.config import Context
from postlaunch.errors import UsageError
from report.digest import Digest
from report.digest_render import html_body, subject, text, webhook_payload


@dataclass(frozen=True)
class Recipient:
    """An e-mail address and the deployments of the digest it receives."""

    address: str
    deployments: tuple[str, ...]  # ids; every deployment for governance
    role: str  # owner | governance


def recipients(ctx: Context) -> list[Recipient]:
    """Who receives which deployments (DESIGN §17, §19): each owner e-mail of a deployment
    (`[deployments.X] owners`) gets that deployment, each governance e-mail of `[access]` gets all of
    them (`*@domain` patterns name nobody to write to); an address named in several places gets one
    message with everything it is owed."""
    everything = tuple(ctx.registry.ids)
    owed: dict[str, set[str]] = {}
    role: dict[str, str] = {}
    spelled: dict[str, str] = {}  # addresses compare without case; the first spelling is used
    for dep_id in everything:
        named = review_recipients(ctx.registry, dep_id)
        for address in named.governance:
            key = address.lower()
            spelled.setdefault(key, address)
            owed[key], role[key] = set(everything), "governance"
        for address in named.owners:
            key = address.lower()
            spelled.setdefault(key, address)
            owed.setdefault(key, set()).add(dep_id)
            role.setdefault(key, "owner")
    return [
        Recipient(spelled[k], tuple(d for d in everything if d in owed[k]), role[k]) for k in sorted(owed)
    ]


def unaddressed(ctx: Context) -> list[str]:
    """Deployments no owner address receives (no `owners` e-mail): only governance gets their digest."""
    return [d for d in ctx.registry.ids if not review_recipients(ctx.registry, d).owners]


@dataclass(frozen=True)
class Delivery:
    """One message to send: to an e-mail address or a webhook."""

    channel: str  # email | webhook
    recipient: str  # the address, or the webhook URL as shown (its secret path hidden)
    deployments: tuple[str, ...]
    attachments: tuple[str, ...] = ()
    message: EmailMessage | None = None
    url: str | None = None
    payload: dict[str, object] = field(default_factory=dict)


def _audience(recipient: Recipient, digest: Digest) -> str:
    if recipient.role == "governance":
        return f"You receive every deployment as governance (the registry's [access] governance): {recipient.address}."
    names = ", ".join(e.name for e in digest.entries)
    return f"You receive {names} as an owner named in the registry: {recipient.address}."


def email_for(ctx: Context, digest: Digest, recipient: Recipient) -> Delivery:
    """The e-mail of one recipient: their deployments, an HTML and a text part, and the review pack of
    each of them whose recommendation is limit, pause or stop."""
    mine = digest.only(recipient.deployments)
    sender = ctx.settings.smtp.from_ or ""
    message = EmailMessage()
    message["Subject"] = subject(mine)
    message["From"] = sender
    message["To"] = recipient.address
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("postlaunch", domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Postlaunch-Week"] = digest.week
    audience = _audience(recipient, mine)
    message.set_content(text(mine, audience))
    message.add_alternative(html_body(mine, audience), subtype="html")
    packs = mine.packs()
    for name, pack in packs:
        message.add_attachment(pack, subtype="html", charset="utf-8", cte="base64", filename=name)
    return Delivery(
        "email",
        recipient.address,
        tuple(e.deployment for e in mine.entries),
        tuple(name for name, _ in packs),
        message=message,
    )


def plan(ctx: Context, digest: Digest, *, smtp: bool, webhooks: Iterable[str]) -> list[Delivery]:
    """Every message of this run: an e-mail per recipient (with --smtp), a POST per webhook."""
    out: list[Delivery] = []
    if smtp:
        settings = ctx.settings.smtp
        if not settings.host or not settings.from_:
            missing = " and ".join(
                k for k, v in (("smtp.host", settings.host), ("smtp.from", settings.from_)) if not v
            )
            raise UsageError(
                f"--smtp needs {missing} (in postlaunch.toml's [smtp] table or POSTLAUNCH_SMTP__HOST, "
                "POSTLAUNCH_SMTP__FROM)"
            )
        people = recipients(ctx)
        if not people:
            raise UsageError(
                "--smtp: nobody to send to: name owners' e-mails in each deployment's `owners` and governance "
                "e-mails in the registry's [access] table (docs/login.md)"
            )
        out += [email_for(ctx, digest, r) for r in people if digest.only(r.deployments).entries]
    payload = webhook_payload(digest)
    for url in webhooks:
        out.append(
            Delivery(
                "webhook",
                shown_url(url),
                tuple(e.deployment for e in digest.entries),
                url=url,
                payload=payload,
            )
        )
    return out


@dataclass
class Report:
    """What a run delivered: each delivery with its outcome, and the run's id in `notifications`."""

    notify_id: str
    results: list[tuple[Delivery, Outcome]] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)  # deliveries the database could not record

    @property
    def failed(self) -> list[Delivery]:
        return [d for d, o in self.results if not o.sent]


_INSERT = (
    "INSERT INTO notifications (notify_id, week, channel, recipient, deployments, attachments, status, attempts, "
    "detail, started_at, finished_at, who, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def send(
    ctx: Context,
    digest: Digest,
    deliveries: list[Delivery],
    *,
    on_result: Callable[[Delivery, Outcome], None] | None = None,
) -> Report:
    """Deliver each message and record it (sent or failed) before the next one goes out."""
    report = Report(uuid.uuid4().hex)
    timeout, retries = ctx.settings.notify.timeout_seconds, ctx.settings.notify.retries
    for delivery in deliveries:
        started = _now()
        if delivery.channel == "email" and delivery.message is not None:
            outcome = send_mail(ctx.settings.smtp, delivery.message, timeout=timeout, retries=retries)
        else:
            outcome = post_webhook(
                delivery.url or "", dict(delivery.payload), timeout=timeout, retries=retries
            )
        report.results.append((delivery, outcome))
        row = [
            report.notify_id, digest.week, delivery.channel, delivery.recipient, list(delivery.deployments),
            list(delivery.attachments), "sent" if outcome.sent else "failed", outcome.attempts, outcome.detail,
            started, _now(), _who(), socket.gethostname(),
        ]  # fmt: skip
        try:
            with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
                conn.execute(_INSERT, row)
        except Exception as exc:  # noqa: BLE001 - the delivery happened; say that it is not on record
            report.unrecorded.append(f"{delivery.recipient}: {exc}")
        if on_result is not None:
            on_result(delivery, outcome)
    return report
