"""Settings and registry together, as every command needs them: `load_context(config, db)`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from postlaunch.registry import Registry, parse_registry
from postlaunch.settings import Settings, load_settings


@dataclass(frozen=True)
class Context:
    settings: Settings
    registry: Registry
    actor: str | None = None  # who acts, where it is not the OS user (the dashboard's signed-in uploader)

    @property
    def db(self) -> Path:
        return self.settings.db


def load_context(config: Path | str | None = None, db: Path | str | None = None) -> Context:
    """Read postlaunch.toml (or `config`) and the environment; `db` overrides the database path."""
    settings, raw_registry, raw_access = load_settings(
        Path(config) if config is not None else None, Path(db) if db is not None else None
    )
    registry = parse_registry(raw_registry, str(settings.config), access=raw_access)
    return Context(settings=settings, registry=registry)
