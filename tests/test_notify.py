"""`postlaunch notify` against real servers on 127.0.0.1 (DESIGN §19): aiosmtpd receives the e-mails —
HTML and text parts, the review pack attached only where the recommendation is limit, pause or stop,
each owner only their deployments, governance all — and a local HTTP receiver the webhooks' JSON. The
failures (a refused recipient, a server that is not there, HTTP 500, a receiver that does not answer in
time) exit 1 naming the recipient, and nothing is reported or recorded as sent that was not."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from dashboard_db import SampleDb, sample_copy, sample_db  # noqa: F401
from notify_servers import Receiver, smtp_server, webhook_receiver

from cli import main as cli_main
from metrics import api
from postlaunch import db as pdb
from postlaunch.config import load_context
from report.digest import PACK_ACTIONS

OWNERS = {  # deployment -> its owners' e-mails; sales-email-drafter has none (only governance gets it)
    "support-triage": ["support-lead@example.org"],
    "claims-summarizer": ["claims-ops@example.org"],
    "hr-assistant": ["hr-director@example.org", "Support-Lead@example.org"],
}
GOVERNANCE = "governance@example.org"


def _configure(sample: SampleDb, smtp_port: int = 1, *, extra: str = "", owners: dict | None = None) -> Path:
    """The sample registry with owners per deployment, [access] governance, the SMTP server and a dashboard
    URL."""
    text = re.sub(r"^owners = .*\n", "", sample.config.read_text(), flags=re.M)  # the sample's own owners
    for dep, addresses in (OWNERS if owners is None else owners).items():
        text = text.replace(
            f"[deployments.{dep}]\n", f"[deployments.{dep}]\nowners = {json.dumps(addresses)}\n", 1
        )
    settings = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nfrom = "postlaunch@example.org"\nstarttls = false\n'
        f'[notify]\ntimeout_seconds = 2\nretries = 1\n{extra}\n[access]\ngovernance = ["{GOVERNANCE}"]\n'
    )
    sample.config.write_text('dashboard_url = "https://postlaunch.example.org/"\n' + text + "\n" + settings)
    return sample.config


@pytest.fixture
def run(sample_copy: SampleDb, capsys: pytest.CaptureFixture[str]):
    def go(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = cli_main.main(["--db", str(sample_copy.db), "--config", str(sample_copy.config), *argv])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return go


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhooks go to 127.0.0.1 directly, whatever proxy the machine's environment names."""
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)


def _expected(sample: SampleDb) -> tuple[str, dict[str, str | None], int]:
    """(week, deployment -> recommendation, check's exit code) of the sample, from metrics."""
    ctx = load_context(sample.config, sample.db)
    with pdb.connect(sample.db, read_only=True) as conn:
        rows = api.check(conn, ctx)
    levels = [r.level for r in rows]
    code = 2 if "critical" in levels else 1 if "warn" in levels else 3 if "unknown" in levels else 0
    week = rows[0].week
    assert week is not None
    return week, {r.deployment: r.recommendation.action if r.recommendation else None for r in rows}, code


def _recorded(sample: SampleDb) -> list[tuple]:
    with duckdb.connect(str(sample.db), read_only=True) as conn:
        return conn.execute(
            "SELECT channel, recipient, status, deployments, attachments, attempts, detail FROM notifications "
            "ORDER BY channel, recipient"
        ).fetchall()


def _names(sample: SampleDb) -> dict[str, str]:
    ctx = load_context(sample.config, sample.db)
    return {d: ctx.registry.get(d).name for d in ctx.registry.ids}


