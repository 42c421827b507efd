"""Real servers on 127.0.0.1 for the notify tests, each started with subprocess.Popen and stopped by its
PID: aiosmtpd (from PyPI) storing what it accepts in a Maildir, with a handler that refuses chosen
recipients, and a small HTTP receiver that records every POST and answers by path (/ok 200, /fail 500,
/slow after a pause, /flaky 500 then 200, /gone 404)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from browser_env import free_port, stop

HERE = Path(__file__).resolve().parent


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"server on port {port} did not start: {log.read_text()[-2000:]}"
                ) from None
            time.sleep(0.1)


@contextmanager
def _serve(command: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, cwd=HERE)
        try:
            _wait_port(port, process, log)
            yield
        finally:
            stop(process)


@dataclass(frozen=True)
class SmtpServer:
    port: int
    maildir: Path

    def messages(self) -> list:  # type: ignore[type-arg]
        """Every message the server accepted, as email.message.EmailMessage."""
        import email
        import email.policy

        new = self.maildir / "new"
        if not new.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(new.iterdir())
        ]


@contextmanager
def smtp_server(folder: Path) -> Iterator[SmtpServer]:
    """aiosmtpd on a free loopback port; recipients whose address starts with `refuse` get 550, with
    `busy` 451 (try again later); everything else is stored in `folder/maildir`."""
    port = free_port()
    maildir = folder / "maildir"
    command = [
        sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
        "-c", "smtp_handlers.RefusingMailbox", str(maildir),
    ]  # fmt: skip
    with _serve(command, port, folder / f"smtp-{port}.log"):
        yield SmtpServer(port, maildir)


@dataclass(frozen=True)
class Receiver:
    port: int
    folder: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def posts(self) -> list[dict]:  # type: ignore[type-arg]
        """Every POST received: {path, headers, body (parsed JSON)} in arrival order."""
        files = sorted(self.folder.glob("post-*.json"))
        return [json.loads(p.read_text()) for p in files]


RECEIVER = """
import json, sys, time, itertools
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
folder, port = Path(sys.argv[1]), int(sys.argv[2])
counter = itertools.count()
seen = {}
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = next(counter)
        (folder / f"post-{n:04d}.json").write_text(json.dumps(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}))
        seen[self.path] = seen.get(self.path, 0) + 1
        if self.path.startswith("/slow"):
            time.sleep(3)
        code = {"/fail": 500, "/gone": 404}.get(self.path, 200)
        if self.path == "/flaky" and seen[self.path] == 1:
            code = 500
        try:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"no")
        except OSError:
            pass
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


@contextmanager
def webhook_receiver(folder: Path) -> Iterator[Receiver]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-c", RECEIVER, str(folder), str(port)]
    with _serve(command, port, folder.parent / f"receiver-{port}.log"):
        yield Receiver(port, folder)
