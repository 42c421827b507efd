"""Delivery of one message, with bounded time-outs and retries: an e-mail through the SMTP settings
(`send_mail`) and a JSON POST to a webhook (`post_webhook`). A delivery counts as sent only when the
mail server accepted the message or the receiver answered 2xx; anything else is a failure that says
why. Retries only where another attempt may pass (no answer, 4xx from SMTP, 429 or 5xx over HTTP).
It knows nothing of digests or the database.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from postlaunch import __version__
from postlaunch.settings import SmtpSettings

BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
MAX_BACKOFF_SECONDS = 4.0


@dataclass(frozen=True)
class Outcome:
    sent: bool
    attempts: int
    detail: str  # the server's answer, or why it failed


class _Retry(Exception):
    """A failure another attempt may get past."""


def _attempts(retries: int, once: Callable[[], str], sleep: Callable[[float], None]) -> Outcome:
    """Run `once` up to 1 + `retries` times while it raises _Retry; it returns the server's answer or
    raises another exception for a failure that retrying cannot mend."""
    delay = BACKOFF_SECONDS
    for attempt in range(1, retries + 2):
        try:
            return Outcome(True, attempt, once())
        except _Retry as exc:
            if attempt > retries:
                return Outcome(False, attempt, str(exc))
            sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a permanent failure: reported, never raised
            return Outcome(False, attempt, str(exc) or type(exc).__name__)
    raise AssertionError("unreachable")  # pragma: no cover


# --- e-mail ----------------------------------------------------------------------------------------------


def send_mail(
    settings: SmtpSettings,
    message: EmailMessage,
    *,
    timeout: float,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send `message` (one recipient) through the SMTP server of `settings`."""
    host, port = settings.host or "", settings.port

    def once() -> str:
        try:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise _Retry(f"cannot connect to the SMTP server {host}:{port}: {_why(exc)}") from exc
        try:
            return _transaction(smtp, settings, message)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    return _attempts(retries, once, sleep)


def _transaction(smtp: smtplib.SMTP, settings: SmtpSettings, message: EmailMessage) -> str:
    where = f"{settings.host}:{settings.port}"
    try:
        smtp.ehlo()
        if settings.starttls:
            if not smtp.has_extn("starttls"):
                raise RuntimeError(
                    f"the SMTP server {where} does not offer STARTTLS; set smtp.starttls = false only for a "
                    "server on a trusted network"
                )
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            password = settings.password.get_secret_value() if settings.password else ""
            smtp.login(settings.user, password)
        refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _fail_or_retry(
            code, f"the SMTP server {where} refused the recipient: {code} {_decode(text)}"
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise RuntimeError(
            f"the SMTP server {where} refused the login of {settings.user}: {exc.smtp_code}"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise _fail_or_retry(
            exc.smtp_code, f"the SMTP server {where} answered {exc.smtp_code} {_decode(exc.smtp_error)}"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:  # dropped or timed out: not confirmed
        raise _Retry(f"the SMTP server {where} did not confirm the message: {_why(exc)}") from exc
    if refused:
        code, text = next(iter(refused.values()))
        raise RuntimeError(f"the SMTP server {where} refused {', '.join(refused)}: {code} {_decode(text)}")
    return f"accepted by {where}"


def _fail_or_retry(code: int, text: str) -> Exception:
    return _Retry(text) if 400 <= code < 500 else RuntimeError(text)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return str(exc) or type(exc).__name__


# --- webhooks --------------------------------------------------------------------------------------------


def shown_url(url: str) -> str:
    """A webhook URL as the output and the database show it: its path is the secret (Slack, Teams), so
    only scheme, host and a short fingerprint that tells two hooks apart."""
    parts = urlsplit(url)
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{parts.scheme}://{parts.netloc}/… #{fingerprint}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects did not take the message: report the 3xx instead of re-posting it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """POST `payload` as JSON to `url`; sent when the receiver answers 2xx."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def once() -> str:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": f"postlaunch/{__version__}",
            },
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                response.read(1024)
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            answer = exc.read(300).decode("utf-8", "replace").strip()
            text = f"answered HTTP {exc.code}" + (f": {answer}" if answer else "")
            if exc.code == 429 or exc.code >= 500:
                raise _Retry(text) from exc
            raise RuntimeError(text) from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            raise _Retry(
                f"not reachable: {_why(reason) if isinstance(reason, BaseException) else reason}"
            ) from exc
        except TimeoutError as exc:
            raise _Retry(f"no answer within {timeout:g} s (delivery not confirmed)") from exc
        except OSError as exc:
            raise _Retry(f"the message was not confirmed: {_why(exc)}") from exc

    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(False, 0, "not an http(s) URL")
    return _attempts(retries, once, sleep)
