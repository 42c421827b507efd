"""The `postlaunch` command line: global options, then one subcommand per module in `cli/commands/`.

It only parses arguments and maps errors to exit codes (0 success, 1 failure, 2 usage error); the
work lives in the command modules. Only the module of the command being run is imported, so every
command starts without the others' libraries. It never imports streamlit or plotly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from postlaunch import __version__
from postlaunch.errors import PostlaunchError, UsageError

# Subcommand -> one line of help. Each is the module cli.commands.<name> (dashes as underscores), with
# add_parser(subparsers) and run(args) -> int.
COMMANDS: dict[str, str] = {
    "ingest": "load usage, cost, feedback, incident or change files",
    "quarantine": "list quarantined rows: file, line, field and reason (by run, file or reason)",
    "review": "the weekly review of one deployment (JSON, Markdown minutes or HTML pack)",
    "check": "alerts of every deployment; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
    "decide": "record a decision (expand, continue, limit, pause, stop) in the decision log",
    "countersign": "list, countersign or withdraw decisions waiting for a second signature",
    "verify": "verify the hash chain of the decision log and say who signed its records",
    "prune": "delete old request text and access records (retention_days protects high tier)",
    "notify": "send the weekly digest by e-mail (--smtp) and to webhooks; exit codes as check",
    "status": "each deployment's operating mode (text, JSON or the flagd flag file apps read)",
    "status-key": "create, list or revoke the API keys of the OFREP status endpoints",
    "notified": "tick who was told of a pause or stop (the runbook's notify list)",
    "rollup": "rebuild the weekly rollup every metric reads (after a timezone change)",
    "scope": "the weekly audit sample of requests to label (scope sample)",
    "sample": "write a realistic sample organization (registry and data files)",
    "demo": "sample data into a fresh database, then the dashboard",
    "dashboard": "open the dashboard (Streamlit) on http://127.0.0.1:8501",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message (never a traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """--db, --config and --debug: accepted before the command and after it. After it they default to
    SUPPRESS, so a value given before the command is not reset by the subcommand's parser."""
    default = argparse.SUPPRESS if after_command else None
    parser.add_argument(
        "--db", metavar="PATH", default=default, help="DuckDB file (default: setting db, ./postlaunch.duckdb)"
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="registry and settings TOML (default: ./postlaunch.toml)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if after_command else False,
        help="show the traceback of an unexpected error",
    )


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv` (the first word that is not a global option or its value)."""
    takes_value = {"--db", "--config"}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def module_of(command: str) -> str:
    return f"cli.commands.{command.replace('-', '_')}"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full options of `command` (its module imported) and the others by name."""
    parser = _Parser(
        prog="postlaunch",
        description="Monitor AI deployments after launch: the evidence for the weekly owner review.",
    )
    parser.add_argument("--version", action="version", version=f"postlaunch {__version__}")
    _global_options(parser, after_command=False)
    after = _Parser(add_help=False)
    _global_options(after, after_command=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, help_text in COMMANDS.items():
        if name == command:
            importlib.import_module(module_of(name)).add_parser(sub, [after])
        else:
            sub.add_parser(name, help=help_text, parents=[after])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at exit
        return code
    except UsageError as exc:
        print(f"postlaunch {args.command}: {exc}", file=sys.stderr)
        return 2
    except PostlaunchError as exc:
        print(f"postlaunch {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("postlaunch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`postlaunch check | head -1`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, never a traceback
        if args.debug:
            raise
        print(
            f"postlaunch {args.command}: unexpected error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
