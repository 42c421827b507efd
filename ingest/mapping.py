"""Column mapping for files whose columns are named differently: `--map SRC=DEST` and
`--map-file mapping.toml` ([columns], [values.COLUMN], [defaults]). Parsing and checking only;
the readers and the validation apply it. A bad mapping is refused with the file and key named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.kinds import Kind
from postlaunch.errors import UsageError


def norm(name: str) -> str:
    """How column names are compared: trimmed, case-insensitive (a BOM is not part of a name)."""
    return name.replace("\ufeff", "").strip().lower()


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # source name (normalized) -> contract column
    # contract column -> raw (lower) -> value; a value "" makes the raw value missing, a raw "" fills empty cells
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)  # contract column -> constant for a missing column
    source: str = "--map"

    def merged(self, other: Mapping) -> Mapping:
        return Mapping(
            columns={**self.columns, **other.columns},
            values={**self.values, **other.values},
            defaults={**self.defaults, **other.defaults},
            source=f"{self.source}, {other.source}",
        )

    def check(self, kind: Kind) -> None:
        """Refuse targets that are not columns of `kind` (UsageError naming the key)."""
        known = set(kind.names)
        for where, names in (
            ("columns", self.columns.values()),
            ("values", self.values.keys()),
            ("defaults", self.defaults.keys()),
        ):
            for name in names:
                if name not in known:
                    raise UsageError(
                        f"{self.source}: [{where}] names {name!r}, which is not a column of {kind.name} "
                        f"(columns: {', '.join(kind.names)})"
                    )


def parse_map_args(items: list[str]) -> Mapping:
    """`SRC=DEST` items from the command line."""
    mapping = Mapping(source="--map")
    for item in items:
        src, sep, dest = item.partition("=")
        if not sep or not src.strip() or not dest.strip():
            raise UsageError(f"--map {item!r}: expected SRC=DEST, e.g. --map ts=timestamp")
        mapping.columns[norm(src)] = norm(dest)
    return mapping


def _table(data: dict[str, object], key: str, path: Path) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UsageError(f"{path}: [{key}] must be a table")
    return value


def _text(value: object, path: Path, key: str) -> str:
    """The value as text, trimmed like a cell: "" (or blanks) means missing, as an empty cell does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise UsageError(f"{path}: {key}: expected a text or number value, got {type(value).__name__}")


def load_map_file(path: Path) -> Mapping:
    """Read a mapping TOML file: [columns] SRC = DEST, [values.COLUMN] RAW = VALUE, [defaults] COLUMN = VALUE."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"{path}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the mapping file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"columns", "values", "defaults"}
    if unknown:
        raise UsageError(
            f"{path}: unknown key {sorted(unknown)[0]!r} (a mapping file has [columns], [values.COLUMN], [defaults])"
        )
    mapping = Mapping(source=str(path))
    for src, dest in _table(data, "columns", path).items():
        if not isinstance(dest, str) or not dest.strip():
            raise UsageError(f"{path}: columns.{src}: expected the contract column name as text")
        mapping.columns[norm(src)] = norm(dest)
    for column, table in _table(data, "values", path).items():
        if not isinstance(table, dict):
            raise UsageError(f"{path}: values.{column}: must be a table of RAW = VALUE")
        mapping.values[norm(column)] = {
            raw.strip().lower(): _text(value, path, f"values.{column}.{raw}") for raw, value in table.items()
        }
    for column, value in _table(data, "defaults", path).items():
        mapping.defaults[norm(column)] = _text(value, path, f"defaults.{column}")
    return mapping


@dataclass
class Resolved:
    """Which file column feeds which contract column, and what is left over."""

    exprs: dict[str, str]  # contract column -> SQL expression over the source
    extra: list[str]  # file columns kept nowhere, as named in the file


def resolve(kind: Kind, header: list[str], exprs: list[str], mapping: Mapping | None) -> Resolved:
    """Match file columns to contract columns (trimmed, case-insensitive, after --map renames).

    Two file columns feeding one contract column are a file-level problem (ValueError with both named).
    """
    renames = mapping.columns if mapping else {}
    known = set(kind.names)
    out: dict[str, str] = {}
    source_of: dict[str, str] = {}
    extra: list[str] = []
    for position, (name, expr) in enumerate(zip(header, exprs, strict=True), start=1):
        if not name.strip():
            extra.append(f"(unnamed column {position})")
            continue
        key = norm(name)
        target = renames.get(key, key)
        if target not in known:
            extra.append(name)
            continue
        if target in out:
            raise ValueError(
                f"columns {source_of[target]!r} and {name!r} both give {target}; keep one or --map one away"
            )
        out[target] = expr
        source_of[target] = name
    return Resolved(out, extra)
