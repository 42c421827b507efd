"""The `postlaunch` command line: global options, then one subcommand per module in `commands/`.

It only parses arguments and maps errors to exit codes (0 success, 1 failure, 2 usage error); the
work lives in the command modules. It never imports streamlit or plotly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from postlaunch import __version__
from postlaunch.errors import PostlaunchError, UsageError

# Subcommand name -> module under postlaunch.commands. Each module has add_parser() and run().
COMMANDS: dict[str, str] = {
    "ingest": "ingest",
    "review": "review",
    "check": "check",
    "decide": "decide",
    "verify": "verify",
    "sample": "sample",
    "demo": "demo",
    "dashboard": "dashboard",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message (never a traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="postlaunch",
        description="Monitor AI deployments after launch: the evidence for the weekly owner review.",
    )
    parser.add_argument("--version", action="version", version=f"postlaunch {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: setting db, ./postlaunch.duckdb)")
    parser.add_argument(
        "--config", metavar="PATH", help="registry and settings TOML (default: ./postlaunch.toml)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS.values():
        importlib.import_module(f"postlaunch.commands.{module}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
