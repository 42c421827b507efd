"""Adapters from ecosystem formats (OpenTelemetry, FOCUS, OpenAI and Anthropic exports) onto the
contract kinds. Each turns a file into staged rows that the ingest engine validates and loads.
"""

from __future__ import annotations

from typing import Any

# name -> adapter object with `read(path, ctx, options) -> list[ingest.staged.Staged]`; filled by the
# adapter modules (see docs/formats.md).
ADAPTERS: dict[str, Any] = {}
