"""The third-party files of ../shared/data that tests read (never copied into the project). A glob that
matches fewer files than expected stops the test run at collection: a missing data folder must fail
loudly, not turn a parametrized test into zero tests that pass."""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_files(pattern: str, at_least: int = 1) -> list[Path]:
    """Files of ../shared/data matching `pattern`, sorted; at least `at_least` of them, or an error."""
    found = sorted(SHARED_DATA.glob(pattern))
    if len(found) < at_least:
        raise FileNotFoundError(
            f"{SHARED_DATA / pattern}: {len(found)} file(s), expected at least {at_least} "
            "(the project reads third-party test data from ../shared/data beside the checkout)"
        )
    return found


def shared_file(relative: str) -> Path:
    """One file of ../shared/data, which must exist."""
    (path,) = shared_files(relative)
    return path
