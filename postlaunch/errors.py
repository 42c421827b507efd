"""Errors a user can act on. Their message is printed as it is, so it names the file, line,
field or key and what was expected; the command line maps them to exit codes.
"""

from __future__ import annotations


class PostlaunchError(Exception):
    """A failure the user can fix (bad file, bad config, unknown deployment). Exit code 1."""

    exit_code = 1


class UsageError(PostlaunchError):
    """Wrong arguments on the command line. Exit code 2."""

    exit_code = 2


class UnknownDeploymentError(UsageError):
    """A deployment id the registry does not know; the message names the ones it does."""


class ConfigError(PostlaunchError):
    """The settings or the registry are invalid; the message names the key."""


class DatabaseBusyError(PostlaunchError):
    """The DuckDB file stayed locked by another process for longer than the lock timeout."""