def test_email_each_owner_their_deployments_with_packs_only_for_limit_pause_stop(
    sample_copy: SampleDb, run, tmp_path: Path
) -> None:
    week, actions, level_code = _expected(sample_copy)
    names = _names(sample_copy)
    with smtp_server(tmp_path) as smtp:
        _configure(sample_copy, smtp.port)
        code, out, err = run("notify", "--smtp")
        messages = smtp.messages()
    assert code == level_code, (out, err)
    by_to = {m["To"].lower(): m for m in messages}  # one address, however it is spelled
    owed = {
        GOVERNANCE: set(actions),
        "support-lead@example.org": {"support-triage", "hr-assistant"},  # one address in two deployments
        "claims-ops@example.org": {"claims-summarizer"},
        "hr-director@example.org": {"hr-assistant"},
    }
    assert set(by_to) == set(owed) and len(messages) == len(owed)
    for address, deployments in owed.items():
        message = by_to[address]
        assert message["From"] == "postlaunch@example.org" and message["X-Postlaunch-Week"] == week
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert html.lstrip().startswith("<!DOCTYPE html>") and "<script" not in html
        for dep, name in names.items():
            # each owner only their deployments, in both parts
            assert (name in plain) == (dep in deployments), (address, dep)
            assert (name in html) == (dep in deployments), (address, dep)
            link = f"https://postlaunch.example.org/review?deployment={dep}&amp;week={week}"
            assert (link in html) == (dep in deployments)
        attached = {a.get_filename(): a for a in message.iter_attachments()}
        assert set(attached) == {
            f"review-{dep}-{week}.html" for dep in deployments if actions[dep] in PACK_ACTIONS
        }, address
        for name, part in attached.items():
            assert part.get_content_type() == "text/html"
            pack = part.get_content()
            assert "<h2>Decision (for the minutes)</h2>" in pack and "<svg" in pack
            assert name.split("-" + week)[0].removeprefix("review-") in pack
    # the sample: every recommendation is there, so the test covers attached and not attached alike
    assert {actions[d] for d in actions} & set(PACK_ACTIONS) and {actions[d] for d in actions} - set(
        PACK_ACTIONS
    )
    # the governance subject names the counts; an owner's the deployment and what it recommends
    # (a subject that fits on a line of its own is folded there: the parsed value keeps the fold's space)
    assert (
        by_to["claims-ops@example.org"]["Subject"]
        .strip()
        .startswith(
            f"[postlaunch] {week} {names['claims-summarizer']}: {str(actions['claims-summarizer']).upper()}"
        )
    )
    recorded = _recorded(sample_copy)
    assert sorted((r[0], r[1].lower(), r[2]) for r in recorded) == [
        ("email", a, "sent") for a in sorted(owed)
    ]
    assert "note: no owner e-mail for sales-email-drafter: only governance receives its e-mail" in out
    assert f"{len(owed)} of {len(owed)} deliveries sent" in out


def test_the_attached_pack_is_the_review_commands_html(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    week, actions, _ = _expected(sample_copy)
    dep = next(d for d, a in actions.items() if a in PACK_ACTIONS)
    with smtp_server(tmp_path) as smtp:
        _configure(sample_copy, smtp.port)
        run("notify", "--smtp")
        (message,) = [m for m in smtp.messages() if m["To"] == GOVERNANCE]
    attached = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    code, pack, _ = run("review", "--deployment", dep, "--week", week, "--format", "html")
    assert code == 0

    def strip(text: str) -> str:
        return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "generated -", text).rstrip("\n")

    assert strip(attached[f"review-{dep}-{week}.html"]) == strip(pack)


