"""Load files, then place the unlabeled requests they brought: the one sequence the command line, the
dashboard's upload and the demo all run (`ingest_and_place`). Placement that cannot run now (the
database stays busy) is postponed, never fatal: the loaded rows stay loaded and the next ingest
places what is pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.engine import FileResult, ingest_paths
from ingest.mapping import Mapping
from ingest.scope.place import PlacementSummary, place_pending
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError


@dataclass
class IngestOutcome:
    """The files' results, what placement did, and why it was postponed (when it was)."""

    files: list[FileResult]
    placements: list[PlacementSummary] = field(default_factory=list)
    postponed: str | None = None

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.files)

    def placement_lines(self) -> list[str]:
        """A line per deployment whose placement did something, or the reason it was postponed."""
        if self.postponed is not None:
            return [f"scope placement postponed to the next ingest: {self.postponed}"]
        return [s.line() for s in self.placements if s.placed or s.cleared]


def ingest_and_place(
    ctx: Context,
    kind_or_adapter: str,
    paths: list[Path],
    *,
    mapping: Mapping | None = None,
    strict: bool = False,
    progress: bool = False,
    adapter_options: dict[str, Any] | None = None,
) -> IngestOutcome:
    """Ingest `paths` (see `ingest.engine.ingest_paths`), then place pending unlabeled requests."""
    files = ingest_paths(
        ctx, kind_or_adapter, paths, mapping=mapping, strict=strict, progress=progress,
        adapter_options=adapter_options,
    )  # fmt: skip
    outcome = IngestOutcome(files)
    try:
        outcome.placements = place_pending(ctx, progress=progress)
    except PostlaunchError as exc:
        outcome.postponed = str(exc)
    return outcome
