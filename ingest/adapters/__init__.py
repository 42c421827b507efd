"""Adapters from ecosystem formats (OpenTelemetry, FOCUS, OpenAI and Anthropic exports) onto the
contract kinds. Each turns a file into staged rows that the ingest engine validates and loads.
"""

from __future__ import annotations

from ingest.adapters._common import notes_line
from ingest.adapters.focus import FocusAdapter
from ingest.adapters.otel import OtelAdapter
from ingest.adapters.vendor_api import ANTHROPIC_COSTS, ANTHROPIC_USAGE, OPENAI_COSTS, OPENAI_USAGE
from ingest.staged import Adapter

# name -> adapter (docs/formats.md describes each).
ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        OtelAdapter(),
        FocusAdapter(),
        OPENAI_USAGE,
        OPENAI_COSTS,
        ANTHROPIC_USAGE,
        ANTHROPIC_COSTS,
    )
}

__all__ = ["ADAPTERS", "notes_line"]