def test_a_refused_recipient_fails_alone_and_is_named(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    owners = {**OWNERS, "hr-assistant": ["hr-director@example.org", "refuse-me@example.org"]}
    with smtp_server(tmp_path) as smtp:
        _configure(sample_copy, smtp.port, owners=owners)
        code, out, _ = run("notify", "--smtp")
        delivered = {m["To"] for m in smtp.messages()}
    assert code == 1
    assert "FAILED e-mail to refuse-me@example.org: the SMTP server" in out and "550" in out
    assert "FAILED: refuse-me@example.org" in out.splitlines()[-1]
    assert "refuse-me@example.org" not in delivered and "hr-director@example.org" in delivered
    status = {r[1]: (r[2], r[5]) for r in _recorded(sample_copy)}
    assert status["refuse-me@example.org"] == ("failed", 1)  # 550 is permanent: no retry
    assert all(s == "sent" for a, (s, _) in status.items() if a != "refuse-me@example.org")


def test_a_busy_recipient_is_retried_within_bounds(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    with smtp_server(tmp_path) as smtp:
        _configure(sample_copy, smtp.port, owners={"hr-assistant": ["busy-owner@example.org"]})
        code, out, _ = run("notify", "--smtp")
    assert code == 1
    assert "FAILED e-mail to busy-owner@example.org" in out and "451" in out and "(2 attempts)" in out
    status = {r[1]: (r[2], r[5]) for r in _recorded(sample_copy)}
    assert status["busy-owner@example.org"] == ("failed", 2)  # 451 may pass later: retried once (retries = 1)


def test_no_smtp_server_sends_nothing_and_says_so(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    from browser_env import free_port

    _configure(sample_copy, free_port())  # nothing listens there
    code, out, _ = run("notify", "--smtp")
    assert code == 1
    assert "sent e-mail" not in out and out.count("FAILED e-mail to ") == 4
    assert "cannot connect to the SMTP server" in out and "connection refused" in out
    assert out.splitlines()[-1].startswith("0 of 4 deliveries sent; FAILED: ")
    assert {r[2] for r in _recorded(sample_copy)} == {"failed"}


def test_starttls_against_a_server_without_it_is_refused_clearly(
    sample_copy: SampleDb, run, tmp_path: Path
) -> None:
    with smtp_server(tmp_path) as smtp:
        config = _configure(sample_copy, smtp.port)
        config.write_text(config.read_text().replace("starttls = false", "starttls = true"))
        code, out, _ = run("notify", "--smtp")
        assert smtp.messages() == []
    assert code == 1 and "does not offer STARTTLS" in out and "sent e-mail" not in out


def _webhook_text(receiver: Receiver) -> tuple[dict, dict]:
    (post,) = receiver.posts()
    return post["headers"], post["body"]


def test_webhook_gets_one_post_with_text_and_deployments(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    week, actions, level_code = _expected(sample_copy)
    names = _names(sample_copy)
    _configure(sample_copy)
    with webhook_receiver(tmp_path / "hooks") as receiver:
        code, out, _ = run("notify", "--webhook", receiver.url("ok"))
        headers, body = _webhook_text(receiver)
    assert code == level_code
    assert headers["Content-Type"].startswith("application/json")
    assert body["week"] == week and set(body) >= {"text", "deployments", "level"}
    assert [d["deployment"] for d in body["deployments"]][0] in actions
    assert {d["deployment"]: d["recommendation"] for d in body["deployments"]} == actions
    for dep, name in names.items():
        assert f"{name}: {str(actions[dep]).upper()}" in body["text"]
    assert f"https://postlaunch.example.org/?week={week}" in body["text"]
    (row,) = _recorded(sample_copy)
    assert row[0] == "webhook" and row[2] == "sent" and row[6] == "HTTP 200"
    assert "/ok" not in row[1] and row[1].startswith(
        f"http://127.0.0.1:{receiver.port}/… #"
    )  # the secret path


@pytest.mark.parametrize(
    ("path", "fragment", "posts", "attempts"),
    [
        ("fail", "answered HTTP 500", 2, 2),  # retried once (retries = 1), then given up
        ("gone", "answered HTTP 404", 1, 1),  # a 4xx is not retried
        ("slow", "no answer within 2 s (delivery not confirmed)", 2, 2),
    ],
)
def test_webhook_failures_are_not_reported_as_sent(
    sample_copy: SampleDb, run, tmp_path: Path, path: str, fragment: str, posts: int, attempts: int
) -> None:
    _configure(sample_copy)
    with webhook_receiver(tmp_path / "hooks") as receiver:
        code, out, _ = run("notify", "--webhook", receiver.url("ok"), receiver.url(path))
        received = [p["path"] for p in receiver.posts()]
    assert code == 1
    assert received.count(f"/{path}") == posts and received.count("/ok") == 1
    failed = [line for line in out.splitlines() if line.startswith("FAILED webhook")]
    assert len(failed) == 1 and fragment in failed[0] and f"({attempts} attempt" in failed[0]
    assert out.splitlines()[-1].startswith("1 of 2 deliveries sent; FAILED: http://127.0.0.1:")
    statuses = sorted((r[2], r[5]) for r in _recorded(sample_copy))
    assert statuses == sorted([("sent", 1), ("failed", attempts)])


def test_webhook_refused_connection(sample_copy: SampleDb, run) -> None:
    from browser_env import free_port

    _configure(sample_copy)
    code, out, _ = run("notify", "--webhook", f"http://127.0.0.1:{free_port()}/hook")
    assert code == 1 and "FAILED webhook" in out and "not reachable: connection refused (2 attempts)" in out
    assert [r[2] for r in _recorded(sample_copy)] == ["failed"]


def test_a_webhook_that_fails_once_is_sent_on_the_retry(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    _, _, level_code = _expected(sample_copy)
    _configure(sample_copy)
    with webhook_receiver(tmp_path / "hooks") as receiver:
        code, out, _ = run("notify", "--webhook", receiver.url("flaky"))
        assert len(receiver.posts()) == 2
    assert code == level_code and "sent webhook" in out and "(HTTP 200, 2 attempts)" in out
    assert [(r[2], r[5]) for r in _recorded(sample_copy)] == [("sent", 2)]


def test_dry_run_sends_and_records_nothing(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    _, _, level_code = _expected(sample_copy)
    with smtp_server(tmp_path) as smtp, webhook_receiver(tmp_path / "hooks") as receiver:
        _configure(sample_copy, smtp.port)
        code, out, _ = run("notify", "--smtp", "--webhook", receiver.url("ok"), "--dry-run")
        assert smtp.messages() == [] and receiver.posts() == []
    assert code == level_code
    assert "DRY RUN: nothing is sent or recorded" in out.splitlines()[0]
    assert (
        f"e-mail to {GOVERNANCE} (" in out
        and "  Subject: [postlaunch] " in out
        and "  Attached: review-" in out
    )
    assert f"webhook http://127.0.0.1:{receiver.port}/… #" in out and '"deployments": [' in out
    assert _recorded(sample_copy) == []


@pytest.mark.parametrize(
    ("args", "extra", "fragment"),
    [
        ((), "", "nothing to send: give --smtp (e-mail) and/or --webhook URL; add --dry-run to preview"),
        (("--dry-run",), "", "and/or --webhook URL; --dry-run then shows what each would receive"),
        (("--smtp",), "NO_HOST", "--smtp needs smtp.host"),
        (("--smtp", "--week", "2026-W60"), "", "week '2026-W60' does not exist"),
    ],
)
def test_usage_errors_exit_2(sample_copy: SampleDb, run, args, extra: str, fragment: str) -> None:
    config = _configure(sample_copy)
    if extra == "NO_HOST":
        config.write_text(config.read_text().replace('host = "127.0.0.1"\n', ""))
    code, _, err = run("notify", *args)
    assert code == 2 and fragment in err


def test_smtp_without_any_recipient_is_a_usage_error(sample_copy: SampleDb, run) -> None:
    config = _configure(sample_copy, owners={})
    config.write_text(config.read_text().replace(f'governance = ["{GOVERNANCE}"]', "governance = []"))
    code, _, err = run("notify", "--smtp")
    assert code == 2 and "nobody to send to" in err


def test_a_stopped_feed_and_a_deployment_without_data_are_in_the_digest(
    sample_copy: SampleDb, run, tmp_path: Path
) -> None:
    """Two weeks after the sample's last week every usage feed is silent (usage_feed_gap, critical); a
    deployment with no data at all is UNKNOWN with the reason. The digest still goes out."""
    config = _configure(sample_copy)
    config.write_text(
        config.read_text().replace(
            "[smtp]",
            '[deployments.new-bot]\nname = "New bot"\nowner = "Ops"\nrisk_tier = "low"\nlaunched = 2026-11-30\n'
            'approved_use_cases = ["faq"]\n\n[smtp]',
        )
    )
    with webhook_receiver(tmp_path / "hooks") as receiver:
        code, out, err = run("notify", "--week", "2026-W49", "--webhook", receiver.url("ok"))
        _, body = _webhook_text(receiver)
    assert code == 2, (out, err)
    levels = {d["deployment"]: d for d in body["deployments"]}
    assert (
        levels["new-bot"]["level"] == "unknown"
        and "no usage, cost or feedback data" in levels["new-bot"]["note"]
    )
    for dep, entry in levels.items():
        if dep != "new-bot":
            assert entry["level"] == "critical", dep
            assert "usage_feed_gap" in {a["metric"] for a in entry["alerts"]}, dep
    assert "UNKNOWN New bot: NO DATA" in body["text"]


@pytest.mark.browser
def test_the_received_html_reads_in_a_browser(sample_copy: SampleDb, run, tmp_path: Path) -> None:
    """The governance e-mail's HTML part as received, in headless Chromium at a mail client's width:
    nothing scrolls sideways, and the screenshot is kept for a person to look at."""
    from browser_env import SHOTS, chromium_page

    with smtp_server(tmp_path) as smtp:
        _configure(sample_copy, smtp.port)
        run("notify", "--smtp")
        (message,) = [m for m in smtp.messages() if m["To"] == GOVERNANCE]
    html = message.get_body(("html",)).get_content()
    with chromium_page(tmp_path / "home", width=760, height=900) as page:
        page.set_content(html)
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], sizes
        assert page.get_by_text("Open the Portfolio").count() == 1
        height = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 760, "height": min(int(height), 4000)})
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "digest_email.png"), full_page=True)
